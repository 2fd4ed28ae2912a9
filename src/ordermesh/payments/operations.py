"""Authorising, capturing, voiding and refunding inside the caller's transaction.

Nothing here commits. The checks and the recording of an answer are shared by both
ways of calling a provider:

* the API's use cases (``service.py``) record an intent, call the provider outside any
  transaction and record the answer in a new one (``intent_steps.py``);
* the order-level functions other features call inside their own transaction
  (``order_payments.py``: a shipment's capture, an order refund or edit) and the
  settlement of a pending payment still call the provider here, inside the caller's
  transaction, with the payment row locked (see docs/payments.md, "Calls to the
  gateway: intents", for what that still risks with a remote gateway).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import IdempotencyKeyReused, IllegalTransition, InvalidInput
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import record_event
from ordermesh.orders.model import OrderStatus
from ordermesh.orders.queries import OrderRef, order_ref
from ordermesh.payments import intents, ledger
from ordermesh.payments.model import (
    AmountNotAvailable,
    AuthoriseCall,
    Outcome,
    Payment,
    PaymentMethod,
    PaymentProvider,
    PaymentStatus,
    ProviderResult,
    Transaction,
    TransactionKind,
    check_capture,
    check_currency,
    check_order_capacity,
    check_positive,
    check_refund,
    check_void,
    status_after_authorisation,
)
from ordermesh.payments.providers import get_provider

MAX_PROVIDER_KEY = 255  # what gateways accept (Stripe: 255 characters)
SETTLEMENT_KEY = "settlement"  # the transaction that records a pending payment's outcome
K = TransactionKind

_EVENT = {
    (K.AUTHORISE, Outcome.APPROVED): "payment.authorised",
    (K.AUTHORISE, Outcome.PENDING): "payment.pending",
    (K.CAPTURE, Outcome.APPROVED): "payment.captured",
    (K.VOID, Outcome.APPROVED): "payment.voided",
    (K.REFUND, Outcome.APPROVED): "payment.refunded",
}
_CHECK = {K.CAPTURE: check_capture, K.VOID: check_void, K.REFUND: check_refund}


@dataclass(frozen=True)
class AuthoriseRequest:
    provider: str
    amount: Money | None = None  # None: what is left of the order total
    method: PaymentMethod | None = None  # None: the provider's usual method
    source: str | None = None  # see AuthoriseCall.source
    capture: bool = False  # capture everything at once when approved
    key: str | None = None  # idempotency key; the same key returns the same payment
    due_date: date | None = None  # invoice terms only: when the money is due


@dataclass(frozen=True)
class Done:
    """A payment after one operation, and the transaction that operation recorded."""

    payment: Payment
    transaction: Transaction
    replayed: bool = False

    @property
    def approved(self) -> bool:
        return self.transaction.status is Outcome.APPROVED


def provider_key(scope: str, kind: TransactionKind, key: str) -> str:
    """The key a provider gets: unique across orders and payments, however our own keys
    repeat (a caller's key is unique per payment and kind only)."""
    raw = f"{scope}:{kind}:{key}"
    if len(raw) <= MAX_PROVIDER_KEY:
        return raw
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()


def event_payload(payment: Payment, tx: Transaction) -> dict:
    payload = {
        "order_id": payment.order_id, "payment_id": payment.id, "provider": payment.provider,
        "method": payment.method.value, "transaction_id": tx.id, "kind": tx.kind.value,
        "amount": str(tx.amount.amount), "currency": payment.currency,
        "status": payment.status.value, "authorised": str(payment.authorised.amount),
        "captured": str(payment.captured.amount), "refunded": str(payment.refunded.amount),
        "voided": str(payment.voided.amount),
    }
    if tx.reason:
        payload["reason"] = tx.reason
    if tx.status is not Outcome.APPROVED and tx.status is not Outcome.PENDING:
        payload["outcome"] = tx.status.value
        payload["failure_code"] = tx.failure_code
        payload["failure_message"] = tx.failure_message
    return payload


def _record(uow: UnitOfWork, payment: Payment, tx: Transaction) -> None:
    event = _EVENT.get((tx.kind, tx.status), "payment.declined")
    record_event(uow, event, "payment", payment.id, event_payload(payment, tx))


# ------------------------------------------------------------------------- authorise


def authorise_in(uow: UnitOfWork, order_id: str, request: AuthoriseRequest) -> Done:
    """Authorise a new payment for the order inside the caller's transaction (an order
    edit that raises the total); a declined one is recorded too. The API authorises
    through an intent instead (``intent_steps``), calling the provider outside it."""
    order = order_ref(uow, order_id, for_update=True)  # one authorisation at a time
    key = request.key or new_id("key")
    if (prior := ledger.payment_by_key(uow, order.id, key)) is not None:
        return replay_authorisation(prior, request)
    provider, method, amount = check_authorisation(uow, order, request)
    call = AuthoriseCall(amount, method, provider_key(order.id, K.AUTHORISE, key),
                         request.source, order.number)
    result = provider.authorise(uow, call)
    done = insert_authorisation(uow, Authorised(
        order.id, new_id("pay"), provider.name, method, amount, key, request.capture,
        request.due_date), result)
    if request.capture and result.approved:
        move(uow, done.payment, K.CAPTURE, None, key)
    return Done(ledger.get_payment(uow, done.payment.id), done.transaction)


def check_authorisation(uow: UnitOfWork, order: OrderRef, request: AuthoriseRequest
                        ) -> tuple[PaymentProvider, PaymentMethod, Money]:
    """The provider, method and amount of a new authorisation of a **locked** order, or why
    it cannot have one (cancelled, a method the provider does not take, over the total:
    authorisations still waiting for the provider count as taken)."""
    if order.status is OrderStatus.CANCELLED:
        raise IllegalTransition(f"Order {order.number} is cancelled: it takes no payment",
                                extra={"order_id": order.id, "current_status": "cancelled"})
    provider = get_provider(request.provider)
    method = request.method or provider.default_method
    if method not in provider.methods:
        known = ", ".join(sorted(provider.methods))
        raise InvalidInput.for_field(
            "method", f"Provider '{provider.name}' takes {known}, not {method}",
            "unsupported_method")
    if (request.due_date is not None) != (method is PaymentMethod.INVOICE_TERMS):
        raise InvalidInput.for_field(
            "due_in_days", "invoice_terms needs a due date, and only invoice_terms has one",
            "due_date_mismatch")
    existing = ledger.order_payments(uow, order.id, transactions=False)
    committed = sum((p.committed for p in existing),
                    intents.reserved_for_authorisation(uow, order.id, order.currency))
    if request.amount is None:
        amount = order.payable - committed
        if amount.amount <= 0:
            raise AmountNotAvailable(
                f"Order {order.number} is covered already: nothing left to authorise",
                extra={"order_id": order.id, "available": "0", "currency": order.currency})
    else:
        amount = request.amount
        check_currency(amount, order.currency)
        check_positive(amount)
    check_order_capacity(order.payable, committed, amount)
    return provider, method, amount


@dataclass(frozen=True)
class Authorised:
    """What a new payment is, besides the provider's answer."""

    order_id: str
    payment_id: str
    provider: str
    method: PaymentMethod
    amount: Money
    key: str
    capture: bool
    due_date: date | None


def insert_authorisation(uow: UnitOfWork, what: Authorised, result: ProviderResult) -> Done:
    """Record a provider's answer to an authorisation: the payment, its first transaction
    and the event."""
    ledger.insert_payment(uow, payment_id=what.payment_id, order_id=what.order_id,
                          provider=what.provider, method=what.method, key=what.key,
                          requested=what.amount, result=result,
                          status=status_after_authorisation(result.outcome),
                          capture_on_approval=what.capture, due_date=what.due_date)
    payment = ledger.get_payment(uow, what.payment_id)
    tx = ledger.insert_transaction(uow, payment, K.AUTHORISE, what.amount, what.key, result)
    _record(uow, payment, tx)
    return Done(ledger.get_payment(uow, what.payment_id), tx)


def replay_authorisation(payment: Payment, request: AuthoriseRequest) -> Done:
    if payment.provider != request.provider or (
            request.amount is not None and request.amount != payment.requested):
        raise IdempotencyKeyReused(
            f"Key '{request.key}' authorised payment {payment.id} of {payment.requested} "
            f"with '{payment.provider}'; use a new key for another authorisation")
    first = next(t for t in payment.transactions if t.kind is K.AUTHORISE)
    return Done(payment, first, replayed=True)


def settle_in(uow: UnitOfWork, payment: Payment) -> Done | None:
    """Ask the provider how a pending payment ended; None while it is still pending.
    ``payment`` must be locked."""
    if payment.status is not PaymentStatus.PENDING or payment.provider_reference is None:
        return None
    result = get_provider(payment.provider).status(uow, payment.provider_reference)
    if result.outcome is Outcome.PENDING:
        return None
    if not ledger.settle(uow, payment, result, status_after_authorisation(result.outcome)):
        return None
    settled = ledger.get_payment(uow, payment.id)
    tx = ledger.insert_transaction(uow, settled, K.AUTHORISE, payment.requested,
                                   SETTLEMENT_KEY, result)
    _record(uow, settled, tx)
    if result.approved:
        _after_late_approval(uow, ledger.get_payment(uow, payment.id))
    return Done(ledger.get_payment(uow, payment.id), tx)


def _after_late_approval(uow: UnitOfWork, payment: Payment) -> None:
    """The order may have shrunk or been cancelled while the bank decided: what exceeds
    what is owed is released at once; then the capture asked for is made."""
    excess = excess_of(uow, payment.order_id)
    if excess.amount > 0:
        move(uow, payment, K.VOID, min(excess, payment.open), f"{SETTLEMENT_KEY}:void")
        payment = ledger.get_payment(uow, payment.id)
    if payment.capture_on_approval and payment.open.amount > 0:
        move(uow, payment, K.CAPTURE, None, f"{SETTLEMENT_KEY}:capture")


def excess_of(uow: UnitOfWork, order_id: str) -> Money:
    """What the order's payments hold beyond what the order owes now (all of it when the
    order is cancelled): what an approval that came late must release."""
    order = order_ref(uow, order_id)
    others = ledger.order_payments(uow, order.id, transactions=False)
    owed = Money.zero(order.currency) if order.status is OrderStatus.CANCELLED \
        else order.payable
    return sum((p.committed for p in others), Money.zero(order.currency)) - owed


# ---------------------------------------------------------- capture, void, refund


def move(uow: UnitOfWork, payment: Payment, kind: TransactionKind, amount: Money | None,
         key: str, reason: str | None = None) -> Done:
    """Capture, void or refund ``amount`` of a **locked** payment (capture and void: all
    that is open when None). The same ``key`` again returns the first transaction."""
    prior = ledger.find_transaction(uow, payment, kind, key)
    if prior is not None:
        if amount is not None and amount != prior.amount:
            raise IdempotencyKeyReused(
                f"Key '{key}' was used to {kind} {prior.amount} of payment {payment.id}, "
                f"not {amount}; use a new key for another {kind}")
        return Done(ledger.get_payment(uow, payment.id), prior, replayed=True)
    amount = check_move(uow, payment, kind, amount)
    provider = get_provider(payment.provider)
    call = {K.CAPTURE: provider.capture, K.VOID: provider.void, K.REFUND: provider.refund}[kind]
    result = call(uow, payment.provider_reference or "", amount,
                  provider_key(payment.id, kind, key))
    return insert_move(uow, payment, kind, amount, key, result, reason)


def check_move(uow: UnitOfWork, payment: Payment, kind: TransactionKind,
               amount: Money | None) -> Money:
    """The amount to capture, void or refund (capture and void: all that is open when
    None), or why the payment does not have it. What open intents are about to move is
    taken already: their answers must fit the ledger when they come."""
    taken = intents.reserved(uow, payment.id)
    cur = payment.currency
    capturing = Money.of(taken.get(K.CAPTURE, 0), cur)
    available = replace(
        payment, captured=payment.captured + capturing,
        voided=payment.voided + Money.of(taken.get(K.VOID, 0), cur),
        # a capture under way is not refundable yet: refundable = captured - refunded
        refunded=payment.refunded + capturing + Money.of(taken.get(K.REFUND, 0), cur))
    if amount is None:
        amount = available.open
    _CHECK[kind](available, amount)
    return amount


def insert_move(uow: UnitOfWork, payment: Payment, kind: TransactionKind, amount: Money,
                key: str, result: ProviderResult, reason: str | None) -> Done:
    """Record a provider's answer to a capture, void or refund of a **locked** payment."""
    if result.approved:
        payment = ledger.add_amount(uow, payment, kind, amount)
    tx = ledger.insert_transaction(uow, payment, kind, amount, key, result, reason)
    _record(uow, payment, tx)
    return Done(ledger.get_payment(uow, payment.id), tx)
