"""Bins and pick lists over HTTP."""

from __future__ import annotations

from ordermesh.fulfilment import picking
from ordermesh.fulfilment.routing import router
from ordermesh.fulfilment.schemas import (
    BinIn,
    BinList,
    BinOut,
    PickListCreate,
    PickListRead,
)
from ordermesh.http.deps import ReadContext, WriteContext


@router.put("/locations/{code}/bins", summary="Set where each SKU is kept at a location")
def set_bins(code: str, body: list[BinIn], ctx: WriteContext) -> BinList:
    """Replaces the location's bins. Pick lists walk the location in bin order (natural
    order: A-2 before A-10); SKUs without a bin come last."""
    items = ctx.run(lambda uow: picking.set_bins(uow, code, [(b.sku, b.bin) for b in body]))
    return BinList(location=code, items=[BinOut(**b) for b in items])


@router.get("/locations/{code}/bins", summary="Where each SKU is kept at a location")
def get_bins(code: str, ctx: ReadContext) -> BinList:
    with ctx.read_uow() as uow:
        return BinList(location=code, items=[BinOut(**b) for b in picking.list_bins(uow, code)])


@router.post("/pick-lists", status_code=201,
             summary="Batch a location's released fulfilment orders into one pick list")
def create_pick_list(body: PickListCreate, ctx: WriteContext) -> PickListRead:
    """Up to `max_orders` released or accepted fulfilment orders of the location, most
    urgent (`ship_by`) first; orders on hold wait. Their picking starts; the items are
    ordered by bin. 409 when there is nothing to pick."""
    idem = ctx.idempotency(body)
    return PickListRead.of(ctx.run(lambda uow: picking.create_pick_list(
        uow, body.location, body.max_orders, None, idem)))


@router.get("/pick-lists/{pick_list_id}", summary="A pick list, items in bin order")
def get_pick_list(pick_list_id: str, ctx: ReadContext) -> PickListRead:
    with ctx.read_uow() as uow:
        return PickListRead.of(picking.get_pick_list(uow, pick_list_id))
