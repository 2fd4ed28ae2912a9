"""connectors: channel connector accounts, their inbox, pushes and listings

Revision ID: 0032
Revises: 0037
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0032'
down_revision = '0037'
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('connector_accounts',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('channel_code', sa.String(length=40), nullable=False),
    sa.Column('base_url', sa.String(length=300), nullable=False),
    sa.Column('credentials', sa.Text(), nullable=False),
    sa.Column('settings', JSON, nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('listings_refreshed_at', WHEN, nullable=True),
    sa.Column('stock_swept_at', WHEN, nullable=True),
    sa.Column('created_at', WHEN, nullable=False),
    sa.Column('updated_at', WHEN, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connector_accounts')),
    sa.UniqueConstraint('code', name=op.f('uq_connector_accounts_code'))
    )
    op.create_table('connector_inbox',
    sa.Column('seq', SEQ, autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('webhook_id', sa.String(length=120), nullable=False),
    sa.Column('topic', sa.String(length=60), nullable=False),
    sa.Column('external_id', sa.String(length=80), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=True),
    sa.Column('reason', JSON, nullable=True),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('received_at', WHEN, nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['connector_accounts.id'],
                            name=op.f('fk_connector_inbox_account_id_connector_accounts')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_connector_inbox')),
    sa.UniqueConstraint('id', name=op.f('uq_connector_inbox_id')),
    sa.UniqueConstraint('account_id', 'webhook_id',
                        name=op.f('uq_connector_inbox_account_id_webhook_id'))
    )
    with op.batch_alter_table('connector_inbox', schema=None) as batch_op:
        batch_op.create_index('ix_connector_inbox_order', ['account_id', 'external_id'],
                              unique=False)
    op.create_table('connector_pushes',
    sa.Column('seq', SEQ, autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=80), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=True),
    sa.Column('payload', JSON, nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('pending_key', sa.String(length=120), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', WHEN, nullable=False),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('created_at', WHEN, nullable=False),
    sa.Column('finished_at', WHEN, nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['connector_accounts.id'],
                            name=op.f('fk_connector_pushes_account_id_connector_accounts')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_connector_pushes')),
    sa.UniqueConstraint('id', name=op.f('uq_connector_pushes_id')),
    sa.UniqueConstraint('account_id', 'pending_key',
                        name=op.f('uq_connector_pushes_account_id_pending_key')),
    sa.UniqueConstraint('account_id', 'source',
                        name=op.f('uq_connector_pushes_account_id_source'))
    )
    with op.batch_alter_table('connector_pushes', schema=None) as batch_op:
        batch_op.create_index('ix_connector_pushes_due', ['status', 'next_attempt_at'],
                              unique=False)
    op.create_table('connector_listings',
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('platform_ids', JSON, nullable=False),
    sa.Column('pushed_available', sa.Integer(), nullable=True),
    sa.Column('pushed_at', WHEN, nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['connector_accounts.id'],
                            name=op.f('fk_connector_listings_account_id_connector_accounts')),
    sa.PrimaryKeyConstraint('account_id', 'sku', name=op.f('pk_connector_listings'))
    )


def downgrade() -> None:
    op.drop_table('connector_listings')
    with op.batch_alter_table('connector_pushes', schema=None) as batch_op:
        batch_op.drop_index('ix_connector_pushes_due')
    op.drop_table('connector_pushes')
    with op.batch_alter_table('connector_inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_connector_inbox_order')
    op.drop_table('connector_inbox')
    op.drop_table('connector_accounts')
