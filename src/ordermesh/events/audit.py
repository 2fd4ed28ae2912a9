"""The audit log: who changed what, when, from where, with before and after.

It is a view of the outbox, not a second record: every write already records its events
there in its own transaction (one per change, proven by tests/event_contract.py), with the
actor, and with the request id and client address when it came over HTTP. So nothing can
change without an audit entry, and no write pays for a second one.

``before`` is the payload of the previous event of the same aggregate (the state that
event described), read in the same statement as the page: a correlated lookup on the
index (aggregate_id, seq) for each row of the page, no extra round trip. It is the full
previous state only where the events of that aggregate carry the full state; an event
that carries only what changed (an ``order.cancelled`` without the lines, say) gives a
``before`` that is only that. The first event of an aggregate has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import outbox
from ordermesh.kit.pagination import Page, decode_cursor, encode_cursor

MAX_ENTRIES = 200


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to list; every field left None matches everything. ``since`` is
    inclusive, ``until`` exclusive, both UTC; ``type`` is a prefix (``order.``)."""

    actor: str | None = None
    aggregate_type: str | None = None
    aggregate_id: str | None = None
    type: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditEntry:
    event_id: str
    occurred_at: datetime
    actor: str
    request_id: str | None
    client_address: str | None
    type: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]
    before: dict[str, Any] | None


def audit_log(uow: UnitOfWork, where: AuditFilter, *, cursor: str | None = None,
              limit: int = 50) -> Page[AuditEntry]:
    """Entries newest first, ``limit`` (at most ``MAX_ENTRIES``) per page; ``cursor`` is
    the ``next_cursor`` of the page before.

    Ordered by the outbox's insert sequence: on PostgreSQL a transaction that took its
    sequence numbers earlier can commit after a page was read, and then shows up only on
    a fresh first page, never on the next pages of that walk.
    """
    earlier = outbox.alias("earlier")
    before = (select(earlier.c.payload)
              .where(earlier.c.aggregate_id == outbox.c.aggregate_id,
                     earlier.c.aggregate_type == outbox.c.aggregate_type,
                     earlier.c.seq < outbox.c.seq)
              .order_by(earlier.c.seq.desc()).limit(1)
              .scalar_subquery().label("before"))
    query = (select(outbox, before).order_by(outbox.c.seq.desc())
             .limit(min(limit, MAX_ENTRIES) + 1))
    for column, value in ((outbox.c.actor, where.actor),
                          (outbox.c.aggregate_type, where.aggregate_type),
                          (outbox.c.aggregate_id, where.aggregate_id)):
        if value is not None:
            query = query.where(column == value)
    if where.type is not None:
        query = query.where(outbox.c.type.startswith(where.type, autoescape=True))
    if where.since is not None:
        query = query.where(outbox.c.occurred_at >= where.since)
    if where.until is not None:
        query = query.where(outbox.c.occurred_at < where.until)
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(outbox.c.seq < after)
    rows = list(uow.execute(query))
    more = len(rows) > min(limit, MAX_ENTRIES)
    rows = rows[:min(limit, MAX_ENTRIES)]
    entries = [AuditEntry(r.id, as_utc(r.occurred_at), r.actor, r.request_id,
                          r.client_address, r.type, r.aggregate_type, r.aggregate_id,
                          r.payload, r.before) for r in rows]
    return Page(entries, encode_cursor(rows[-1].seq) if more else None)
