"""Click-and-collect and 3PL reports over HTTP."""

from __future__ import annotations

from ordermesh.fulfilment import handoff, pickup
from ordermesh.fulfilment.api_orders import read
from ordermesh.fulfilment.routing import router
from ordermesh.fulfilment.schemas import (
    FulfilmentOrderRead,
    PartnerAcceptedIn,
    PartnerShortIn,
    PickupIn,
    ReadyForPickupOut,
    ReasonIn,
    line_units,
)
from ordermesh.http.deps import WriteContext
from ordermesh.kit.db import UnitOfWork


@router.post("/fulfilment-orders/{fo_id}/ready-for-pickup",
             summary="Click-and-collect: at the counter; issues the pickup code")
def ready_for_pickup(fo_id: str, ctx: WriteContext,
                     body: ReasonIn | None = None) -> ReadyForPickupOut:
    """After picking (or packing). The code is in this response and in the event
    `fulfilment.ready_for_pickup` (for the message to the customer), and nowhere else:
    only its hash is kept."""
    def work(uow: UnitOfWork) -> ReadyForPickupOut:
        ready = pickup.ready_for_pickup(uow, fo_id, body.reason if body else None)
        return ReadyForPickupOut(fulfilment_order=read(uow, ready.fulfilment_order.id),
                                 pickup_code=ready.pickup_code, hold_until=ready.hold_until)

    return ctx.run(work)


@router.post("/fulfilment-orders/{fo_id}/pickup-code",
             summary="Click-and-collect: issue a new pickup code")
def reissue_pickup_code(fo_id: str, ctx: WriteContext) -> ReadyForPickupOut:
    """The old code stops working and the wrong-code counter starts again."""
    def work(uow: UnitOfWork) -> ReadyForPickupOut:
        ready = pickup.reissue_code(uow, fo_id)
        return ReadyForPickupOut(fulfilment_order=read(uow, ready.fulfilment_order.id),
                                 pickup_code=ready.pickup_code, hold_until=ready.hold_until)

    return ctx.run(work)


@router.post("/fulfilment-orders/{fo_id}/pickup",
             summary="Click-and-collect: the customer collects (code verified)")
def pick_up(fo_id: str, body: PickupIn, ctx: WriteContext) -> FulfilmentOrderRead:
    """A wrong code: 422, counted (5 wrong codes lock the pickup until a new code is
    issued), nothing else changes. The right code: the units are handed over (the order
    records them as shipped) and the order completes when nothing else is open."""
    idem = ctx.idempotency(body)

    def work(uow: UnitOfWork) -> FulfilmentOrderRead:
        fo = pickup.pick_up(uow, fo_id, body.code, idem)
        return read(uow, fo.id)

    return ctx.run(work)


@router.post("/fulfilment-orders/{fo_id}/3pl/accepted", summary="3PL: will fulfil it")
def partner_accepted(fo_id: str, body: PartnerAcceptedIn,
                     ctx: WriteContext) -> FulfilmentOrderRead:
    def work(uow: UnitOfWork) -> FulfilmentOrderRead:
        fo = handoff.partner_accepted(uow, fo_id, body.reference)
        return read(uow, fo.id)

    return ctx.run(work)


# POST /fulfilment-orders/{id}/3pl/shipped is flows/handoff_api.py (packing and shipping
# take part).


@router.post("/fulfilment-orders/{fo_id}/3pl/short",
             summary="3PL: units it does not have (sourced again elsewhere)")
def partner_short(fo_id: str, body: PartnerShortIn, ctx: WriteContext) -> FulfilmentOrderRead:
    def work(uow: UnitOfWork) -> FulfilmentOrderRead:
        fo = handoff.partner_short(uow, fo_id, line_units(body.lines), body.reason)
        return read(uow, fo.id)

    return ctx.run(work)
