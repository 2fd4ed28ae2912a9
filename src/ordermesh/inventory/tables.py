from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
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

# Per SKU x location. ``on_hand`` is sellable stock in the building; ``reserved`` is the
# part of it promised to orders and holds; ``damaged`` is in the building but not
# sellable (quarantine); ``in_transit`` is on its way here from another location.
stock = Table(
    "stock",
    metadata,
    Column("product_id", String(40), ForeignKey("products.id"), nullable=False),
    Column("location_id", String(40), ForeignKey("locations.id"), nullable=False),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    Column("damaged", Integer, nullable=False, server_default="0"),
    Column("in_transit", Integer, nullable=False, server_default="0"),
    # Units no channel may sell here; NULL means the location/category default applies.
    Column("safety_stock", Integer),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("product_id", "location_id"),
    # The database itself refuses an oversold row, whatever the code above it does.
    CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
    CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    CheckConstraint("damaged >= 0", name="damaged_not_negative"),
    CheckConstraint("in_transit >= 0", name="in_transit_not_negative"),
    CheckConstraint("safety_stock IS NULL OR safety_stock >= 0", name="safety_not_negative"),
)

# Append-only: rows are inserted, never updated or deleted. Summing the deltas per
# (product, location) gives the counters in ``stock``; summing ``reserved_delta`` per
# (channel, product) gives ``channel_reserved``.
inventory_movements = Table(
    "inventory_movements",
    metadata,
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("product_id", String(40), nullable=False),
    Column("location_id", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("on_hand_delta", Integer, nullable=False),
    Column("reserved_delta", Integer, nullable=False),
    Column("damaged_delta", Integer, nullable=False, server_default="0"),
    Column("in_transit_delta", Integer, nullable=False, server_default="0"),
    Column("channel_id", String(40)),
    Column("reason", String(40)),
    Column("note", String(500)),
    Column("reference_type", String(40)),
    Column("reference_id", String(40)),
    Column("actor", String(120), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Index("ix_inventory_movements_product_location", "product_id", "location_id"),
    Index("ix_inventory_movements_occurred_at", "occurred_at"),
)

# Units each channel holds reserved per product (open orders and holds): what a quota
# is counted against.
channel_reserved = Table(
    "channel_reserved",
    metadata,
    Column("channel_id", String(40), ForeignKey("channels.id"), nullable=False),
    Column("product_id", String(40), ForeignKey("products.id"), nullable=False),
    # A sum over every location, each of which may hold up to 10^9: beyond 32 bits.
    Column("reserved", BigInteger, nullable=False),
    PrimaryKeyConstraint("channel_id", "product_id"),
    CheckConstraint("reserved >= 0", name="channel_reserved_not_negative"),
)

# Safety stock for a location, for one category ('' = every category) when a stock row
# has no value of its own.
safety_stock_defaults = Table(
    "safety_stock_defaults",
    metadata,
    Column("location_id", String(40), ForeignKey("locations.id"), nullable=False),
    Column("category", String(100), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("location_id", "category"),
    CheckConstraint("quantity >= 0", name="safety_default_not_negative"),
)

# Per product: when to warn, and how long supply takes to arrive.
stock_policies = Table(
    "stock_policies",
    metadata,
    Column("product_id", String(40), ForeignKey("products.id"), primary_key=True),
    Column("low_stock_threshold", Integer),
    Column("lead_time_days", Integer),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Which locations may serve a channel: by location id, location kind or country. A
# channel without rows may be served by every location.
channel_sources = Table(
    "channel_sources",
    metadata,
    Column("channel_id", String(40), ForeignKey("channels.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("value", String(40), nullable=False),
    PrimaryKeyConstraint("channel_id", "kind", "value"),
)

# A channel's quota (units, or a share in basis points) or exclusion for a product or
# a category. The product rule wins over the category rule.
allocation_rules = Table(
    "allocation_rules",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("channel_id", String(40), ForeignKey("channels.id"), nullable=False),
    Column("scope", String(20), nullable=False),
    Column("scope_value", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("units", Integer),
    Column("share_bp", Integer),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("channel_id", "scope", "scope_value", name="uq_allocation_rule_scope"),
    Index("ix_allocation_rules_scope", "scope", "scope_value"),
    CheckConstraint("units IS NULL OR units >= 0", name="quota_units_not_negative"),
    CheckConstraint("share_bp IS NULL OR (share_bp >= 0 AND share_bp <= 10000)",
                    name="quota_share_within_100_percent"),
)

# Supply expected at a location on a date: a purchase order line, a production run, or
# a customer return on its way back.
expected_supply = Table(
    "expected_supply",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("product_id", String(40), ForeignKey("products.id"), nullable=False),
    Column("location_id", String(40), ForeignKey("locations.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("reference", String(100)),
    Column("quantity", Integer, nullable=False),
    Column("received", Integer, nullable=False),
    Column("expected_date", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_expected_supply_product_status", "product_id", "status"),
    CheckConstraint("quantity > 0", name="supply_quantity_positive"),
    CheckConstraint("received >= 0 AND received <= quantity", name="supply_received_within"),
)

transfers = Table(
    "transfers",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("from_location_id", String(40), ForeignKey("locations.id"), nullable=False),
    Column("to_location_id", String(40), ForeignKey("locations.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("expected_date", Date),
    Column("reference", String(100)),
    Column("note", String(500)),
    Column("shipped_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_transfers_status", "status"),
    CheckConstraint("from_location_id <> to_location_id", name="transfer_between_two_places"),
)

transfer_lines = Table(
    "transfer_lines",
    metadata,
    Column("transfer_id", String(40), ForeignKey("transfers.id"), nullable=False),
    Column("product_id", String(40), ForeignKey("products.id"), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("received", Integer, nullable=False),
    PrimaryKeyConstraint("transfer_id", "product_id"),
    # ATP reads what is still on its way per product: only open lines, kept small.
    Index("ix_transfer_lines_open_product", "product_id",
          postgresql_where=text("received < quantity"), sqlite_where=text("received < quantity")),
    CheckConstraint("quantity > 0", name="transfer_quantity_positive"),
    CheckConstraint("received >= 0 AND received <= quantity", name="transfer_received_within"),
)

# A cart or checkout holding stock for a while, for one channel.
holds = Table(
    "holds",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("channel_id", String(40), ForeignKey("channels.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reference", String(100)),
    Column("order_id", String(40)),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_holds_status_expires", "status", "expires_at"),
)

hold_lines = Table(
    "hold_lines",
    metadata,
    Column("hold_id", String(40), ForeignKey("holds.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("product_id", String(40), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    PrimaryKeyConstraint("hold_id", "line_no"),
)

hold_allocations = Table(
    "hold_allocations",
    metadata,
    Column("hold_id", String(40), ForeignKey("holds.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("product_id", String(40), nullable=False),
    Column("location_id", String(40), nullable=False),
    Column("quantity", Integer, nullable=False),
    PrimaryKeyConstraint("hold_id", "line_no", "location_id"),
)

# The latest demand forecast per SKU x location, refreshed by the worker.
demand_forecasts = Table(
    "demand_forecasts",
    metadata,
    Column("product_id", String(40), ForeignKey("products.id"), nullable=False),
    Column("location_id", String(40), ForeignKey("locations.id"), nullable=False),
    Column("method", String(40), nullable=False),
    Column("daily", JsonColumn, nullable=False),
    Column("sigma", Float, nullable=False),
    Column("computed_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("product_id", "location_id"),
    Index("ix_demand_forecasts_computed_at", "computed_at"),
)
