"""The transactional outbox: every state change writes its event in the same transaction.

Rows get a monotonically increasing ``seq`` for readers (``GET /api/v1/events?after=``)
and a globally unique ``id`` that consumers dedupe on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, String, Table, insert, select

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
    Column("occurred_at", UtcDateTime, nullable=False),
)


@dataclass(frozen=True)
class Event:
    seq: int
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
    event_id = new_id("evt")
    uow.execute(
        insert(outbox).values(
            id=event_id,
            type=type_,
            aggregate_type=aggregate_type,
            aggregate_id=aggregate_id,
            payload=payload,
            actor=uow.actor,
            occurred_at=uow.clock.now(),
        )
    )
    return event_id


def read_events(
    uow: UnitOfWork, *, after: int = 0, limit: int = 100, type_prefix: str | None = None
) -> list[Event]:
    query = select(outbox).where(outbox.c.seq > after).order_by(outbox.c.seq).limit(limit)
    if type_prefix:
        query = query.where(outbox.c.type.startswith(type_prefix, autoescape=True))
    return [
        Event(
            seq=row.seq,
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
