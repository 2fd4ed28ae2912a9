"""The drop-ship supplier's partner API: its open purchase orders and its answers.

Called with a partner key (role ``supplier``, ``POST /api/v1/api-keys`` with
``supplier``): the key decides which supplier is calling, and another supplier's
drop-ship order is answered 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from ordermesh.dropship import service
from ordermesh.dropship.schemas import PartnerDropshipList, PartnerDropshipRead
from ordermesh.flows import dropship_partner as partner
from ordermesh.fulfilment.schemas import LineQuantityIn, PartnerShortIn, ReasonIn, line_units
from ordermesh.http.deps import RequestContext, WriteContext
from ordermesh.kit.errors import Forbidden

router = APIRouter(prefix="/api/v1/partner/dropship-orders", tags=["dropship"])
MAX_LINES = 500


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reference: str | None = Field(None, max_length=100,
                                  description="Your own order number, shown to the merchant")


class ShipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    carrier: str = Field(min_length=1, max_length=40, description="The carrier's code, as "
                         "the merchant's carrier accounts name it (e.g. `ups`)")
    tracking_number: str = Field(min_length=1, max_length=60)
    lines: list[LineQuantityIn] = Field(min_length=1, max_length=MAX_LINES, description=(
        "Units in this parcel per line; lines and units left out stay open"))


class RefuseCancellationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500, examples=["shipped on Monday"])
    carrier: str | None = Field(None, min_length=1, max_length=40)
    tracking_number: str | None = Field(None, min_length=1, max_length=60)


def _supplier(ctx: RequestContext) -> str:
    if not ctx.principal.supplier_id:  # a supplier key always names one (apikeys)
        raise Forbidden("This key speaks for no supplier")
    return ctx.principal.supplier_id


@router.get("", summary="Partner: your drop-ship purchase orders")
def list_open(
    ctx: WriteContext,
    open_only: Annotated[bool, Query(alias="open", description=(
        "Only those still to answer or ship (default); false: all of yours"))] = True,
) -> PartnerDropshipList:
    """Oldest first, at most 100: ship them to `ship_to`, the customer's address."""
    supplier_id = _supplier(ctx)
    with ctx.read_uow() as uow:
        return PartnerDropshipList(items=[PartnerDropshipRead.of(ds) for ds in
                                          service.list_dropships(uow, supplier_id=supplier_id,
                                                                 open_only=open_only)])


@router.get("/{ds_id}", summary="Partner: one of your drop-ship purchase orders")
def get_one(ds_id: str, ctx: WriteContext) -> PartnerDropshipRead:
    supplier_id = _supplier(ctx)
    with ctx.read_uow() as uow:
        return PartnerDropshipRead.of(service.lock_dropship(uow, ds_id, supplier_id,
                                                                for_update=False))


@router.post("/{ds_id}/accept", summary="Partner: you will ship it")
def accept(ds_id: str, ctx: WriteContext, body: AcceptIn | None = None) -> PartnerDropshipRead:
    """Only a `requested` order. Writes `dropship.accepted`."""
    supplier_id = _supplier(ctx)
    return PartnerDropshipRead.of(ctx.run(lambda uow: partner.accept(
        uow, ds_id, supplier_id, body.reference if body else None)))


@router.post("/{ds_id}/reject", summary="Partner: you will not ship it")
def reject(ds_id: str, ctx: WriteContext, body: ReasonIn | None = None) -> PartnerDropshipRead:
    """Whole, before anything shipped (`requested` or `accepted`). Its units go back to
    the merchant's sourcing. Writes `dropship.rejected`."""
    supplier_id = _supplier(ctx)
    return PartnerDropshipRead.of(ctx.run(lambda uow: partner.reject(
        uow, ds_id, supplier_id, body.reason if body else None)))


@router.post("/{ds_id}/ship", summary="Partner: a parcel left for the customer")
def ship(ds_id: str, body: ShipIn, ctx: WriteContext) -> PartnerDropshipRead:
    """Carrier, tracking number and the units in the parcel; the rest stays open. More
    units than are open: 422, nothing changed. Honours `Idempotency-Key`. Writes
    `dropship.shipped`; the customer's order records the shipment."""
    supplier_id = _supplier(ctx)
    idem = ctx.idempotency(body)
    return PartnerDropshipRead.of(ctx.run(lambda uow: partner.ship(
        uow, ds_id, supplier_id, body.carrier, body.tracking_number, line_units(body.lines),
        idem)))


@router.post("/{ds_id}/short", summary="Partner: units you do not have")
def short(ds_id: str, body: PartnerShortIn, ctx: WriteContext) -> PartnerDropshipRead:
    """They come off the order and go back to the merchant's sourcing. Writes
    `dropship.shorted`."""
    supplier_id = _supplier(ctx)
    return PartnerDropshipRead.of(ctx.run(lambda uow: partner.short(
        uow, ds_id, supplier_id, line_units(body.lines), body.reason)))


@router.post("/{ds_id}/cancellation/accept",
             summary="Partner: you will not ship the units the merchant cancelled")
def accept_cancellation(ds_id: str, ctx: WriteContext) -> PartnerDropshipRead:
    """Every unit awaiting your answer (`cancel_requested` on its line) is cancelled on
    your side too. Nothing awaiting: 409. Writes `dropship.cancel_accepted`."""
    supplier_id = _supplier(ctx)
    return PartnerDropshipRead.of(ctx.run(lambda uow: partner.accept_cancellation(
        uow, ds_id, supplier_id)))


@router.post("/{ds_id}/cancellation/refuse",
             summary="Partner: the cancelled units had left already")
def refuse_cancellation(ds_id: str, body: RefuseCancellationIn, ctx: WriteContext
                        ) -> PartnerDropshipRead:
    """The units awaiting your answer shipped before the cancellation reached you: say
    why, with the parcel's carrier and tracking number. The merchant sees the order
    `cancel_refused` and pays for them. Nothing awaiting: 409. Writes
    `dropship.cancel_refused`."""
    supplier_id = _supplier(ctx)
    return PartnerDropshipRead.of(ctx.run(lambda uow: partner.refuse_cancellation(
        uow, ds_id, supplier_id, body.reason, body.carrier, body.tracking_number)))
