"""From the outbox to delivery rows: one row per event and subscribed endpoint.

The fan-out locks its cursor, reads the events after it, writes the deliveries and moves
the cursor in one transaction: a crash loses nothing, and a relay running beside it waits
for the lock and carries on from where this one stopped, so no event is fanned out twice
(the unique (endpoint, event) pair would refuse it anyway).
"""

from __future__ import annotations

from ordermesh.events.cursors import advance_cursor, lock_cursor
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import Event, read_events
from ordermesh.kit.upsert import dialect_insert
from ordermesh.webhooks.model import DeliveryStatus, Endpoint, matches
from ordermesh.webhooks.service import list_endpoints
from ordermesh.webhooks.tables import webhook_deliveries

CURSOR = "webhooks"


def delivery_row(uow: UnitOfWork, endpoint_id: str, event: Event) -> dict:
    now = uow.clock.now()
    return {
        "id": new_id("whd"), "endpoint_id": endpoint_id, "event_id": event.id,
        "event_position": event.position, "event_type": event.type,
        "occurred_at": event.occurred_at, "status": DeliveryStatus.PENDING, "attempts": 0,
        "next_attempt_at": now, "last_status_code": None, "last_error": None,
        "created_at": now, "queued_at": now, "finished_at": None,
    }


def insert_deliveries(uow: UnitOfWork, rows: list[dict]) -> None:
    """Insert, skipping any (endpoint, event) pair that already has its delivery."""
    if rows:
        stmt = dialect_insert(uow, webhook_deliveries).on_conflict_do_nothing(
            index_elements=["endpoint_id", "event_id"])
        uow.execute(stmt, rows)


def wants(endpoint: Endpoint, event: Event) -> bool:
    """An enabled endpoint gets the events of its types that occurred since it was made."""
    return (endpoint.enabled and event.occurred_at >= endpoint.created_at
            and matches(endpoint.event_types, event.type))


def fan_out(uow: UnitOfWork, limit: int) -> int:
    """Turn up to ``limit`` events after the cursor into deliveries; commits. Returns how
    many events were handed on."""
    after = lock_cursor(uow, CURSOR)
    events = read_events(uow, after=after, limit=limit)
    if events:
        endpoints = list_endpoints(uow)
        insert_deliveries(uow, [delivery_row(uow, endpoint.id, event)
                                for event in events for endpoint in endpoints
                                if wants(endpoint, event)])
        advance_cursor(uow, CURSOR, events[-1].position)
    uow.commit()
    return len(events)
