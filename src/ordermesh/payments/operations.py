"""The checks of authorising, capturing, voiding and refunding, and the recording of a
provider's answer, inside the caller's transaction. Nothing here commits, and nothing
here calls a provider: every call goes through a payment intent (``intents.py``), sent
outside any transaction (``gateway_calls.py``), whether the API asked for it
(``service.py``), another feature (``order_payments.py``: a shipment's capture, an order
refund, a cancellation, an edit) or the settlement of a pending payment (``pending.py``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import IdempotencyKeyReused, IllegalTransition, InvalidInput
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import record_event
from ordermesh.orders.model import OrderStatus
from ordermesh.orders.queries import OrderRef, order_ref
from ordermesh.payments import intents, ledger
from ordermesh.payments.model import (
    AmountNotAvailable,
    Outcome,
    Payment,
    PaymentMethod,
    PaymentProvider,
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


def record_payment_event(uow: UnitOfWork, payment: Payment, tx: Transaction) -> None:
    event = _EVENT.get((tx.kind, tx.status), "payment.declined")
    record_event(uow, event, "payment", payment.id, event_payload(payment, tx))


# ------------------------------------------------------------------------- authorise


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
    record_payment_event(uow, payment, tx)
    return Done(ledger.get_payment(uow, what.payment_id), tx)


def replay_authorisation(payment: Payment, request: AuthoriseRequest) -> Done:
    if payment.provider != request.provider or (
            request.amount is not None and request.amount != payment.requested):
        raise IdempotencyKeyReused(
            f"Key '{request.key}' authorised payment {payment.id} of {payment.requested} "
            f"with '{payment.provider}'; use a new key for another authorisation")
    first = next(t for t in payment.transactions if t.kind is K.AUTHORISE)
    return Done(payment, first, replayed=True)


def excess_of(uow: UnitOfWork, order_id: str) -> Money:
    """What the order's payments hold beyond what the order owes now (all of it when the
    order is cancelled): what an approval that came late must release."""
    order = order_ref(uow, order_id)
    others = ledger.order_payments(uow, order.id, transactions=False)
    owed = Money.zero(order.currency) if order.status is OrderStatus.CANCELLED \
        else order.payable
    return sum((p.committed for p in others), Money.zero(order.currency)) - owed


# ---------------------------------------------------------- capture, void, refund


def check_move(uow: UnitOfWork, payment: Payment, kind: TransactionKind,
               amount: Money | None) -> Money:
    """The amount to capture, void or refund (capture and void: all that is open when
    None), or why the payment does not have it. What open intents are about to move is
    taken already: their answers must fit the ledger when they come."""
    available = available_of(uow, payment)
    if amount is None:
        amount = available.open
    _CHECK[kind](available, amount)
    return amount


def _moving(uow: UnitOfWork, payment: Payment) -> tuple[Money, Money, Money]:
    """What open intents are about to capture, void and refund of the payment."""
    taken = intents.reserved(uow, payment.id)
    return tuple(Money.of(taken.get(k, 0), payment.currency)  # type: ignore[return-value]
                 for k in (K.CAPTURE, K.VOID, K.REFUND))


def as_if_approved(uow: UnitOfWork, payment: Payment) -> Payment:
    """The payment as it will be once its open intents are answered approved: what an
    order's settlement counts on (it must not void money a capture under way takes)."""
    capturing, voiding, refunding = _moving(uow, payment)
    return replace(payment, captured=payment.captured + capturing,
                   voided=payment.voided + voiding, refunded=payment.refunded + refunding)


def available_of(uow: UnitOfWork, payment: Payment) -> Payment:
    """The payment with what open intents take counted as gone: its ``open`` can still be
    captured or voided and its ``refundable`` refunded, whatever those intents' answers."""
    capturing, voiding, refunding = _moving(uow, payment)
    return replace(
        payment, captured=payment.captured + capturing, voided=payment.voided + voiding,
        # a capture under way is not refundable yet: refundable = captured - refunded
        refunded=payment.refunded + capturing + refunding)


def insert_move(uow: UnitOfWork, payment: Payment, kind: TransactionKind, amount: Money,
                key: str, result: ProviderResult, reason: str | None) -> Done:
    """Record a provider's answer to a capture, void or refund of a **locked** payment."""
    if result.approved:
        payment = ledger.add_amount(uow, payment, kind, amount)
    tx = ledger.insert_transaction(uow, payment, kind, amount, key, result, reason)
    record_payment_event(uow, payment, tx)
    return Done(ledger.get_payment(uow, payment.id), tx)
