"""The route that places an order (``POST /api/v1/orders``): the placement flow, a batch
of one (``flows.placement``)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ordermesh.flows import placement
from ordermesh.flows.batcher import batcher_for
from ordermesh.http.deps import WriteContext
from ordermesh.orders.api import REPLAYED_HEADER, command_from
from ordermesh.orders.schemas import OrderCreate, OrderRead

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])


@router.post(
    "", status_code=201, summary="Place an order", response_model=OrderRead,
    responses={409: {"description": "Not enough stock (each short SKU is listed), or the "
                                    "channel already has this external_id with other content"},
               422: {"description": "Invalid input; nothing was written"}},
)
def place_order(body: OrderCreate, ctx: WriteContext) -> Response:
    """Reserves every line atomically, or writes nothing. Retries are safe with an
    `Idempotency-Key`, and orders are unique per channel and `external_id`: a retry returns
    the order placed the first time, with the header `Idempotent-Replayed: true`."""
    command, idem = command_from(body), ctx.idempotency(body)
    settings = ctx.container.settings
    if settings.placement_batching:  # with whatever else arrived meanwhile
        batcher = batcher_for(ctx.container.engine, ctx.container.clock,
                              settings.placement_batch_max)
        placed = batcher.place(placement.Placement(
            command, idem, request_id=ctx.request_id, client_address=ctx.client_address),
            ctx.principal.actor)
    else:
        placed = ctx.run(lambda uow: placement.place_order(uow, command, idem))
    # Serialised here, once: the hot path skips FastAPI's second pass over the model.
    return Response(OrderRead.of(placed.order).model_dump_json(), status_code=201,
                    media_type="application/json",
                    headers={REPLAYED_HEADER: "true"} if placed.replayed else None)
