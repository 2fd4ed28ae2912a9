"""back-office users can be disabled (their sessions end, they cannot sign in)

Revision ID: 0036
Revises: 0034
"""

import sqlalchemy as sa
from alembic import op

revision = '0036'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('backoffice_users') as batch:
        batch.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('backoffice_users') as batch:
        batch.drop_column('disabled_at')
