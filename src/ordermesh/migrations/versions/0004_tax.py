"""tax rates (loaded with the shipped rate data) and the tax ledger

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from ordermesh.tax.seed import seed_rates

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tax_rates',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=3), nullable=False),
    sa.Column('tax_class', sa.String(length=20), nullable=False),
    sa.Column('jurisdiction', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('rate_percent', sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rate_percent >= 0', name=op.f('ck_tax_rates_rate_not_negative')),
    sa.CheckConstraint('valid_to IS NULL OR valid_to >= valid_from', name=op.f('ck_tax_rates_period_ordered')),
    sa.CheckConstraint("tax_class IN ('standard', 'reduced', 'super_reduced')", name=op.f('ck_tax_rates_rated_class')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_rates')),
    sa.UniqueConstraint('country', 'region', 'tax_class', 'jurisdiction', 'name', 'valid_from', name='uq_tax_rates_period_start')
    )
    with op.batch_alter_table('tax_rates', schema=None) as batch_op:
        batch_op.create_index('ix_tax_rates_lookup', ['country', 'region', 'valid_from'], unique=False)
        batch_op.create_index('ix_tax_rates_one_open_period', ['country', 'region', 'tax_class', 'jurisdiction', 'name'], unique=True, sqlite_where=sa.text('valid_to IS NULL'), postgresql_where=sa.text('valid_to IS NULL'))

    op.create_table('tax_entries',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('document', sa.String(length=20), nullable=False),
    sa.Column('document_id', sa.String(length=40), nullable=True),
    sa.Column('tax_point', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('jurisdiction', sa.String(length=6), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=3), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('rate_percent', sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('taxable_amount', sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('tax_amount', sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("document IN ('order', 'edit', 'refund', 'cancellation')", name=op.f('ck_tax_entries_known_document')),
    sa.CheckConstraint('rate_percent >= 0', name=op.f('ck_tax_entries_entry_rate_not_negative')),
    sa.CheckConstraint('(taxable_amount >= 0 AND tax_amount >= 0) OR (taxable_amount <= 0 AND tax_amount <= 0)', name=op.f('ck_tax_entries_amounts_same_sign')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_entries'))
    )
    with op.batch_alter_table('tax_entries', schema=None) as batch_op:
        batch_op.create_index('ix_tax_entries_report', ['tax_point', 'country'], unique=False)
        batch_op.create_index('ix_tax_entries_order', ['order_id'], unique=False)

    seed_rates(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('tax_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_tax_entries_order')
        batch_op.drop_index('ix_tax_entries_report')
    op.drop_table('tax_entries')
    with op.batch_alter_table('tax_rates', schema=None) as batch_op:
        batch_op.drop_index('ix_tax_rates_one_open_period')
        batch_op.drop_index('ix_tax_rates_lookup')
    op.drop_table('tax_rates')
