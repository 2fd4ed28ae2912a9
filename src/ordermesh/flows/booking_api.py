"""HTTP routes of booking the carrier (``flows/booking.py``): book, and quote."""

from __future__ import annotations

from fastapi import APIRouter

from ordermesh.flows import booking
from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.shipping.api import QuoteList, QuoteOut, ShipIn, ShipmentOut

router = APIRouter(prefix="/api/v1", tags=["shipping"])


@router.post("/fulfilment-orders/{fo_id}/ship", status_code=201,
             summary="Book the carrier and pick-up for a packed fulfilment order")
def ship_fulfilment_order(fo_id: str, ctx: WriteContext,
                          body: ShipIn | None = None) -> ShipmentOut:
    """One tracking number per package and a pick-up window: the labels can be printed
    and the fulfilment order is `label_created`. The order is not shipped yet: that
    happens at the hand-over (`POST /fulfilment-orders/{id}/handover`, or the carrier's
    first scan)."""
    body = body or ShipIn()
    idem = ctx.idempotency(body)
    return ShipmentOut.of(ctx.run(lambda uow: booking.ship(uow, fo_id, body.carrier,
                                                           body.service, idem)))


@router.get("/fulfilment-orders/{fo_id}/rates",
            summary="Rate quotes of a carrier's services for a packed fulfilment order")
def rates(fo_id: str, ctx: ReadContext, carrier: str | None = None) -> QuoteList:
    with ctx.read_uow() as uow:
        code, quotes = booking.quotes_for(uow, fo_id, carrier)
    return QuoteList(carrier=code, items=[QuoteOut(
        service=q.service, price=str(q.price.amount), currency=q.price.currency,
        transit_days=q.transit_days) for q in quotes])
