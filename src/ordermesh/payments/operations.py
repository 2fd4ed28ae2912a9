"""Authorising, capturing, voiding and refunding inside the caller's transaction.

Nothing here commits: the API use cases in ``service.py`` and the order-level functions
in ``order_payments.py`` compose these steps into one transaction each.

The provider is called inside that transaction, while the payment row (or, to
authorise, the order row) is locked. That is what makes a retry or a concurrent call
safe: the second call waits, then finds the first one's transaction row by its key. The
price for a remote gateway is a network call while a row is locked, and a charge the
gateway made but our rollback forgot (see docs/payments.md, "Providers inside the
transaction").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import IdempotencyKeyReused, IllegalTransition, InvalidInput
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import record_event
from ordermesh.orders.model import OrderStatus
from ordermesh.orders.queries import order_ref
from ordermesh.payments import ledger
from ordermesh.payments.model import (
    AmountNotAvailable,
    AuthoriseCall,
    Outcome,
    Payment,
    PaymentMethod,
    PaymentStatus,
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
    """Authorise a new payment for the order; a declined one is recorded too."""
    order = order_ref(uow, order_id, for_update=True)  # one authorisation at a time
    key = request.key or new_id("key")
    if (prior := ledger.payment_by_key(uow, order.id, key)) is not None:
        return _replay_authorisation(prior, request)
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
    committed = sum((p.committed for p in existing), Money.zero(order.currency))
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

    call = AuthoriseCall(amount, method, provider_key(order.id, K.AUTHORISE, key),
                         request.source, order.number)
    result = provider.authorise(uow, call)
    payment_id = new_id("pay")
    ledger.insert_payment(uow, payment_id=payment_id, order_id=order.id,
                          provider=provider.name, method=method, key=key, requested=amount,
                          result=result, status=status_after_authorisation(result.outcome),
                          capture_on_approval=request.capture, due_date=request.due_date)
    payment = ledger.get_payment(uow, payment_id)
    tx = ledger.insert_transaction(uow, payment, K.AUTHORISE, amount, key, result)
    _record(uow, payment, tx)
    if request.capture and result.approved:
        move(uow, payment, K.CAPTURE, None, key)
    return Done(ledger.get_payment(uow, payment_id), tx)


def _replay_authorisation(payment: Payment, request: AuthoriseRequest) -> Done:
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
    order = order_ref(uow, payment.order_id)  # read only: the payment row is locked
    others = ledger.order_payments(uow, order.id, transactions=False)
    owed = Money.zero(order.currency) if order.status is OrderStatus.CANCELLED \
        else order.payable
    excess = sum((p.committed for p in others), Money.zero(order.currency)) - owed
    if excess.amount > 0:
        move(uow, payment, K.VOID, min(excess, payment.open), f"{SETTLEMENT_KEY}:void")
        payment = ledger.get_payment(uow, payment.id)
    if payment.capture_on_approval and payment.open.amount > 0:
        move(uow, payment, K.CAPTURE, None, f"{SETTLEMENT_KEY}:capture")


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
    if amount is None:
        amount = payment.open
    _CHECK[kind](payment, amount)
    provider = get_provider(payment.provider)
    call = {K.CAPTURE: provider.capture, K.VOID: provider.void, K.REFUND: provider.refund}[kind]
    result = call(uow, payment.provider_reference or "", amount,
                  provider_key(payment.id, kind, key))
    if result.approved:
        payment = ledger.add_amount(uow, payment, kind, amount)
    tx = ledger.insert_transaction(uow, payment, kind, amount, key, result, reason)
    _record(uow, payment, tx)
    return Done(ledger.get_payment(uow, payment.id), tx)
