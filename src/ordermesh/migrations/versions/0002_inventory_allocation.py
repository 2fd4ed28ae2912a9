"""inventory buckets, allocation, supply, holds

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 11:29:52.847463
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('allocation_rules',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('channel_id', sa.String(length=40), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('scope_value', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('units', sa.Integer(), nullable=True),
    sa.Column('share_bp', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('share_bp IS NULL OR (share_bp >= 0 AND share_bp <= 10000)', name=op.f('ck_allocation_rules_quota_share_within_100_percent')),
    sa.CheckConstraint('units IS NULL OR units >= 0', name=op.f('ck_allocation_rules_quota_units_not_negative')),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_allocation_rules_channel_id_channels')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation_rules')),
    sa.UniqueConstraint('channel_id', 'scope', 'scope_value', name='uq_allocation_rule_scope')
    )
    with op.batch_alter_table('allocation_rules', schema=None) as batch_op:
        batch_op.create_index('ix_allocation_rules_scope', ['scope', 'scope_value'], unique=False)

    op.create_table('channel_reserved',
    sa.Column('channel_id', sa.String(length=40), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('reserved', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_channel_reserved_channel_reserved_not_negative')),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_channel_reserved_channel_id_channels')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_channel_reserved_product_id_products')),
    sa.PrimaryKeyConstraint('channel_id', 'product_id', name=op.f('pk_channel_reserved'))
    )
    op.create_table('channel_sources',
    sa.Column('channel_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_channel_sources_channel_id_channels')),
    sa.PrimaryKeyConstraint('channel_id', 'kind', 'value', name=op.f('pk_channel_sources'))
    )
    op.create_table('demand_forecasts',
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('method', sa.String(length=40), nullable=False),
    sa.Column('daily', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('sigma', sa.Float(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_demand_forecasts_location_id_locations')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_demand_forecasts_product_id_products')),
    sa.PrimaryKeyConstraint('product_id', 'location_id', name=op.f('pk_demand_forecasts'))
    )
    with op.batch_alter_table('demand_forecasts', schema=None) as batch_op:
        batch_op.create_index('ix_demand_forecasts_computed_at', ['computed_at'], unique=False)

    op.create_table('expected_supply',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('expected_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_expected_supply_supply_quantity_positive')),
    sa.CheckConstraint('received >= 0 AND received <= quantity', name=op.f('ck_expected_supply_supply_received_within')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_expected_supply_location_id_locations')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_expected_supply_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expected_supply'))
    )
    with op.batch_alter_table('expected_supply', schema=None) as batch_op:
        batch_op.create_index('ix_expected_supply_product_status', ['product_id', 'status'], unique=False)

    op.create_table('holds',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('channel_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('order_id', sa.String(length=40), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_holds_channel_id_channels')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holds'))
    )
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.create_index('ix_holds_status_expires', ['status', 'expires_at'], unique=False)

    op.create_table('safety_stock_defaults',
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_safety_stock_defaults_safety_default_not_negative')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_safety_stock_defaults_location_id_locations')),
    sa.PrimaryKeyConstraint('location_id', 'category', name=op.f('pk_safety_stock_defaults'))
    )
    op.create_table('stock_policies',
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('low_stock_threshold', sa.Integer(), nullable=True),
    sa.Column('lead_time_days', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_stock_policies_product_id_products')),
    sa.PrimaryKeyConstraint('product_id', name=op.f('pk_stock_policies'))
    )
    op.create_table('transfers',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('from_location_id', sa.String(length=40), nullable=False),
    sa.Column('to_location_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('expected_date', sa.Date(), nullable=True),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('from_location_id <> to_location_id', name=op.f('ck_transfers_transfer_between_two_places')),
    sa.ForeignKeyConstraint(['from_location_id'], ['locations.id'], name=op.f('fk_transfers_from_location_id_locations')),
    sa.ForeignKeyConstraint(['to_location_id'], ['locations.id'], name=op.f('fk_transfers_to_location_id_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers'))
    )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.create_index('ix_transfers_status', ['status'], unique=False)

    op.create_table('hold_allocations',
    sa.Column('hold_id', sa.String(length=40), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_hold_allocations_hold_id_holds')),
    sa.PrimaryKeyConstraint('hold_id', 'line_no', 'location_id', name=op.f('pk_hold_allocations'))
    )
    op.create_table('hold_lines',
    sa.Column('hold_id', sa.String(length=40), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_hold_lines_hold_id_holds')),
    sa.PrimaryKeyConstraint('hold_id', 'line_no', name=op.f('pk_hold_lines'))
    )
    op.create_table('transfer_lines',
    sa.Column('transfer_id', sa.String(length=40), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_transfer_lines_transfer_quantity_positive')),
    sa.CheckConstraint('received >= 0 AND received <= quantity', name=op.f('ck_transfer_lines_transfer_received_within')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_transfer_lines_product_id_products')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_transfer_lines_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('transfer_id', 'product_id', name=op.f('pk_transfer_lines'))
    )
    with op.batch_alter_table('transfer_lines', schema=None) as batch_op:
        batch_op.create_index('ix_transfer_lines_open_product', ['product_id'], unique=False,
                              postgresql_where=sa.text('received < quantity'),
                              sqlite_where=sa.text('received < quantity'))
    with op.batch_alter_table('inventory_movements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('damaged_delta', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('in_transit_delta', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('channel_id', sa.String(length=40), nullable=True))
        batch_op.create_index('ix_inventory_movements_occurred_at', ['occurred_at'], unique=False)

    with op.batch_alter_table('stock', schema=None) as batch_op:
        batch_op.add_column(sa.Column('damaged', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('in_transit', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('safety_stock', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_stock_damaged_not_negative'), 'damaged >= 0')
        batch_op.create_check_constraint(op.f('ck_stock_in_transit_not_negative'),
                                         'in_transit >= 0')
        batch_op.create_check_constraint(op.f('ck_stock_safety_not_negative'),
                                         'safety_stock IS NULL OR safety_stock >= 0')

    # Reservations made before channels were counted: their channel is their order's.
    op.execute(
        "UPDATE inventory_movements SET channel_id = (SELECT o.channel_id FROM orders o"
        " WHERE o.id = inventory_movements.reference_id)"
        " WHERE reference_type = 'order' AND reserved_delta <> 0"
    )
    op.execute(
        "INSERT INTO channel_reserved (channel_id, product_id, reserved)"
        " SELECT channel_id, product_id, SUM(reserved_delta) FROM inventory_movements"
        " WHERE channel_id IS NOT NULL GROUP BY channel_id, product_id"
        " HAVING SUM(reserved_delta) <> 0"
    )



def downgrade() -> None:
    op.drop_table('channel_reserved')
    with op.batch_alter_table('stock', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_stock_safety_not_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_stock_in_transit_not_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_stock_damaged_not_negative'), type_='check')
        batch_op.drop_column('safety_stock')
        batch_op.drop_column('in_transit')
        batch_op.drop_column('damaged')

    with op.batch_alter_table('inventory_movements', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_movements_occurred_at')
        batch_op.drop_column('channel_id')
        batch_op.drop_column('in_transit_delta')
        batch_op.drop_column('damaged_delta')

    with op.batch_alter_table('transfer_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_lines_open_product')

    op.drop_table('transfer_lines')
    op.drop_table('hold_lines')
    op.drop_table('hold_allocations')
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_index('ix_transfers_status')

    op.drop_table('transfers')
    op.drop_table('stock_policies')
    op.drop_table('safety_stock_defaults')
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_index('ix_holds_status_expires')

    op.drop_table('holds')
    with op.batch_alter_table('expected_supply', schema=None) as batch_op:
        batch_op.drop_index('ix_expected_supply_product_status')

    op.drop_table('expected_supply')
    with op.batch_alter_table('demand_forecasts', schema=None) as batch_op:
        batch_op.drop_index('ix_demand_forecasts_computed_at')

    op.drop_table('demand_forecasts')
    op.drop_table('channel_sources')
    with op.batch_alter_table('allocation_rules', schema=None) as batch_op:
        batch_op.drop_index('ix_allocation_rules_scope')

    op.drop_table('allocation_rules')
