from sqlalchemy import (
    BigInteger,
    Boolean,
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
    false,
    text,
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
    # DEFERRABLE (0047): a batch of orders writes its new customers at the commit
    Column("customer_id", String(40), ForeignKey("customers.id", deferrable=True,
                                                 initially="IMMEDIATE")),
    Column("status", String(20), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("subtotal_amount", MoneyAmount, nullable=False),
    Column("shipping_amount", MoneyAmount, nullable=False),
    Column("total_amount", MoneyAmount, nullable=False),
    Column("shipping_address", JsonColumn),
    Column("request_fingerprint", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Money (issue 5): subtotal - discount + shipping (+ tax when prices exclude it) = total
    Column("discount_amount", MoneyAmount, nullable=False, server_default=text("0")),
    Column("order_discount_amount", MoneyAmount, nullable=False, server_default=text("0")),
    Column("discount_reason", String(200)),
    Column("tax_amount", MoneyAmount, nullable=False, server_default=text("0")),
    Column("shipping_tax_amount", MoneyAmount, nullable=False, server_default=text("0")),
    Column("refunded_amount", MoneyAmount, nullable=False, server_default=text("0")),
    Column("shipping_refunded_amount", MoneyAmount, nullable=False, server_default=text("0")),
    Column("tax_breakdown", JsonColumn),  # [{jurisdiction, name, rate_percent, taxable, tax}]
    Column("shipping_tax_components", JsonColumn),
    Column("pricing_mode", String(10), nullable=False, server_default=text("'inclusive'")),
    Column("tax_country", String(2)),
    Column("tax_region", String(10)),
    Column("tax_point", Date),
    Column("reverse_charge", Boolean, nullable=False, server_default=false()),
    Column("buyer_vat_id", String(20)),
    Column("legal_entity_id", String(40)),
    # The channel's settings when the order was placed: later changes do not touch it.
    Column("capture_policy", String(10), nullable=False, server_default=text("'order'")),
    Column("invoicing", String(10), nullable=False, server_default=text("'order'")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    # How the order reaches the customer (issue 4, sourcing): ship or pick up at a location
    Column("fulfilment_method", String(10), nullable=False, server_default=text("'ship'")),
    Column("pickup_location_id", String(40)),
    Column("service_level", String(10), nullable=False, server_default=text("'standard'")),
    # Refunds after the sale never exceed what the order is worth.
    CheckConstraint("refunded_amount >= 0 AND refunded_amount <= total_amount",
                    name="refunded_within_total"),
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
    Column("list_price", MoneyAmount),  # our price list's price when the order was placed
    Column("discount_amount", MoneyAmount, nullable=False, server_default=text("0")),
    Column("discount_reason", String(200)),
    Column("order_discount_share", MoneyAmount, nullable=False, server_default=text("0")),
    Column("tax_class", String(20), nullable=False, server_default=text("'standard'")),
    # For the open units, after the line's share of every discount:
    Column("applied_discount_amount", MoneyAmount, nullable=False, server_default=text("0")),
    Column("net_amount", MoneyAmount, nullable=False, server_default=text("0")),
    Column("tax_amount", MoneyAmount, nullable=False, server_default=text("0")),
    Column("gross_amount", MoneyAmount, nullable=False, server_default=text("0")),
    Column("tax_rate", MoneyAmount, nullable=False, server_default=text("0")),  # percent
    Column("tax_components", JsonColumn),
    Column("shipped_quantity", Integer, nullable=False, server_default=text("0")),
    Column("refunded_quantity", Integer, nullable=False, server_default=text("0")),
    # of those, refunded before they shipped: they are not sent any more
    Column("refunded_unshipped", Integer, nullable=False, server_default=text("0")),
    Column("refunded_amount", MoneyAmount, nullable=False, server_default=text("0")),
    Column("refunded_tax_amount", MoneyAmount, nullable=False, server_default=text("0")),
    # Units still to ship that could not be sourced yet (issue 4): they hold no stock and
    # are sourced when supply arrives (sourcing/backorders.py).
    Column("backordered_quantity", Integer, nullable=False, server_default=text("0")),
    CheckConstraint("backordered_quantity >= 0 AND backordered_quantity + shipped_quantity"
                    " + cancelled_quantity + refunded_unshipped <= quantity",
                    name="backordered_within_open"),
    Index("ix_order_lines_backordered", "order_seq",
          sqlite_where=text("backordered_quantity > 0"),
          postgresql_where=text("backordered_quantity > 0")),
    CheckConstraint("shipped_quantity >= 0 AND shipped_quantity + cancelled_quantity <= quantity",
                    name="shipped_within_open"),
    CheckConstraint("refunded_quantity >= 0 AND refunded_quantity <= quantity - cancelled_quantity",
                    name="refunded_units_within_open"),
    CheckConstraint("refunded_amount >= 0 AND refunded_amount <= gross_amount",
                    name="refunded_within_paid"),
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


# Every state of an order's contents and money after an edit: version 1 is as placed.
order_versions = Table(
    "order_versions",
    metadata,
    Column("order_seq", SeqType, ForeignKey("orders.seq"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("changes", JsonColumn, nullable=False),  # what this version changed
    Column("lines", JsonColumn, nullable=False),  # the lines as they were in this version
    Column("shipping_address", JsonColumn),
    Column("total_amount", MoneyAmount, nullable=False),
    Column("tax_amount", MoneyAmount, nullable=False),
    Column("settlement", JsonColumn),  # the money taken or given back for the edit
    Column("actor", String(120), nullable=False),
    Column("reason", String(500)),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("order_seq", "version"),
)

# Money given back: by line and units, shipping, or an amount (appeasement).
order_refunds = Table(
    "order_refunds",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("order_seq", SeqType, ForeignKey("orders.seq"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # lines | shipping | amount | cancellation | edit
    Column("amount", MoneyAmount, nullable=False),
    Column("tax_amount", MoneyAmount, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("lines", JsonColumn),  # [{line_no, quantity, amount, tax}]
    Column("reason", String(500)),
    Column("actor", String(120), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # zero: an even exchange returns units and gives no money back
    CheckConstraint("amount >= 0 AND tax_amount >= 0 AND tax_amount <= amount",
                    name="refund_not_negative"),
)

# What left the building, and what it was worth (it decides per-shipment captures and
# invoices). Fulfilment orders, packages and tracking build on this.
order_shipments = Table(
    "order_shipments",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("order_seq", SeqType, ForeignKey("orders.seq"), nullable=False, index=True),
    Column("lines", JsonColumn, nullable=False),  # [{line_no, quantity, value}]
    Column("value_amount", MoneyAmount, nullable=False),  # incl. shipping on the first one
    Column("captured_amount", MoneyAmount, nullable=False),
    Column("carrier", String(40)),
    Column("tracking_number", String(100)),
    Column("actor", String(120), nullable=False),
    Column("shipped_at", UtcDateTime, nullable=False),
)
