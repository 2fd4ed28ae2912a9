"""fulfilment: fulfilment orders with lines and status history, bins, pick lists

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('fulfilment_orders',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('order_seq', SEQ, nullable=False),
    sa.Column('order_index', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('decision_id', sa.String(length=40), nullable=True),
    sa.Column('shipping_address', JSON, nullable=True),
    sa.Column('service_level', sa.String(length=20), nullable=False),
    sa.Column('carrier', sa.String(length=40), nullable=True),
    sa.Column('carrier_service', sa.String(length=40), nullable=True),
    sa.Column('ship_by', sa.Date(), nullable=True),
    sa.Column('promised_date', sa.Date(), nullable=True),
    sa.Column('pickup_code_hash', sa.String(length=64), nullable=True),
    sa.Column('pickup_attempts', sa.Integer(), nullable=False),
    sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_fulfilment_orders_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fulfilment_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_fulfilment_orders_number')),
    sa.UniqueConstraint('order_seq', 'order_index', name=op.f('uq_fulfilment_orders_order_seq_order_index'))
    )
    with op.batch_alter_table('fulfilment_orders', schema=None) as batch_op:
        batch_op.create_index('ix_fulfilment_orders_location_status', ['location_id', 'status'], unique=False)
        batch_op.create_index('ix_fulfilment_orders_order_id', ['order_id'], unique=False)
        batch_op.create_index('ix_fulfilment_orders_status_ready_at', ['status', 'ready_at'], unique=False)

    op.create_table('fulfilment_lines',
    sa.Column('fo_id', sa.String(length=40), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('picked_quantity', sa.Integer(), nullable=False),
    sa.Column('short_quantity', sa.Integer(), nullable=False),
    sa.Column('packed_quantity', sa.Integer(), nullable=False),
    sa.Column('cancelled_quantity', sa.Integer(), nullable=False),
    sa.Column('rejected_quantity', sa.Integer(), nullable=False),
    sa.Column('shipped_quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0 AND picked_quantity >= 0 AND short_quantity >= 0 AND packed_quantity >= 0 AND cancelled_quantity >= 0 AND rejected_quantity >= 0 AND shipped_quantity >= 0 AND cancelled_quantity + rejected_quantity + short_quantity + shipped_quantity <= quantity', name=op.f('ck_fulfilment_lines_units_add_up')),
    sa.ForeignKeyConstraint(['fo_id'], ['fulfilment_orders.id'], name=op.f('fk_fulfilment_lines_fo_id_fulfilment_orders')),
    sa.PrimaryKeyConstraint('fo_id', 'line_no', name=op.f('pk_fulfilment_lines'))
    )

    op.create_table('fulfilment_history',
    sa.Column('seq', SEQ, autoincrement=True, nullable=False),
    sa.Column('fo_id', sa.String(length=40), nullable=False),
    sa.Column('from_status', sa.String(length=30), nullable=True),
    sa.Column('to_status', sa.String(length=30), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('details', JSON, nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['fo_id'], ['fulfilment_orders.id'], name=op.f('fk_fulfilment_history_fo_id_fulfilment_orders')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_fulfilment_history'))
    )
    with op.batch_alter_table('fulfilment_history', schema=None) as batch_op:
        batch_op.create_index('ix_fulfilment_history_fo_id', ['fo_id'], unique=False)

    op.create_table('location_bins',
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('bin', sa.String(length=40), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_location_bins_location_id_locations')),
    sa.PrimaryKeyConstraint('location_id', 'product_id', name=op.f('pk_location_bins'))
    )

    op.create_table('pick_lists',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_pick_lists_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pick_lists'))
    )
    with op.batch_alter_table('pick_lists', schema=None) as batch_op:
        batch_op.create_index('ix_pick_lists_location_status', ['location_id', 'status'], unique=False)

    op.create_table('pick_list_items',
    sa.Column('pick_list_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('fo_id', sa.String(length=40), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('bin', sa.String(length=40), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('picked_quantity', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['fo_id'], ['fulfilment_orders.id'], name=op.f('fk_pick_list_items_fo_id_fulfilment_orders')),
    sa.ForeignKeyConstraint(['pick_list_id'], ['pick_lists.id'], name=op.f('fk_pick_list_items_pick_list_id_pick_lists')),
    sa.PrimaryKeyConstraint('pick_list_id', 'position', name=op.f('pk_pick_list_items')),
    sa.UniqueConstraint('pick_list_id', 'fo_id', 'line_no', name=op.f('uq_pick_list_items_pick_list_id_fo_id_line_no'))
    )
    with op.batch_alter_table('pick_list_items', schema=None) as batch_op:
        batch_op.create_index('ix_pick_list_items_fo_id', ['fo_id'], unique=False)


def downgrade() -> None:
    op.drop_table('pick_list_items')
    op.drop_table('pick_lists')
    op.drop_table('location_bins')
    op.drop_table('fulfilment_history')
    op.drop_table('fulfilment_lines')
    op.drop_table('fulfilment_orders')
