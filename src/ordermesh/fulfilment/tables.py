"""Tables of the fulfilment feature."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

from ordermesh.kit.db import metadata
from ordermesh.kit.types import JsonColumn, UtcDateTime

SeqType = BigInteger().with_variant(Integer(), "sqlite")

fulfilment_orders = Table(
    "fulfilment_orders",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("order_id", String(40), nullable=False),
    Column("order_seq", SeqType, nullable=False),
    Column("order_index", Integer, nullable=False),  # 1, 2, ... per order: the number
    Column("channel_id", String(40), nullable=False),
    Column("location_id", String(40), ForeignKey("locations.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("status", String(30), nullable=False),
    Column("decision_id", String(40)),
    Column("shipping_address", JsonColumn),
    Column("service_level", String(20), nullable=False),
    Column("carrier", String(40)),
    Column("carrier_service", String(40)),
    Column("ship_by", Date),
    Column("promised_date", Date),
    Column("pickup_code_hash", String(64)),
    Column("pickup_attempts", Integer, nullable=False, default=0),
    Column("ready_at", UtcDateTime),
    Column("pickup_hold_until", UtcDateTime),  # fixed when ready: the customer was told
    Column("delivered_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("order_seq", "order_index"),
    Index("ix_fulfilment_orders_location_status", "location_id", "status"),
    Index("ix_fulfilment_orders_order_id", "order_id"),
    Index("ix_fulfilment_orders_status_ready_at", "status", "ready_at"),
    Index("ix_fulfilment_orders_status_hold_until", "status", "pickup_hold_until"),
)

fulfilment_lines = Table(
    "fulfilment_lines",
    metadata,
    Column("fo_id", String(40), ForeignKey("fulfilment_orders.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("product_id", String(40), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("picked_quantity", Integer, nullable=False, default=0),
    Column("short_quantity", Integer, nullable=False, default=0),
    Column("packed_quantity", Integer, nullable=False, default=0),
    Column("cancelled_quantity", Integer, nullable=False, default=0),
    Column("rejected_quantity", Integer, nullable=False, default=0),
    Column("shipped_quantity", Integer, nullable=False, default=0),
    PrimaryKeyConstraint("fo_id", "line_no"),
    CheckConstraint(
        "quantity > 0 AND picked_quantity >= 0 AND short_quantity >= 0 "
        "AND packed_quantity >= 0 AND cancelled_quantity >= 0 AND rejected_quantity >= 0 "
        "AND shipped_quantity >= 0 AND cancelled_quantity + rejected_quantity "
        "+ short_quantity + shipped_quantity <= quantity",
        name="units_add_up"),
)

fulfilment_history = Table(
    "fulfilment_history",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("fo_id", String(40), ForeignKey("fulfilment_orders.id"), nullable=False),
    Column("from_status", String(30)),
    Column("to_status", String(30), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("reason", String(500)),
    Column("details", JsonColumn),
    Column("occurred_at", UtcDateTime, nullable=False),
    Index("ix_fulfilment_history_fo_id", "fo_id"),
)

location_bins = Table(
    "location_bins",
    metadata,
    Column("location_id", String(40), ForeignKey("locations.id"), nullable=False),
    Column("product_id", String(40), nullable=False),
    Column("bin", String(40), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("location_id", "product_id"),
)

pick_lists = Table(
    "pick_lists",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("location_id", String(40), ForeignKey("locations.id"), nullable=False),
    Column("status", String(20), nullable=False),  # open, confirmed
    Column("actor", String(120), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("confirmed_at", UtcDateTime),
    Index("ix_pick_lists_location_status", "location_id", "status"),
)

pick_list_items = Table(
    "pick_list_items",
    metadata,
    Column("pick_list_id", String(40), ForeignKey("pick_lists.id"), nullable=False),
    Column("position", Integer, nullable=False),  # walk order: by bin
    Column("fo_id", String(40), ForeignKey("fulfilment_orders.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("product_id", String(40), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("bin", String(40)),
    Column("quantity", Integer, nullable=False),
    Column("picked_quantity", Integer),
    PrimaryKeyConstraint("pick_list_id", "position"),
    UniqueConstraint("pick_list_id", "fo_id", "line_no"),
    Index("ix_pick_list_items_fo_id", "fo_id"),
)
