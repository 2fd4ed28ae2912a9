"""Pydantic models of the purchasing API."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from ordermesh.http.schemas import (
    CODE_PATTERN,
    SKU_PATTERN,
    Identifier,
    IsoDate,
    MoneyIn,
    MoneyOut,
)
from ordermesh.purchasing.model import (
    DEFAULT_TOLERANCE_PERCENT,
    Notification,
    NotificationStatus,
    POLine,
    POStatus,
    PurchaseOrder,
)

MAX_QUANTITY = 1_000_000


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class POLineIn(_Body):
    sku: str = Field(pattern=SKU_PATTERN)
    quantity: int = Field(strict=True, ge=1, le=MAX_QUANTITY)
    unit_cost: MoneyIn | None = Field(None, description="In the supplier's currency; "
                                      "omitted: the supplier's price for this quantity")
    expected_date: IsoDate | None = None


class POCreate(_Body):
    supplier: str = Field(min_length=1, max_length=40, description="Supplier id or code")
    location: str = Field(pattern=CODE_PATTERN, description="Where the goods arrive")
    lines: list[POLineIn] = Field(min_length=1, max_length=200)
    expected_date: IsoDate | None = Field(None, description="Omitted: today plus the "
                                          "supplier's lead time")
    reference: Identifier | None = Field(None, max_length=100, description="Our PO number")
    note: str | None = Field(None, max_length=1000)
    tolerance_percent: int = Field(DEFAULT_TOLERANCE_PERCENT, strict=True, ge=0, le=100,
                                   description="Over-delivery accepted per line, in percent")


class ConfirmLineIn(_Body):
    line_no: int = Field(strict=True, ge=1)
    quantity: int = Field(strict=True, ge=0, le=MAX_QUANTITY)
    date: IsoDate | None = None


class POConfirm(_Body):
    lines: list[ConfirmLineIn] = Field(default_factory=list, max_length=200,
                                       description="Lines not named are confirmed as ordered")


class ReasonIn(_Body):
    reason: str | None = Field(None, max_length=500)


class ArrivedLineIn(_Body):
    sku: str = Field(pattern=SKU_PATTERN)
    accepted: int = Field(strict=True, ge=0, le=MAX_QUANTITY, description="Into stock")
    rejected: int = Field(0, strict=True, ge=0, le=MAX_QUANTITY,
                          description="Damaged or refused on arrival: recorded, not stocked")


class ReceiptIn(_Body):
    lines: list[ArrivedLineIn] = Field(min_length=1, max_length=200)
    note: str | None = Field(None, max_length=500)


class POLineRead(BaseModel):
    line_no: int
    sku: str
    product_id: str
    quantity: int = Field(description="Ordered")
    unit_cost: MoneyOut
    line_total: MoneyOut
    expected_date: date
    confirmed_quantity: int | None
    confirmed_date: date | None
    received: int = Field(description="Accepted into stock")
    rejected: int = Field(description="Damaged or refused on arrival")
    open: int = Field(description="Still due: confirmed (else ordered) minus received")
    supply_id: str | None = Field(description="The expected supply this line announced")

    @classmethod
    def of(cls, ln: POLine) -> POLineRead:
        return cls(line_no=ln.line_no, sku=ln.sku, product_id=ln.product_id,
                   quantity=ln.quantity, unit_cost=MoneyOut.of(ln.unit_cost),
                   line_total=MoneyOut.of(ln.total), expected_date=ln.expected_date,
                   confirmed_quantity=ln.confirmed_quantity, confirmed_date=ln.confirmed_date,
                   received=ln.received, rejected=ln.rejected, open=ln.open,
                   supply_id=ln.supply_id)


class NotificationRead(BaseModel):
    id: str
    trigger: str = Field(description="`sent`: the order was sent; `resend`: asked again")
    recipient: str | None = Field(description="The supplier's ordering e-mail")
    status: NotificationStatus
    reason: str | None = Field(description="Why it was skipped")
    attempts: int
    next_attempt_at: datetime | None = Field(description="When it is tried (again)")
    last_error: str | None = Field(description="The mail server's last refusal")
    created_at: datetime
    sent_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, n: Notification) -> NotificationRead:
        return cls(id=n.id, trigger=n.trigger, recipient=n.recipient, status=n.status,
                   reason=n.reason, attempts=n.attempts, next_attempt_at=n.next_attempt_at,
                   last_error=n.last_error, created_at=n.created_at, sent_at=n.sent_at,
                   finished_at=n.finished_at)


class PORead(BaseModel):
    id: str
    reference: str | None
    supplier_id: str
    supplier: str = Field(description="Supplier code")
    location: str
    currency: str
    status: POStatus
    expected_date: date
    tolerance_percent: int
    note: str | None
    total: MoneyOut
    lines: list[POLineRead]
    sent_at: datetime | None
    confirmed_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    notifications: list[NotificationRead] = Field(
        description="E-mails of the order to the supplier, oldest first")

    @classmethod
    def of(cls, o: PurchaseOrder) -> PORead:
        return cls(id=o.id, reference=o.number if o.number != o.id else None,
                   supplier_id=o.supplier_id, supplier=o.supplier_code,
                   location=o.location_code, currency=o.currency, status=o.status,
                   expected_date=o.expected_date, tolerance_percent=o.tolerance_percent,
                   note=o.note, total=MoneyOut.of(o.total),
                   lines=[POLineRead.of(ln) for ln in o.lines], sent_at=o.sent_at,
                   confirmed_at=o.confirmed_at, closed_at=o.closed_at,
                   created_at=o.created_at, updated_at=o.updated_at,
                   notifications=[NotificationRead.of(n) for n in o.notifications])


class POPage(BaseModel):
    items: list[PORead]
    next_cursor: str | None


class ArrivedLineRead(BaseModel):
    sku: str
    accepted: int
    rejected: int


class ReceiptRead(BaseModel):
    receipt_id: str
    lines: list[ArrivedLineRead]
    purchase_order: PORead
