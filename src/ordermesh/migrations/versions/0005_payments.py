"""payments: the payment ledger and the test gateway's own state

Revision ID: 0005
Revises: 0004

The CHECK constraints are the ledger's invariants (captured + voided <= authorised,
refunded <= captured, nothing negative, only the last four digits of a card).
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=4).with_variant(sa.BigInteger(), 'sqlite')
SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('payments',
    sa.Column('seq', SEQ, autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('method', sa.String(length=30), nullable=False),
    sa.Column('provider_reference', sa.String(length=100), nullable=True),
    sa.Column('idempotency_key', sa.String(length=300), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('requested_amount', MONEY, nullable=False),
    sa.Column('authorised_amount', MONEY, nullable=False),
    sa.Column('captured_amount', MONEY, nullable=False),
    sa.Column('refunded_amount', MONEY, nullable=False),
    sa.Column('voided_amount', MONEY, nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('card_last4', sa.String(length=4), nullable=True),
    sa.Column('card_brand', sa.String(length=20), nullable=True),
    sa.Column('capture_on_approval', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('requested_amount >= 0 AND authorised_amount >= 0 AND captured_amount >= 0 AND refunded_amount >= 0 AND voided_amount >= 0', name=op.f('ck_payments_amounts_not_negative')),
    sa.CheckConstraint('authorised_amount <= requested_amount', name=op.f('ck_payments_authorised_within_requested')),
    sa.CheckConstraint('captured_amount <= authorised_amount', name=op.f('ck_payments_captured_within_authorised')),
    sa.CheckConstraint('captured_amount + voided_amount <= authorised_amount', name=op.f('ck_payments_captured_and_voided_within_authorised')),
    sa.CheckConstraint('refunded_amount <= captured_amount', name=op.f('ck_payments_refunded_within_captured')),
    sa.CheckConstraint('card_last4 IS NULL OR length(card_last4) = 4', name=op.f('ck_payments_only_last4_of_card')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payments_order_id_orders')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_payments')),
    sa.UniqueConstraint('id', name=op.f('uq_payments_id')),
    sa.UniqueConstraint('order_id', 'idempotency_key', name=op.f('uq_payments_order_id_idempotency_key'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_order_seq', ['order_id', 'seq'], unique=False)
        batch_op.create_index('ix_payments_pending', ['updated_at', 'seq'], unique=False,
                              postgresql_where=sa.text("status = 'pending'"),
                              sqlite_where=sa.text("status = 'pending'"))

    op.create_table('payment_transactions',
    sa.Column('seq', SEQ, autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('payment_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('provider_reference', sa.String(length=100), nullable=True),
    sa.Column('idempotency_key', sa.String(length=300), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('failure_code', sa.String(length=60), nullable=True),
    sa.Column('failure_message', sa.String(length=300), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_payment_transactions_amount_not_negative')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_transactions_payment_id_payments')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_payment_transactions')),
    sa.UniqueConstraint('id', name=op.f('uq_payment_transactions_id')),
    sa.UniqueConstraint('payment_id', 'kind', 'idempotency_key', name=op.f('uq_payment_transactions_payment_id_kind_idempotency_key'))
    )
    with op.batch_alter_table('payment_transactions', schema=None) as batch_op:
        batch_op.create_index('ix_payment_transactions_payment_seq', ['payment_id', 'seq'], unique=False)

    op.create_table('test_gateway_charges',
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('authorised', MONEY, nullable=False),
    sa.Column('captured', MONEY, nullable=False),
    sa.Column('refunded', MONEY, nullable=False),
    sa.Column('voided', MONEY, nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('settles_as', sa.String(length=20), nullable=False),
    sa.Column('decline_code', sa.String(length=60), nullable=True),
    sa.Column('refunds_fail', sa.Integer(), nullable=False),
    sa.Column('settle_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('card_last4', sa.String(length=4), nullable=False),
    sa.Column('card_brand', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('authorised <= amount', name=op.f('ck_test_gateway_charges_authorised_within_amount')),
    sa.CheckConstraint('captured >= 0 AND voided >= 0 AND captured + voided <= authorised', name=op.f('ck_test_gateway_charges_captured_within_authorised')),
    sa.CheckConstraint('refunded >= 0 AND refunded <= captured', name=op.f('ck_test_gateway_charges_refunded_within_captured')),
    sa.CheckConstraint('length(card_last4) = 4', name=op.f('ck_test_gateway_charges_only_last4_of_card')),
    sa.PrimaryKeyConstraint('reference', name=op.f('pk_test_gateway_charges'))
    )
    op.create_table('test_gateway_requests',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('operation', sa.String(length=20), nullable=False),
    sa.Column('charge_reference', sa.String(length=40), nullable=True),
    sa.Column('amount', MONEY, nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=True),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_test_gateway_requests'))
    )


def downgrade() -> None:
    op.drop_table('test_gateway_requests')
    op.drop_table('test_gateway_charges')
    with op.batch_alter_table('payment_transactions', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_transactions_payment_seq')

    op.drop_table('payment_transactions')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_pending')
        batch_op.drop_index('ix_payments_order_seq')

    op.drop_table('payments')
