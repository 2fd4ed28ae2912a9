"""order core

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    op.create_table('channels',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels')),
    sa.UniqueConstraint('code', name=op.f('uq_channels_code'))
    )
    op.create_table('customers',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    sa.UniqueConstraint('email', name=op.f('uq_customers_email'))
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_phone'), ['phone'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('principal', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('endpoint', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('resource_type', sa.String(length=40), nullable=True),
    sa.Column('resource_id', sa.String(length=40), nullable=True),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('principal', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('inventory_movements',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('on_hand_delta', sa.Integer(), nullable=False),
    sa.Column('reserved_delta', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('reference_type', sa.String(length=40), nullable=True),
    sa.Column('reference_id', sa.String(length=40), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_inventory_movements'))
    )
    with op.batch_alter_table('inventory_movements', schema=None) as batch_op:
        batch_op.create_index('ix_inventory_movements_product_location', ['product_id', 'location_id'], unique=False)

    op.create_table('locations',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('address', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('can_ship', sa.Boolean(), nullable=False),
    sa.Column('can_pickup', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations')),
    sa.UniqueConstraint('code', name=op.f('uq_locations_code'))
    )
    op.create_table('outbox',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('type', sa.String(length=80), nullable=False),
    sa.Column('aggregate_type', sa.String(length=40), nullable=False),
    sa.Column('aggregate_id', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_outbox')),
    sa.UniqueConstraint('id', name=op.f('uq_outbox_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_position', ['position'], unique=True)
        batch_op.create_index('ix_outbox_unpositioned', ['seq'], unique=False, sqlite_where=sa.text('position IS NULL'), postgresql_where=sa.text('position IS NULL'))

    op.create_table('products',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('price_amount', sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite'), nullable=True),
    sa.Column('price_currency', sa.String(length=3), nullable=True),
    sa.Column('tax_class', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=True),
    sa.Column('weight_grams', sa.Integer(), nullable=True),
    sa.Column('length_mm', sa.Integer(), nullable=True),
    sa.Column('width_mm', sa.Integer(), nullable=True),
    sa.Column('height_mm', sa.Integer(), nullable=True),
    sa.Column('handling', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('sku', name=op.f('uq_products_sku'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_products_category'), ['category'], unique=False)

    op.create_table('orders',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('channel_id', sa.String(length=40), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('customer_id', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('subtotal_amount', sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('shipping_amount', sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('total_amount', sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.Column('shipping_address', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('request_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_orders_channel_id_channels')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_orders_customer_id_customers')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_orders')),
    sa.UniqueConstraint('channel_id', 'external_id', name=op.f('uq_orders_channel_id_external_id')),
    sa.UniqueConstraint('id', name=op.f('uq_orders_id'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_orders_customer_seq', ['customer_id', 'seq'], unique=False)
        batch_op.create_index('ix_orders_status_seq', ['status', 'seq'], unique=False)

    op.create_table('stock',
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('on_hand >= 0', name=op.f('ck_stock_on_hand_not_negative')),
    sa.CheckConstraint('reserved <= on_hand', name=op.f('ck_stock_reserved_within_on_hand')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_stock_reserved_not_negative')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_stock_location_id_locations')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_stock_product_id_products')),
    sa.PrimaryKeyConstraint('product_id', 'location_id', name=op.f('pk_stock'))
    )
    op.create_table('order_allocations',
    sa.Column('order_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_order_allocations_location_id_locations')),
    sa.ForeignKeyConstraint(['order_seq'], ['orders.seq'], name=op.f('fk_order_allocations_order_seq_orders')),
    sa.PrimaryKeyConstraint('order_seq', 'line_no', 'location_id', name=op.f('pk_order_allocations'))
    )
    op.create_table('order_history',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('order_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_seq'], ['orders.seq'], name=op.f('fk_order_history_order_seq_orders')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_order_history'))
    )
    with op.batch_alter_table('order_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_history_order_seq'), ['order_seq'], unique=False)

    op.create_table('order_lines',
    sa.Column('order_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('cancelled_quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['order_seq'], ['orders.seq'], name=op.f('fk_order_lines_order_seq_orders')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_order_lines_product_id_products')),
    sa.PrimaryKeyConstraint('order_seq', 'line_no', name=op.f('pk_order_lines'))
    )


def downgrade() -> None:
    op.drop_table('order_lines')
    with op.batch_alter_table('order_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_history_order_seq'))

    op.drop_table('order_history')
    op.drop_table('order_allocations')
    op.drop_table('stock')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_status_seq')
        batch_op.drop_index('ix_orders_customer_seq')
        batch_op.drop_index('ix_orders_created_at')

    op.drop_table('orders')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_products_category'))

    op.drop_table('products')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_unpositioned', sqlite_where=sa.text('position IS NULL'), postgresql_where=sa.text('position IS NULL'))
        batch_op.drop_index('ix_outbox_position')

    op.drop_table('outbox')
    op.drop_table('locations')
    with op.batch_alter_table('inventory_movements', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_movements_product_location')

    op.drop_table('inventory_movements')
    op.drop_table('idempotency_keys')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_phone'))

    op.drop_table('customers')
    op.drop_table('channels')
    op.drop_table('api_keys')
