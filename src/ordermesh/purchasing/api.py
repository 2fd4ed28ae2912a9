"""Purchase orders: draft, send, confirm, receive, close (short), cancel, and the PDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.kit.pagination import MAX_PAGE_SIZE
from ordermesh.purchasing import receipts, service
from ordermesh.purchasing.model import POStatus
from ordermesh.purchasing.pdf import document_of, render_po_pdf
from ordermesh.purchasing.schemas import (
    ArrivedLineRead,
    POConfirm,
    POCreate,
    POPage,
    PORead,
    ReasonIn,
    ReceiptIn,
    ReceiptRead,
)

router = APIRouter(prefix="/api/v1/purchase-orders", tags=["purchasing"])

POId = Annotated[str, Path(max_length=40, description="The purchase order's id")]


def _problems(by_status: dict[int, str]) -> dict[int | str, dict]:
    return {status: {"description": text} for status, text in by_status.items()}


def _line(i: int, ln) -> service.NewLine:
    return service.NewLine(ln.sku, ln.quantity,
                           ln.unit_cost.to_money(f"lines.{i}.unit_cost.amount")
                           if ln.unit_cost else None, ln.expected_date)


@router.post("", status_code=201, summary="Draft a purchase order",
             responses=_problems({404: "No such supplier",
                                  422: "Blocked supplier, unknown SKU or location, a cost in "
                                  "another currency or no price"}))
def create_po(body: POCreate, ctx: WriteContext) -> PORead:
    """A draft in the supplier's currency, lines at cost: a line without `unit_cost`
    takes the supplier's price for its quantity. Nothing is expected in stock until the
    order is sent. Writes `purchase_order.created`."""
    cmd = service.NewPurchaseOrder(
        body.supplier, body.location, tuple(_line(i, ln) for i, ln in enumerate(body.lines)),
        body.expected_date, body.reference, body.note, body.tolerance_percent)
    idem = ctx.idempotency(body)
    return PORead.of(ctx.run(lambda uow: service.create_po(uow, cmd, idem)))


@router.get("", summary="List purchase orders, newest first")
def list_pos(ctx: ReadContext,
             supplier: Annotated[str | None, Query(max_length=40)] = None,
             status: POStatus | None = None,
             limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
             cursor: Annotated[str | None, Query(max_length=200)] = None) -> POPage:
    with ctx.read_uow() as uow:
        page = service.list_pos(uow, supplier=supplier, status=status, limit=limit,
                                cursor=cursor)
    return POPage(items=[PORead.of(o) for o in page.items], next_cursor=page.next_cursor)


@router.get("/{po_id}", summary="Get a purchase order",
            responses=_problems({404: "No such purchase order"}))
def get_po(po_id: POId, ctx: ReadContext) -> PORead:
    with ctx.read_uow() as uow:
        return PORead.of(service.get_po(uow, po_id))


@router.post("/{po_id}/send", summary="Send: the lines become expected supply",
             responses=_problems({404: "No such purchase order",
                                  409: "Not a draft, supplier on hold, or below the "
                                  "supplier's minimum order",
                                  422: "The supplier is blocked"}))
def send_po(po_id: POId, ctx: WriteContext) -> PORead:
    """draft → sent. Each line becomes open expected supply (kind `purchase_order`) at
    the order's location, which availability and inventory health count as incoming.
    The supplier's ordering contact is e-mailed the PDF by the worker after commit
    (`notifications`; `skipped` when no contact has an e-mail). Writes
    `purchase_order.sent`, a `supply.created` per line and
    `purchase_order.notification_queued` (or `…_skipped`)."""
    return PORead.of(ctx.run(lambda uow: service.send_po(uow, po_id)))


@router.post("/{po_id}/notifications", status_code=202,
             summary="E-mail the order to the supplier again",
             responses=_problems({404: "No such purchase order",
                                  409: "Not sent yet, finished, or the supplier has no "
                                  "contact with an e-mail"}))
def resend_po(po_id: POId, ctx: WriteContext) -> PORead:
    """Queues another e-mail of the order (its PDF as it stands now) to the supplier's
    ordering contact, sent by the worker. Writes `purchase_order.notification_queued`."""
    return PORead.of(ctx.run(lambda uow: service.resend_po(uow, po_id)))


@router.post("/{po_id}/confirm", summary="Record the supplier's confirmation",
             responses=_problems({404: "No such purchase order", 409: "Not sent"}))
def confirm_po(po_id: POId, body: POConfirm, ctx: WriteContext) -> PORead:
    """sent → confirmed with the supplier's quantities and dates; a line whose quantity
    or date changed has its expected supply replaced. Writes `purchase_order.confirmed`."""
    confirmations = [service.Confirmation(c.line_no, c.quantity, c.date) for c in body.lines]
    return PORead.of(ctx.run(lambda uow: service.confirm_po(uow, po_id, confirmations)))


@router.post("/{po_id}/receipts", status_code=201, summary="Receive goods against the order",
             responses=_problems({404: "No such purchase order",
                                  409: "Cancelled, closed or draft order, or more than "
                                  "the line's tolerance allows",
                                  422: "A SKU not on the order"}))
def receive_po(po_id: POId, body: ReceiptIn, ctx: WriteContext) -> ReceiptRead:
    """Accepted units are booked into stock with inventory's receipt movement against
    the line's expected supply (up to `tolerance_percent` over what is due); rejected
    units (damaged on arrival) are recorded only. The order becomes `partly_received` or
    `received`. Writes `purchase_order.received` and `inventory.received` per booking."""
    arrived = [receipts.ArrivedLine(a.sku, a.accepted, a.rejected) for a in body.lines]
    idem = ctx.idempotency(body)
    done = ctx.run(lambda uow: receipts.receive_po(uow, po_id, arrived, body.note, idem))
    return ReceiptRead(receipt_id=done.id, purchase_order=PORead.of(done.order),
                       lines=[ArrivedLineRead(sku=a.sku, accepted=a.accepted,
                                              rejected=a.rejected) for a in done.lines])


@router.post("/{po_id}/close", summary="Close, short if units are still open",
             responses=_problems({404: "No such purchase order",
                                  409: "Draft, closed or cancelled"}))
def close_po(po_id: POId, body: ReasonIn, ctx: WriteContext) -> PORead:
    """→ closed. Open units will not come: their expected supply is cancelled. Writes
    `purchase_order.closed` (with `short: true` when units were missing)."""
    return PORead.of(ctx.run(lambda uow: service.close_po(uow, po_id, body.reason)))


@router.post("/{po_id}/cancel", summary="Cancel an order nothing arrived for",
             responses=_problems({404: "No such purchase order",
                                  409: "Goods received already, or closed"}))
def cancel_po(po_id: POId, body: ReasonIn, ctx: WriteContext) -> PORead:
    """draft, sent or confirmed → cancelled; its expected supply is cancelled. Writes
    `purchase_order.cancelled`."""
    return PORead.of(ctx.run(lambda uow: service.cancel_po(uow, po_id, body.reason)))


@router.get("/{po_id}/pdf", summary="Download the purchase order as PDF",
            response_class=Response,
            responses={200: {"content": {"application/pdf": {}},
                             "description": "The PDF, as an attachment"},
                       404: {"description": "No such purchase order"}})
def po_pdf(po_id: POId, ctx: ReadContext) -> Response:
    with ctx.read_uow() as uow:
        order, supplier, deliver_to = document_of(uow, po_id)
    return Response(render_po_pdf(order, supplier, deliver_to), media_type="application/pdf",
                    headers={"Content-Disposition":
                             f'attachment; filename="{order.number}.pdf"'})
