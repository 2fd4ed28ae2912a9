"""pickup hold: the time a click-and-collect order waits until, fixed when it is ready

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fulfilment_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pickup_hold_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_fulfilment_orders_status_hold_until', ['status', 'pickup_hold_until'], unique=False)
    # Pickups already waiting keep the hold of their location's setting when they were ready.
    days = "(SELECT pickup_hold_days FROM locations l WHERE l.id = location_id)"
    if op.get_bind().dialect.name == "postgresql":
        hold = f"ready_at + make_interval(days => {days})"
    else:
        hold = f"datetime(ready_at, '+' || {days} || ' days')"
    op.execute(f"UPDATE fulfilment_orders SET pickup_hold_until = {hold} "
               "WHERE status = 'ready_for_pickup'")


def downgrade() -> None:
    with op.batch_alter_table('fulfilment_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_fulfilment_orders_status_hold_until')
        batch_op.drop_column('pickup_hold_until')
