"""backorders: products that may be backordered, and backordered units per order line

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backorderable', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backordered_quantity', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.create_check_constraint(op.f('ck_order_lines_backordered_within_open'), 'backordered_quantity >= 0 AND backordered_quantity + shipped_quantity + cancelled_quantity + refunded_unshipped <= quantity')
        batch_op.create_index('ix_order_lines_backordered', ['order_seq'], unique=False, sqlite_where=sa.text('backordered_quantity > 0'), postgresql_where=sa.text('backordered_quantity > 0'))


def downgrade() -> None:
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_order_lines_backordered', sqlite_where=sa.text('backordered_quantity > 0'), postgresql_where=sa.text('backordered_quantity > 0'))
        batch_op.drop_constraint(op.f('ck_order_lines_backordered_within_open'), type_='check')
        batch_op.drop_column('backordered_quantity')

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('backorderable')
