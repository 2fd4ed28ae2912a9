from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from ordermesh.http.deps import AdminContext
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.pagination import decode_cursor, encode_cursor
from ordermesh.webhooks import deliveries, service
from ordermesh.webhooks.schemas import (
    DeliveryPage,
    DeliveryRead,
    EndpointCreate,
    EndpointList,
    EndpointPatch,
    EndpointRead,
    EndpointWithSecret,
    ReplayResult,
    RotateSecret,
)

router = APIRouter(prefix="/api/v1", tags=["webhooks"])
ENDPOINTS = "/webhook-endpoints"
EndpointId = Annotated[str, Path(max_length=40, description="The endpoint's id",
                                 examples=["whe_01kb2m6c8n0000000000000000"])]
NOT_FOUND = {404: {"description": "No webhook endpoint with that id"}}


@router.post(ENDPOINTS, status_code=201, summary="Subscribe a URL to events",
             responses={422: {"description": "Unknown event type pattern or bad secret"}})
def create_endpoint(body: EndpointCreate, ctx: AdminContext) -> EndpointWithSecret:
    """Deliveries of the chosen event types that occur from now on are POSTed to `url`,
    signed as the Standard Webhooks specification says (`webhook-id`,
    `webhook-timestamp`, `webhook-signature`). The answer holds the signing secret: it is
    not shown again (rotate it to get a new one)."""
    idem = ctx.idempotency(body)
    endpoint, secret = ctx.run(lambda uow: service.create_endpoint(
        uow, str(body.url), body.event_types, body.description, body.secret, idem))
    return EndpointWithSecret.with_secret(endpoint, secret)


@router.get(ENDPOINTS, summary="List webhook endpoints, oldest first")
def list_endpoints(ctx: AdminContext) -> EndpointList:
    with ctx.read_uow() as uow:
        return EndpointList(items=[EndpointRead.of(e) for e in service.list_endpoints(uow)])


@router.get(ENDPOINTS + "/{endpoint_id}", summary="Get a webhook endpoint",
            responses=NOT_FOUND)
def get_endpoint(endpoint_id: EndpointId, ctx: AdminContext) -> EndpointRead:
    with ctx.read_uow() as uow:
        return EndpointRead.of(service.get_endpoint(uow, endpoint_id))


@router.patch(ENDPOINTS + "/{endpoint_id}", responses=NOT_FOUND,
              summary="Change an endpoint's URL or event types, or enable or disable it")
def update_endpoint(endpoint_id: EndpointId, body: EndpointPatch,
                    ctx: AdminContext) -> EndpointRead:
    """Only what is sent changes. Enabling a disabled endpoint resets its failure count;
    deliveries that waited while it was disabled go out again."""
    changes = body.model_dump(exclude_unset=True)
    for name in ("url", "event_types", "enabled"):
        if name in changes and changes[name] is None:
            raise InvalidInput.for_field(name, "may not be null")
    if "url" in changes:
        changes["url"] = str(body.url)
    return EndpointRead.of(ctx.run(lambda uow: service.update_endpoint(
        uow, endpoint_id, changes)))


@router.delete(ENDPOINTS + "/{endpoint_id}", status_code=204, responses=NOT_FOUND,
               summary="Remove an endpoint with its delivery log")
def delete_endpoint(endpoint_id: EndpointId, ctx: AdminContext) -> Response:
    ctx.run(lambda uow: service.delete_endpoint(uow, endpoint_id))
    return Response(status_code=204)


@router.post(ENDPOINTS + "/{endpoint_id}/rotate-secret", responses=NOT_FOUND,
             summary="Give an endpoint a new signing secret")
def rotate_secret(endpoint_id: EndpointId, body: RotateSecret,
                  ctx: AdminContext) -> EndpointWithSecret:
    """For `keep_previous_hours` every delivery carries two signatures, one per secret,
    so the receiver can switch to the new secret whenever it likes."""
    endpoint, secret = ctx.run(lambda uow: service.rotate_secret(
        uow, endpoint_id, timedelta(hours=body.keep_previous_hours), body.secret))
    return EndpointWithSecret.with_secret(endpoint, secret)


@router.get(ENDPOINTS + "/{endpoint_id}/deliveries", responses=NOT_FOUND,
            summary="The delivery log of an endpoint, newest first")
def list_deliveries(
    endpoint_id: EndpointId, ctx: AdminContext,
    status: Annotated[Literal["pending", "succeeded", "dead"] | None,
                      Query(description="Only deliveries in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> DeliveryPage:
    """Every delivery with its status, and its latest attempts with the endpoint's
    status code and how long each took."""
    with ctx.read_uow() as uow:
        items, more = deliveries.list_deliveries(
            uow, endpoint_id, status=status, before=decode_cursor(cursor), limit=limit)
    return DeliveryPage(items=[DeliveryRead.of(d) for d in items],
                        next_cursor=encode_cursor(more) if more is not None else None)


@router.post("/webhook-deliveries/{delivery_id}/replay", summary="Send a delivery again",
             responses={404: {"description": "No delivery with that id"}})
def replay_delivery(
    delivery_id: Annotated[str, Path(max_length=40)], ctx: AdminContext,
) -> DeliveryRead:
    """It is queued at once, whatever became of it, with a fresh retry period."""
    return DeliveryRead.of(ctx.run(lambda uow: deliveries.replay_delivery(uow, delivery_id)))


@router.post(ENDPOINTS + "/{endpoint_id}/replay", responses=NOT_FOUND,
             summary="Send the events of a time range again")
def replay_range(
    endpoint_id: EndpointId, ctx: AdminContext,
    from_: Annotated[datetime, Query(alias="from", description="Events that occurred at or "
                                     "after this time (ISO 8601 with offset)")],
    to: Annotated[datetime, Query(description="... and before this time")],
) -> ReplayResult:
    """Every event of the endpoint's types that occurred in the range is sent again, also
    events it never received (from before it was made, or while it was disabled). At most
    31 days and 10000 events at once."""
    for name, value in (("from", from_), ("to", to)):
        if value.tzinfo is None:
            raise InvalidInput.for_field(f"query.{name}", "give a time zone offset, e.g. Z")
    requeued, created = ctx.run(lambda uow: deliveries.replay_range(
        uow, endpoint_id, from_, to))
    return ReplayResult(requeued=requeued, created=created)
