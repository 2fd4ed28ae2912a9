from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.pagination import MAX_PAGE_SIZE
from ordermesh.orders import changes, queries, service
from ordermesh.orders.model import CancelRequest, Order, OrderStatus, ShippingAddress
from ordermesh.orders.schemas import (
    OrderCancel,
    OrderCreate,
    OrderHold,
    OrderPage,
    OrderRead,
    OrderReleaseHold,
    OrderSummary,
)

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])

REPLAYED_HEADER = "Idempotent-Replayed"


def command_from(body: OrderCreate) -> service.PlaceOrder:
    """The use case's command for an order body (the API and the import share it)."""
    return service.PlaceOrder(
        channel=body.channel,
        external_id=body.external_id,
        currency=body.currency,
        customer=service.CustomerDetails(**body.customer.model_dump()) if body.customer else None,
        shipping_address=ShippingAddress(**body.shipping_address.model_dump())
        if body.shipping_address else None,
        lines=[service.PlaceLine(ln.sku, ln.quantity, ln.unit_price, ln.discount,
                                 ln.discount_reason) for ln in body.lines],
        shipping_price=body.shipping_price,
        reservation_id=body.reservation_id,
        note=body.note,
        discount=body.discount,
        discount_reason=body.discount_reason,
        buyer_vat_id=body.buyer_vat_id,
        fulfilment=service.FulfilmentRequest(**body.fulfilment.model_dump())
        if body.fulfilment else None,
    )


def _utc(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError as exc:
        raise InvalidInput.for_field(f"query.{name}", "date is out of range") from exc


@router.get("", summary="List orders, newest first")
def list_orders(
    ctx: ReadContext,
    channel: Annotated[str | None, Query(max_length=40, description="Channel code")] = None,
    status: OrderStatus | None = None,
    customer: Annotated[str | None, Query(max_length=40, description="Customer id")] = None,
    created_from: Annotated[datetime | None, Query(description="Inclusive, ISO 8601")] = None,
    created_to: Annotated[datetime | None, Query(description="Exclusive, ISO 8601")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> OrderPage:
    flt = queries.OrderFilter(channel, status, customer, _utc(created_from, "created_from"),
                              _utc(created_to, "created_to"))
    with ctx.read_uow() as uow:
        page = queries.list_orders(uow, flt, limit=limit, cursor=cursor)
    return OrderPage(items=[OrderSummary.of(o) for o in page.items], next_cursor=page.next_cursor)


@router.get("/{order_id}", summary="Get an order by id or number")
def get_order(order_id: str, ctx: ReadContext) -> OrderRead:
    with ctx.read_uow() as uow:
        return OrderRead.of(queries.load_order(uow, order_id))


@router.post("/{order_id}/cancel", summary="Cancel an order, or some units of some lines")
def cancel_order(order_id: str, body: OrderCancel, ctx: WriteContext) -> OrderRead:
    """Gives back exactly the reserved units. Without `lines` the whole order is cancelled;
    once no line has open units left the order's status becomes `cancelled`."""
    requests = ([CancelRequest(ln.line_no, ln.quantity) for ln in body.lines]
                if body.lines is not None else None)
    idem = ctx.idempotency(body)

    def cancel(uow: UnitOfWork) -> Order:
        cancelled = changes.cancel_order(uow, order_id, requests, body.reason, idem)
        uow.commit()  # then the money it gives back or releases is sent: read it after
        return queries.load_order(uow, cancelled.id)

    return OrderRead.of(ctx.run(cancel))


@router.post("/{order_id}/hold", summary="Put an order on hold")
def hold_order(order_id: str, body: OrderHold, ctx: WriteContext) -> OrderRead:
    idem = ctx.idempotency(body)
    return OrderRead.of(ctx.run(lambda uow: changes.hold_order(uow, order_id, body.reason, idem)))


@router.post("/{order_id}/release-hold", summary="Release a hold")
def release_hold(order_id: str, body: OrderReleaseHold, ctx: WriteContext) -> OrderRead:
    """The order returns to the status it had before it was put on hold."""
    idem = ctx.idempotency(body)
    return OrderRead.of(ctx.run(
        lambda uow: changes.release_hold(uow, order_id, body.reason, idem)))
