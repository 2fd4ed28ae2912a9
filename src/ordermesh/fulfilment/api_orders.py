"""Fulfilment orders over HTTP: read them (with their timeline), accept, reject, pick."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from ordermesh.fulfilment import picking, queries, working
from ordermesh.fulfilment.model import FulfilmentKind, FulfilmentStatus
from ordermesh.fulfilment.routing import router
from ordermesh.fulfilment.schemas import (
    FulfilmentOrderPage,
    FulfilmentOrderRead,
    OrderFulfilment,
    PickListRead,
    ReasonIn,
    RejectIn,
    StartPickingOut,
    line_units,
)
from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.pagination import MAX_PAGE_SIZE
from ordermesh.locations.service import location_by_code


def timeline(uow: UnitOfWork, fo_id: str) -> list[dict]:
    """Our status history and the carrier's tracking events, oldest first."""
    from ordermesh.shipping.tracking import events_for

    entries = [{"type": "status", "at": h.at, "status": h.to_status.value,
                "from_status": h.from_status.value if h.from_status else None,
                "reason": h.reason, "actor": h.actor, "details": h.details}
               for h in queries.history_of(uow, fo_id)]
    for event in events_for(uow, [fo_id]).get(fo_id, []):
        entries.append({"type": "tracking", "at": event["at"], "status": event.get("status"),
                        "reason": event.get("description"),
                        "details": {k: v for k, v in event.items()
                                    if k not in ("type", "at", "status", "description")}})
    return sorted(entries, key=lambda e: e["at"])


def read(uow: UnitOfWork, fo_id: str) -> FulfilmentOrderRead:
    fo = queries.get_fulfilment_order(uow, fo_id)
    return FulfilmentOrderRead.of(fo, timeline(uow, fo.id))


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
        fo = working.reject(uow, fo_id, line_units(body.lines), body.reason, commit=True)
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
