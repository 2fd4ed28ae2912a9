"""Order versions and refunds over HTTP, and the shapes of an edit (its route is
``flows/order_edits_api.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.http.schemas import SKU_PATTERN, MoneyString
from ordermesh.orders import edits, refunds, shipments, versions
from ordermesh.orders.schemas import MAX_QUANTITY, ShippingAddressIn
from ordermesh.orders.service import MAX_LINES

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


class EditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: edits.EditOp = Field(description="`set_quantity` (line_no, quantity), `add_line` "
                             "(sku, quantity, optional unit_price), `remove_line` (line_no), "
                             "`set_shipping_address` (address)")
    line_no: int | None = Field(None, ge=1, strict=True)
    quantity: int | None = Field(None, ge=0, le=MAX_QUANTITY, strict=True)
    sku: str | None = Field(None, pattern=SKU_PATTERN)
    unit_price: MoneyString | None = Field(None, description="For add_line; default: the "
                                           "channel's price list")
    address: ShippingAddressIn | None = None


class OrderEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    edits: list[EditIn] = Field(min_length=1, max_length=MAX_LINES)
    reason: str | None = Field(None, max_length=500)


class VersionOut(BaseModel):
    version: int
    changes: Any = Field(description="What this version changed")
    lines: list[dict]
    shipping_address: dict | None
    currency: str
    total: str
    tax: str
    settlement: dict | None = Field(description="Money moved by the edit: refunded, voided, "
                                                "authorised, captured")
    actor: str
    reason: str | None
    created_at: datetime


class VersionList(BaseModel):
    items: list[VersionOut]


class RefundLineIn(BaseModel):  # also the shape of a shipped line
    model_config = ConfigDict(extra="forbid")
    line_no: int = Field(ge=1, strict=True)
    quantity: int = Field(gt=0, le=MAX_QUANTITY, strict=True)


class RefundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[RefundLineIn] = Field(default_factory=list, max_length=MAX_LINES,
                                      description="Units to refund per line")
    shipping: MoneyString | None = Field(None, description="Amount of shipping to refund")
    amount: MoneyString | None = Field(None, description="A goodwill amount (appeasement)")
    reason: str = Field(min_length=1, max_length=500)


class RefundOut(BaseModel):
    id: str
    kind: str = Field(description="`refund` (asked for), `cancellation` or `edit` (money "
                                  "given back because the order became worth less)")
    amount: str
    tax: str = Field(description="The tax contained in amount")
    currency: str
    lines: list[dict] | None
    reason: str | None
    actor: str
    created_at: datetime


class RefundList(BaseModel):
    items: list[RefundOut]


@router.get("/{order_id}/versions", summary="Every version of an order and what changed")
def list_versions(order_id: str, ctx: ReadContext) -> VersionList:
    with ctx.read_uow() as uow:
        return VersionList(items=[VersionOut(**v) for v in versions.list_versions(uow, order_id)])


@router.post("/{order_id}/refunds", status_code=201,
             summary="Refund units of lines, shipping, or an amount")
def refund_order(order_id: str, body: RefundIn, ctx: WriteContext) -> RefundOut:
    """Never more than was paid: per line, for shipping and for the order; the payment
    ledger refuses to refund more than was captured. Tax is refunded in proportion."""
    idem = ctx.idempotency(body)
    request = refunds.RefundRequest(
        reason=body.reason, lines=tuple(refunds.RefundLine(ln.line_no, ln.quantity)
                                        for ln in body.lines),
        shipping=body.shipping, amount=body.amount)
    return RefundOut(**ctx.run(lambda uow: refunds.refund_order(uow, order_id, request, idem)))


@router.get("/{order_id}/refunds", summary="Money given back on an order")
def list_refunds(order_id: str, ctx: ReadContext) -> RefundList:
    with ctx.read_uow() as uow:
        return RefundList(items=[RefundOut(**r) for r in refunds.list_refunds(uow, order_id)])


class ShipmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[RefundLineIn] = Field(min_length=1, max_length=MAX_LINES,
                                      description="Units that shipped, per line")
    carrier: str | None = Field(None, min_length=1, max_length=40)
    tracking_number: str | None = Field(None, min_length=1, max_length=100)


class ShipmentOut(BaseModel):
    id: str
    lines: list[dict] = Field(description="line_no, quantity and the value of those units")
    value: str = Field(description="What the shipment is worth (the first also carries the "
                                   "shipping charge)")
    captured: str = Field(description="Captured for it (channels that capture per shipment)")
    currency: str
    carrier: str | None
    tracking_number: str | None
    actor: str
    shipped_at: datetime


class ShipmentList(BaseModel):
    items: list[ShipmentOut]


@router.get("/{order_id}/shipments", summary="What shipped on an order")
def list_shipments(order_id: str, ctx: ReadContext) -> ShipmentList:
    with ctx.read_uow() as uow:
        return ShipmentList(items=[ShipmentOut(**s)
                                   for s in shipments.list_shipments(uow, order_id)])
