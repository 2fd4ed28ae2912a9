"""purchase_order_notifications: e-mails of a purchase order to its supplier; a drop-ship
order's cancellation told to the supplier and its answer

Revision ID: 0049
Revises: 0043
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0049'
down_revision = '0051'
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


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
    op.add_column('dropship_orders', sa.Column('cancel_refusal', JSON, nullable=True))
    for column in ('cancel_requested', 'cancel_accepted', 'cancel_refused'):
        op.add_column('dropship_lines', sa.Column(column, sa.Integer(), nullable=False,
                                                  server_default='0'))
    # Units cancelled before this were taken off without asking the supplier: they count
    # as told and accepted, so no old order waits for an answer.
    op.execute(
        "UPDATE dropship_lines SET cancel_requested = COALESCE((SELECT fl.cancelled_quantity "
        "FROM fulfilment_lines fl JOIN dropship_orders d ON fl.fo_id = d.fo_id "
        "WHERE d.id = dropship_lines.ds_id AND fl.line_no = dropship_lines.line_no), 0)")
    op.execute("UPDATE dropship_lines SET cancel_accepted = cancel_requested")


def downgrade() -> None:
    with op.batch_alter_table('dropship_lines') as batch:
        for column in ('cancel_requested', 'cancel_accepted', 'cancel_refused'):
            batch.drop_column(column)
    with op.batch_alter_table('dropship_orders') as batch:
        batch.drop_column('cancel_refusal')
    op.drop_index('ix_purchase_order_notifications_due',
                  table_name='purchase_order_notifications')
    op.drop_index('ix_purchase_order_notifications_po', table_name='purchase_order_notifications')
    op.drop_table('purchase_order_notifications')
