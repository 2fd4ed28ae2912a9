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
from ordermesh.kit.types import UtcDateTime

stock = Table(
    "stock",
    metadata,
    Column("product_id", String(40), ForeignKey("products.id"), nullable=False),
    Column("location_id", String(40), ForeignKey("locations.id"), nullable=False),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("product_id", "location_id"),
    # The database itself refuses an oversold row, whatever the code above it does.
    CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
    CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
)

# Append-only: rows are inserted, never updated or deleted. Summing the deltas per
# (product, location) gives the counters in ``stock``.
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
    Column("reason", String(40)),
    Column("note", String(500)),
    Column("reference_type", String(40)),
    Column("reference_id", String(40)),
    Column("actor", String(120), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Index("ix_inventory_movements_product_location", "product_id", "location_id"),
)
