"""suppliers and purchasing: supplier master, supplier products, purchase orders, their
lines and the receipts against them

Revision ID: 0022
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0022'
down_revision = '0018'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table('suppliers',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('payment_terms', sa.String(length=100), nullable=True),
    sa.Column('incoterm', sa.String(length=3), nullable=True),
    sa.Column('lead_time_days', sa.Integer(), nullable=True),
    sa.Column('lead_time_variability_days', sa.Integer(), nullable=True),
    sa.Column('minimum_order_amount', MONEY, nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('contacts', JSON, nullable=False),
    sa.Column('addresses', JSON, nullable=False),
    sa.Column('certifications', JSON, nullable=False),
    sa.Column('terms', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('lead_time_days IS NULL OR lead_time_days >= 0', name=op.f('ck_suppliers_supplier_lead_time')),
    sa.CheckConstraint('minimum_order_amount IS NULL OR minimum_order_amount >= 0', name=op.f('ck_suppliers_supplier_minimum_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suppliers')),
    sa.UniqueConstraint('code', name=op.f('uq_suppliers_code'))
    )
    with op.batch_alter_table('suppliers', schema=None) as batch_op:
        batch_op.create_index('ix_suppliers_country', ['country'], unique=False)

    op.create_table('purchase_orders',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('supplier_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('expected_date', sa.Date(), nullable=False),
    sa.Column('tolerance_percent', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('tolerance_percent >= 0 AND tolerance_percent <= 100', name=op.f('ck_purchase_orders_po_tolerance')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_purchase_orders_location_id_locations')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_purchase_orders_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_orders'))
    )
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.create_index('ix_purchase_orders_supplier', ['supplier_id', 'status'], unique=False)

    op.create_table('supplier_products',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('supplier_id', sa.String(length=40), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('supplier_sku', sa.String(length=64), nullable=True),
    sa.Column('pack_size', sa.Integer(), nullable=False),
    sa.Column('moq', sa.Integer(), nullable=False),
    sa.Column('lead_time_days', sa.Integer(), nullable=True),
    sa.Column('preferred', sa.Boolean(), nullable=False),
    sa.Column('prices', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('moq >= 0', name=op.f('ck_supplier_products_supplier_product_moq')),
    sa.CheckConstraint('pack_size >= 1', name=op.f('ck_supplier_products_supplier_product_pack_size')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_supplier_products_product_id_products')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_products_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_products')),
    sa.UniqueConstraint('supplier_id', 'product_id', name=op.f('uq_supplier_products_supplier_id_product_id'))
    )
    with op.batch_alter_table('supplier_products', schema=None) as batch_op:
        batch_op.create_index('ix_supplier_products_product', ['product_id'], unique=False)

    op.create_table('supplier_tags',
    sa.Column('supplier_id', sa.String(length=40), nullable=False),
    sa.Column('tag', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_tags_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('supplier_id', 'tag', name=op.f('pk_supplier_tags'))
    )
    with op.batch_alter_table('supplier_tags', schema=None) as batch_op:
        batch_op.create_index('ix_supplier_tags_tag', ['tag'], unique=False)

    op.create_table('purchase_order_lines',
    sa.Column('po_id', sa.String(length=40), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_cost', MONEY, nullable=False),
    sa.Column('expected_date', sa.Date(), nullable=False),
    sa.Column('confirmed_quantity', sa.Integer(), nullable=True),
    sa.Column('confirmed_date', sa.Date(), nullable=True),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('supply_id', sa.String(length=40), nullable=True),
    sa.CheckConstraint('confirmed_quantity IS NULL OR confirmed_quantity >= 0', name=op.f('ck_purchase_order_lines_po_line_confirmed')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_purchase_order_lines_po_line_quantity')),
    sa.CheckConstraint('received >= 0 AND rejected >= 0', name=op.f('ck_purchase_order_lines_po_line_received')),
    sa.CheckConstraint('unit_cost >= 0', name=op.f('ck_purchase_order_lines_po_line_cost')),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_orders.id'], name=op.f('fk_purchase_order_lines_po_id_purchase_orders')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_purchase_order_lines_product_id_products')),
    sa.PrimaryKeyConstraint('po_id', 'line_no', name=op.f('pk_purchase_order_lines'))
    )
    op.create_table('purchase_order_receipts',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('receipt_id', sa.String(length=40), nullable=False),
    sa.Column('po_id', sa.String(length=40), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('accepted >= 0 AND rejected >= 0 AND accepted + rejected > 0', name=op.f('ck_purchase_order_receipts_po_receipt_units')),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_orders.id'], name=op.f('fk_purchase_order_receipts_po_id_purchase_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order_receipts'))
    )
    with op.batch_alter_table('purchase_order_receipts', schema=None) as batch_op:
        batch_op.create_index('ix_purchase_order_receipts_po', ['po_id'], unique=False)
        batch_op.create_index('ix_purchase_order_receipts_receipt', ['receipt_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('purchase_order_receipts', schema=None) as batch_op:
        batch_op.drop_index('ix_purchase_order_receipts_receipt')
        batch_op.drop_index('ix_purchase_order_receipts_po')

    op.drop_table('purchase_order_receipts')
    op.drop_table('purchase_order_lines')
    with op.batch_alter_table('supplier_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_supplier_tags_tag')

    op.drop_table('supplier_tags')
    with op.batch_alter_table('supplier_products', schema=None) as batch_op:
        batch_op.drop_index('ix_supplier_products_product')

    op.drop_table('supplier_products')
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_purchase_orders_supplier')

    op.drop_table('purchase_orders')
    with op.batch_alter_table('suppliers', schema=None) as batch_op:
        batch_op.drop_index('ix_suppliers_country')

    op.drop_table('suppliers')
