"""Store-credit accounts, their append-only ledger, the holds of payments against them,
and the answers given to each provider key (a repeated call gets the first answer)."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from ordermesh.kit.db import metadata
from ordermesh.kit.types import MoneyAmount, UtcDateTime

SeqType = BigInteger().with_variant(Integer(), "sqlite")
KEY_LENGTH = 300

# One per customer and currency; its row is locked while the ledger is spent.
store_credit_accounts = Table(
    "store_credit_accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(40), ForeignKey("customers.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("customer_id", "currency"),
)

# Append-only: rows are inserted, never updated or deleted.
store_credit_entries = Table(
    "store_credit_entries",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("account_id", String(40), ForeignKey("store_credit_accounts.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("amount", MoneyAmount, nullable=False),  # signed
    Column("expires_at", UtcDateTime),
    Column("hold_reference", String(40)),
    Column("order_id", String(40)),
    Column("source_type", String(20)),
    Column("source_id", String(KEY_LENGTH)),
    Column("reason", String(500)),
    # what makes the same issue, redemption or refund land once (a return, a provider key)
    Column("unique_key", String(KEY_LENGTH), unique=True),
    Column("actor", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_store_credit_entries_account", "account_id", "seq"),
    CheckConstraint("amount <> 0", name="amount_not_zero"),
)

store_credit_holds = Table(
    "store_credit_holds",
    metadata,
    Column("reference", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("store_credit_accounts.id"), nullable=False),
    Column("order_id", String(40), nullable=False),
    Column("amount", MoneyAmount, nullable=False),
    Column("captured", MoneyAmount, nullable=False),
    Column("voided", MoneyAmount, nullable=False),
    Column("refunded", MoneyAmount, nullable=False),
    # the seq of the account's last entry when it was taken: where it sits in the ledger
    Column("after_entry", SeqType, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_store_credit_holds_account", "account_id"),
    CheckConstraint("captured + voided <= amount", name="moved_within_held"),
    CheckConstraint("refunded <= captured", name="refunded_within_captured"),
)

store_credit_requests = Table(
    "store_credit_requests",
    metadata,
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("operation", String(20), nullable=False),
    Column("reference", String(40)),  # the hold, or the entry a capture or refund wrote
    Column("amount", MoneyAmount, nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("code", String(60)),
    Column("message", String(300)),
    Column("created_at", UtcDateTime, nullable=False),
)
