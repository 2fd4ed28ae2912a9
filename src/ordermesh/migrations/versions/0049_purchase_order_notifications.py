"""purchase_order_notifications: e-mails of a purchase order to its supplier

Revision ID: 0049
Revises: 0043
"""

import sqlalchemy as sa
from alembic import op

revision = '0049'
down_revision = '0043'
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('purchase_order_notifications',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('po_id', sa.String(length=40), nullable=False),
    sa.Column('trigger', sa.String(length=12), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', WHEN, nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('created_at', WHEN, nullable=False),
    sa.Column('sent_at', WHEN, nullable=True),
    sa.Column('finished_at', WHEN, nullable=True),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_orders.id'],
                            name=op.f('fk_purchase_order_notifications_po_id_purchase_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order_notifications'))
    )
    op.create_index('ix_purchase_order_notifications_po', 'purchase_order_notifications',
                    ['po_id'], unique=False)
    op.create_index('ix_purchase_order_notifications_due', 'purchase_order_notifications',
                    ['status', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_purchase_order_notifications_due',
                  table_name='purchase_order_notifications')
    op.drop_index('ix_purchase_order_notifications_po', table_name='purchase_order_notifications')
    op.drop_table('purchase_order_notifications')
