"""Customers, the identities they used per channel, their addresses, the consent ledger,
merge links and the privacy audit trail."""

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ordermesh.kit.db import metadata
from ordermesh.kit.types import JsonColumn, UtcDateTime

customers = Table(
    "customers",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("email", String(254), unique=True),
    Column("phone", String(32), index=True),
    Column("name", String(200)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # the profile (0025)
    Column("language", String(8)),  # BCP 47 language, "de"
    Column("locale", String(16)),  # "de_AT"
    Column("preferred_channel", String(40)),  # a channel code
    Column("preferred_contact", String(10)),  # a Medium
    Column("contact_hours", JsonColumn),  # {"from": "09:00", "to": "18:00", "time_zone": ...}
    Column("notes", Text),
    Column("tags", JsonColumn),  # sorted list of strings
    Column("preferences", JsonColumn),  # {"gift_wrap": true, "no_calls": true, ...}
    Column("source_channel", String(40)),  # the channel of the first order
    # A merged customer points at the customer it was merged into; nothing is overwritten,
    # so a merge can be undone (customer_merges holds the trail).
    Column("merged_into", String(40), ForeignKey("customers.id")),
    Column("erased_at", UtcDateTime),
    Column("version", Integer, nullable=False, server_default="1"),
)

# One row per identity a customer used; an identity belongs to one customer at most, which
# is what makes two concurrent first orders from one phone or e-mail find one customer.
customer_identities = Table(
    "customer_identities",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(40), ForeignKey("customers.id"), nullable=False, index=True),
    Column("kind", String(10), nullable=False),  # email, phone, account
    Column("channel", String(40), nullable=False),  # "" for e-mail and phone
    Column("value", String(254), nullable=False),
    Column("source", String(40), nullable=False),  # the channel code or "api"
    Column("created_at", UtcDateTime, nullable=False),
    # A hard bounce (a 5xx answer to RCPT, a provider's "unknown number"): nothing is sent
    # to it again until the identity is removed and added anew (0034).
    Column("undeliverable_at", UtcDateTime),
    Column("undeliverable_reason", String(300)),
    UniqueConstraint("kind", "channel", "value"),
)

customer_addresses = Table(
    "customer_addresses",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(40), ForeignKey("customers.id"), nullable=False, index=True),
    Column("label", String(40)),
    Column("address", JsonColumn, nullable=False),
    Column("is_default", Integer, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime, nullable=False),
)

# Append-only: the current consent per (purpose, medium) is the newest entry (by seq).
customer_consents = Table(
    "customer_consents",
    metadata,
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("customer_id", String(40), ForeignKey("customers.id"), nullable=False),
    Column("purpose", String(20), nullable=False),
    Column("medium", String(10), nullable=False),
    Column("granted", Integer, nullable=False),  # 1 opt-in, 0 withdrawal or objection
    Column("level", String(10)),  # single, confirmed (opt-ins only)
    Column("source_channel", String(40), nullable=False),
    Column("proof", JsonColumn),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("recorded_by", String(120), nullable=False),
    Index("ix_customer_consents_customer", "customer_id", "seq"),
)

customer_merges = Table(
    "customer_merges",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("survivor_id", String(40), ForeignKey("customers.id"), nullable=False, index=True),
    Column("merged_id", String(40), ForeignKey("customers.id"), nullable=False, index=True),
    Column("reason", String(300), nullable=False),
    Column("merged_at", UtcDateTime, nullable=False),
    Column("merged_by", String(120), nullable=False),
    Column("undone_at", UtcDateTime),
    Column("undone_by", String(120)),
)

# Who looked at or changed a customer's personal data beyond orders: merges, exports,
# erasures (kept after an erasure, without personal data).
customer_audit = Table(
    "customer_audit",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(40), ForeignKey("customers.id"), nullable=False, index=True),
    Column("action", String(20), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("detail", JsonColumn, nullable=False),
)

# Saved segments: rules over the customer profile, evaluated on demand (0034).
customer_segments = Table(
    "customer_segments",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("rules", JsonColumn, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(120), nullable=False),
)
