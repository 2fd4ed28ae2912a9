"""invoices: legal entities, gapless invoice series, invoices and credit notes

Revision ID: 0006
Revises: 0005

Invoices are never changed once issued: triggers refuse UPDATE and DELETE on them, on
SQLite and on PostgreSQL (a correction is a credit note).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
IMMUTABLE = 'invoices are never changed once issued; issue a credit note to correct one'


def upgrade() -> None:
    op.create_table('legal_entities',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', JSON, nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=10), nullable=True),
    sa.Column('vat_id', sa.String(length=40), nullable=True),
    sa.Column('tax_ids', JSON, nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('locale', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_entities')),
    sa.UniqueConstraint('code', name=op.f('uq_legal_entities_code'))
    )
    op.create_table('invoice_series',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('legal_entity_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('prefix', sa.String(length=50), nullable=False),
    sa.Column('next_number', sa.BigInteger(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name=op.f('ck_invoice_series_series_kind')),
    sa.CheckConstraint('next_number >= 1', name=op.f('ck_invoice_series_next_number_positive')),
    sa.ForeignKeyConstraint(['legal_entity_id'], ['legal_entities.id'], name=op.f('fk_invoice_series_legal_entity_id_legal_entities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_series')),
    sa.UniqueConstraint('legal_entity_id', 'prefix', name=op.f('uq_invoice_series_legal_entity_id_prefix'))
    )
    with op.batch_alter_table('invoice_series', schema=None) as batch_op:
        batch_op.create_index('uq_invoice_series_active', ['legal_entity_id', 'kind'], unique=True, sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.create_table('invoices',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('legal_entity_id', sa.String(length=40), nullable=False),
    sa.Column('series_id', sa.String(length=40), nullable=False),
    sa.Column('sequence', sa.BigInteger(), nullable=False),
    sa.Column('number', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('order_number', sa.String(length=40), nullable=False),
    sa.Column('corrects_invoice_id', sa.String(length=40), nullable=True),
    sa.Column('corrects_number', sa.String(length=80), nullable=True),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tax_point', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('locale', sa.String(length=20), nullable=False),
    sa.Column('seller', JSON, nullable=False),
    sa.Column('buyer', JSON, nullable=False),
    sa.Column('lines', JSON, nullable=False),
    sa.Column('tax_breakdown', JSON, nullable=False),
    sa.Column('net_amount', MONEY, nullable=False),
    sa.Column('tax_amount', MONEY, nullable=False),
    sa.Column('gross_amount', MONEY, nullable=False),
    sa.Column('reverse_charge', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.CheckConstraint("(kind = 'invoice' AND corrects_invoice_id IS NULL) OR (kind = 'credit_note' AND corrects_invoice_id IS NOT NULL AND gross_amount > 0)", name=op.f('ck_invoices_credit_note_corrects_an_invoice')),
    sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name=op.f('ck_invoices_invoice_kind')),
    sa.CheckConstraint('NOT reverse_charge OR tax_amount = 0', name=op.f('ck_invoices_reverse_charge_without_tax')),
    sa.CheckConstraint('net_amount >= 0 AND tax_amount >= 0 AND gross_amount = net_amount + tax_amount', name=op.f('ck_invoices_amounts_add_up')),
    sa.CheckConstraint('sequence >= 1', name=op.f('ck_invoices_sequence_positive')),
    sa.ForeignKeyConstraint(['corrects_invoice_id'], ['invoices.id'], name=op.f('fk_invoices_corrects_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['legal_entity_id'], ['legal_entities.id'], name=op.f('fk_invoices_legal_entity_id_legal_entities')),
    sa.ForeignKeyConstraint(['series_id'], ['invoice_series.id'], name=op.f('fk_invoices_series_id_invoice_series')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_invoices')),
    sa.UniqueConstraint('id', name=op.f('uq_invoices_id')),
    sa.UniqueConstraint('legal_entity_id', 'number', name=op.f('uq_invoices_legal_entity_id_number')),
    sa.UniqueConstraint('order_id', 'reference', name=op.f('uq_invoices_order_id_reference')),
    sa.UniqueConstraint('series_id', 'sequence', name=op.f('uq_invoices_series_id_sequence'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index('ix_invoices_corrects_invoice_id', ['corrects_invoice_id'], unique=False)
        batch_op.create_index('ix_invoices_issued_at', ['issued_at'], unique=False)
        batch_op.create_index('ix_invoices_legal_entity_seq', ['legal_entity_id', 'seq'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"""
            CREATE FUNCTION invoices_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'restrict_violation';
            END $$""")
        op.execute("CREATE TRIGGER invoices_are_immutable BEFORE UPDATE OR DELETE ON invoices "
                   "FOR EACH ROW EXECUTE FUNCTION invoices_are_immutable()")
    else:
        for event in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER invoices_no_{event.lower()} BEFORE {event} ON invoices "
                       f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS invoices_are_immutable ON invoices")
        op.execute("DROP FUNCTION IF EXISTS invoices_are_immutable()")
    else:
        op.execute("DROP TRIGGER IF EXISTS invoices_no_update")
        op.execute("DROP TRIGGER IF EXISTS invoices_no_delete")
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_legal_entity_seq')
        batch_op.drop_index('ix_invoices_issued_at')
        batch_op.drop_index('ix_invoices_corrects_invoice_id')

    op.drop_table('invoices')
    with op.batch_alter_table('invoice_series', schema=None) as batch_op:
        batch_op.drop_index('uq_invoice_series_active', sqlite_where=sa.text('active'), postgresql_where=sa.text('active'))

    op.drop_table('invoice_series')
    op.drop_table('legal_entities')
