"""Tables of the drop-ship feature: routing rules, drop-ship purchase orders, their lines
and the shipments the suppliers report."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
)

from ordermesh.kit.db import metadata
from ordermesh.kit.types import JsonColumn, MoneyAmount, UtcDateTime

SeqType = BigInteger().with_variant(Integer(), "sqlite")

# Which lines a supplier ships for us: by product, by channel, or both (null = any).
dropship_rules = Table(
    "dropship_rules",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("supplier_id", String(40), ForeignKey("suppliers.id"), nullable=False),
    Column("product_id", String(40), ForeignKey("products.id")),
    Column("channel_id", String(40), ForeignKey("channels.id")),
    Column("mode", String(20), nullable=False),  # always | when_short
    Column("created_at", UtcDateTime, nullable=False),
    info={"config": True},  # kit.config_cache: every placement reads the rules
)

# The location that stands for a drop-shipping supplier in sourcing and fulfilment.
dropship_sources = Table(
    "dropship_sources",
    metadata,
    Column("supplier_id", String(40), ForeignKey("suppliers.id"), primary_key=True),
    Column("location_id", String(40), ForeignKey("locations.id"), nullable=False,
           unique=True),
    info={"config": True},
)

dropship_orders = Table(
    "dropship_orders",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("supplier_id", String(40), ForeignKey("suppliers.id"), nullable=False),
    Column("order_id", String(40), nullable=False),
    Column("order_seq", SeqType, nullable=False),
    Column("order_number", String(40), nullable=False),
    Column("fo_id", String(40), ForeignKey("fulfilment_orders.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("ship_to", JsonColumn, nullable=False),  # the customer's address, never ours
    Column("service_level", String(20), nullable=False),
    Column("cost_currency", String(3), nullable=False),  # the supplier's
    Column("price_currency", String(3), nullable=False),  # the order's
    Column("supplier_reference", String(100)),
    Column("reason", String(500)),
    # the supplier refused the merchant's cancellation (0049): reason, carrier, tracking
    Column("cancel_refusal", JsonColumn),
    Column("created_at", UtcDateTime, nullable=False),
    Column("accepted_at", UtcDateTime),
    Column("first_shipped_at", UtcDateTime),
    Column("closed_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_dropship_orders_supplier_status", "supplier_id", "status"),
    Index("ix_dropship_orders_order", "order_id"),
)

dropship_lines = Table(
    "dropship_lines",
    metadata,
    Column("ds_id", String(40), ForeignKey("dropship_orders.id"), nullable=False),
    Column("line_no", Integer, nullable=False),  # the customer order's line
    Column("product_id", String(40), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("supplier_sku", String(64)),
    Column("name", String(200), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("shipped", Integer, nullable=False),
    Column("short", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("unit_cost", MoneyAmount),  # what the supplier charges us (cost_currency)
    Column("unit_price", MoneyAmount, nullable=False),  # the customer's (price_currency)
    # units the merchant cancelled that the supplier was told of, and its answers (0049)
    Column("cancel_requested", Integer, nullable=False, server_default="0"),
    Column("cancel_accepted", Integer, nullable=False, server_default="0"),
    Column("cancel_refused", Integer, nullable=False, server_default="0"),
    PrimaryKeyConstraint("ds_id", "line_no"),
    CheckConstraint("quantity > 0 AND shipped >= 0 AND short >= 0 AND rejected >= 0 "
                    "AND shipped + short + rejected <= quantity", name="dropship_units"),
)

dropship_shipments = Table(
    "dropship_shipments",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("ds_id", String(40), ForeignKey("dropship_orders.id"), nullable=False),
    Column("carrier", String(40), nullable=False),
    Column("tracking_number", String(60), nullable=False),
    Column("lines", JsonColumn, nullable=False),  # [{line_no, quantity}]
    Column("order_shipment_id", String(40), nullable=False),
    Column("shipped_at", UtcDateTime, nullable=False),
    Index("ix_dropship_shipments_ds", "ds_id"),
)
