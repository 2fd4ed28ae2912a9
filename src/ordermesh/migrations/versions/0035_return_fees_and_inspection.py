"""returns: fees kept back from refunds, when refunds are released, inspections, exchanges
(and a refund of nothing allowed, for an even exchange)

Revision ID: 0035
Revises: 0033
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0035'
down_revision = '0033'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
MONEY = sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('return_policies') as batch:
        batch.add_column(sa.Column('return_shipping_fee', MONEY, nullable=True))
        batch.add_column(sa.Column('restocking_fee_percent', MONEY, nullable=True))
        batch.add_column(sa.Column('fee_free_reasons', JSON, nullable=True))
        batch.add_column(sa.Column('refund_release', sa.String(length=20), nullable=False,
                                   server_default='manual'))
        batch.add_column(sa.Column('exchange_reserve', sa.String(length=20), nullable=False,
                                   server_default='at_once'))
        batch.create_check_constraint(
            op.f('ck_return_policies_restocking_fee_positive'),
            'restocking_fee_percent > 0')
    with op.batch_alter_table('returns') as batch:
        batch.add_column(sa.Column('fees', JSON, nullable=True))
        batch.add_column(sa.Column('refund_release', sa.String(length=20), nullable=False,
                                   server_default='manual'))
        batch.add_column(sa.Column('exchange_reserve', sa.String(length=20), nullable=False,
                                   server_default='at_once'))
        batch.add_column(sa.Column('exchange_order_id', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('exchange_credit', MONEY, nullable=True))
    with op.batch_alter_table('return_lines') as batch:
        batch.add_column(sa.Column('exchange_sku', sa.String(length=100), nullable=True))
    # an even exchange is refunded with nothing: units come back, no money moves
    with op.batch_alter_table('order_refunds') as batch:
        batch.drop_constraint(op.f('ck_order_refunds_refund_positive'), type_='check')
        batch.create_check_constraint(
            op.f('ck_order_refunds_refund_not_negative'),
            'amount >= 0 AND tax_amount >= 0 AND tax_amount <= amount')
    op.create_table(
        'return_inspections',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('return_id', sa.String(length=40), nullable=False),
        sa.Column('lines', JSON, nullable=False),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('inspected_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['return_id'], ['returns.id'],
                                name=op.f('fk_return_inspections_return_id_returns')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_return_inspections')),
        sa.UniqueConstraint('return_id', name=op.f('uq_return_inspections_return_id')),
    )


def downgrade() -> None:
    op.drop_table('return_inspections')
    with op.batch_alter_table('order_refunds') as batch:
        batch.drop_constraint(op.f('ck_order_refunds_refund_not_negative'), type_='check')
        batch.create_check_constraint(
            op.f('ck_order_refunds_refund_positive'),
            'amount > 0 AND tax_amount >= 0 AND tax_amount <= amount')
    with op.batch_alter_table('return_lines') as batch:
        batch.drop_column('exchange_sku')
    with op.batch_alter_table('returns') as batch:
        batch.drop_column('exchange_credit')
        batch.drop_column('exchange_order_id')
        batch.drop_column('exchange_reserve')
        batch.drop_column('refund_release')
        batch.drop_column('fees')
    with op.batch_alter_table('return_policies') as batch:
        batch.drop_constraint(op.f('ck_return_policies_restocking_fee_positive'),
                              type_='check')
        batch.drop_column('exchange_reserve')
        batch.drop_column('refund_release')
        batch.drop_column('fee_free_reasons')
        batch.drop_column('restocking_fee_percent')
        batch.drop_column('return_shipping_fee')
