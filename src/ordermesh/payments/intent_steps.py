"""The two transactions around a provider call: record the intent, record the answer.

``begin_*`` run in the first transaction (with the order or payment row locked): they
check the request exactly as a call inside the transaction did, and return either the
earlier answer (a retry of a request that was answered) or an intent, leased to the
caller, to send once that transaction has committed. ``record_*`` run in the second:
they write what one transaction wrote before (the payment, its transaction row, its
status, the event). See ``intents.py`` for the whole path.
"""

from __future__ import annotations

from datetime import date

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, IdempotencyKeyReused, IllegalTransition
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.orders.queries import order_ref
from ordermesh.payments import intents, ledger
from ordermesh.payments.intents import Intent, IntentStatus
from ordermesh.payments.model import PaymentMethod, ProviderResult, TransactionKind
from ordermesh.payments.operations import (
    Authorised,
    AuthoriseRequest,
    Done,
    check_authorisation,
    check_move,
    excess_of,
    insert_authorisation,
    insert_move,
    provider_key,
    replay_authorisation,
)

K = TransactionKind


class PaymentInProgress(Conflict):
    """Another request is calling the provider for this same request right now."""

    code = "payment-in-progress"
    title = "The same payment request is under way"


def _taken(uow: UnitOfWork, intent: Intent) -> Intent:
    """Lease an open intent for this caller, or say why it cannot be sent now."""
    if intent.status is IntentStatus.FAILED:
        raise Conflict(
            f"The provider gave no answer to this {intent.operation} after "
            f"{intent.attempts} attempts ({intent.last_error}); it is left for a person to "
            "check with the provider", extra={"intent_id": intent.id,
                                              "intent_status": intent.status.value})
    leased = intents.lease(uow, intent)
    if leased is None:
        raise PaymentInProgress(
            f"A call to the provider for this {intent.operation} is under way; ask again "
            "in a moment with the same Idempotency-Key",
            extra={"intent_id": intent.id, "intent_status": intent.status.value})
    return leased


def answered_step(uow: UnitOfWork, intent: Intent) -> Done | Intent:
    """What a retry of the request of ``intent`` gets: the recorded answer, or the intent
    itself, leased, to send again."""
    if intent.status is not IntentStatus.SUCCEEDED:
        return _taken(uow, intent)
    payment = ledger.get_payment(uow, intent.payment_id or "")
    tx = ledger.find_transaction(uow, payment, intent.operation, intent.request_key)
    if tx is None:
        raise Conflict(f"The request with this Idempotency-Key did not {intent.operation} "
                       f"payment {payment.id}")
    return Done(payment, tx, replayed=True)


# --------------------------------------------------------------------- authorise


def begin_authorise(uow: UnitOfWork, order_id: str, request: AuthoriseRequest,
                    intent_id: str | None = None) -> Done | Intent:
    """Check an authorisation of the order and record its intent (``request.key`` set)."""
    order = order_ref(uow, order_id, for_update=True)  # one authorisation at a time
    key = request.key or new_id("key")
    if (prior := ledger.payment_by_key(uow, order.id, key)) is not None:
        return replay_authorisation(prior, request)
    pkey = provider_key(order.id, K.AUTHORISE, key)
    if (intent := intents.by_provider_key(uow, pkey)) is not None:
        if intent.provider != request.provider or (
                request.amount is not None and request.amount != intent.amount):
            raise IdempotencyKeyReused(
                f"Key '{key}' asked '{intent.provider}' to authorise {intent.amount}; use a "
                "new key for another authorisation")
        return answered_step(uow, intent)
    provider, method, amount = check_authorisation(uow, order, request)
    return intents.create(
        uow, operation=K.AUTHORISE, provider=provider.name, order_id=order.id,
        payment_id=None, request_key=key, provider_key=pkey, amount=amount,
        intent_id=intent_id, details={
            "method": method.value, "source": request.source, "description": order.number,
            "capture": request.capture,
            "due_date": request.due_date.isoformat() if request.due_date else None})


def record_authorisation(uow: UnitOfWork, intent: Intent, result: ProviderResult) -> Done:
    """Record the answer to an authorisation intent. An approved one that was asked to be
    captured gets its capture intent in the same transaction (the capture is made even if
    this process stops right after); what the order no longer owes (it was cancelled or
    shrunk meanwhile) gets a void intent first, as a late approval does."""
    order = order_ref(uow, intent.order_id, for_update=True)
    payment_id = new_id("pay")
    if not intents.answered(uow, intent, result, payment_id):
        return answered_step(uow, intents.get(uow, intent.id))  # recorded by another caller
    d = intent.details
    due = date.fromisoformat(d["due_date"]) if d.get("due_date") else None
    done = insert_authorisation(uow, Authorised(
        order.id, payment_id, intent.provider, PaymentMethod(d["method"]), intent.amount,
        intent.request_key, bool(d.get("capture")), due), result)
    if not result.approved:
        return done
    # cancelled or shrunk while the gateway decided: what is not owed is released
    excess = excess_of(uow, order.id)
    if excess.amount > 0:
        begin_move(uow, payment_id, K.VOID, min(excess, intent.amount),
                   f"{intent.request_key}:excess")
    if d.get("capture") and excess < intent.amount:
        begin_move(uow, payment_id, K.CAPTURE, None, intent.request_key)
    return done


# -------------------------------------------------------- capture, void, refund


def begin_move(uow: UnitOfWork, payment_id: str, kind: TransactionKind,
               amount: Money | None, key: str, reason: str | None = None,
               intent_id: str | None = None) -> Done | Intent:
    """Check a capture, void or refund of the payment and record its intent."""
    payment = ledger.get_payment(uow, payment_id, for_update=True)
    if (prior := ledger.find_transaction(uow, payment, kind, key)) is not None:
        if amount is not None and amount != prior.amount:
            raise IdempotencyKeyReused(
                f"Key '{key}' was used to {kind} {prior.amount} of payment {payment.id}, "
                f"not {amount}; use a new key for another {kind}")
        return Done(payment, prior, replayed=True)
    pkey = provider_key(payment.id, kind, key)
    if (intent := intents.by_provider_key(uow, pkey)) is not None:
        if amount is not None and amount != intent.amount:
            raise IdempotencyKeyReused(
                f"Key '{key}' is being used to {kind} {intent.amount} of payment "
                f"{payment.id}, not {amount}; use a new key for another {kind}")
        return answered_step(uow, intent)
    if payment.provider_reference is None:
        raise IllegalTransition(f"Payment {payment.id} has no provider reference",
                                extra={"payment_id": payment.id})
    amount = check_move(uow, payment, kind, amount)
    return intents.create(
        uow, operation=kind, provider=payment.provider, order_id=payment.order_id,
        payment_id=payment.id, request_key=key, provider_key=pkey, amount=amount,
        intent_id=intent_id,
        details={"reference": payment.provider_reference, "reason": reason})


def record_move(uow: UnitOfWork, intent: Intent, result: ProviderResult) -> Done:
    """Record the answer to a capture, void or refund intent."""
    payment = ledger.get_payment(uow, intent.payment_id or "", for_update=True)
    if not intents.answered(uow, intent, result, payment.id):
        return answered_step(uow, intents.get(uow, intent.id))
    return insert_move(uow, payment, intent.operation, intent.amount, intent.request_key,
                       result, intent.details.get("reason"))


def follow_up(uow: UnitOfWork, done: Done) -> list[Intent]:
    """What an authorisation this caller recorded asked for next (a capture, or the
    release of an order cancelled meanwhile), if it still waits to be sent."""
    if done.replayed or done.transaction.kind is not K.AUTHORISE:
        return []
    return [i for i in intents.open_intents(uow, done.payment.order_id)
            if i.payment_id == done.payment.id]
