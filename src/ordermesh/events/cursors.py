"""Relay cursors: how far each relay has handed the outbox on.

A relay that hands events on *inside* a transaction (the webhook fan-out writes delivery
rows) locks its cursor row, reads the events after it and moves it in the same
transaction: a crash loses nothing and a second relay waits, then starts where the first
stopped. A relay that hands events on *outside* (publishing to NATS) takes a lease on the
cursor instead, publishes, and moves the cursor in a new transaction only while it still
holds the lease; after a crash the lease runs out and another worker publishes the same
events again, which the receiver de-duplicates by event id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from ordermesh.events.tables import relay_cursors
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import outbox
from ordermesh.kit.upsert import insert_ignore_returning


def _ensure(uow: UnitOfWork, name: str) -> None:
    insert_ignore_returning(uow, relay_cursors, ("name",), "name", {
        "name": name, "position": 0, "leased_by": None, "leased_until": None,
        "updated_at": uow.clock.now()})


def lock_cursor(uow: UnitOfWork, name: str) -> int:
    """The cursor's position, its row locked until this transaction ends."""
    _ensure(uow, name)
    return uow.execute(select(relay_cursors.c.position).where(relay_cursors.c.name == name)
                       .with_for_update()).scalar_one()


def advance_cursor(uow: UnitOfWork, name: str, position: int) -> None:
    uow.execute(update(relay_cursors).where(relay_cursors.c.name == name)
                .values(position=position, updated_at=uow.clock.now()))


def take_lease(uow: UnitOfWork, name: str, owner: str, until: datetime) -> int | None:
    """The position to publish from, leased to ``owner`` until ``until``; None while
    another owner's lease runs. Commits."""
    _ensure(uow, name)
    now = uow.clock.now()
    row = uow.execute(select(relay_cursors).where(relay_cursors.c.name == name)
                      .with_for_update()).one()
    if row.leased_by not in (None, owner) and row.leased_until is not None and \
            as_utc(row.leased_until) > now:
        uow.commit()
        return None
    uow.execute(update(relay_cursors).where(relay_cursors.c.name == name)
                .values(leased_by=owner, leased_until=until, updated_at=now))
    uow.commit()
    return row.position


def end_lease(uow: UnitOfWork, name: str, owner: str, position: int) -> bool:
    """Move the cursor to ``position`` and give the lease back, if ``owner`` still holds
    it; commits. False when the lease was lost (another worker took over)."""
    moved = uow.execute(update(relay_cursors).where(
        relay_cursors.c.name == name, relay_cursors.c.leased_by == owner,
        relay_cursors.c.position <= position,
    ).values(position=position, leased_by=None, leased_until=None,
             updated_at=uow.clock.now())).rowcount
    uow.commit()
    return moved == 1


def cursor_position(uow: UnitOfWork, name: str) -> int:
    found = uow.execute(select(relay_cursors.c.position)
                        .where(relay_cursors.c.name == name)).scalar_one_or_none()
    return found or 0



@dataclass(frozen=True)
class RelayLag:
    """How far a relay is behind the outbox: events positioned after its cursor, and the
    age of the oldest of them (0 when it is up to date)."""

    name: str
    behind: int
    oldest_age_s: float


def relay_lags(uow: UnitOfWork) -> list[RelayLag]:
    """Every relay's lag: two indexed reads per relay (positions have no gaps, so the count
    behind is a subtraction)."""
    last = uow.execute(select(func.coalesce(func.max(outbox.c.position), 0))).scalar_one()
    now = uow.clock.now()
    lags = []
    for name, position in uow.execute(select(relay_cursors.c.name, relay_cursors.c.position)
                                      .order_by(relay_cursors.c.name)).all():
        oldest = uow.execute(select(outbox.c.occurred_at).where(outbox.c.position > position)
                             .order_by(outbox.c.position).limit(1)).scalar_one_or_none()
        age = max((now - as_utc(oldest)).total_seconds(), 0.0) if oldest is not None else 0.0
        lags.append(RelayLag(name, max(last - position, 0), age))
    return lags
