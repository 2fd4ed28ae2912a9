"""The delivery log of an endpoint, and replays."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from ordermesh.events.cursors import cursor_position
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput, NotFound
from ordermesh.kit.outbox import Event, outbox
from ordermesh.webhooks.fanout import CURSOR, delivery_row, insert_deliveries
from ordermesh.webhooks.model import Attempt, Delivery, DeliveryStatus, matches
from ordermesh.webhooks.service import get_endpoint
from ordermesh.webhooks.tables import webhook_attempts, webhook_deliveries

MAX_REPLAY_EVENTS = 10_000
MAX_REPLAY_RANGE = timedelta(days=31)
ATTEMPTS_SHOWN = 20  # the latest attempts of each delivery in the log


def _at(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _to_delivery(row: Any, attempts: tuple[Attempt, ...] = ()) -> Delivery:
    return Delivery(
        id=row.id, endpoint_id=row.endpoint_id, event_id=row.event_id,
        event_position=row.event_position, event_type=row.event_type,
        occurred_at=as_utc(row.occurred_at), status=row.status, attempts=row.attempts,
        next_attempt_at=_at(row.next_attempt_at) if row.status == DeliveryStatus.PENDING
        else None, last_status_code=row.last_status_code, last_error=row.last_error,
        created_at=as_utc(row.created_at), finished_at=_at(row.finished_at),
        attempt_log=attempts)


def _attempts(uow: UnitOfWork, delivery_ids: list[str]) -> dict[str, tuple[Attempt, ...]]:
    a = webhook_attempts.c
    found: dict[str, list[Attempt]] = {}
    for row in uow.execute(select(webhook_attempts).where(a.delivery_id.in_(delivery_ids))
                           .order_by(a.delivery_id, a.id.desc())):
        kept = found.setdefault(row.delivery_id, [])
        if len(kept) < ATTEMPTS_SHOWN:
            kept.append(Attempt(row.attempt, as_utc(row.attempted_at), row.status_code,
                                row.duration_ms, row.error))
    return {k: tuple(v) for k, v in found.items()}


def list_deliveries(uow: UnitOfWork, endpoint_id: str, *, status: str | None = None,
                    before: int | None = None, limit: int = 50
                    ) -> tuple[list[Delivery], int | None]:
    """The endpoint's deliveries, newest first, each with its latest attempts; and the
    cursor of the next page (None on the last)."""
    get_endpoint(uow, endpoint_id)
    d = webhook_deliveries.c
    query = select(webhook_deliveries).where(d.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(d.status == status)
    if before is not None:
        query = query.where(d.seq < before)
    rows = uow.execute(query.order_by(d.seq.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    attempts = _attempts(uow, [r.id for r in rows])
    return ([_to_delivery(r, attempts.get(r.id, ())) for r in rows],
            rows[-1].seq if more else None)


def get_delivery(uow: UnitOfWork, delivery_id: str) -> Delivery:
    row = uow.execute(select(webhook_deliveries)
                      .where(webhook_deliveries.c.id == delivery_id)).first()
    if row is None:
        raise NotFound(f"Webhook delivery '{delivery_id}' does not exist")
    return _to_delivery(row, _attempts(uow, [row.id]).get(row.id, ()))


def _requeue(uow: UnitOfWork, *conditions: Any) -> int:
    now = uow.clock.now()
    return uow.execute(update(webhook_deliveries).where(*conditions).values(
        status=DeliveryStatus.PENDING, next_attempt_at=now, queued_at=now,
        finished_at=None)).rowcount


def replay_delivery(uow: UnitOfWork, delivery_id: str) -> Delivery:
    """Send a delivery again now, whatever became of it; a new retry period begins.
    Commits."""
    get_delivery(uow, delivery_id)
    _requeue(uow, webhook_deliveries.c.id == delivery_id)
    replayed = get_delivery(uow, delivery_id)
    uow.commit()
    return replayed


def replay_range(uow: UnitOfWork, endpoint_id: str, start: datetime, end: datetime
                 ) -> tuple[int, int]:
    """Queue again every event of the endpoint's types that occurred in [start, end):
    deliveries that exist are sent again, events that were never delivered to it (before
    it was made, or while it was disabled) get a delivery. Commits; returns (requeued,
    created)."""
    if end <= start:
        raise InvalidInput.for_field("query.to", "must be after 'from'")
    if end - start > MAX_REPLAY_RANGE:
        raise InvalidInput.for_field("query.to", "replay at most 31 days at once")
    endpoint = get_endpoint(uow, endpoint_id)
    o, d = outbox.c, webhook_deliveries.c
    # Only what the fan-out has passed: later events reach the endpoint anyway.
    handed_on = cursor_position(uow, CURSOR)
    in_range = (o.occurred_at >= start, o.occurred_at < end, o.position.is_not(None),
                o.position <= handed_on)
    count = uow.execute(select(func.count()).select_from(outbox).where(*in_range)).scalar_one()
    if count > MAX_REPLAY_EVENTS:
        raise InvalidInput.for_field(
            "query.to", f"{count} events occurred in that range; replay at most "
            f"{MAX_REPLAY_EVENTS} at once (a shorter range)")
    requeued = _requeue(uow, d.endpoint_id == endpoint_id, d.occurred_at >= start,
                        d.occurred_at < end, d.status != DeliveryStatus.PENDING)
    have = set(uow.execute(select(d.event_id).where(
        d.endpoint_id == endpoint_id, d.occurred_at >= start, d.occurred_at < end)).scalars())
    missing = [Event(r.position, r.id, r.type, r.aggregate_type, r.aggregate_id, r.payload,
                     r.actor, as_utc(r.occurred_at))
               for r in uow.execute(select(outbox).where(*in_range).order_by(o.position))
               if r.id not in have and matches(endpoint.event_types, r.type)]
    insert_deliveries(uow, [delivery_row(uow, endpoint_id, event) for event in missing])
    uow.commit()
    return requeued, len(missing)


def due_deliveries(uow: UnitOfWork) -> tuple[int, float]:
    """Pending deliveries whose attempt is due, and how late the most overdue one is in
    seconds: the webhook sender's backlog (read through the index on status and time)."""
    now = uow.clock.now()
    count, oldest = uow.execute(
        select(func.count(), func.min(webhook_deliveries.c.next_attempt_at)).where(
            webhook_deliveries.c.status == DeliveryStatus.PENDING,
            webhook_deliveries.c.next_attempt_at <= now)).one()
    return count, max((now - as_utc(oldest)).total_seconds(), 0.0) if oldest else 0.0
