"""Payment intents: a money-moving provider call, recorded before it is made.

No provider is called inside a database transaction (a remote one may take seconds, and
a rerun of the transaction after a deadlock would call it again). Instead a use case

1. checks the request and records an intent in a transaction, then commits: the
   intent's ``provider_key`` comes from the request's own key, so a rerun of that
   transaction or a retry of the request finds the same intent and the same key;
2. calls the provider with that key, outside any transaction (``gateway_calls.py``);
3. records the answer in a new transaction: the ledger rows, the payment's status and
   the events (``intent_steps.py``).

An intent whose answer was never recorded stays open: ``pending`` (sent, or about to be,
and no answer recorded: the process may have died after the call) or ``unknown`` (the
provider gave no answer). A retry of the request, or the worker, sends it again with the
same key; the provider answers with its first answer and moves no money twice.

While an intent is open its amount is reserved: other calls on the same payment (or,
to authorise, the same order) see it as taken, so its answer always fits the ledger.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from ordermesh.kit import intent_leases as leases
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.idempotency import idempotency_keys
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.payments.model import ProviderResult, TransactionKind
from ordermesh.payments.tables import payment_intents as intents

# How long one call may be under way before somebody else may send the intent again: more
# than any provider's timeout, so an intent is never sent twice at the same moment.
POLICY = leases.RetryPolicy()
LEASE = POLICY.lease
MAX_ATTEMPTS = POLICY.max_attempts  # then failed, left for a person (docs/operations.md)
FIRST_BACKOFF = POLICY.first_backoff
LAST_BACKOFF = POLICY.last_backoff
INTENT_RESOURCE = "payment_intent"  # what an Idempotency-Key points at while it is open


class IntentStatus(enum.StrEnum):
    PENDING = "pending"  # recorded; sent or about to be, no answer recorded yet
    SUCCEEDED = "succeeded"  # the provider answered and the answer is in the ledger
    FAILED = "failed"  # given up after MAX_ATTEMPTS calls without an answer
    UNKNOWN = "unknown"  # a call got no answer: money may have moved


OPEN = leases.OPEN  # pending, unknown


@dataclass(frozen=True)
class Intent:
    id: str
    operation: TransactionKind
    provider: str
    order_id: str
    payment_id: str | None
    request_key: str
    provider_key: str
    amount: Money
    details: dict[str, Any]
    status: IntentStatus
    outcome: str | None
    attempts: int
    last_error: str | None
    actor: str
    next_attempt_at: datetime

    @property
    def open(self) -> bool:
        return self.status.value in OPEN


def _intent(row: Any) -> Intent:
    return Intent(
        id=row.id, operation=TransactionKind(row.operation), provider=row.provider,
        order_id=row.order_id, payment_id=row.payment_id, request_key=row.request_key,
        provider_key=row.provider_key, amount=Money.of(row.amount, row.currency),
        details=dict(row.details), status=IntentStatus(row.status), outcome=row.outcome,
        attempts=row.attempts, last_error=row.last_error, actor=row.actor,
        next_attempt_at=as_utc(row.next_attempt_at))


def create(uow: UnitOfWork, *, operation: TransactionKind, provider: str, order_id: str,
           payment_id: str | None, request_key: str, provider_key: str, amount: Money,
           details: dict[str, Any], intent_id: str | None = None) -> Intent:
    """A new intent, leased to the caller, who sends it as soon as this commits."""
    now = uow.clock.now()
    intent_id = intent_id or new_id("pint")
    uow.execute(insert(intents).values(
        id=intent_id, operation=operation.value, provider=provider, order_id=order_id,
        payment_id=payment_id, request_key=request_key, provider_key=provider_key,
        currency=amount.currency, amount=amount.amount, details=details,
        status=IntentStatus.PENDING.value, attempts=1, leased_until=now + LEASE,
        next_attempt_at=now + LEASE, actor=uow.actor, created_at=now, updated_at=now))
    return get(uow, intent_id)


def get(uow: UnitOfWork, intent_id: str) -> Intent:
    return _intent(uow.execute(select(intents).where(intents.c.id == intent_id)).one())


def find(uow: UnitOfWork, intent_id: str) -> Intent | None:
    row = uow.execute(select(intents).where(intents.c.id == intent_id)).first()
    return _intent(row) if row else None


def by_request(uow: UnitOfWork, order_id: str, operation: TransactionKind,
               request_key: str) -> list[Intent]:
    """The intents an order-level call with ``request_key`` recorded (one per payment it
    touched, for an authorisation the one), oldest first."""
    c = intents.c
    rows = uow.execute(select(intents).where(
        c.order_id == order_id, c.operation == operation.value,
        c.request_key == request_key).order_by(c.seq))
    return [_intent(r) for r in rows]


def by_provider_key(uow: UnitOfWork, provider_key: str) -> Intent | None:
    row = uow.execute(select(intents).where(intents.c.provider_key == provider_key)).first()
    return _intent(row) if row else None


def lease(uow: UnitOfWork, intent: Intent, *, on_schedule: bool = False) -> Intent | None:
    """Take an open intent to send it again (one attempt more); None when it is answered
    already or a call of it is under way elsewhere. ``on_schedule``: only once its
    backoff has passed (the worker; a client retrying its request need not wait)."""
    took = leases.take(uow, intents, intent.id, POLICY, on_schedule=on_schedule)
    return get(uow, intent.id) if took else None


def answered(uow: UnitOfWork, intent: Intent, result: ProviderResult,
             payment_id: str) -> bool:
    """Close the intent with the provider's answer; False if another caller recorded it
    first (then this answer is the same one, by the key, and must not be recorded)."""
    c = intents.c
    details = {k: v for k, v in intent.details.items() if k != "source"}  # no card data kept
    return bool(uow.execute(update(intents).where(c.id == intent.id, c.status.in_(OPEN))
                            .values(status=IntentStatus.SUCCEEDED.value,
                                    outcome=result.outcome.value, payment_id=payment_id,
                                    details=details, leased_until=None,
                                    updated_at=uow.clock.now())).rowcount)


def backoff(attempts: int) -> timedelta:
    return POLICY.backoff(attempts)


def unanswered(uow: UnitOfWork, intent: Intent, error: str, *, final: bool = False
               ) -> Intent:
    """The call got no answer: ``unknown``, sent again after a backoff; ``failed`` after
    ``MAX_ATTEMPTS``, or at once when ``final`` (an answer the ledger cannot take): its
    reservation ends and a person checks with the provider."""
    leases.unanswered(uow, intents, intent.id, error, POLICY, final=final)
    return get(uow, intent.id)


def forget(uow: UnitOfWork, intent: Intent) -> None:
    """The provider refused the request itself (a bad card number): nothing moved, so
    the intent goes, and the Idempotency-Key that pointed at it may be used again."""
    k = idempotency_keys.c
    uow.execute(delete(idempotency_keys).where(k.resource_type == INTENT_RESOURCE,
                                               k.resource_id == intent.id))
    uow.execute(delete(intents).where(intents.c.id == intent.id))


def reserved(uow: UnitOfWork, payment_id: str) -> dict[TransactionKind, Decimal]:
    """What open intents are about to capture, void and refund of a payment."""
    c = intents.c
    rows = uow.execute(select(c.operation, func.sum(c.amount)).where(
        c.payment_id == payment_id, c.status.in_(OPEN),
        c.operation != TransactionKind.AUTHORISE.value).group_by(c.operation))
    return {TransactionKind(op): Decimal(total) for op, total in rows}


def reserved_for_authorisation(uow: UnitOfWork, order_id: str, currency: str) -> Money:
    """What open authorisations of the order ask for: not a payment yet, but taken."""
    c = intents.c
    total = uow.execute(select(func.sum(c.amount)).where(
        c.order_id == order_id, c.status.in_(OPEN),
        c.operation == TransactionKind.AUTHORISE.value)).scalar()
    return Money.of(total or 0, currency)


def due(uow: UnitOfWork, limit: int) -> list[Intent]:
    """Open intents whose next attempt is due and that no call holds, leased to the
    caller (``SKIP LOCKED``: several workers share them). Commit before sending."""
    return [get(uow, i) for i in leases.take_due(uow, intents, limit, POLICY)]


def open_intents(uow: UnitOfWork, order_id: str) -> list[Intent]:
    """The order's intents still waiting for an answer, oldest first."""
    c = intents.c
    rows = uow.execute(select(intents).where(c.order_id == order_id, c.status.in_(OPEN))
                       .order_by(c.seq))
    return [_intent(r) for r in rows]
