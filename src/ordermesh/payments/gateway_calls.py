"""Sending an intent to its provider outside any transaction, and recording the answer.

``finish`` is the one way an intent is carried out, by the request that recorded it, by
a retry of that request, and by the worker that resumes intents nobody finished
(``resume_due``). The caller must hold the intent's lease (``intents.lease``): one call
of an intent is under way at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol, TypeVar

from ordermesh.kit import intent_leases as leases
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import DomainError, TryLater
from ordermesh.kit.transactions import Transactions
from ordermesh.payments import intents
from ordermesh.payments.intent_steps import follow_up, record_authorisation, record_move
from ordermesh.payments.intents import Intent
from ordermesh.payments.model import (
    AuthoriseCall,
    PaymentMethod,
    PaymentProvider,
    ProviderResult,
    ProviderUnavailable,
    TransactionKind,
)
from ordermesh.payments.operations import Done
from ordermesh.payments.providers import get_provider

log = logging.getLogger("ordermesh.payments")
K = TransactionKind
T = TypeVar("T")


class Runner(Protocol):
    """Writing units of work as one actor (``kit.db.Transactions``, a request's)."""

    def uow(self) -> UnitOfWork: ...

    def run(self, work: Callable[[UnitOfWork], T]) -> T: ...


class PaymentOutcomeUnknown(TryLater):
    """The provider gave no answer in time: whether money moved is not known yet."""

    code = "payment-outcome-unknown"
    title = "The payment provider did not answer in time"


def _ask(provider: PaymentProvider, uow: UnitOfWork | None, intent: Intent) -> ProviderResult:
    d = intent.details
    if intent.operation is K.AUTHORISE:
        call = AuthoriseCall(intent.amount, PaymentMethod(d["method"]), intent.provider_key,
                             d.get("source"), d.get("description") or "", intent.order_id)
        return provider.authorise(uow, call)
    method = {K.CAPTURE: provider.capture, K.VOID: provider.void,
              K.REFUND: provider.refund}[intent.operation]
    return method(uow, d["reference"], intent.amount, intent.provider_key)


def send(runner: Runner, intent: Intent) -> ProviderResult:
    """Call the provider for ``intent``, with its key, outside any transaction of ours. A
    provider living in this process gets a short transaction of its own (its own
    database, as a remote gateway has), committed at once."""
    provider = get_provider(intent.provider)
    if provider.remote:
        return _ask(provider, None, intent)
    with runner.uow() as uow:
        result = _ask(provider, uow, intent)
        uow.commit()
    return result


_RECORD = {K.AUTHORISE: record_authorisation, K.CAPTURE: record_move, K.VOID: record_move,
           K.REFUND: record_move}


def carry_out(runner: Runner, intent: Intent) -> Done:
    """Send the intent and record the answer. ``PaymentOutcomeUnknown`` (503) when the
    provider gave no answer: the intent stays open for a retry or the worker."""
    try:
        result = send(runner, intent)
    except ProviderUnavailable as exc:
        error = str(exc)
        later = runner.run(lambda uow: _unanswered(uow, intent, error))
        raise PaymentOutcomeUnknown(
            f"The {intent.provider} provider did not answer the {intent.operation} of "
            f"{intent.amount} ({exc}); whether it moved money is not known yet. Retry with "
            "the same Idempotency-Key (or leave it to the worker): it is sent again with "
            "the same provider key and never moves money twice",
            extra={"intent_id": intent.id, "intent_status": later.status.value,
                   "attempts": later.attempts}) from exc
    except DomainError:
        # The provider refused the request itself (a bad card number): nothing moved.
        runner.run(lambda uow: _forgotten(uow, intent))
        raise
    try:
        return runner.run(lambda uow: _recorded(uow, intent, result))
    except DomainError as exc:
        # Reservations make this rare: the ledger took money an older path moved first.
        log.error("payment intent %s: the provider answered %s but the ledger refused it "
                  "(%s); left failed for a person to check", intent.id,
                  result.outcome.value, exc)
        reason = f"answered {result.outcome.value}, not recorded: {exc}"
        runner.run(lambda uow: _unanswered(uow, intent, reason, final=True))
        raise


def _unanswered(uow: UnitOfWork, intent: Intent, error: str, final: bool = False) -> Intent:
    later = intents.unanswered(uow, intent, error, final=final)
    uow.commit()
    return later


def _forgotten(uow: UnitOfWork, intent: Intent) -> None:
    intents.forget(uow, intent)
    uow.commit()


def _recorded(uow: UnitOfWork, intent: Intent, result: ProviderResult) -> Done:
    done = _RECORD[intent.operation](uow, intent, result)
    uow.commit()
    return done


def finish(runner: Runner, intent: Intent) -> Done:
    """Carry out ``intent``, then what an approved authorisation asked for next: its
    capture, or the release of an order cancelled meanwhile. One of those that gets no
    answer is left to the worker: the payment comes back as it is, the intent open."""
    done = carry_out(runner, intent)
    if intent.operation is not K.AUTHORISE or not done.approved:
        return done
    payment = done.payment
    for follow in runner.run(lambda uow: follow_up(uow, done)):
        try:
            payment = carry_out(runner, follow).payment
        except PaymentOutcomeUnknown:
            log.warning("%s intent %s of payment %s got no answer; the worker resumes it",
                        follow.operation, follow.id, payment.id)
    return Done(payment, done.transaction, done.replayed)


def resume_due(new_uow: Callable[[str], UnitOfWork], limit: int) -> int:
    """For the worker: send again open intents whose backoff has passed (the request gave
    up, or the process died between the call and the record), each as the actor who
    asked for it. Returns how many got an answer recorded."""
    return leases.resume_due(new_uow, "worker:payment-intents", intents.due, finish,
                             PaymentOutcomeUnknown, log, limit)


def send_after_commit(uow: UnitOfWork, recorded: list[Intent]) -> None:
    """Send ``recorded`` (intents the caller's transaction wrote) once that transaction
    commits, each answer recorded in a transaction of its own; never if it rolls back
    (a deadlock rerun records its own, with the same provider keys, and sends those).
    An intent that gets no answer is left open for the worker; a declined one is
    recorded as declined (``payment.declined``): neither undoes the caller's change."""
    ids = [intent.id for intent in recorded]
    if ids:
        uow.after_commit(lambda new_uow: send_committed(Transactions(new_uow), ids))


def send_committed(runner: Runner, intent_ids: list[str]) -> None:
    """Carry out the committed intents ``intent_ids``, which their caller holds leased."""
    for intent_id in intent_ids:
        intent = runner.run(lambda uow, i=intent_id: intents.find(uow, i))
        if intent is None or not intent.open:
            continue  # rolled back with a savepoint, or answered by somebody else
        try:
            done = finish(runner, intent)
        except PaymentOutcomeUnknown:
            log.warning("%s intent %s of order %s got no answer; the worker resumes it",
                        intent.operation, intent.id, intent.order_id)
            continue
        except DomainError as exc:
            log.warning("%s intent %s of order %s: %s", intent.operation, intent.id,
                        intent.order_id, exc)
            continue
        if not done.approved:
            log.warning("%s of %s for order %s was %s by %s: %s", intent.operation,
                        intent.amount, intent.order_id, done.transaction.status,
                        intent.provider, done.transaction.failure_code)
