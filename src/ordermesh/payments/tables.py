"""The payment ledger, and the test gateway's own state.

The database refuses a broken ledger whatever the code above it does: the CHECK
constraints below are the invariants of ``model.py``, and every amount changes through a
conditional ``UPDATE`` that re-checks them (``ledger.py``).
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    false,
    text,
)

from ordermesh.kit.db import metadata
from ordermesh.kit.types import JsonColumn, MoneyAmount, UtcDateTime

SeqType = BigInteger().with_variant(Integer(), "sqlite")
KEY_LENGTH = 300  # an API principal's id, a colon and an Idempotency-Key of up to 255

payments = Table(
    "payments",
    metadata,
    # ``seq`` orders an order's payments (oldest first) and the locks taken on them.
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("order_id", String(40), ForeignKey("orders.id"), nullable=False),
    Column("provider", String(40), nullable=False),
    Column("method", String(30), nullable=False),
    Column("provider_reference", String(100)),
    Column("idempotency_key", String(KEY_LENGTH), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("requested_amount", MoneyAmount, nullable=False),
    Column("authorised_amount", MoneyAmount, nullable=False),
    Column("captured_amount", MoneyAmount, nullable=False),
    Column("refunded_amount", MoneyAmount, nullable=False),
    Column("voided_amount", MoneyAmount, nullable=False),
    Column("status", String(30), nullable=False),
    Column("card_last4", String(4)),
    Column("card_brand", String(20)),
    # asked to be captured as soon as approved: also when approval comes later (3-D Secure)
    Column("capture_on_approval", Boolean, nullable=False, server_default=false()),
    Column("due_date", Date),  # invoice terms: when the money is due
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("order_id", "idempotency_key"),
    Index("ix_payments_order_seq", "order_id", "seq"),
    # the worker's queue of payments waiting for the provider's answer
    Index("ix_payments_pending", "updated_at", "seq",
          postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
    CheckConstraint(
        "requested_amount >= 0 AND authorised_amount >= 0 AND captured_amount >= 0 "
        "AND refunded_amount >= 0 AND voided_amount >= 0", name="amounts_not_negative"),
    CheckConstraint("authorised_amount <= requested_amount", name="authorised_within_requested"),
    CheckConstraint("captured_amount <= authorised_amount", name="captured_within_authorised"),
    CheckConstraint("captured_amount + voided_amount <= authorised_amount",
                    name="captured_and_voided_within_authorised"),
    CheckConstraint("refunded_amount <= captured_amount", name="refunded_within_captured"),
    CheckConstraint("card_last4 IS NULL OR length(card_last4) = 4", name="only_last4_of_card"),
)

# One row per call to a provider, whatever it answered; never updated. A retried call
# (same payment, kind and key) finds its first row and returns its result.
payment_transactions = Table(
    "payment_transactions",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("payment_id", String(40), ForeignKey("payments.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("amount", MoneyAmount, nullable=False),
    Column("status", String(20), nullable=False),
    Column("provider_reference", String(100)),
    Column("idempotency_key", String(KEY_LENGTH), nullable=False),
    Column("reason", String(500)),
    Column("failure_code", String(60)),
    Column("failure_message", String(300)),
    Column("actor", String(120), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("payment_id", "kind", "idempotency_key"),
    Index("ix_payment_transactions_payment_seq", "payment_id", "seq"),
    CheckConstraint("amount >= 0", name="amount_not_negative"),
)

# An operator released the order to ship or be collected without the payment its
# channel's capture policy needs; one per order, never changed.
payment_overrides = Table(
    "payment_overrides",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("order_id", String(40), ForeignKey("orders.id"), nullable=False, unique=True),
    Column("reason", String(500), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# --- The test gateway plays a remote payment service; only providers/test.py reads
# these. Its state lives here, not in a process, because any number of processes serve
# the API. It keeps the last four digits of a card, never the number.
test_gateway_charges = Table(
    "test_gateway_charges",
    metadata,
    Column("reference", String(40), primary_key=True),
    Column("currency", String(3), nullable=False),
    Column("amount", MoneyAmount, nullable=False),  # asked for
    Column("authorised", MoneyAmount, nullable=False),
    Column("captured", MoneyAmount, nullable=False),
    Column("refunded", MoneyAmount, nullable=False),
    Column("voided", MoneyAmount, nullable=False),
    Column("status", String(20), nullable=False),  # pending, approved, declined, failed
    # How the card behaves: what a pending charge settles as, and whether refunds fail.
    Column("settles_as", String(20), nullable=False),
    Column("decline_code", String(60)),
    Column("refunds_fail", Integer, nullable=False),
    Column("settle_at", UtcDateTime),
    Column("card_last4", String(4), nullable=False),
    Column("card_brand", String(20), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("authorised <= amount", name="authorised_within_amount"),
    CheckConstraint("captured >= 0 AND voided >= 0 AND captured + voided <= authorised",
                    name="captured_within_authorised"),
    CheckConstraint("refunded >= 0 AND refunded <= captured", name="refunded_within_captured"),
    CheckConstraint("length(card_last4) = 4", name="only_last4_of_card"),
)

# The gateway's answers by idempotency key: a repeated request gets the stored answer.
test_gateway_requests = Table(
    "test_gateway_requests",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("operation", String(20), nullable=False),
    Column("charge_reference", String(40)),
    Column("amount", MoneyAmount, nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("code", String(60)),
    Column("message", String(300), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# One row per money-moving call we mean to make to a provider, written (and committed)
# before the call, so the call happens outside any transaction and a rerun, a retry or
# the worker sends it again with the same ``provider_key`` (see payments/intents.py).
payment_intents = Table(
    "payment_intents",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("operation", String(20), nullable=False),  # authorise, capture, void, refund
    Column("provider", String(40), nullable=False),
    Column("order_id", String(40), ForeignKey("orders.id"), nullable=False),
    Column("payment_id", String(40)),  # authorise: set when the answer is recorded
    Column("request_key", String(KEY_LENGTH), nullable=False),  # the ledger's key
    Column("provider_key", String(255), nullable=False, unique=True),
    Column("currency", String(3), nullable=False),
    Column("amount", MoneyAmount, nullable=False),
    # what the call needs besides the amount (method, source, reason, ...); the payment
    # source is erased once the answer is recorded
    Column("details", JsonColumn, nullable=False),
    Column("status", String(20), nullable=False),  # pending, succeeded, failed, unknown
    Column("outcome", String(20)),  # the provider's answer once recorded
    Column("attempts", Integer, nullable=False),
    Column("last_error", String(300)),
    Column("leased_until", UtcDateTime),  # a call is under way until then
    Column("next_attempt_at", UtcDateTime, nullable=False),  # the worker's schedule
    Column("actor", String(120), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_payment_intents_open", "next_attempt_at", "seq",
          postgresql_where=text("status IN ('pending', 'unknown')"),
          sqlite_where=text("status IN ('pending', 'unknown')")),
    Index("ix_payment_intents_payment", "payment_id"),
    Index("ix_payment_intents_order", "order_id"),
    CheckConstraint("amount > 0", name="amount_positive"),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
)
