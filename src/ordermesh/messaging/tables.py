from __future__ import annotations

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

messages = Table(
    "messages",
    metadata,
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("source_event_id", String(40), nullable=False),
    Column("source_event_type", String(80), nullable=False),
    Column("type", String(40), nullable=False),
    Column("medium", String(12), nullable=False),  # email, sms
    Column("recipient", String(254), nullable=False),  # "" when the customer has none
    Column("customer_id", String(40), index=True),
    Column("order_id", String(40), index=True),
    Column("order_number", String(40)),
    Column("language", String(8), nullable=False),
    Column("locale", String(16), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("status", String(12), nullable=False),
    Column("reason", String(300)),  # why suppressed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime),
    Column("last_error", String(300)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
    # what the provider calls it (SMS), and when it reported it delivered (0034)
    Column("provider_id", String(100)),
    Column("delivered_at", UtcDateTime),
    # Coalescing (0040): how many events the message tells of, and until when (event
    # time) more events of its order and type join it; set only for coalesced types.
    Column("parts", Integer, nullable=False, server_default="1"),
    Column("coalesce_until", UtcDateTime),
    # A message sent at most once per key whatever event causes it: a delay notice once
    # per order and estimated date (0040).
    Column("dedup_key", String(120), unique=True),
    # A marketing message's one-click unsubscribe link (RFC 8058 headers), 0051.
    Column("unsubscribe_url", String(300)),
    # One message per cause, recipient and type: a replayed event queues nothing twice.
    UniqueConstraint("source_event_id", "recipient", "type"),
    Index("ix_messages_due", "status", "next_attempt_at"),
)

message_history = Table(
    "message_history",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("message_id", String(40), ForeignKey("messages.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("status", String(12), nullable=False),  # queued, suppressed, retry, sent, failed
    Column("attempt", Integer),
    Column("detail", String(300)),
    Column("at", UtcDateTime, nullable=False),
)

message_sources = Table(
    "message_sources",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("message_id", String(40), ForeignKey("messages.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("source_event_id", String(40), nullable=False),
    Column("source_event_type", String(80), nullable=False),
    Column("recipient", String(254), nullable=False),
    Column("type", String(40), nullable=False),
    Column("facts", JsonColumn, nullable=False),  # what the event told, to render again
    Column("occurred_at", UtcDateTime, nullable=False),  # the event's time
    # An event is told once per recipient and type, alone or coalesced with others.
    UniqueConstraint("source_event_id", "recipient", "type"),
)

# Campaigns (0051): a message to a segment, sent once to each member at the throttle rate.
campaigns = Table(
    "campaigns",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("segment_id", String(40), nullable=False),
    Column("medium", String(12), nullable=False),  # email, sms
    Column("content", JsonColumn, nullable=False),  # {language: {subject, text, html}}
    Column("default_language", String(8), nullable=False),
    Column("throttle_per_minute", Integer, nullable=False),
    Column("scheduled_at", UtcDateTime),
    # draft, scheduled, running, completed, cancelled
    Column("status", String(12), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    # the audience as it is frozen: customers looked at so far (None: not started)
    Column("audience_offset", Integer),
    Column("audience_frozen", Integer, nullable=False, server_default="0"),
    Column("queued", Integer, nullable=False, server_default="0"),  # throttle slots used
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
)

campaign_recipients = Table(
    "campaign_recipients",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("campaign_id", String(40), ForeignKey("campaigns.id", ondelete="CASCADE"),
           nullable=False),
    Column("customer_id", String(40), nullable=False, index=True),
    Column("message_id", String(40)),  # None when skipped
    # no_consent, unsubscribed, no_address, undeliverable, duplicate_address
    Column("skipped", String(20)),
    Column("unsubscribe_hash", String(64), unique=True),  # sha256 of the link's token
    Column("unsubscribed_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    # Each member of the audience once, however often the job runs.
    UniqueConstraint("campaign_id", "customer_id"),
)
