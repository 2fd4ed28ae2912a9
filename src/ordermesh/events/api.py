from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from ordermesh.events.audit import MAX_ENTRIES, AuditFilter, audit_log
from ordermesh.http.deps import AdminContext, ReadContext
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.outbox import assign_positions, read_events

router = APIRouter(prefix="/api/v1/events", tags=["events"])

MAX_EVENTS = 1000


class EventRead(BaseModel):
    position: int
    id: str
    type: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]
    actor: str
    occurred_at: datetime


class EventPage(BaseModel):
    items: list[EventRead]
    next_after: int


@router.get("", summary="Read the event log in order")
def list_events(
    ctx: ReadContext,
    after: Annotated[
        int, Query(ge=0, le=2**63 - 1, description="Return events after this position")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_EVENTS)] = 100,
    type: Annotated[str | None, Query(max_length=80, description="Type prefix, e.g. 'order.'")]
    = None,
) -> EventPage:
    """Every state change writes one event in the same transaction. Events get their
    `position` in the order they became visible, so a reader polling with
    `after=<next_after>` never misses one; dedupe on `id`."""
    ctx.run(assign_positions)
    with ctx.read_uow() as uow:
        events = read_events(uow, after=after, limit=limit, type_prefix=type)
    items = [EventRead(**vars(e)) for e in events]
    return EventPage(items=items, next_after=items[-1].position if items else after)


audit_router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditEntryRead(BaseModel):
    event_id: str = Field(description="The event this entry is (as in `GET /api/v1/events`)")
    occurred_at: datetime = Field(description="When the change was made (UTC)")
    actor: str = Field(description="Who: `apikey:<key name>` (names are unique), "
                       "`user:<email>` (back office), `worker:<job>`, `cli:<command>`, "
                       "`carrier:<code>`…")
    request_id: str | None = Field(description="The `X-Request-Id` of the API or back-office "
                                   "request that made the change; null for the worker and CLI")
    client_address: str | None = Field(description="The address that request came from "
                                       "(as the server saw it); null like `request_id`")
    type: str = Field(description="What happened: the event type, e.g. `order.cancelled`")
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any] = Field(description="After: the event's payload")
    before: dict[str, Any] | None = Field(
        description="The payload of the previous event of the same aggregate (what it "
        "said then); null for the aggregate's first event. A full earlier state only "
        "where that aggregate's events carry the full state")


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    next_cursor: str | None


def _utc(name: str, value: datetime | None) -> datetime | None:
    try:
        return value.astimezone(UTC) if value is not None else None
    except OverflowError as exc:  # 0001-01-01T00:00+01:00 has no UTC time
        raise InvalidInput.for_field(f"query.{name}", "is out of range") from exc


@audit_router.get("", summary="Who changed what, when, from where, with before and after")
def list_audit(
    ctx: AdminContext,
    actor: Annotated[str | None, Query(max_length=120, description="Exactly this actor")]
    = None,
    aggregate_type: Annotated[str | None, Query(max_length=40, description="e.g. `order`")]
    = None,
    aggregate_id: Annotated[str | None, Query(max_length=40)] = None,
    type: Annotated[str | None, Query(max_length=80, description="Event type prefix, "
                                      "e.g. `order.`")] = None,
    since: Annotated[AwareDatetime | None, Query(description="From this time (inclusive)")]
    = None,
    until: Annotated[AwareDatetime | None, Query(description="Before this time "
                                                 "(exclusive)")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_ENTRIES)] = 50,
) -> AuditPage:
    """Every write through the API, the back office, the worker or the CLI, newest first:
    the audit log is the outbox (every change records its events in its own transaction),
    so it misses nothing. Page with `cursor=<next_cursor>` and the same filters."""
    where = AuditFilter(actor, aggregate_type, aggregate_id, type,
                        _utc("since", since), _utc("until", until))
    if where.since is not None and where.until is not None and where.until <= where.since:
        raise InvalidInput.for_field("query.until", "must be after since")
    with ctx.read_uow() as uow:
        page = audit_log(uow, where, cursor=cursor, limit=limit)
    return AuditPage(items=[AuditEntryRead(**vars(e)) for e in page.items],
                     next_cursor=page.next_cursor)
