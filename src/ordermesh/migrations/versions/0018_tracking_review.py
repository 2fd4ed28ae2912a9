"""tracking review: implausible tracking events are parked for an operator

Revision ID: 0018
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tracking_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('parked_reason', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index('ix_tracking_events_review', ['review'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tracking_events', schema=None) as batch_op:
        batch_op.drop_index('ix_tracking_events_review')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('parked_reason')
        batch_op.drop_column('review')
