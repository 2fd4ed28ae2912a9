"""config generation: one counter raised by every configuration change (kit.config_cache)

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        'config_generation',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('generation', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_config_generation')),
    )
    op.bulk_insert(table, [{'id': 1, 'generation': 1}])


def downgrade() -> None:
    op.drop_table('config_generation')
