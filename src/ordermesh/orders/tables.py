from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    UniqueConstraint,
)

from ordermesh.kit.db import metadata
from ordermesh.kit.types import JsonColumn, MoneyAmount, UtcDateTime

SeqType = BigInteger().with_variant(Integer(), "sqlite")

orders = Table(
    "orders",
    metadata,
    # ``seq`` is the internal key (and gives the order number); ``id`` is the public one.
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("channel_id", String(40), ForeignKey("channels.id"), nullable=False),
    Column("external_id", String(100)),
    Column("customer_id", String(40), ForeignKey("customers.id")),
    Column("status", String(20), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("subtotal_amount", MoneyAmount, nullable=False),
    Column("shipping_amount", MoneyAmount, nullable=False),
    Column("total_amount", MoneyAmount, nullable=False),
    Column("shipping_address", JsonColumn),
    Column("request_fingerprint", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("channel_id", "external_id"),
    Index("ix_orders_customer_seq", "customer_id", "seq"),
    Index("ix_orders_status_seq", "status", "seq"),
    Index("ix_orders_created_at", "created_at"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_seq", SeqType, ForeignKey("orders.seq"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("product_id", String(40), ForeignKey("products.id"), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("name", String(300), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("cancelled_quantity", Integer, nullable=False),
    Column("unit_price", MoneyAmount, nullable=False),
    PrimaryKeyConstraint("order_seq", "line_no"),
)

# What each line holds reserved where; cancelling gives back exactly these units.
order_allocations = Table(
    "order_allocations",
    metadata,
    Column("order_seq", SeqType, ForeignKey("orders.seq"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("location_id", String(40), ForeignKey("locations.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    PrimaryKeyConstraint("order_seq", "line_no", "location_id"),
)

order_history = Table(
    "order_history",
    metadata,
    Column("seq", SeqType, primary_key=True, autoincrement=True),
    Column("order_seq", SeqType, ForeignKey("orders.seq"), nullable=False, index=True),
    Column("from_status", String(20)),
    Column("to_status", String(20), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("reason", String(500)),
    Column("occurred_at", UtcDateTime, nullable=False),
)
