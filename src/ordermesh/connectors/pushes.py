"""Pushes to a platform: the intent recorded in a transaction, sent after it commits.

``record_push`` stores the intent (in the transaction that decided it); ``claim_due``
takes due pushes (``FOR UPDATE SKIP LOCKED``, so workers side by side take different
ones), counts the attempt, leases them and commits; the call is made with no transaction
open; ``record_outcome`` stores what came of it: done, a retry with backoff (or at the
platform's Retry-After), or failed for good. A crash after the claim loses nothing: the
lease runs out and the push is claimed again (the Shopify fulfilment sends only what is
still fulfillable, a stock level is a value set, not added, so a repeat is harmless).

A stock push waits once per SKU: its ``pending_key`` is unique per account, a newer
level replaces the waiting one's, and the key is cleared when the push is claimed, so a
change during the call queues the next level instead of being lost.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from ordermesh.connectors.model import CallResult, PushKind, PushStatus, RetryPolicy
from ordermesh.connectors.tables import connector_accounts, connector_pushes
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.ids import new_id
from ordermesh.kit.upsert import insert_ignore_returning

P = connector_pushes.c


@dataclass(frozen=True)
class Push:
    id: str
    account_id: str
    kind: PushKind
    subject: str
    payload: dict[str, Any]
    status: PushStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


def _push(row) -> Push:
    return Push(row.id, row.account_id, PushKind(row.kind), row.subject, row.payload,
                PushStatus(row.status), row.attempts, as_utc(row.next_attempt_at),
                row.last_status_code, row.last_error, as_utc(row.created_at),
                as_utc(row.finished_at) if row.finished_at else None)


def _values(uow: UnitOfWork, account_id: str, kind: PushKind, subject: str,
            payload: dict[str, Any], source: str | None, pending_key: str | None) -> dict:
    now = uow.clock.now()
    return {"id": new_id("psh"), "account_id": account_id, "kind": kind.value,
            "subject": subject, "source": source, "payload": payload,
            "status": PushStatus.PENDING.value, "pending_key": pending_key, "attempts": 0,
            "next_attempt_at": now, "created_at": now}


def record_push(uow: UnitOfWork, account_id: str, kind: PushKind, subject: str,
                payload: dict[str, Any], source: str) -> bool:
    """The intent caused by ``source`` (an event id): once, however often it is read."""
    return insert_ignore_returning(uow, connector_pushes, ("account_id", "source"), "id",
                                   _values(uow, account_id, kind, subject, payload, source,
                                           None)) is not None


def record_stock_push(uow: UnitOfWork, account_id: str, sku: str, available: int) -> None:
    """The level of ``sku`` to set: the waiting push of the SKU takes it, or a new one."""
    key = f"stock:{sku}"
    payload = {"sku": sku, "available": available}
    if insert_ignore_returning(uow, connector_pushes, ("account_id", "pending_key"), "id",
                               _values(uow, account_id, PushKind.STOCK, sku, payload, None,
                                       key)) is None:
        uow.execute(update(connector_pushes).where(P.account_id == account_id,
                                                   P.pending_key == key)
                    .values(payload=payload))


def claim_due(uow: UnitOfWork, limit: int, policy: RetryPolicy) -> list[Push]:
    """Commits."""
    now = uow.clock.now()
    rows = uow.execute(select(connector_pushes)
                       .join(connector_accounts, connector_accounts.c.id == P.account_id)
                       .where(P.status == PushStatus.PENDING.value, P.next_attempt_at <= now,
                              connector_accounts.c.active)
                       .order_by(P.next_attempt_at, P.seq).limit(limit)
                       .with_for_update(skip_locked=True, of=connector_pushes)).all()
    if rows:
        uow.execute(update(connector_pushes).where(P.id.in_([r.id for r in rows]))
                    .values(attempts=P.attempts + 1, pending_key=None,
                            next_attempt_at=now + policy.lease))
    uow.commit()
    return [_claimed(r) for r in rows]


def _claimed(row) -> Push:
    push = _push(row)
    return replace(push, attempts=push.attempts + 1)


def record_outcome(uow: UnitOfWork, push: Push, result: CallResult, policy: RetryPolicy,
                   rng: random.Random | None = None) -> PushStatus:
    """Store what the attempt got; commits. A push claimed again meanwhile (the lease ran
    out) is decided by that claim."""
    now = uow.clock.now()
    row = uow.execute(select(P.status, P.attempts).where(P.id == push.id)
                      .with_for_update()).one()
    if row.status != PushStatus.PENDING.value or row.attempts != push.attempts:
        uow.commit()
        return PushStatus(row.status)
    values: dict[str, Any] = {"last_status_code": result.status_code,
                              "last_error": None if result.ok else (result.detail or "failed")}
    if result.ok:
        values.update(status=PushStatus.SUCCEEDED.value, finished_at=now)
    elif (retry_at := policy.next_attempt(now, push.attempts, result, rng)) is None:
        values.update(status=PushStatus.FAILED.value, finished_at=now)
    elif push.kind is PushKind.STOCK and _newer_level_waits(uow, push):
        values.update(status=PushStatus.FAILED.value, finished_at=now,
                      last_error=f"superseded by a newer level; {values['last_error']}"[:300])
    else:
        values.update(next_attempt_at=retry_at)
        if push.kind is PushKind.STOCK:
            values.update(pending_key=f"stock:{push.subject}")
    uow.execute(update(connector_pushes).where(P.id == push.id).values(**values))
    uow.commit()
    return PushStatus(values.get("status", PushStatus.PENDING.value))


def _newer_level_waits(uow: UnitOfWork, push: Push) -> bool:
    return uow.execute(select(P.id).where(P.account_id == push.account_id,
                                          P.pending_key == f"stock:{push.subject}")
                       ).first() is not None


def pushes_of(uow: UnitOfWork, account_id: str, status: PushStatus | None, limit: int,
              before: int | None = None) -> list[tuple[int, Push]]:
    query = (select(connector_pushes).where(P.account_id == account_id)
             .order_by(P.seq.desc()).limit(limit))
    if status is not None:
        query = query.where(P.status == status.value)
    if before is not None:
        query = query.where(P.seq < before)
    return [(row.seq, _push(row)) for row in uow.execute(query)]
