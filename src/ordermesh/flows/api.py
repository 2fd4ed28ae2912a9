"""HTTP routes of the steps that span features (thin: parse, run the flow, answer)."""

from __future__ import annotations

from fastapi import APIRouter

from ordermesh.flows.shipments import ship_units
from ordermesh.http.deps import WriteContext
from ordermesh.orders import shipments
from ordermesh.orders.money_api import ShipmentIn, ShipmentOut

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


@router.post("/{order_id}/shipments", status_code=201,
             summary="Record units that shipped without the pick and pack screens")
def record_shipment(order_id: str, body: ShipmentIn, ctx: WriteContext) -> ShipmentOut:
    """The units leave through the one fulfilment order that holds them (a short form of
    its hand-over): they count as shipped on it, never cancelled, and it is `shipped`
    once nothing is left open on it; a packed or booked one asked for whole is handed
    over. Moves the order to processing, partially shipped or shipped; captures the
    shipment's value when the channel captures per shipment, and invoices it when the
    channel's tax point is the shipment. Units on two fulfilment orders, or some of a
    packed one's units: `409`."""
    idem = ctx.idempotency(body)
    lines = [shipments.ShipLine(ln.line_no, ln.quantity) for ln in body.lines]
    return ShipmentOut(**ctx.run(lambda uow: ship_units(
        uow, order_id, lines, body.carrier, body.tracking_number, idem)))
