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
    Text,
    UniqueConstraint,
)

from ordermesh.kit.db import metadata
from ordermesh.kit.types import JsonColumn, UtcDateTime

connector_accounts = Table(
    "connector_accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("platform", String(20), nullable=False),
    Column("channel_code", String(40), nullable=False),
    Column("base_url", String(300), nullable=False),
    Column("credentials", Text, nullable=False),  # JSON, sealed (kit.secrets)
    Column("settings", JsonColumn, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("listings_refreshed_at", UtcDateTime),
    Column("stock_swept_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Every signed webhook we accepted, once per (account, platform delivery id), with what
# came of it: a refused order stays here with its reason.
connector_inbox = Table(
    "connector_inbox",
    metadata,
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("account_id", String(40), ForeignKey("connector_accounts.id"), nullable=False),
    Column("webhook_id", String(120), nullable=False),
    Column("topic", String(60), nullable=False),
    Column("external_id", String(80)),
    Column("status", String(20), nullable=False),
    Column("order_id", String(40)),
    Column("reason", JsonColumn),  # the refusal as problem+json (title, errors)
    Column("payload", JsonColumn, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    UniqueConstraint("account_id", "webhook_id"),
    Index("ix_connector_inbox_order", "account_id", "external_id"),
)

# What we must tell a platform, recorded before it is told (the intent), then claimed,
# sent after commit and its outcome recorded. ``pending_key`` is set while a stock push
# waits, so a SKU has one waiting push however often it changes (NULLs do not collide).
connector_pushes = Table(
    "connector_pushes",
    metadata,
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("account_id", String(40), ForeignKey("connector_accounts.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("subject", String(80), nullable=False),  # the SKU, or the platform order id
    Column("source", String(60)),  # what caused it: an event id, a stock sweep
    Column("payload", JsonColumn, nullable=False),
    Column("status", String(12), nullable=False),
    Column("pending_key", String(120)),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_status_code", Integer),
    Column("last_error", String(300)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    UniqueConstraint("account_id", "pending_key"),
    UniqueConstraint("account_id", "source"),
    Index("ix_connector_pushes_due", "status", "next_attempt_at"),
)

# The platform's ids of each SKU it lists, and the level it was last told.
connector_listings = Table(
    "connector_listings",
    metadata,
    Column("account_id", String(40), ForeignKey("connector_accounts.id"), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("platform_ids", JsonColumn, nullable=False),
    Column("pushed_available", Integer),
    Column("pushed_at", UtcDateTime),
)

# Polling for what a webhook missed, one row per account: orders updated since ``mark``
# (less an overlap) are read page by page. A walk over them started at
# ``walk_started_at``; ``cursor`` is the platform's next page, written only after the page
# before it was recorded. When the last page is recorded ``mark`` becomes
# ``walk_started_at``. ``due_at`` is when the next pass may poll (also the lease of the
# worker polling now).
connector_polls = Table(
    "connector_polls",
    metadata,
    Column("account_id", String(40), ForeignKey("connector_accounts.id"), primary_key=True),
    Column("mark", UtcDateTime, nullable=False),
    Column("walk_started_at", UtcDateTime),
    Column("cursor", String(1000)),
    Column("due_at", UtcDateTime, nullable=False),
    Column("failures", Integer, nullable=False),  # in a row; 0 after a page is read
    Column("orders_read", BigInteger, nullable=False),
    Column("last_poll_at", UtcDateTime),
    Column("last_ok_at", UtcDateTime),
    Column("last_error", String(300)),
    Column("last_error_at", UtcDateTime),
)
