from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from ordermesh.kit.db import metadata
from ordermesh.kit.types import JsonColumn, UtcDateTime

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("description", String(200)),
    Column("event_types", JsonColumn, nullable=False),  # patterns: "*", "order.*", "x.y"
    Column("secret", String(120), nullable=False),
    Column("previous_secret", String(120)),  # still signed with during a rotation
    Column("previous_secret_until", UtcDateTime),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", String(300)),
    Column("consecutive_failures", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("endpoint_id", String(40),
           ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", String(40), nullable=False),
    Column("event_position", BigInteger, nullable=False),
    Column("event_type", String(80), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("status", String(12), nullable=False),  # pending, succeeded, dead
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_status_code", Integer),
    Column("last_error", String(300)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("queued_at", UtcDateTime, nullable=False),  # the retry period runs from here
    Column("finished_at", UtcDateTime),
    UniqueConstraint("endpoint_id", "event_id"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_endpoint_seq", "endpoint_id", "seq"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("delivery_id", String(40),
           ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("attempt", Integer, nullable=False),
    Column("attempted_at", UtcDateTime, nullable=False),
    Column("status_code", Integer),
    Column("duration_ms", Integer, nullable=False),
    Column("error", String(300)),
)
