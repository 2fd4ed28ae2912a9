"""prices

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite')


def upgrade() -> None:
    op.create_table('price_lists',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('channel_id', sa.String(length=40), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('valid_from IS NULL OR valid_to IS NULL OR valid_to > valid_from', name=op.f('ck_price_lists_validity_ends_after_it_starts')),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_price_lists_channel_id_channels')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_lists')),
    sa.UniqueConstraint('code', name=op.f('uq_price_lists_code'))
    )
    with op.batch_alter_table('price_lists', schema=None) as batch_op:
        batch_op.create_index('ix_price_lists_channel_currency', ['channel_id', 'currency'], unique=False)

    op.create_table('prices',
    sa.Column('price_list_id', sa.String(length=40), nullable=False),
    sa.Column('product_id', sa.String(length=40), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_prices_amount_not_negative')),
    sa.ForeignKeyConstraint(['price_list_id'], ['price_lists.id'], name=op.f('fk_prices_price_list_id_price_lists')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_prices_product_id_products')),
    sa.PrimaryKeyConstraint('price_list_id', 'product_id', name=op.f('pk_prices'))
    )
    with op.batch_alter_table('prices', schema=None) as batch_op:
        batch_op.create_index('ix_prices_product_id', ['product_id'], unique=False)
        batch_op.create_index('ix_prices_list_sku', ['price_list_id', 'sku'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('prices', schema=None) as batch_op:
        batch_op.drop_index('ix_prices_list_sku')
        batch_op.drop_index('ix_prices_product_id')

    op.drop_table('prices')
    with op.batch_alter_table('price_lists', schema=None) as batch_op:
        batch_op.drop_index('ix_price_lists_channel_currency')

    op.drop_table('price_lists')
