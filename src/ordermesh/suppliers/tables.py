from sqlalchemy import (
    Boolean,
    CheckConstraint,
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
from ordermesh.kit.types import JsonColumn, MoneyAmount, UtcDateTime

suppliers = Table(
    "suppliers",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("payment_terms", String(100)),
    Column("incoterm", String(3)),
    Column("lead_time_days", Integer),
    Column("lead_time_variability_days", Integer),
    Column("minimum_order_amount", MoneyAmount),
    Column("country", String(2)),  # of the first address, for the search by country
    Column("contacts", JsonColumn, nullable=False),
    Column("addresses", JsonColumn, nullable=False),
    Column("certifications", JsonColumn, nullable=False),
    Column("terms", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_suppliers_country", "country"),
    CheckConstraint("lead_time_days IS NULL OR lead_time_days >= 0",
                    name="supplier_lead_time"),
    CheckConstraint("minimum_order_amount IS NULL OR minimum_order_amount >= 0",
                    name="supplier_minimum_order"),
)

supplier_tags = Table(
    "supplier_tags",
    metadata,
    Column("supplier_id", String(40), ForeignKey("suppliers.id"), primary_key=True),
    Column("tag", String(60), primary_key=True),
    Index("ix_supplier_tags_tag", "tag"),
)

supplier_products = Table(
    "supplier_products",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("supplier_id", String(40), ForeignKey("suppliers.id"), nullable=False),
    Column("product_id", String(40), ForeignKey("products.id"), nullable=False),
    Column("supplier_sku", String(64)),
    Column("pack_size", Integer, nullable=False),
    Column("moq", Integer, nullable=False),
    Column("lead_time_days", Integer),
    Column("preferred", Boolean, nullable=False),
    Column("prices", JsonColumn, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("supplier_id", "product_id"),
    Index("ix_supplier_products_product", "product_id"),
    CheckConstraint("pack_size >= 1", name="supplier_product_pack_size"),
    CheckConstraint("moq >= 0", name="supplier_product_moq"),
)

# Carriers and 3PLs we already work with, as the supplier behind them: a carrier account
# (by its code, which never changes; the built-in carrier has no account row) or a
# location belongs to at most one supplier, so each is the key of its row.
supplier_carriers = Table(
    "supplier_carriers",
    metadata,
    Column("carrier", String(40), primary_key=True),
    Column("supplier_id", String(40), ForeignKey("suppliers.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_supplier_carriers_supplier", "supplier_id"),
)

supplier_locations = Table(
    "supplier_locations",
    metadata,
    Column("location_id", String(40), ForeignKey("locations.id"), primary_key=True),
    Column("supplier_id", String(40), ForeignKey("suppliers.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_supplier_locations_supplier", "supplier_id"),
)
