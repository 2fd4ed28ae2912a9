"""Intents' leases and retries: a remote call recorded in a table before it is made.

A feature that calls something remote (payments' gateway, shipping's carriers) records
an *intent* in a transaction and commits, calls outside any transaction with a key that
is the same on every attempt, and records the answer in a new transaction. Its table
has the columns used here: ``id``, ``seq``, ``status`` (``pending`` or ``unknown`` while
open), ``attempts``, ``last_error``, ``leased_until``, ``next_attempt_at``, ``updated_at``.

A *lease* says a call is under way: nobody else sends the intent until it ends (it lasts
longer than any call's timeout). An unanswered call leaves the intent ``unknown``, due
again after a backoff that doubles, and ``failed`` after the last attempt, for a person.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, TypeVar

from sqlalchemy import Table, and_, or_, select, update

from ordermesh.kit.db import Transactions, UnitOfWork
from ordermesh.kit.errors import DomainError

OPEN = ("pending", "unknown")
MAX_ERROR = 300


@dataclass(frozen=True)
class RetryPolicy:
    lease: timedelta = timedelta(seconds=60)  # more than any call's timeout
    max_attempts: int = 8  # then the intent is failed and left for a person
    first_backoff: timedelta = timedelta(seconds=30)
    last_backoff: timedelta = timedelta(hours=1)

    def backoff(self, attempts: int) -> timedelta:
        return min(self.first_backoff * 2 ** max(attempts - 1, 0), self.last_backoff)


def take(uow: UnitOfWork, table: Table, intent_id: str, policy: RetryPolicy, *,
         on_schedule: bool = False) -> bool:
    """Lease an open intent for one attempt more; False when it is answered already or a
    call of it is under way elsewhere. ``on_schedule``: only once its backoff has passed
    (the worker; a client retrying its request need not wait)."""
    c = table.c
    now = uow.clock.now()
    free = or_(c.leased_until.is_(None), c.leased_until <= now)
    due = and_(free, c.next_attempt_at <= now) if on_schedule else free
    return bool(uow.execute(
        update(table).where(c.id == intent_id, c.status.in_(OPEN), due)
        .values(attempts=c.attempts + 1, leased_until=now + policy.lease,
                next_attempt_at=now + policy.lease, updated_at=now)).rowcount)


def unanswered(uow: UnitOfWork, table: Table, intent_id: str, error: str,
               policy: RetryPolicy, *, final: bool = False) -> None:
    """The call got no answer: ``unknown``, due again after a backoff; ``failed`` after
    the last attempt, or at once when ``final``."""
    c = table.c
    now = uow.clock.now()
    attempts = uow.execute(select(c.attempts).where(c.id == intent_id)).scalar_one()
    status = "failed" if final or attempts >= policy.max_attempts else "unknown"
    uow.execute(update(table).where(c.id == intent_id, c.status.in_(OPEN)).values(
        status=status, last_error=error[:MAX_ERROR], leased_until=None,
        next_attempt_at=now + policy.backoff(attempts), updated_at=now))


def take_due(uow: UnitOfWork, table: Table, limit: int, policy: RetryPolicy) -> list[str]:
    """Ids of open intents whose next attempt is due and that no call holds, leased to
    the caller (``SKIP LOCKED``: several workers share them). Commit before sending."""
    c = table.c
    now = uow.clock.now()
    ids = uow.execute(
        select(c.id).where(c.status.in_(OPEN), c.next_attempt_at <= now,
                           or_(c.leased_until.is_(None), c.leased_until <= now))
        .order_by(c.next_attempt_at, c.seq).limit(limit)
        .with_for_update(skip_locked=True)).scalars().all()
    return [i for i in ids if take(uow, table, i, policy, on_schedule=True)]


class _Intent(Protocol):
    id: str
    actor: str
    attempts: int


IntentT = TypeVar("IntentT", bound=_Intent)


def resume_due(new_uow: Callable[[str], UnitOfWork], worker: str,
               take: Callable[[UnitOfWork, int], list[IntentT]],
               finish: Callable[[Transactions, IntentT], object], unknown: type[Exception],
               log: logging.Logger, limit: int) -> int:
    """For the worker: lease up to ``limit`` due intents (``take``) as ``worker`` and
    commit, then ``finish`` each, as the actor who asked for it. ``unknown``: what
    ``finish`` raises when there is still no answer. Returns how many were answered."""
    with new_uow(worker) as uow:
        due = take(uow, limit)
        uow.commit()
    answered = 0
    for intent in due:
        runner = Transactions(lambda actor=intent.actor: new_uow(actor))
        try:
            finish(runner, intent)
            answered += 1
        except unknown:
            log.info("intent %s: still no answer after %d attempts", intent.id,
                     intent.attempts)
        except DomainError as exc:
            log.warning("intent %s: %s", intent.id, exc)
    return answered
