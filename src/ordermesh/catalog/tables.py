from sqlalchemy import Boolean, Column, Integer, String, Table, false

from ordermesh.kit.db import metadata
from ordermesh.kit.types import JsonColumn, MoneyAmount, UtcDateTime

products = Table(
    "products",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("sku", String(64), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("price_amount", MoneyAmount),
    Column("price_currency", String(3)),
    Column("tax_class", String(20), nullable=False),
    Column("category", String(100), index=True),
    Column("weight_grams", Integer),
    Column("length_mm", Integer),
    Column("width_mm", Integer),
    Column("height_mm", Integer),
    Column("handling", JsonColumn, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # A shortfall may become a backorder (when the channel allows backorders too)
    Column("backorderable", Boolean, nullable=False, server_default=false()),
)
