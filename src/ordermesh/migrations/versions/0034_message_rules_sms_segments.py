"""message rules and SMS: undeliverable contact identities (hard bounces), the SMS
provider's message id and the delivery report

Revision ID: 0034
Revises: 0029
"""

import sqlalchemy as sa
from alembic import op

revision = '0034'
down_revision = '0029'
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('customer_identities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('undeliverable_at', WHEN, nullable=True))
        batch_op.add_column(sa.Column('undeliverable_reason', sa.String(length=300),
                                      nullable=True))
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', WHEN, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('provider_id')
    with op.batch_alter_table('customer_identities', schema=None) as batch_op:
        batch_op.drop_column('undeliverable_reason')
        batch_op.drop_column('undeliverable_at')
