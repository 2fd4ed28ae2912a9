"""Tables of returns: reasons, policies per channel, returns, their lines, receipts,
inspections and history."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
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

# The reason taxonomy is data: the migration seeds the usual reasons, more may be added.
return_reasons = Table(
    "return_reasons",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("label", String(100), nullable=False),
    Column("position", Integer, nullable=False),
)

return_policies = Table(
    "return_policies",
    metadata,
    Column("channel_id", String(40), ForeignKey("channels.id"), primary_key=True),
    Column("window_days", Integer, nullable=False),
    Column("final_sale_categories", JsonColumn, nullable=False),
    Column("resolutions", JsonColumn, nullable=False),
    Column("auto_authorise", Boolean, nullable=False),
    Column("returnless_below", MoneyAmount),
    Column("return_shipping_fee", MoneyAmount),
    Column("restocking_fee_percent", MoneyAmount),
    Column("fee_free_reasons", JsonColumn),  # null: the seller's-fault reasons
    Column("refund_release", String(20), nullable=False, server_default="manual"),
    Column("exchange_reserve", String(20), nullable=False, server_default="at_once"),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("restocking_fee_percent > 0",
                    name="restocking_fee_positive"),
)

returns = Table(
    "returns",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("order_id", String(40), nullable=False),
    Column("order_number", String(40), nullable=False),
    Column("channel_id", String(40), ForeignKey("channels.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("returnless", Boolean, nullable=False),
    Column("override_reason", String(500)),
    Column("overridden", JsonColumn),  # [{line_no, rule, message}] an operator waived
    Column("status_reason", String(500)),  # why it was rejected or cancelled
    Column("refund_id", String(40)),
    Column("fees", JsonColumn),  # the policy's fees when it was requested (ReturnFees)
    Column("refund_release", String(20), nullable=False, server_default="manual"),
    Column("exchange_reserve", String(20), nullable=False, server_default="at_once"),
    Column("exchange_order_id", String(40)),  # the replacement order
    Column("exchange_credit", MoneyAmount),  # what the returned units took off it
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_returns_order_id", "order_id"),
    Index("ix_returns_status_created", "status", "created_at"),
)

return_lines = Table(
    "return_lines",
    metadata,
    Column("return_id", String(40), ForeignKey("returns.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("order_line_no", Integer, nullable=False),
    Column("product_id", String(40), nullable=False),
    Column("sku", String(100), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("received_quantity", Integer, nullable=False),
    Column("reason", String(40), ForeignKey("return_reasons.code"), nullable=False),
    Column("comment", String(1000)),
    Column("resolution", String(20), nullable=False),
    Column("exchange_sku", String(100)),  # the SKU wanted instead (resolution exchange)
    PrimaryKeyConstraint("return_id", "line_no"),
    CheckConstraint("quantity > 0", name="quantity_positive"),
    CheckConstraint("received_quantity >= 0 AND received_quantity <= quantity",
                    name="received_within_quantity"),
)

# One row per receipt at a location: [{line_no, quantity, grade, disposition}]
return_receipts = Table(
    "return_receipts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("return_id", String(40), ForeignKey("returns.id"), nullable=False),
    Column("location_id", String(40), ForeignKey("locations.id"), nullable=False),
    Column("lines", JsonColumn, nullable=False),
    Column("note", String(500)),
    Column("actor", String(100), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Index("ix_return_receipts_return_id", "return_id"),
)

# One row per inspection of a received return: [{line_no, sku, quantity, grade}]
return_inspections = Table(
    "return_inspections",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("return_id", String(40), ForeignKey("returns.id"), nullable=False, unique=True),
    Column("lines", JsonColumn, nullable=False),
    Column("note", String(500)),
    Column("actor", String(100), nullable=False),
    Column("inspected_at", UtcDateTime, nullable=False),
)

return_history = Table(
    "return_history",
    metadata,
    Column("return_id", String(40), ForeignKey("returns.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("from_status", String(20)),
    Column("to_status", String(20), nullable=False),
    Column("reason", String(500)),
    Column("actor", String(100), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("return_id", "seq"),
)
