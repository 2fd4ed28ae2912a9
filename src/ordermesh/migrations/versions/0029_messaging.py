"""messaging: messages to customers and their status history

Revision ID: 0029
Revises: 0028
"""

import sqlalchemy as sa
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('messages',
    sa.Column('seq', SEQ, autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('source_event_id', sa.String(length=40), nullable=False),
    sa.Column('source_event_type', sa.String(length=80), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('medium', sa.String(length=12), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=True),
    sa.Column('order_id', sa.String(length=40), nullable=True),
    sa.Column('order_number', sa.String(length=40), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', WHEN, nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('created_at', WHEN, nullable=False),
    sa.Column('sent_at', WHEN, nullable=True),
    sa.Column('finished_at', WHEN, nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_messages')),
    sa.UniqueConstraint('id', name=op.f('uq_messages_id')),
    sa.UniqueConstraint('source_event_id', 'recipient', 'type',
                        name=op.f('uq_messages_source_event_id_recipient_type'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_customer_id'), ['customer_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_messages_order_id'), ['order_id'], unique=False)

    op.create_table('message_history',
    sa.Column('id', SEQ, autoincrement=True, nullable=False),
    sa.Column('message_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=True),
    sa.Column('detail', sa.String(length=300), nullable=True),
    sa.Column('at', WHEN, nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'],
                            name=op.f('fk_message_history_message_id_messages'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_history'))
    )
    with op.batch_alter_table('message_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_history_message_id'), ['message_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('message_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_history_message_id'))
    op.drop_table('message_history')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_order_id'))
        batch_op.drop_index(batch_op.f('ix_messages_customer_id'))
        batch_op.drop_index('ix_messages_due')
    op.drop_table('messages')
