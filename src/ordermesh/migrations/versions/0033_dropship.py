"""drop-ship: routing rules, supplier locations, drop-ship purchase orders, their lines
and shipments; API keys of role supplier name their supplier

Revision ID: 0033
Revises: 0030
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0033'
down_revision = '0030'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
WHEN = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('dropship_rules',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('supplier_id', sa.String(length=40), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=True),
    sa.Column('channel_id', sa.String(length=40), nullable=True),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('created_at', WHEN, nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'],
                            name=op.f('fk_dropship_rules_supplier_id_suppliers')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                            name=op.f('fk_dropship_rules_product_id_products')),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'],
                            name=op.f('fk_dropship_rules_channel_id_channels')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dropship_rules'))
    )
    op.create_table('dropship_sources',
    sa.Column('supplier_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'],
                            name=op.f('fk_dropship_sources_supplier_id_suppliers')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'],
                            name=op.f('fk_dropship_sources_location_id_locations')),
    sa.PrimaryKeyConstraint('supplier_id', name=op.f('pk_dropship_sources')),
    sa.UniqueConstraint('location_id', name=op.f('uq_dropship_sources_location_id'))
    )
    op.create_table('dropship_orders',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('supplier_id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('order_seq', SEQ, nullable=False),
    sa.Column('order_number', sa.String(length=40), nullable=False),
    sa.Column('fo_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('ship_to', JSON, nullable=False),
    sa.Column('service_level', sa.String(length=20), nullable=False),
    sa.Column('cost_currency', sa.String(length=3), nullable=False),
    sa.Column('price_currency', sa.String(length=3), nullable=False),
    sa.Column('supplier_reference', sa.String(length=100), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', WHEN, nullable=False),
    sa.Column('accepted_at', WHEN, nullable=True),
    sa.Column('first_shipped_at', WHEN, nullable=True),
    sa.Column('closed_at', WHEN, nullable=True),
    sa.Column('updated_at', WHEN, nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'],
                            name=op.f('fk_dropship_orders_supplier_id_suppliers')),
    sa.ForeignKeyConstraint(['fo_id'], ['fulfilment_orders.id'],
                            name=op.f('fk_dropship_orders_fo_id_fulfilment_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dropship_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_dropship_orders_number'))
    )
    op.create_index('ix_dropship_orders_supplier_status', 'dropship_orders',
                    ['supplier_id', 'status'], unique=False)
    op.create_index('ix_dropship_orders_order', 'dropship_orders', ['order_id'], unique=False)
    op.create_table('dropship_lines',
    sa.Column('ds_id', sa.String(length=40), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('supplier_sku', sa.String(length=64), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('shipped', sa.Integer(), nullable=False),
    sa.Column('short', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('unit_cost', MONEY, nullable=True),
    sa.Column('unit_price', MONEY, nullable=False),
    sa.CheckConstraint('quantity > 0 AND shipped >= 0 AND short >= 0 AND rejected >= 0 '
                       'AND shipped + short + rejected <= quantity',
                       name=op.f('ck_dropship_lines_dropship_units')),
    sa.ForeignKeyConstraint(['ds_id'], ['dropship_orders.id'],
                            name=op.f('fk_dropship_lines_ds_id_dropship_orders')),
    sa.PrimaryKeyConstraint('ds_id', 'line_no', name=op.f('pk_dropship_lines'))
    )
    op.create_table('dropship_shipments',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('ds_id', sa.String(length=40), nullable=False),
    sa.Column('carrier', sa.String(length=40), nullable=False),
    sa.Column('tracking_number', sa.String(length=60), nullable=False),
    sa.Column('lines', JSON, nullable=False),
    sa.Column('order_shipment_id', sa.String(length=40), nullable=False),
    sa.Column('shipped_at', WHEN, nullable=False),
    sa.ForeignKeyConstraint(['ds_id'], ['dropship_orders.id'],
                            name=op.f('fk_dropship_shipments_ds_id_dropship_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dropship_shipments'))
    )
    op.create_index('ix_dropship_shipments_ds', 'dropship_shipments', ['ds_id'], unique=False)
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supplier_id', sa.String(length=40), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_api_keys_supplier_id_suppliers'),
                                    'suppliers', ['supplier_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_api_keys_supplier_id_suppliers'),
                                 type_='foreignkey')
        batch_op.drop_column('supplier_id')
    op.drop_index('ix_dropship_shipments_ds', table_name='dropship_shipments')
    op.drop_table('dropship_shipments')
    op.drop_table('dropship_lines')
    op.drop_index('ix_dropship_orders_order', table_name='dropship_orders')
    op.drop_index('ix_dropship_orders_supplier_status', table_name='dropship_orders')
    op.drop_table('dropship_orders')
    op.drop_table('dropship_sources')
    op.drop_table('dropship_rules')
