"""sealed carrier secrets: the webhook secret column fits a Fernet token

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing plain values stay readable (kit.secrets reads a value without its prefix
    # as it is); `ordermesh secrets rotate` seals them once a key is configured.
    with op.batch_alter_table('carrier_accounts') as batch:
        batch.alter_column('webhook_secret', existing_type=sa.String(length=200),
                           type_=sa.String(length=500), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('carrier_accounts') as batch:
        batch.alter_column('webhook_secret', existing_type=sa.String(length=500),
                           type_=sa.String(length=200), existing_nullable=True)
