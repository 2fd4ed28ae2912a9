from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)

from ordermesh.kit.db import metadata
from ordermesh.kit.types import MoneyAmount, UtcDateTime

purchase_orders = Table(
    "purchase_orders",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("supplier_id", String(40), ForeignKey("suppliers.id"), nullable=False),
    Column("location_id", String(40), ForeignKey("locations.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reference", String(100)),
    Column("expected_date", Date, nullable=False),
    Column("tolerance_percent", Integer, nullable=False),
    Column("note", String(1000)),
    Column("sent_at", UtcDateTime),
    Column("confirmed_at", UtcDateTime),
    Column("closed_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_purchase_orders_supplier", "supplier_id", "status"),
    CheckConstraint("tolerance_percent >= 0 AND tolerance_percent <= 100",
                    name="po_tolerance"),
)

purchase_order_lines = Table(
    "purchase_order_lines",
    metadata,
    Column("po_id", String(40), ForeignKey("purchase_orders.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("product_id", String(40), ForeignKey("products.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_cost", MoneyAmount, nullable=False),
    Column("expected_date", Date, nullable=False),
    Column("confirmed_quantity", Integer),
    Column("confirmed_date", Date),
    Column("received", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("supply_id", String(40)),
    CheckConstraint("quantity > 0", name="po_line_quantity"),
    CheckConstraint("unit_cost >= 0", name="po_line_cost"),
    CheckConstraint("received >= 0 AND rejected >= 0", name="po_line_received"),
    CheckConstraint("confirmed_quantity IS NULL OR confirmed_quantity >= 0",
                    name="po_line_confirmed"),
)

purchase_order_receipts = Table(
    "purchase_order_receipts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("receipt_id", String(40), nullable=False),  # one arrival, several lines
    Column("po_id", String(40), ForeignKey("purchase_orders.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("accepted", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("received_on", Date, nullable=False),
    Column("note", String(500)),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_purchase_order_receipts_po", "po_id"),
    Index("ix_purchase_order_receipts_receipt", "receipt_id"),
    CheckConstraint("accepted >= 0 AND rejected >= 0 AND accepted + rejected > 0",
                    name="po_receipt_units"),
)

# E-mails of a purchase order to the supplier (0049): written in the transaction that
# sends the order (or asks for it again), sent by the worker after commit.
purchase_order_notifications = Table(
    "purchase_order_notifications",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("po_id", String(40), ForeignKey("purchase_orders.id"), nullable=False),
    Column("trigger", String(12), nullable=False),  # sent | resend
    Column("recipient", String(254)),  # None when skipped
    Column("status", String(12), nullable=False),  # queued sending sent failed skipped
    Column("reason", String(300)),  # why skipped
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime),  # due (queued), or the lease (sending)
    Column("last_error", String(300)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
    Index("ix_purchase_order_notifications_po", "po_id"),
    Index("ix_purchase_order_notifications_due", "status", "next_attempt_at"),
)
