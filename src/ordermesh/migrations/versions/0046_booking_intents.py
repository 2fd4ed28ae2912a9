"""booking intents: a carrier booking is recorded before the carrier is called, outside
any transaction

Revision ID: 0046
Revises: 0043
"""

import sqlalchemy as sa
from alembic import op

from ordermesh.kit.types import JsonColumn, UtcDateTime

revision = '0046'
down_revision = '0047'
branch_labels = None
depends_on = None

_OPEN = "status IN ('pending', 'unknown')"


def upgrade() -> None:
    seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        'booking_intents',
        sa.Column('seq', seq, primary_key=True, autoincrement=True),
        sa.Column('id', sa.String(40), nullable=False),
        sa.Column('fo_id', sa.String(40), nullable=False),
        sa.Column('order_id', sa.String(40), nullable=False),
        sa.Column('carrier', sa.String(40), nullable=False),
        sa.Column('service', sa.String(40), nullable=False),
        sa.Column('request_key', sa.String(300), nullable=False),
        sa.Column('carrier_key', sa.String(255), nullable=False),
        sa.Column('spec', JsonColumn, nullable=False),
        sa.Column('status', sa.String(20), nullable=False),
        sa.Column('attempts', sa.Integer, nullable=False),
        sa.Column('last_error', sa.String(300)),
        sa.Column('leased_until', UtcDateTime),
        sa.Column('next_attempt_at', UtcDateTime, nullable=False),
        sa.Column('shipment_id', sa.String(40)),
        sa.Column('actor', sa.String(120), nullable=False),
        sa.Column('created_at', UtcDateTime, nullable=False),
        sa.Column('updated_at', UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint('seq', name='pk_booking_intents'),
        sa.UniqueConstraint('id', name='uq_booking_intents_id'),
        sa.UniqueConstraint('carrier_key', name='uq_booking_intents_carrier_key'),
        sa.CheckConstraint('attempts >= 0', name='ck_booking_intents_attempts_not_negative'),
    )
    op.create_index('ix_booking_intents_open', 'booking_intents', ['next_attempt_at', 'seq'],
                    postgresql_where=sa.text(_OPEN), sqlite_where=sa.text(_OPEN))
    op.create_index('ix_booking_intents_fo_id', 'booking_intents', ['fo_id'])


def downgrade() -> None:
    op.drop_table('booking_intents')
