"""campaigns: a message to a segment, scheduled and throttled; each member of its frozen
audience once; the unsubscribe link of a marketing message

Revision ID: 0051
Revises: 0043
"""

import sqlalchemy as sa
from alembic import op

from ordermesh.kit.types import JsonColumn, UtcDateTime

revision = '0051'
down_revision = '0043'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unsubscribe_url', sa.String(length=300),
                                      nullable=True))
    op.create_table(
        'campaigns',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('segment_id', sa.String(length=40), nullable=False),
        sa.Column('medium', sa.String(length=12), nullable=False),
        sa.Column('content', JsonColumn, nullable=False),
        sa.Column('default_language', sa.String(length=8), nullable=False),
        sa.Column('throttle_per_minute', sa.Integer(), nullable=False),
        sa.Column('scheduled_at', UtcDateTime, nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('audience_offset', sa.Integer(), nullable=True),
        sa.Column('audience_frozen', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('queued', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('created_at', UtcDateTime, nullable=False),
        sa.Column('created_by', sa.String(length=120), nullable=False),
        sa.Column('updated_at', UtcDateTime, nullable=False),
        sa.Column('started_at', UtcDateTime, nullable=True),
        sa.Column('finished_at', UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_campaigns'))
    op.create_index('ix_campaigns_status', 'campaigns', ['status'])
    op.create_table(
        'campaign_recipients',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('campaign_id', sa.String(length=40), nullable=False),
        sa.Column('customer_id', sa.String(length=40), nullable=False),
        sa.Column('message_id', sa.String(length=40), nullable=True),
        sa.Column('skipped', sa.String(length=20), nullable=True),
        sa.Column('unsubscribe_hash', sa.String(length=64), nullable=True),
        sa.Column('unsubscribed_at', UtcDateTime, nullable=True),
        sa.Column('created_at', UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name='fk_campaign_recipients_campaign_id_campaigns',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_campaign_recipients'),
        sa.UniqueConstraint('campaign_id', 'customer_id',
                            name='uq_campaign_recipients_campaign_id_customer_id'),
        sa.UniqueConstraint('unsubscribe_hash',
                            name='uq_campaign_recipients_unsubscribe_hash'))
    op.create_index('ix_campaign_recipients_customer_id', 'campaign_recipients',
                    ['customer_id'])


def downgrade() -> None:
    op.drop_index('ix_campaign_recipients_customer_id', table_name='campaign_recipients')
    op.drop_table('campaign_recipients')
    op.drop_index('ix_campaigns_status', table_name='campaigns')
    op.drop_table('campaigns')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('unsubscribe_url')
