"""returns (RMA): reasons (seeded), policies per channel, returns, lines, receipts, history

Revision ID: 0021
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from ordermesh.returns.seed import seed_reasons

revision = '0021'
down_revision = '0024'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
MONEY = sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'return_reasons',
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('label', sa.String(length=100), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_return_reasons')),
    )
    seed_reasons(op.get_bind())
    op.create_table(
        'return_policies',
        sa.Column('channel_id', sa.String(length=40), nullable=False),
        sa.Column('window_days', sa.Integer(), nullable=False),
        sa.Column('final_sale_categories', JSON, nullable=False),
        sa.Column('resolutions', JSON, nullable=False),
        sa.Column('auto_authorise', sa.Boolean(), nullable=False),
        sa.Column('returnless_below', MONEY, nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['channel_id'], ['channels.id'],
                                name=op.f('fk_return_policies_channel_id_channels')),
        sa.PrimaryKeyConstraint('channel_id', name=op.f('pk_return_policies')),
    )
    op.create_table(
        'returns',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('number', sa.String(length=40), nullable=False),
        sa.Column('order_id', sa.String(length=40), nullable=False),
        sa.Column('order_number', sa.String(length=40), nullable=False),
        sa.Column('channel_id', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('returnless', sa.Boolean(), nullable=False),
        sa.Column('override_reason', sa.String(length=500), nullable=True),
        sa.Column('overridden', JSON, nullable=True),
        sa.Column('status_reason', sa.String(length=500), nullable=True),
        sa.Column('refund_id', sa.String(length=40), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['channel_id'], ['channels.id'],
                                name=op.f('fk_returns_channel_id_channels')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_returns')),
        sa.UniqueConstraint('number', name=op.f('uq_returns_number')),
    )
    op.create_index('ix_returns_order_id', 'returns', ['order_id'], unique=False)
    op.create_index('ix_returns_status_created', 'returns', ['status', 'created_at'],
                    unique=False)
    op.create_table(
        'return_lines',
        sa.Column('return_id', sa.String(length=40), nullable=False),
        sa.Column('line_no', sa.Integer(), nullable=False),
        sa.Column('order_line_no', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.String(length=40), nullable=False),
        sa.Column('sku', sa.String(length=100), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('received_quantity', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=False),
        sa.Column('comment', sa.String(length=1000), nullable=True),
        sa.Column('resolution', sa.String(length=20), nullable=False),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_return_lines_quantity_positive')),
        sa.CheckConstraint('received_quantity >= 0 AND received_quantity <= quantity',
                           name=op.f('ck_return_lines_received_within_quantity')),
        sa.ForeignKeyConstraint(['reason'], ['return_reasons.code'],
                                name=op.f('fk_return_lines_reason_return_reasons')),
        sa.ForeignKeyConstraint(['return_id'], ['returns.id'],
                                name=op.f('fk_return_lines_return_id_returns')),
        sa.PrimaryKeyConstraint('return_id', 'line_no', name=op.f('pk_return_lines')),
    )
    op.create_table(
        'return_receipts',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('return_id', sa.String(length=40), nullable=False),
        sa.Column('location_id', sa.String(length=40), nullable=False),
        sa.Column('lines', JSON, nullable=False),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['location_id'], ['locations.id'],
                                name=op.f('fk_return_receipts_location_id_locations')),
        sa.ForeignKeyConstraint(['return_id'], ['returns.id'],
                                name=op.f('fk_return_receipts_return_id_returns')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_return_receipts')),
    )
    op.create_index('ix_return_receipts_return_id', 'return_receipts', ['return_id'],
                    unique=False)
    op.create_table(
        'return_history',
        sa.Column('return_id', sa.String(length=40), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('from_status', sa.String(length=20), nullable=True),
        sa.Column('to_status', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['return_id'], ['returns.id'],
                                name=op.f('fk_return_history_return_id_returns')),
        sa.PrimaryKeyConstraint('return_id', 'seq', name=op.f('pk_return_history')),
    )


def downgrade() -> None:
    op.drop_table('return_history')
    op.drop_index('ix_return_receipts_return_id', table_name='return_receipts')
    op.drop_table('return_receipts')
    op.drop_table('return_lines')
    op.drop_index('ix_returns_status_created', table_name='returns')
    op.drop_index('ix_returns_order_id', table_name='returns')
    op.drop_table('returns')
    op.drop_table('return_policies')
    op.drop_table('return_reasons')
