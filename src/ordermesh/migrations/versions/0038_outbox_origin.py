"""outbox: where each change came from (request id and client address), for the audit log

Revision ID: 0038
Revises: 0035
"""

import sqlalchemy as sa
from alembic import op

revision = '0038'
down_revision = '0035'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('client_address', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('client_address')
        batch.drop_column('request_id')
