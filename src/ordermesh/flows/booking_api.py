"""HTTP routes of booking the carrier (``flows/booking.py``): book, and quote."""

from __future__ import annotations

from fastapi import APIRouter

from ordermesh.flows import booking
from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.shipping.api import QuoteList, QuoteOut, ShipIn, ShipmentOut

router = APIRouter(prefix="/api/v1", tags=["shipping"])

_UNANSWERED = {503: {"description": "The carrier did not answer in time (`booking-outcome-"
                     "unknown`, with `intent_id`, `intent_status` and `Retry-After`): "
                     "nothing is recorded and whether the carrier booked is not known yet. "
                     "Retry with the same `Idempotency-Key`; the carrier is asked again with "
                     "the same key and books nothing twice (the worker finishes it "
                     "otherwise)", "content": {"application/problem+json": {}}}}
_CONFLICT = {409: {"description": "Not packed (`illegal-transition`), booked already, no "
                   "shipping address, another booking of it under way (`booking-in-"
                   "progress`, or another carrier or service asked for), or given up after "
                   "the last attempt (with `intent_id`); nothing changed"}}


@router.post("/fulfilment-orders/{fo_id}/ship", status_code=201,
             summary="Book the carrier and pick-up for a packed fulfilment order",
             responses={**_CONFLICT, **_UNANSWERED})
def ship_fulfilment_order(fo_id: str, ctx: WriteContext,
                          body: ShipIn | None = None) -> ShipmentOut:
    """One tracking number per package and a pick-up window: the labels can be printed
    and the fulfilment order is `label_created`. The order is not shipped yet: that
    happens at the hand-over (`POST /fulfilment-orders/{id}/handover`, or the carrier's
    first scan).

    The carrier is called outside any database transaction, with a key that is the same
    on every attempt of this booking. When it does not answer in time the answer is
    `503 booking-outcome-unknown` with `Retry-After`, `intent_id` and `intent_status`:
    nothing is recorded yet, and whether the carrier booked is not known. Repeat the
    request (with the same `Idempotency-Key`): the carrier is asked again with the same
    key, books nothing twice, and the shipment is answered `201`. The worker's
    `carrier-bookings` job finishes it too when nobody asks."""
    body = body or ShipIn()
    idem = ctx.idempotency(body)
    return ShipmentOut.of(booking.ship(ctx.transactions(), fo_id, body.carrier,
                                       body.service, idem))


@router.get("/fulfilment-orders/{fo_id}/rates",
            summary="Rate quotes of a carrier's services for a packed fulfilment order")
def rates(fo_id: str, ctx: ReadContext, carrier: str | None = None) -> QuoteList:
    with ctx.read_uow() as uow:
        code, quotes = booking.quotes_for(uow, fo_id, carrier)
    return QuoteList(carrier=code, items=[QuoteOut(
        service=q.service, price=str(q.price.amount), currency=q.price.currency,
        transit_days=q.transit_days) for q in quotes])
