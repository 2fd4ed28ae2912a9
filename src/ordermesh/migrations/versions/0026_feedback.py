"""feedback: requests after delivery, pieces of feedback, alerts

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('feedback_requests',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('source_event_id', sa.String(length=40), nullable=False),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('customer_id', sa.String(length=40), nullable=True),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('order_number', sa.String(length=40), nullable=False),
    sa.Column('channel_id', sa.String(length=40), nullable=True),
    sa.Column('fo_id', sa.String(length=40), nullable=True),
    sa.Column('shipment_id', sa.String(length=40), nullable=True),
    sa.Column('carrier', sa.String(length=40), nullable=True),
    sa.Column('location_id', sa.String(length=40), nullable=True),
    sa.Column('return_id', sa.String(length=40), nullable=True),
    sa.Column('lines', JSON, nullable=False),
    sa.Column('due_at', WHEN, nullable=False),
    sa.Column('sent_at', WHEN, nullable=True),
    sa.Column('expires_at', WHEN, nullable=True),
    sa.Column('answered_at', WHEN, nullable=True),
    sa.Column('suppressed_reason', sa.String(length=300), nullable=True),
    sa.Column('created_at', WHEN, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_requests')),
    sa.UniqueConstraint('source_event_id', name=op.f('uq_feedback_requests_source_event_id'))
    )
    with op.batch_alter_table('feedback_requests', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_requests_status_due_at', ['status', 'due_at'])
        batch_op.create_index('ix_feedback_requests_customer_id_sent_at',
                              ['customer_id', 'sent_at'])
        batch_op.create_index('ix_feedback_requests_order_id', ['order_id'])

    op.create_table('feedback',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=4000), nullable=True),
    sa.Column('request_id', sa.String(length=40), nullable=True),
    sa.Column('customer_id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=True),
    sa.Column('line_no', sa.Integer(), nullable=True),
    sa.Column('product_id', sa.String(length=40), nullable=True),
    sa.Column('sku', sa.String(length=100), nullable=True),
    sa.Column('category', sa.String(length=100), nullable=True),
    sa.Column('shipment_id', sa.String(length=40), nullable=True),
    sa.Column('carrier', sa.String(length=40), nullable=True),
    sa.Column('location_id', sa.String(length=40), nullable=True),
    sa.Column('channel_id', sa.String(length=40), nullable=True),
    sa.Column('external_ref', sa.String(length=200), nullable=True),
    sa.Column('sentiment_milli', sa.Integer(), nullable=True),
    sa.Column('topics', JSON, nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('received_at', WHEN, nullable=False),
    sa.Column('created_at', WHEN, nullable=False),
    sa.CheckConstraint('score IS NULL OR (score >= 0 AND score <= 10)',
                       name=op.f('ck_feedback_score_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
    sa.UniqueConstraint('channel_id', 'external_ref',
                        name=op.f('uq_feedback_channel_id_external_ref'))
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_received_at', ['received_at'])
        batch_op.create_index('ix_feedback_customer_id', ['customer_id'])
        batch_op.create_index('ix_feedback_product_id', ['product_id'])
        batch_op.create_index('ix_feedback_request_id', ['request_id'])

    op.create_table('feedback_alerts',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('subject_kind', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=100), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('negative', sa.Integer(), nullable=False),
    sa.Column('sample', sa.Integer(), nullable=False),
    sa.Column('raised_at', WHEN, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_alerts')),
    sa.UniqueConstraint('subject_kind', 'subject', 'month',
                        name=op.f('uq_feedback_alerts_subject_kind_subject_month'))
    )


def downgrade() -> None:
    op.drop_table('feedback_alerts')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        for name in ('ix_feedback_request_id', 'ix_feedback_product_id',
                     'ix_feedback_customer_id', 'ix_feedback_received_at'):
            batch_op.drop_index(name)
    op.drop_table('feedback')
    with op.batch_alter_table('feedback_requests', schema=None) as batch_op:
        for name in ('ix_feedback_requests_order_id', 'ix_feedback_requests_customer_id_sent_at',
                     'ix_feedback_requests_status_due_at'):
            batch_op.drop_index(name)
    op.drop_table('feedback_requests')
