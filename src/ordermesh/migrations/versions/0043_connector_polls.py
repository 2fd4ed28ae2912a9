"""connector_polls: each connector account's polling for orders a webhook missed

Revision ID: 0043
Revises: 0044
"""

import sqlalchemy as sa
from alembic import op

revision = '0043'
down_revision = '0044'
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('connector_polls',
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('mark', WHEN, nullable=False),
    sa.Column('walk_started_at', WHEN, nullable=True),
    sa.Column('cursor', sa.String(length=1000), nullable=True),
    sa.Column('due_at', WHEN, nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('orders_read', sa.BigInteger(), nullable=False),
    sa.Column('last_poll_at', WHEN, nullable=True),
    sa.Column('last_ok_at', WHEN, nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('last_error_at', WHEN, nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['connector_accounts.id'],
                            name=op.f('fk_connector_polls_account_id_connector_accounts')),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_connector_polls'))
    )


def downgrade() -> None:
    op.drop_table('connector_polls')
