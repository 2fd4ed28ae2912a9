"""Fulfilment orders over HTTP where the answer is a fulfilment order with its timeline
(status history and carrier tracking, ``flows/fulfilment_view.py``): read them, accept,
reject, pick; click-and-collect and 3PL reports; the hand-over to the carrier. Also
confirming a pick list, whose short units are sourced again (``flows/resourcing.py``). The
routes keep their paths and tags (``fulfilment``; the hand-over ``shipping``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ordermesh.flows import resourcing
from ordermesh.flows.fulfilment_view import read, timeline
from ordermesh.fulfilment import handoff, picking, pickup, queries, working
from ordermesh.fulfilment.model import FulfilmentKind, FulfilmentStatus
from ordermesh.fulfilment.schemas import (
    FulfilmentOrderPage,
    FulfilmentOrderRead,
    OrderFulfilment,
    PartnerAcceptedIn,
    PartnerShortIn,
    PickConfirm,
    PickListRead,
    PickupIn,
    ReadyForPickupOut,
    ReasonIn,
    RejectIn,
    StartPickingOut,
    line_units,
)
from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.pagination import MAX_PAGE_SIZE
from ordermesh.locations.service import location_by_code
from ordermesh.shipping import service as shipping

router = APIRouter(prefix="/api/v1", tags=["fulfilment"])
shipping_router = APIRouter(prefix="/api/v1", tags=["shipping"])


@router.get("/fulfilment-orders", summary="List fulfilment orders, newest first")
def list_fulfilment_orders(
    ctx: ReadContext,
    location: Annotated[str | None, Query(max_length=40, description="Location code")] = None,
    status: FulfilmentStatus | None = None,
    order: Annotated[str | None, Query(max_length=40, description="Order id or number")] = None,
    kind: FulfilmentKind | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> FulfilmentOrderPage:
    from ordermesh.orders.queries import order_ref

    with ctx.read_uow() as uow:
        location_id = location_by_code(uow, location, "query.location").id if location else None
        order_id = order_ref(uow, order).id if order else None
        page = queries.list_fulfilment_orders(
            uow, queries.FulfilmentFilter(location_id, status, order_id, kind), limit=limit,
            cursor=cursor)
        return FulfilmentOrderPage(items=[FulfilmentOrderRead.of(fo) for fo in page.items],
                                   next_cursor=page.next_cursor)


@router.get("/fulfilment-orders/{fo_id}",
            summary="A fulfilment order by id or number, with its timeline")
def get_fulfilment_order(fo_id: str, ctx: ReadContext) -> FulfilmentOrderRead:
    with ctx.read_uow() as uow:
        return read(uow, fo_id)


@router.get("/orders/{order_id}/fulfilment", summary="How an order is being fulfilled")
def order_fulfilment(order_id: str, ctx: ReadContext) -> OrderFulfilment:
    """Every fulfilment order of the order (one per location and shipment), each with
    its timeline."""
    from ordermesh.orders.queries import order_ref

    with ctx.read_uow() as uow:
        ref = order_ref(uow, order_id)
        fos = queries.fulfilment_for_order(uow, ref.id)
        return OrderFulfilment(order_id=ref.id, order_number=ref.number,
                               fulfilment_orders=[FulfilmentOrderRead.of(fo, timeline(uow, fo.id))
                                                  for fo in fos])


@router.post("/fulfilment-orders/{fo_id}/accept", summary="The location will fulfil it")
def accept(fo_id: str, ctx: WriteContext, body: ReasonIn | None = None) -> FulfilmentOrderRead:
    def work(uow: UnitOfWork) -> FulfilmentOrderRead:
        fo = working.accept(uow, fo_id, body.reason if body else None)
        return read(uow, fo.id)

    return ctx.run(work)


@router.post("/fulfilment-orders/{fo_id}/reject",
             summary="The location refuses it, or some units: they are sourced again")
def reject(fo_id: str, body: RejectIn, ctx: WriteContext) -> FulfilmentOrderRead:
    """Only units not yet picked can be refused. Sourcing finds them another location
    (never this one for these lines); what it cannot place becomes a backorder."""
    def work(uow: UnitOfWork) -> FulfilmentOrderRead:
        fo = resourcing.reject(uow, fo_id, line_units(body.lines), body.reason, commit=True)
        return read(uow, fo.id)

    return ctx.run(work)


@router.post("/fulfilment-orders/{fo_id}/start-picking", status_code=201,
             summary="Pick this fulfilment order now (a pick list of its own)")
def start_picking(fo_id: str, ctx: WriteContext) -> StartPickingOut:
    idem = ctx.idempotency({"fo_id": fo_id})

    def work(uow: UnitOfWork) -> StartPickingOut:
        pick_list = picking.start_picking(uow, fo_id, idem)
        fo_ref = pick_list.items[0].fo_id
        return StartPickingOut(fulfilment_order=read(uow, fo_ref),
                               pick_list=PickListRead.of(pick_list))

    return ctx.run(work)


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
        fo = resourcing.partner_short(uow, fo_id, line_units(body.lines), body.reason)
        return read(uow, fo.id)

    return ctx.run(work)


@router.post("/pick-lists/{pick_list_id}/confirm", summary="Record what was picked")
def confirm_pick_list(pick_list_id: str, body: PickConfirm, ctx: WriteContext) -> PickListRead:
    """Items not listed were picked in full. Fewer units than listed are a short pick:
    the missing units are written off the location's stock (inventory adjustment `lost`)
    and sourced again elsewhere. More than listed: 422 and nothing changes."""
    idem = ctx.idempotency(body)
    picked = {}
    for item in body.items:
        picked[item.position] = picked.get(item.position, 0) + item.picked_quantity
    return PickListRead.of(ctx.run(lambda uow: resourcing.confirm_pick_list(
        uow, pick_list_id, picked, body.reason, idem)))


@shipping_router.post("/fulfilment-orders/{fo_id}/handover",
             summary="The parcels are handed to the carrier: the order ships")
def hand_over(fo_id: str, ctx: WriteContext,
              body: ReasonIn | None = None) -> FulfilmentOrderRead:
    """A booked (`label_created`) or packed fulfilment order becomes `shipped`: its units
    leave the location's stock and the order records the shipment (`shipped`, or
    `partially_shipped` while other units are still to go), with the capture and invoice
    of a channel that takes them per shipment. The carrier's first scan does the same
    when nobody presses this."""
    idem = ctx.idempotency(body)

    def work(uow: UnitOfWork) -> FulfilmentOrderRead:
        fo = shipping.hand_over_now(uow, fo_id, body.reason if body else None, idem)
        return read(uow, fo.id)

    return ctx.run(work)
