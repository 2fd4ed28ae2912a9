"""api keys: names are unique (the name is the actor every change records)

Keys that shared a name before keep the oldest one's name; the others are renamed
'<name>~<key id>' so that the index can be built (what they recorded as actor before
stays as it was).

Revision ID: 0037
Revises: 0036
"""

import sqlalchemy as sa
from alembic import op

revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text(
        "UPDATE api_keys SET name = substr(name, 1, 59) || '~' || id "
        "WHERE id NOT IN (SELECT min(id) FROM api_keys GROUP BY name)"))
    with op.batch_alter_table('api_keys') as batch:
        batch.create_unique_constraint('uq_api_keys_name', ['name'])


def downgrade() -> None:
    with op.batch_alter_table('api_keys') as batch:
        batch.drop_constraint('uq_api_keys_name', type_='unique')
