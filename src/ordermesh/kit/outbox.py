"""The transactional outbox: every state change writes its event in the same transaction.

Each event has a globally unique ``id`` that consumers dedupe on, and a ``position`` that
readers follow (``GET /api/v1/events?after=``).

Why ``position`` is not simply the insert sequence: on PostgreSQL transactions commit in
a different order than they took sequence numbers, so a reader that has seen ``seq`` 8
could later find a ``seq`` 7 committed behind its back and never read it. Positions are
therefore handed out after commit, by ``assign_positions``, under a transaction-scoped
advisory lock: only committed events get one, always above every position given before.
A reader that remembers the last position it saw can never miss an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)

from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork, metadata
from ordermesh.kit.ids import new_id
from ordermesh.kit.types import JsonColumn, UtcDateTime

outbox = Table(
    "outbox",
    metadata,
    Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("type", String(80), nullable=False),
    Column("aggregate_type", String(40), nullable=False),
    Column("aggregate_id", String(40), nullable=False),
    Column("payload", JsonColumn, nullable=False),
    Column("actor", String(120), nullable=False),
    # Where a change made through the API or the back office came from (null for the
    # worker and the CLI, whose actor says so): the audit log's "from where".
    Column("request_id", String(64)),
    Column("client_address", String(64)),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("position", BigInteger),
    Index("ix_outbox_position", "position", unique=True),
    Index("ix_outbox_aggregate", "aggregate_id", "seq"),
    Index("ix_outbox_unpositioned", "seq", sqlite_where=text("position IS NULL"),
          postgresql_where=text("position IS NULL")),
)

# Any constant unique to this use of pg_advisory_xact_lock.
_POSITION_LOCK = 0x6F6D5F6F7574  # "om_out"
MAX_POSITIONS_PER_CALL = 5000
_INSERT = insert(outbox)


@dataclass(frozen=True)
class Event:
    position: int
    id: str
    type: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]
    actor: str
    occurred_at: datetime


def record_event(
    uow: UnitOfWork, type_: str, aggregate_type: str, aggregate_id: str, payload: dict[str, Any]
) -> str:
    """Record an event in the transaction of ``uow``: written with the transaction's
    other events just before it commits (``UnitOfWork.defer_event``), gone if it rolls
    back."""
    event_id = new_id("evt")
    uow.defer_event(_INSERT, {
        "id": event_id, "type": type_, "aggregate_type": aggregate_type,
        "aggregate_id": aggregate_id, "payload": payload, "actor": uow.actor,
        "request_id": uow.request_id, "client_address": uow.client_address,
        "occurred_at": uow.clock.now(), "position": None,
    })
    return event_id


def record_events(uow: UnitOfWork, events: list[tuple[str, str, str, dict[str, Any]]]
                  ) -> list[str]:
    """Several events (type, aggregate type, aggregate id, payload), in this order;
    returns their ids."""
    return [record_event(uow, *event) for event in events]


def assign_positions(uow: UnitOfWork) -> int:
    """Give committed events without a position the next positions, in insert order.

    Commits. Serialised by an advisory lock on PostgreSQL; SQLite serialises writers.
    """
    if uow.dialect == "postgresql":
        uow.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSITION_LOCK})
    pending = [r.seq for r in uow.execute(
        select(outbox.c.seq).where(outbox.c.position.is_(None))
        .order_by(outbox.c.seq).limit(MAX_POSITIONS_PER_CALL))]
    if pending:
        last = uow.execute(select(func.coalesce(func.max(outbox.c.position), 0))).scalar_one()
        stmt = update(outbox).where(outbox.c.seq == bindparam("s")).values(position=bindparam("p"))
        uow.execute(stmt, [{"s": seq, "p": last + i} for i, seq in enumerate(pending, 1)])
    uow.commit()
    return len(pending)


def read_events(
    uow: UnitOfWork, *, after: int = 0, limit: int = 100, type_prefix: str | None = None
) -> list[Event]:
    """Events with a position above ``after``, in position order."""
    query = (select(outbox).where(outbox.c.position > after)
             .order_by(outbox.c.position).limit(limit))
    if type_prefix:
        query = query.where(outbox.c.type.startswith(type_prefix, autoescape=True))
    return [
        Event(
            position=row.position,
            id=row.id,
            type=row.type,
            aggregate_type=row.aggregate_type,
            aggregate_id=row.aggregate_id,
            payload=row.payload,
            actor=row.actor,
            occurred_at=as_utc(row.occurred_at),
        )
        for row in uow.execute(query)
    ]


def events_about(uow: UnitOfWork, aggregate_ids: list[str], *, limit: int = 500) -> list[Event]:
    """The newest ``limit`` events of these aggregates, oldest first (a timeline); events
    not yet given a position are included."""
    if not aggregate_ids:
        return []
    rows = list(uow.execute(select(outbox).where(outbox.c.aggregate_id.in_(aggregate_ids))
                            .order_by(outbox.c.seq.desc()).limit(limit)))
    return [Event(row.position, row.id, row.type, row.aggregate_type, row.aggregate_id,
                  row.payload, row.actor, as_utc(row.occurred_at)) for row in reversed(rows)]


def redact_payloads(uow: UnitOfWork, aggregate_type: str, aggregate_ids: list[str],
                    keys: tuple[str, ...]) -> int:
    """Blank these payload keys in the events of these aggregates (erasing personal data
    that events carried); returns how many events changed."""
    rows = list(uow.execute(select(outbox.c.seq, outbox.c.payload).where(
        outbox.c.aggregate_type == aggregate_type, outbox.c.aggregate_id.in_(aggregate_ids))))
    changed = [{"s": r.seq, "p": {k: (None if k in keys else v) for k, v in r.payload.items()}}
               for r in rows if any(r.payload.get(k) is not None for k in keys)]
    if changed:
        uow.execute(update(outbox).where(outbox.c.seq == bindparam("s"))
                    .values(payload=bindparam("p")), changed)
    return len(changed)


def unpositioned(uow: UnitOfWork) -> tuple[int, float]:
    """Committed events still waiting for a position (``assign_positions``), and the age in
    seconds of the oldest of them: no relay sees them until then."""
    count, oldest = uow.execute(select(func.count(), func.min(outbox.c.occurred_at))
                                .where(outbox.c.position.is_(None))).one()
    age = (uow.clock.now() - as_utc(oldest)).total_seconds() if oldest is not None else 0.0
    return count, max(age, 0.0)
