"""Price lists and their prices.

The order-placement lookup (``service.list_prices``) starts from ``price_lists`` by
(channel, currency) and reaches each price by its primary key (price list, product), so
those two indexes serve it; ``ix_prices_product_id`` backs the foreign key.

``prices.sku`` copies the product's SKU (SKUs never change once created): price lists are
read and paged by SKU without reading the catalog's tables.
"""

from sqlalchemy import (
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
from ordermesh.kit.types import MoneyAmount, UtcDateTime

price_lists = Table(
    "price_lists",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("channel_id", String(40), ForeignKey("channels.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("valid_from", UtcDateTime),  # NULL: valid since always
    Column("valid_to", UtcDateTime),  # NULL: valid for ever; exclusive
    Column("priority", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("valid_from IS NULL OR valid_to IS NULL OR valid_to > valid_from",
                    name="validity_ends_after_it_starts"),
    Index("ix_price_lists_channel_currency", "channel_id", "currency"),
)

prices = Table(
    "prices",
    metadata,
    Column("price_list_id", String(40), ForeignKey("price_lists.id"), nullable=False),
    Column("product_id", String(40), ForeignKey("products.id"), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("amount", MoneyAmount, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("price_list_id", "product_id"),
    CheckConstraint("amount >= 0", name="amount_not_negative"),
    Index("ix_prices_product_id", "product_id"),
    Index("ix_prices_list_sku", "price_list_id", "sku", unique=True),
)
