"""payment intents: a provider call is recorded before it is made, outside any transaction

Revision ID: 0030
Revises: 0032
"""

import sqlalchemy as sa
from alembic import op

from ordermesh.kit.types import JsonColumn, MoneyAmount, UtcDateTime

revision = '0030'
down_revision = '0032'
branch_labels = None
depends_on = None

_OPEN = "status IN ('pending', 'unknown')"


def upgrade() -> None:
    seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        'payment_intents',
        sa.Column('seq', seq, primary_key=True, autoincrement=True),
        sa.Column('id', sa.String(40), nullable=False),
        sa.Column('operation', sa.String(20), nullable=False),
        sa.Column('provider', sa.String(40), nullable=False),
        sa.Column('order_id', sa.String(40), nullable=False),
        sa.Column('payment_id', sa.String(40)),
        sa.Column('request_key', sa.String(300), nullable=False),
        sa.Column('provider_key', sa.String(255), nullable=False),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('amount', MoneyAmount, nullable=False),
        sa.Column('details', JsonColumn, nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('outcome', sa.String(20)),
        sa.Column('attempts', sa.Integer, nullable=False),
        sa.Column('last_error', sa.String(300)),
        sa.Column('leased_until', UtcDateTime),
        sa.Column('next_attempt_at', UtcDateTime, nullable=False),
        sa.Column('actor', sa.String(120), nullable=False),
        sa.Column('created_at', UtcDateTime, nullable=False),
        sa.Column('updated_at', UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                                name='fk_payment_intents_order_id_orders'),
        sa.PrimaryKeyConstraint('seq', name='pk_payment_intents'),
        sa.UniqueConstraint('id', name='uq_payment_intents_id'),
        sa.UniqueConstraint('provider_key', name='uq_payment_intents_provider_key'),
        sa.CheckConstraint('amount > 0', name='ck_payment_intents_amount_positive'),
        sa.CheckConstraint('attempts >= 0', name='ck_payment_intents_attempts_not_negative'),
    )
    op.create_index('ix_payment_intents_open', 'payment_intents', ['next_attempt_at', 'seq'],
                    postgresql_where=sa.text(_OPEN), sqlite_where=sa.text(_OPEN))
    op.create_index('ix_payment_intents_payment', 'payment_intents', ['payment_id'])
    op.create_index('ix_payment_intents_order', 'payment_intents', ['order_id'])


def downgrade() -> None:
    op.drop_table('payment_intents')
