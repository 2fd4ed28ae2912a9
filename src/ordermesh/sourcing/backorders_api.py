"""Backorders through the API: an agent asks to source an order's backorders now."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ordermesh.http.deps import WriteContext
from ordermesh.orders.queries import load_order
from ordermesh.orders.schemas import OrderRead
from ordermesh.sourcing.backorders import source_order_backorders

router = APIRouter(tags=["sourcing"])


class SourceBackordersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(None, max_length=500)


class SourcedBackorders(BaseModel):
    sourced_units: int = Field(description="Backordered units sourced now (0: still none "
                                           "available)")
    order: OrderRead


@router.post(
    "/orders/{order_id}/backorders/source", summary="Source an order's backorders now",
    responses={404: {"description": "No such order"},
               409: {"description": "The order has no backordered units, or is on hold, "
                                    "cancelled or finished"}})
def source_backorders_now(order_id: str, ctx: WriteContext,
                          body: SourceBackordersIn | None = None) -> SourcedBackorders:
    """What the worker does when stock arrives, for one order at once: its backordered
    units are sourced from the stock there is now (a sourcing decision is recorded and
    fulfilment released); what is still missing stays backordered."""
    reason = body.reason if body else None

    def work(uow) -> SourcedBackorders:
        sourced = source_order_backorders(uow, order_id, reason)
        return SourcedBackorders(sourced_units=sourced, order=OrderRead.of(
            load_order(uow, order_id)))

    return ctx.run(work)
