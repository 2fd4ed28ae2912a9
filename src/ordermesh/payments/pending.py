"""Settling pending payments (3-D Secure, bank delays): asking the provider how each ended,
outside any transaction, and recording the answer in a transaction of its own.

The caller's unit of work only reads and claims; the provider is asked once it commits
(``UnitOfWork.after_commit``). An approval that came late may release what the order no
longer owes and capture what was asked to be captured on approval: those moves are
intents, recorded with the settlement and sent once it commits (``gateway_calls``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import select, update

from ordermesh.kit.db import Transactions, UnitOfWork
from ordermesh.payments import ledger
from ordermesh.payments.gateway_calls import Runner, send_after_commit
from ordermesh.payments.intent_steps import begin_move
from ordermesh.payments.intents import Intent
from ordermesh.payments.model import (
    Outcome,
    Payment,
    PaymentStatus,
    ProviderResult,
    ProviderUnavailable,
    TransactionKind,
    status_after_authorisation,
)
from ordermesh.payments.operations import (
    SETTLEMENT_KEY,
    Done,
    excess_of,
    record_payment_event,
)
from ordermesh.payments.providers import get_provider
from ordermesh.payments.tables import payments

log = logging.getLogger("ordermesh.payments")
K = TransactionKind
PENDING = PaymentStatus.PENDING.value


def _status(runner: Runner, payment: Payment) -> ProviderResult:
    """The provider's answer for a pending payment, asked outside any transaction of ours
    (a provider living in this process gets a short one of its own)."""
    provider = get_provider(payment.provider)
    reference = payment.provider_reference or ""
    if provider.remote:
        return provider.status(None, reference)
    with runner.uow() as uow:
        result = provider.status(uow, reference)
        uow.commit()
    return result


def settle_with(uow: UnitOfWork, payment_id: str, result: ProviderResult) -> Done | None:
    """Record how a pending payment ended; None while it is still pending or when it was
    settled already. Commits nothing."""
    payment = ledger.get_payment(uow, payment_id, for_update=True)
    if payment.status is not PaymentStatus.PENDING or result.outcome is Outcome.PENDING:
        return None
    if not ledger.settle(uow, payment, result, status_after_authorisation(result.outcome)):
        return None
    settled = ledger.get_payment(uow, payment.id)
    tx = ledger.insert_transaction(uow, settled, K.AUTHORISE, payment.requested,
                                   SETTLEMENT_KEY, result)
    record_payment_event(uow, settled, tx)
    if result.approved:
        send_after_commit(uow, _after_late_approval(uow, ledger.get_payment(uow, payment.id)))
    return Done(ledger.get_payment(uow, payment.id), tx)


def _after_late_approval(uow: UnitOfWork, payment: Payment) -> list[Intent]:
    """The order may have shrunk or been cancelled while the bank decided: what exceeds
    what is owed is released first; then the capture asked for is made."""
    asked: list[Intent] = []
    excess = excess_of(uow, payment.order_id)
    released = min(excess, payment.open, key=lambda m: m.amount)
    if released.amount > 0:
        step = begin_move(uow, payment.id, K.VOID, released, f"{SETTLEMENT_KEY}:void")
        asked += [step] if isinstance(step, Intent) else []
    if payment.capture_on_approval and released < payment.open:
        step = begin_move(uow, payment.id, K.CAPTURE, payment.open - released,
                          f"{SETTLEMENT_KEY}:capture")
        asked += [step] if isinstance(step, Intent) else []
    return asked


def _ask_and_record(runner: Runner, payment_id: str) -> bool:
    """Ask the provider about one pending payment and record the answer; whether it
    settled. A provider that does not answer leaves the payment pending."""
    payment = runner.run(lambda uow: ledger.get_payment(uow, payment_id))
    if payment.status is not PaymentStatus.PENDING or payment.provider_reference is None:
        return False
    try:
        result = _status(runner, payment)
    except ProviderUnavailable as exc:
        log.warning("payment %s: the %s provider did not say how it ended (%s)", payment.id,
                    payment.provider, exc)
        return False

    def record(uow: UnitOfWork) -> bool:
        done = settle_with(uow, payment.id, result)
        uow.commit()  # then its release or capture is sent
        return done is not None

    return runner.run(record)


def _after_commit(uow: UnitOfWork, payment_ids: list[str]) -> list[bool]:
    answers: list[bool] = []

    def ask(new_uow: Callable[[], UnitOfWork]) -> None:
        runner = Transactions(new_uow)
        answers.extend(_ask_and_record(runner, pid) for pid in payment_ids)

    uow.after_commit(ask)
    return answers


def sync_payment(uow: UnitOfWork, payment_id: str) -> Payment:
    """Ask the provider how a pending payment ended, and record it; any other payment is
    returned as it is. Commits ``uow`` first: the provider is asked after that, outside
    it, and the payment read again."""
    payment = ledger.get_payment(uow, payment_id)
    if payment.status is not PaymentStatus.PENDING:
        return payment
    _after_commit(uow, [payment.id])
    uow.commit()
    return ledger.get_payment(uow, payment.id)


def sync_pending_payments(uow: UnitOfWork, limit: int = 100) -> int:
    """For the worker: settle pending payments whose outcome the provider now knows.
    Each one asked is claimed with ``SKIP LOCKED`` and stamped in ``uow``, which then
    commits: payments that stay pending go to the back of the queue instead of hiding
    newer ones, and another worker asks about others. Returns how many were settled."""
    query = (select(payments.c.id).where(payments.c.status == PENDING)
             .order_by(payments.c.updated_at, payments.c.seq).limit(limit)
             .with_for_update(skip_locked=True))
    claimed = [pid for (pid,) in uow.execute(query)]
    if claimed:
        uow.execute(update(payments).where(payments.c.id.in_(claimed),
                                           payments.c.status == PENDING)
                    .values(updated_at=uow.clock.now()))
    answers = _after_commit(uow, claimed)
    uow.commit()
    return sum(answers)
