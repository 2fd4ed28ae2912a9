"""sourcing: location fulfilment settings, channel sourcing rules, sourcing decisions,
how an order is fulfilled (ship / pick up, service level)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), server_default=sa.text('100'), nullable=False))
        batch_op.add_column(sa.Column('daily_capacity', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('regions', JSON, nullable=True))
        batch_op.add_column(sa.Column('pickup_hold_days', sa.Integer(), server_default=sa.text('3'), nullable=False))
        batch_op.add_column(sa.Column('carrier', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('carrier_service', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('processing_days', sa.Integer(), server_default=sa.text('0'), nullable=False))

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fulfilment_method', sa.String(length=10), server_default=sa.text("'ship'"), nullable=False))
        batch_op.add_column(sa.Column('pickup_location_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('service_level', sa.String(length=10), server_default=sa.text("'standard'"), nullable=False))

    op.create_table('channel_sourcing',
    sa.Column('channel_id', sa.String(length=40), nullable=False),
    sa.Column('rules', JSON, nullable=False),
    sa.Column('max_splits', sa.Integer(), nullable=True),
    sa.Column('allow_backorders', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('shipment_base_amount', MONEY, nullable=False),
    sa.Column('per_kg_100km_amount', MONEY, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_channel_sourcing_channel_id_channels')),
    sa.PrimaryKeyConstraint('channel_id', name=op.f('pk_channel_sourcing'))
    )
    op.create_table('sourcing_decisions',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('order_seq', SEQ, nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('lines', JSON, nullable=False),
    sa.Column('candidates', JSON, nullable=False),
    sa.Column('chosen', JSON, nullable=False),
    sa.Column('unsourced', JSON, nullable=True),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('context', JSON, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_seq'], ['orders.seq'], name=op.f('fk_sourcing_decisions_order_seq_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sourcing_decisions'))
    )
    op.create_index('ux_sourcing_decisions_order_attempt', 'sourcing_decisions', ['order_seq', 'attempt'], unique=True)


def downgrade() -> None:
    op.drop_index('ux_sourcing_decisions_order_attempt', table_name='sourcing_decisions')
    op.drop_table('sourcing_decisions')
    op.drop_table('channel_sourcing')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('service_level')
        batch_op.drop_column('pickup_location_id')
        batch_op.drop_column('fulfilment_method')
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_column('processing_days')
        batch_op.drop_column('carrier_service')
        batch_op.drop_column('carrier')
        batch_op.drop_column('pickup_hold_days')
        batch_op.drop_column('regions')
        batch_op.drop_column('daily_capacity')
        batch_op.drop_column('priority')
