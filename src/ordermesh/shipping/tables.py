"""Tables of the shipping feature."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    text,
)

from ordermesh.kit.db import metadata
from ordermesh.kit.types import JsonColumn, UtcDateTime

carrier_accounts = Table(
    "carrier_accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("adapter", String(40), nullable=False),
    Column("webhook_secret", String(500), nullable=True),  # sealed: kit.secrets
    Column("settings", JsonColumn, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("booking_seq", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    info={"config": True},  # kit.config_cache (booking_seq updates opt out)
)

shipments = Table(
    "shipments",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("fo_id", String(40), nullable=False, unique=True),
    Column("order_id", String(40), nullable=False),
    Column("channel_id", String(40), nullable=True),
    Column("location_id", String(40), nullable=False),
    Column("carrier", String(40), nullable=False),
    Column("service", String(40), nullable=False),
    Column("label_reference", String(100), nullable=False),
    Column("destination", JsonColumn, nullable=True),
    Column("booked_at", UtcDateTime, nullable=False),
    Column("pickup_start", UtcDateTime, nullable=False),
    Column("pickup_end", UtcDateTime, nullable=False),
    Column("ship_by", Date, nullable=True),
    Column("promised_date", Date, nullable=True),
    Column("status", String(30), nullable=False),
    Column("last_event_at", UtcDateTime, nullable=True),
    Column("final", Boolean, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=True),
    Column("days_late", Integer, nullable=True),
    Column("on_time", Boolean, nullable=True),
    Column("polled_at", UtcDateTime, nullable=True),
    # the carrier's latest estimated delivery date (tracking, 0040)
    Column("estimated_delivery", Date, nullable=True),
    Index("ix_shipments_final_polled_at", "final", "polled_at"),
    Index("ix_shipments_delivered_at", "delivered_at"),
)

shipment_parcels = Table(
    "shipment_parcels",
    metadata,
    Column("tracking_number", String(60), nullable=False),
    Column("carrier", String(40), nullable=False),
    Column("shipment_id", String(40), nullable=False, index=True),
    Column("package_id", String(40), nullable=False),
    Column("status", String(30), nullable=False),
    Column("last_event_at", UtcDateTime, nullable=True),
    PrimaryKeyConstraint("carrier", "tracking_number"),
)

tracking_events = Table(
    "tracking_events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("carrier", String(40), nullable=False),
    Column("carrier_event_id", String(120), nullable=False),
    Column("tracking_number", String(60), nullable=False),
    Column("shipment_id", String(40), nullable=False),
    Column("fo_id", String(40), nullable=False, index=True),
    Column("carrier_status", String(40), nullable=False),
    Column("status", String(30), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("source", String(10), nullable=False),
    Column("applied", Boolean, nullable=False),
    Column("description", String(300), nullable=True),
    Column("place", String(200), nullable=True),
    # None: taken as it came; "parked": implausible, kept for review, not applied;
    # "released" / "discarded": reviewed by an operator (tracking.review)
    Column("review", String(10), nullable=True),
    Column("parked_reason", String(300), nullable=True),
    Column("reviewed_at", UtcDateTime, nullable=True),
    Column("estimated_delivery", Date, nullable=True),  # as the carrier said then (0040)
    UniqueConstraint("carrier", "carrier_event_id"),
    Index("ix_tracking_events_review", "review"),
)

sla_alerts = Table(
    "sla_alerts",
    metadata,
    Column("fo_id", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("raised_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("fo_id", "kind"),
)


_OPEN_BOOKING = text("status IN ('pending', 'unknown')")

# A carrier booking recorded before the carrier is called (shipping/booking_intents.py).
booking_intents = Table(
    "booking_intents",
    metadata,
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("fo_id", String(40), nullable=False),
    Column("order_id", String(40), nullable=False),
    Column("carrier", String(40), nullable=False),  # the carrier account's code
    Column("service", String(40), nullable=False),
    Column("request_key", String(300), nullable=False),  # the request's own key
    Column("carrier_key", String(255), nullable=False, unique=True),  # sent as is
    # what the carrier is sent (the ShipmentSpec): the same on every attempt
    Column("spec", JsonColumn, nullable=False),
    Column("status", String(20), nullable=False),  # pending, unknown, succeeded, failed
    Column("attempts", Integer, nullable=False),
    Column("last_error", String(300)),
    Column("leased_until", UtcDateTime),  # a call is under way until then
    Column("next_attempt_at", UtcDateTime, nullable=False),  # the worker's schedule
    Column("shipment_id", String(40)),  # once the answer is recorded
    Column("actor", String(120), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_booking_intents_open", "next_attempt_at", "seq",
          postgresql_where=_OPEN_BOOKING, sqlite_where=_OPEN_BOOKING),
    Index("ix_booking_intents_fo_id", "fo_id"),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
)
