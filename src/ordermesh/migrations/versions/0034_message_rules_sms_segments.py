"""message rules, SMS and segments: undeliverable contact identities (hard bounces), the
SMS provider's message id and the delivery report, saved customer segments

Revision ID: 0034
Revises: 0029
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0034'
down_revision = '0029'
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('customer_identities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('undeliverable_at', WHEN, nullable=True))
        batch_op.add_column(sa.Column('undeliverable_reason', sa.String(length=300),
                                      nullable=True))
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', WHEN, nullable=True))
    op.create_table('customer_segments',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('rules', JSON, nullable=False),
    sa.Column('created_at', WHEN, nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'))


def downgrade() -> None:
    op.drop_table('customer_segments')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('provider_id')
    with op.batch_alter_table('customer_identities', schema=None) as batch_op:
        batch_op.drop_column('undeliverable_reason')
        batch_op.drop_column('undeliverable_at')
