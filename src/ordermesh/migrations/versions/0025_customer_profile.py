"""customer profile: identities per channel, addresses, consent ledger, merges, audit;
the customer's profile columns; existing e-mails and phones become identities

Revision ID: 0025
Revises: 0023
"""

import phonenumbers
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from ordermesh.kit.ids import new_id

revision = '0025'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customer_addresses',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=True),
    sa.Column('address', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('is_default', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_addresses_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_addresses'))
    )
    with op.batch_alter_table('customer_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_addresses_customer_id'), ['customer_id'], unique=False)

    op.create_table('customer_audit',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_audit_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_audit'))
    )
    with op.batch_alter_table('customer_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_audit_customer_id'), ['customer_id'], unique=False)

    op.create_table('customer_consents',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('medium', sa.String(length=10), nullable=False),
    sa.Column('granted', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=True),
    sa.Column('source_channel', sa.String(length=40), nullable=False),
    sa.Column('proof', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_consents_customer_id_customers')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_customer_consents')),
    sa.UniqueConstraint('id', name=op.f('uq_customer_consents_id'))
    )
    with op.batch_alter_table('customer_consents', schema=None) as batch_op:
        batch_op.create_index('ix_customer_consents_customer', ['customer_id', 'seq'], unique=False)

    op.create_table('customer_identities',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=254), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_identities_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_identities')),
    sa.UniqueConstraint('kind', 'channel', 'value', name=op.f('uq_customer_identities_kind_channel_value'))
    )
    with op.batch_alter_table('customer_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_identities_customer_id'), ['customer_id'], unique=False)

    op.create_table('customer_merges',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('survivor_id', sa.String(length=40), nullable=False),
    sa.Column('merged_id', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('merged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('merged_by', sa.String(length=120), nullable=False),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undone_by', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['merged_id'], ['customers.id'], name=op.f('fk_customer_merges_merged_id_customers')),
    sa.ForeignKeyConstraint(['survivor_id'], ['customers.id'], name=op.f('fk_customer_merges_survivor_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_merges'))
    )
    with op.batch_alter_table('customer_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_merges_merged_id'), ['merged_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_merges_survivor_id'), ['survivor_id'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('locale', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('preferred_channel', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('preferred_contact', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('contact_hours', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('preferences', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('source_channel', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('merged_into', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_customers_merged_into_customers'), 'customers', ['merged_into'], ['id'])

    op.create_index('ix_outbox_aggregate', 'outbox', ['aggregate_id', 'seq'], unique=False)
    _identities_of_existing_customers()


def _e164(phone):
    if not phone or not phone.startswith("+"):
        return None  # a national number: its country is unknown here
    try:
        parsed = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return None
    if (phonenumbers.is_possible_number_with_reason(parsed)
            != phonenumbers.ValidationResult.IS_POSSIBLE):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _identities_of_existing_customers() -> None:
    """Every e-mail, and every phone that parses, becomes its customer's identity; a phone
    several customers share goes to the oldest of them (as matching did)."""
    conn = op.get_bind()
    customers = sa.table("customers", sa.column("id"), sa.column("email"), sa.column("phone"),
                         sa.column("created_at"), sa.column("tags"), sa.column("preferences"))
    identities = sa.table("customer_identities", *(sa.column(c) for c in (
        "id", "customer_id", "kind", "channel", "value", "source", "created_at")))
    rows = conn.execute(sa.select(customers).order_by(customers.c.created_at, customers.c.id))
    seen, batch = set(), []
    for row in rows:
        for kind, value in (("email", row.email), ("phone", _e164(row.phone))):
            if value and (kind, value) not in seen:
                seen.add((kind, value))
                batch.append({"id": new_id("cid"), "customer_id": row.id, "kind": kind,
                              "channel": "", "value": value, "source": "migration",
                              "created_at": row.created_at})
    if batch:
        conn.execute(sa.insert(identities), batch)


def downgrade() -> None:
    op.drop_index('ix_outbox_aggregate', table_name='outbox')

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_customers_merged_into_customers'), type_='foreignkey')
        batch_op.drop_column('version')
        batch_op.drop_column('erased_at')
        batch_op.drop_column('merged_into')
        batch_op.drop_column('source_channel')
        batch_op.drop_column('preferences')
        batch_op.drop_column('tags')
        batch_op.drop_column('notes')
        batch_op.drop_column('contact_hours')
        batch_op.drop_column('preferred_contact')
        batch_op.drop_column('preferred_channel')
        batch_op.drop_column('locale')
        batch_op.drop_column('language')

    with op.batch_alter_table('customer_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_merges_survivor_id'))
        batch_op.drop_index(batch_op.f('ix_customer_merges_merged_id'))

    op.drop_table('customer_merges')
    with op.batch_alter_table('customer_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_identities_customer_id'))

    op.drop_table('customer_identities')
    with op.batch_alter_table('customer_consents', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_consents_customer')

    op.drop_table('customer_consents')
    with op.batch_alter_table('customer_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_audit_customer_id'))

    op.drop_table('customer_audit')
    with op.batch_alter_table('customer_addresses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_addresses_customer_id'))

    op.drop_table('customer_addresses')
