"""store credit: accounts per customer and currency, their append-only ledger, the holds
of payments against them and the answers to each provider key

Revision ID: 0052
Revises: 0043
"""

import sqlalchemy as sa
from alembic import op

from ordermesh.kit.types import MoneyAmount, UtcDateTime

revision = '0052'
down_revision = '0049'
branch_labels = None
depends_on = None


def upgrade() -> None:
    seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        'store_credit_accounts',
        sa.Column('id', sa.String(40), nullable=False),
        sa.Column('customer_id', sa.String(40), nullable=False),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('created_at', UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name='fk_store_credit_accounts_customer_id_customers'),
        sa.PrimaryKeyConstraint('id', name='pk_store_credit_accounts'),
        sa.UniqueConstraint('customer_id', 'currency',
                            name='uq_store_credit_accounts_customer_id_currency'),
    )
    op.create_table(
        'store_credit_entries',
        sa.Column('seq', seq, primary_key=True, autoincrement=True),
        sa.Column('id', sa.String(40), nullable=False),
        sa.Column('account_id', sa.String(40), nullable=False),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('amount', MoneyAmount, nullable=False),
        sa.Column('expires_at', UtcDateTime),
        sa.Column('hold_reference', sa.String(40)),
        sa.Column('order_id', sa.String(40)),
        sa.Column('source_type', sa.String(20)),
        sa.Column('source_id', sa.String(300)),
        sa.Column('reason', sa.String(500)),
        sa.Column('unique_key', sa.String(300)),
        sa.Column('actor', sa.String(200), nullable=False),
        sa.Column('created_at', UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['store_credit_accounts.id'],
                                name='fk_store_credit_entries_account_id_store_credit_accounts'),
        sa.PrimaryKeyConstraint('seq', name='pk_store_credit_entries'),
        sa.UniqueConstraint('id', name='uq_store_credit_entries_id'),
        sa.UniqueConstraint('unique_key', name='uq_store_credit_entries_unique_key'),
        sa.CheckConstraint('amount <> 0', name='ck_store_credit_entries_amount_not_zero'),
    )
    op.create_index('ix_store_credit_entries_account', 'store_credit_entries',
                    ['account_id', 'seq'])
    op.create_table(
        'store_credit_holds',
        sa.Column('reference', sa.String(40), nullable=False),
        sa.Column('account_id', sa.String(40), nullable=False),
        sa.Column('order_id', sa.String(40), nullable=False),
        sa.Column('amount', MoneyAmount, nullable=False),
        sa.Column('captured', MoneyAmount, nullable=False),
        sa.Column('voided', MoneyAmount, nullable=False),
        sa.Column('refunded', MoneyAmount, nullable=False),
        sa.Column('after_entry', seq, nullable=False),
        sa.Column('created_at', UtcDateTime, nullable=False),
        sa.Column('updated_at', UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['store_credit_accounts.id'],
                                name='fk_store_credit_holds_account_id_store_credit_accounts'),
        sa.PrimaryKeyConstraint('reference', name='pk_store_credit_holds'),
        sa.CheckConstraint('captured + voided <= amount',
                           name='ck_store_credit_holds_moved_within_held'),
        sa.CheckConstraint('refunded <= captured',
                           name='ck_store_credit_holds_refunded_within_captured'),
    )
    op.create_index('ix_store_credit_holds_account', 'store_credit_holds', ['account_id'])
    op.create_table(
        'store_credit_requests',
        sa.Column('key', sa.String(300), nullable=False),
        sa.Column('operation', sa.String(20), nullable=False),
        sa.Column('reference', sa.String(40)),
        sa.Column('amount', MoneyAmount, nullable=False),
        sa.Column('outcome', sa.String(20), nullable=False),
        sa.Column('code', sa.String(60)),
        sa.Column('message', sa.String(300)),
        sa.Column('created_at', UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint('key', name='pk_store_credit_requests'),
    )


def downgrade() -> None:
    op.drop_table('store_credit_requests')
    op.drop_table('store_credit_holds')
    op.drop_table('store_credit_entries')
    op.drop_table('store_credit_accounts')
