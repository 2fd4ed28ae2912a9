"""messages coalesced per order and type, delay notices once per estimate: the events a
message tells of, its coalescing window and dedup key; the carrier's estimated delivery on
tracking events and shipments

Revision ID: 0040
Revises: 0038
"""

import sqlalchemy as sa
from alembic import op

from ordermesh.kit.types import JsonColumn, UtcDateTime

revision = '0040'
down_revision = '0038'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parts', sa.Integer(), nullable=False,
                                      server_default='1'))
        batch_op.add_column(sa.Column('coalesce_until', UtcDateTime, nullable=True))
        batch_op.add_column(sa.Column('dedup_key', sa.String(length=120), nullable=True))
        batch_op.create_unique_constraint('uq_messages_dedup_key', ['dedup_key'])
    op.create_table(
        'message_sources',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('message_id', sa.String(length=40), nullable=False),
        sa.Column('source_event_id', sa.String(length=40), nullable=False),
        sa.Column('source_event_type', sa.String(length=80), nullable=False),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('facts', JsonColumn, nullable=False),
        sa.Column('occurred_at', UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'],
                                name='fk_message_sources_message_id_messages',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_message_sources'),
        sa.UniqueConstraint('source_event_id', 'recipient', 'type',
                            name='uq_message_sources_source_event_id_recipient_type'))
    op.create_index('ix_message_sources_message_id', 'message_sources', ['message_id'])
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('estimated_delivery', sa.Date(), nullable=True))
    with op.batch_alter_table('tracking_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('estimated_delivery', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tracking_events', schema=None) as batch_op:
        batch_op.drop_column('estimated_delivery')
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_column('estimated_delivery')
    op.drop_index('ix_message_sources_message_id', table_name='message_sources')
    op.drop_table('message_sources')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint('uq_messages_dedup_key', type_='unique')
        batch_op.drop_column('dedup_key')
        batch_op.drop_column('coalesce_until')
        batch_op.drop_column('parts')
