"""Tables of the sourcing feature."""

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, false

from ordermesh.kit.db import metadata
from ordermesh.kit.types import JsonColumn, MoneyAmount, UtcDateTime
from ordermesh.orders.tables import SeqType

# A channel's sourcing rule chain; a channel without a row uses the default chain.
channel_sourcing = Table(
    "channel_sourcing",
    metadata,
    Column("channel_id", String(40), ForeignKey("channels.id"), primary_key=True),
    Column("rules", JsonColumn, nullable=False),  # ordered SourcingRule values
    Column("max_splits", Integer),  # extra shipments allowed beyond the first; null = any
    Column("allow_backorders", Boolean, nullable=False, server_default=false()),
    Column("shipment_base_amount", MoneyAmount, nullable=False),
    Column("per_kg_100km_amount", MoneyAmount, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    info={"config": True},  # kit.config_cache
)

# Every sourcing decision of an order with its explanation, in the order they were taken.
sourcing_decisions = Table(
    "sourcing_decisions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("order_seq", SeqType, ForeignKey("orders.seq"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("trigger", String(20), nullable=False),
    Column("lines", JsonColumn, nullable=False),  # [{line_no, product_id, sku, quantity}]
    Column("candidates", JsonColumn, nullable=False),
    Column("chosen", JsonColumn, nullable=False),  # [{location_id, line_no, quantity}]
    Column("unsourced", JsonColumn),  # {line_no: quantity}
    Column("explanation", Text, nullable=False),
    Column("context", JsonColumn),  # rules, method, destination, reason
    Column("created_at", UtcDateTime, nullable=False),
    Index("ux_sourcing_decisions_order_attempt", "order_seq", "attempt", unique=True),
)
