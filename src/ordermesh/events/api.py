from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from ordermesh.http.deps import ReadContext
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
