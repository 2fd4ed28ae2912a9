"""order money: prices, tax, discounts, refunds, edits (versions) and shipments

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite')


def upgrade() -> None:
    op.create_table('order_refunds',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('order_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('tax_amount', MONEY, nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('lines', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0 AND tax_amount >= 0 AND tax_amount <= amount', name=op.f('ck_order_refunds_refund_positive')),
    sa.ForeignKeyConstraint(['order_seq'], ['orders.seq'], name=op.f('fk_order_refunds_order_seq_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_refunds'))
    )
    with op.batch_alter_table('order_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_refunds_order_seq'), ['order_seq'], unique=False)

    op.create_table('order_shipments',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('order_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lines', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('value_amount', MONEY, nullable=False),
    sa.Column('captured_amount', MONEY, nullable=False),
    sa.Column('carrier', sa.String(length=40), nullable=True),
    sa.Column('tracking_number', sa.String(length=100), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_seq'], ['orders.seq'], name=op.f('fk_order_shipments_order_seq_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_shipments'))
    )
    with op.batch_alter_table('order_shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_shipments_order_seq'), ['order_seq'], unique=False)

    op.create_table('order_versions',
    sa.Column('order_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('lines', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('shipping_address', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('total_amount', MONEY, nullable=False),
    sa.Column('tax_amount', MONEY, nullable=False),
    sa.Column('settlement', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_seq'], ['orders.seq'], name=op.f('fk_order_versions_order_seq_orders')),
    sa.PrimaryKeyConstraint('order_seq', 'version', name=op.f('pk_order_versions'))
    )
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pricing_mode', sa.String(length=10), server_default=sa.text("'inclusive'"), nullable=False))
        batch_op.add_column(sa.Column('capture_policy', sa.String(length=10), server_default=sa.text("'order'"), nullable=False))
        batch_op.add_column(sa.Column('tax_point', sa.String(length=10), server_default=sa.text("'order'"), nullable=False))
        batch_op.add_column(sa.Column('legal_entity_id', sa.String(length=40), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_channels_legal_entity_id_legal_entities'), 'legal_entities', ['legal_entity_id'], ['id'])

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_price', MONEY, nullable=True))
        batch_op.add_column(sa.Column('discount_amount', MONEY, server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('discount_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('order_discount_share', MONEY, server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('tax_class', sa.String(length=20), server_default=sa.text("'standard'"), nullable=False))
        batch_op.add_column(sa.Column('applied_discount_amount', MONEY, server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('net_amount', MONEY, server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('tax_amount', MONEY, server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('gross_amount', MONEY, server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('tax_rate', MONEY, server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('tax_components', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('shipped_quantity', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('refunded_quantity', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('refunded_unshipped', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('refunded_amount', MONEY, server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('refunded_tax_amount', MONEY, server_default=sa.text('0'), nullable=False))
        batch_op.create_check_constraint(op.f('ck_order_lines_shipped_within_open'), 'shipped_quantity >= 0 AND shipped_quantity + cancelled_quantity <= quantity')
        batch_op.create_check_constraint(op.f('ck_order_lines_refunded_units_within_open'), 'refunded_quantity >= 0 AND refunded_quantity <= quantity - cancelled_quantity')
        batch_op.create_check_constraint(op.f('ck_order_lines_refunded_within_paid'), 'refunded_amount >= 0 AND refunded_amount <= gross_amount')

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_amount', MONEY, server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('order_discount_amount', MONEY, server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('discount_reason', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('tax_amount', MONEY, server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('shipping_tax_amount', MONEY, server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('refunded_amount', MONEY, server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('shipping_refunded_amount', MONEY, server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('tax_breakdown', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('shipping_tax_components', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('pricing_mode', sa.String(length=10), server_default=sa.text("'inclusive'"), nullable=False))
        batch_op.add_column(sa.Column('tax_country', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('tax_region', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('tax_point', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reverse_charge', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('buyer_vat_id', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('legal_entity_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('capture_policy', sa.String(length=10), server_default=sa.text("'order'"), nullable=False))
        batch_op.add_column(sa.Column('invoicing', sa.String(length=10), server_default=sa.text("'order'"), nullable=False))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False))
        batch_op.create_check_constraint(op.f('ck_orders_refunded_within_total'), 'refunded_amount >= 0 AND refunded_amount <= total_amount')

    # Orders placed before taxes were computed: their lines are worth what they cost, with
    # no tax known (scaled integers on SQLite times a whole quantity stay exact).
    op.execute("UPDATE order_lines SET net_amount = unit_price * (quantity - cancelled_quantity), "
               "gross_amount = unit_price * (quantity - cancelled_quantity)")



def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_refunded_within_total'), type_='check')
        batch_op.drop_column('version')
        batch_op.drop_column('invoicing')
        batch_op.drop_column('capture_policy')
        batch_op.drop_column('legal_entity_id')
        batch_op.drop_column('buyer_vat_id')
        batch_op.drop_column('reverse_charge')
        batch_op.drop_column('tax_point')
        batch_op.drop_column('tax_region')
        batch_op.drop_column('tax_country')
        batch_op.drop_column('pricing_mode')
        batch_op.drop_column('shipping_tax_components')
        batch_op.drop_column('tax_breakdown')
        batch_op.drop_column('shipping_refunded_amount')
        batch_op.drop_column('refunded_amount')
        batch_op.drop_column('shipping_tax_amount')
        batch_op.drop_column('tax_amount')
        batch_op.drop_column('discount_reason')
        batch_op.drop_column('order_discount_amount')
        batch_op.drop_column('discount_amount')

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_order_lines_refunded_within_paid'), type_='check')
        batch_op.drop_constraint(op.f('ck_order_lines_refunded_units_within_open'), type_='check')
        batch_op.drop_constraint(op.f('ck_order_lines_shipped_within_open'), type_='check')
        batch_op.drop_column('refunded_tax_amount')
        batch_op.drop_column('refunded_amount')
        batch_op.drop_column('refunded_unshipped')
        batch_op.drop_column('refunded_quantity')
        batch_op.drop_column('shipped_quantity')
        batch_op.drop_column('tax_components')
        batch_op.drop_column('tax_rate')
        batch_op.drop_column('gross_amount')
        batch_op.drop_column('tax_amount')
        batch_op.drop_column('net_amount')
        batch_op.drop_column('applied_discount_amount')
        batch_op.drop_column('tax_class')
        batch_op.drop_column('order_discount_share')
        batch_op.drop_column('discount_reason')
        batch_op.drop_column('discount_amount')
        batch_op.drop_column('list_price')

    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_channels_legal_entity_id_legal_entities'), type_='foreignkey')
        batch_op.drop_column('legal_entity_id')
        batch_op.drop_column('tax_point')
        batch_op.drop_column('capture_policy')
        batch_op.drop_column('pricing_mode')

    op.drop_table('order_versions')
    with op.batch_alter_table('order_shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_shipments_order_seq'))

    op.drop_table('order_shipments')
    with op.batch_alter_table('order_refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_refunds_order_seq'))

    op.drop_table('order_refunds')
