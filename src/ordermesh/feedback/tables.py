"""Tables of feedback: requests (with their schedule), the pieces of feedback, alerts."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, Integer, String, Table, UniqueConstraint

from ordermesh.kit.db import metadata
from ordermesh.kit.types import JsonColumn, UtcDateTime

# One row per delivery (or resolved return) that may lead to a request: scheduled when
# the event is seen, then sent or suppressed when due, answered once.
feedback_requests = Table(
    "feedback_requests",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("source_event_id", String(40), nullable=False, unique=True),
    Column("trigger", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("customer_id", String(40)),
    Column("order_id", String(40), nullable=False),
    Column("order_number", String(40), nullable=False),
    Column("channel_id", String(40)),
    Column("fo_id", String(40)),
    Column("shipment_id", String(40)),
    Column("carrier", String(40)),
    Column("location_id", String(40)),
    Column("return_id", String(40)),
    Column("lines", JsonColumn, nullable=False),  # [{line_no, product_id, sku, name}]
    Column("due_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("expires_at", UtcDateTime),
    Column("answered_at", UtcDateTime),
    Column("suppressed_reason", String(300)),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_feedback_requests_status_due_at", "status", "due_at"),
    Index("ix_feedback_requests_customer_id_sent_at", "customer_id", "sent_at"),
    Index("ix_feedback_requests_order_id", "order_id"),
)

# One row per piece: a score on its scale and/or a text, tied to what it is about.
feedback = Table(
    "feedback",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("source", String(20), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("score", Integer),
    Column("text", String(4000)),
    Column("request_id", String(40)),
    Column("customer_id", String(40), nullable=False),
    Column("order_id", String(40)),
    Column("line_no", Integer),
    Column("product_id", String(40)),
    Column("sku", String(100)),
    Column("category", String(100)),
    Column("shipment_id", String(40)),
    Column("carrier", String(40)),
    Column("location_id", String(40)),
    Column("channel_id", String(40)),
    Column("external_ref", String(200)),
    Column("sentiment_milli", Integer),  # VADER compound score x 1000 (-1000..1000)
    Column("topics", JsonColumn, nullable=False),  # [{code, evidence: [words]}]
    Column("actor", String(120), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("channel_id", "external_ref"),
    CheckConstraint("score IS NULL OR (score >= 0 AND score <= 10)", name="score_range"),
    Index("ix_feedback_received_at", "received_at"),
    Index("ix_feedback_customer_id", "customer_id"),
    Index("ix_feedback_product_id", "product_id"),
    Index("ix_feedback_request_id", "request_id"),
)

feedback_alerts = Table(
    "feedback_alerts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("subject_kind", String(20), nullable=False),  # product, carrier, location
    Column("subject", String(100), nullable=False),
    Column("month", String(7), nullable=False),  # raised at most once a month
    Column("negative", Integer, nullable=False),
    Column("sample", Integer, nullable=False),
    Column("raised_at", UtcDateTime, nullable=False),
    UniqueConstraint("subject_kind", "subject", "month"),
)
