"""Payments: statuses, the provider protocol and the rules of the payment ledger.

A payment is one authorisation taken with one provider for one order. Money then moves
through it in one direction only::

    requested ──authorise──> authorised ──capture──> captured ──refund──> refunded
                                  │
                                  └──void──> voided (released, never to be captured)

Every amount is a running total, and these always hold (the database checks them too,
see ``tables.py``)::

    0 <= captured + voided <= authorised <= requested
    0 <= refunded <= captured

``open`` (authorised, neither captured nor voided) is what can still be captured or
voided; ``refundable`` (captured, not refunded) is what can still be refunded.

No database, no web: this module imports the standard library and ``kit`` only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from ordermesh.kit.errors import Conflict, IllegalTransition, InvalidInput
from ordermesh.kit.money import Money

if TYPE_CHECKING:  # providers that keep state use the caller's transaction
    from ordermesh.kit.db import UnitOfWork


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"  # the provider has not decided yet (e.g. 3-D Secure, bank delay)
    AUTHORISED = "authorised"  # money promised, nothing captured yet
    PARTIALLY_CAPTURED = "partially_captured"  # some captured, some still open
    CAPTURED = "captured"  # everything that will be captured is (the rest, if any, voided)
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"  # everything captured was given back
    VOIDED = "voided"  # released without any capture
    DECLINED = "declined"  # the provider (or the card's bank) said no
    FAILED = "failed"  # the provider could not process it (an error, not a refusal)


class TransactionKind(enum.StrEnum):
    AUTHORISE = "authorise"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


class Outcome(enum.StrEnum):
    """What a provider answered to one call."""

    APPROVED = "approved"
    DECLINED = "declined"
    PENDING = "pending"  # decided later: ask the provider again (``status``)
    FAILED = "failed"  # a processing error; the same call may succeed later


class PaymentMethod(enum.StrEnum):
    CARD = "card"
    CASH_ON_DELIVERY = "cash_on_delivery"
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"  # paid at a till or a counter
    OTHER = "other"  # anything else a person confirms by hand (cheque, voucher, ...)
    INVOICE_TERMS = "invoice_terms"  # pay later against the invoice, by a due date (net 30)
    STORE_CREDIT = "store_credit"  # the customer's store credit (provider store_credit)


# Paid after the goods leave: the promise lets the order ship, and nothing is captured
# when it is authorised or shipped; the money is captured when it arrives.
DEFERRED_METHODS = frozenset({PaymentMethod.CASH_ON_DELIVERY, PaymentMethod.INVOICE_TERMS})


# Statuses in which the payment holds money: authorised, captured or refunded.
MONEY_STATUSES = frozenset({
    PaymentStatus.AUTHORISED, PaymentStatus.PARTIALLY_CAPTURED, PaymentStatus.CAPTURED,
    PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED, PaymentStatus.VOIDED,
})
FINAL_WITHOUT_MONEY = frozenset({PaymentStatus.DECLINED, PaymentStatus.FAILED})


# ---------------------------------------------------------------------------- providers


@dataclass(frozen=True)
class AuthoriseCall:
    """What a provider is asked to authorise. ``source`` is whatever the provider needs to
    charge: a gateway token or, for the test gateway, a test card number or an earlier
    charge's reference; for manual payments an optional note (a transfer reference)."""

    amount: Money
    method: PaymentMethod
    key: str  # idempotency key: the same key always gets the first answer
    source: str | None = None
    description: str = ""  # shown to the customer / on the statement: the order number
    order_id: str | None = None  # the order paid for (a provider in this process reads it)


@dataclass(frozen=True)
class ProviderResult:
    outcome: Outcome
    reference: str | None  # the provider's id of the charge (or of this call)
    code: str | None = None  # decline or error code, e.g. ``insufficient_funds``
    message: str = ""
    card_last4: str | None = None
    card_brand: str | None = None

    @property
    def approved(self) -> bool:
        return self.outcome is Outcome.APPROVED


class ProviderUnavailable(Exception):
    """The provider gave no answer (a timeout, a lost connection, a 5xx): whether money
    moved is unknown. Asking again with the same idempotency key finds out."""


class PaymentProvider(Protocol):
    """One payment service. A real gateway is one more class with these methods.

    Every call takes an idempotency ``key``: calling again with the same key must return
    the first answer and move no money twice. A call that gets no answer raises
    ``ProviderUnavailable``; one that must give up on time does so within its timeout.

    ``remote`` providers are reached over the network: they get ``uow=None`` from the
    intent path (payments/intents.py), which calls them outside any transaction. The
    others (the test gateway, manual payments) live in this process and get a short
    transaction of their own, committed right after the call, as a remote gateway
    commits its own database; the test gateway keeps its state through it.
    """

    name: str
    remote: bool
    methods: frozenset[PaymentMethod]
    default_method: PaymentMethod

    def authorise(self, uow: UnitOfWork | None, call: AuthoriseCall) -> ProviderResult: ...

    def capture(self, uow: UnitOfWork | None, reference: str, amount: Money,
                key: str) -> ProviderResult: ...

    def void(self, uow: UnitOfWork | None, reference: str, amount: Money,
             key: str) -> ProviderResult: ...

    def refund(self, uow: UnitOfWork | None, reference: str, amount: Money,
               key: str) -> ProviderResult: ...

    def status(self, uow: UnitOfWork | None, reference: str) -> ProviderResult:
        """The outcome of an authorisation now (settles a pending one when it is due)."""
        ...


# ------------------------------------------------------------------------------ ledger


@dataclass(frozen=True)
class Transaction:
    """One call to the provider, whatever it answered."""

    id: str
    payment_id: str
    kind: TransactionKind
    amount: Money
    status: Outcome
    provider_reference: str | None
    idempotency_key: str
    reason: str | None
    failure_code: str | None
    failure_message: str | None
    actor: str
    created_at: datetime


@dataclass(frozen=True)
class Payment:
    id: str
    order_id: str
    provider: str
    method: PaymentMethod
    provider_reference: str | None
    currency: str
    requested: Money
    authorised: Money
    captured: Money
    refunded: Money
    voided: Money
    status: PaymentStatus
    card_last4: str | None
    card_brand: str | None
    created_at: datetime
    updated_at: datetime
    transactions: tuple[Transaction, ...] = field(default=())
    capture_on_approval: bool = False
    due_date: date | None = None  # invoice terms: when the money is due

    @property
    def open(self) -> Money:
        """Authorised and neither captured nor voided: can still be captured or voided."""
        return self.authorised - self.captured - self.voided

    @property
    def refundable(self) -> Money:
        return self.captured - self.refunded

    @property
    def committed(self) -> Money:
        """What this payment takes of the order's total: a pending request counts in full,
        released and refunded money does not."""
        if self.status is PaymentStatus.PENDING:
            return self.requested
        return self.authorised - self.voided - self.refunded


@dataclass(frozen=True)
class PaymentSummary:
    order_id: str
    order_total: Money
    authorised: Money
    captured: Money
    refunded: Money
    voided: Money
    pending: Money  # asked for, the provider has not decided yet
    open_authorised: Money  # can still be captured or voided
    refundable: Money
    to_authorise: Money  # order total not yet covered by any payment


def summarise(order_id: str, order_total: Money, payments: list[Payment]) -> PaymentSummary:
    cur = order_total.currency
    zero = Money.zero(cur)

    def add(attr: str) -> Money:
        return sum((getattr(p, attr) for p in payments), zero)

    pending = sum((p.requested for p in payments if p.status is PaymentStatus.PENDING), zero)
    committed = add("committed")
    left = order_total - committed
    return PaymentSummary(
        order_id=order_id, order_total=order_total, authorised=add("authorised"),
        captured=add("captured"), refunded=add("refunded"), voided=add("voided"),
        pending=pending, open_authorised=add("open"), refundable=add("refundable"),
        to_authorise=left if left.amount > 0 else zero,
    )


def derive_status(authorised: Money, captured: Money, refunded: Money,
                  voided: Money) -> PaymentStatus:
    """The status of a payment whose authorisation was approved, from its amounts."""
    open_ = authorised - captured - voided
    if refunded.amount > 0:
        fully = refunded == captured and open_.amount == 0
        return PaymentStatus.REFUNDED if fully else PaymentStatus.PARTIALLY_REFUNDED
    if captured.amount > 0:
        return PaymentStatus.PARTIALLY_CAPTURED if open_.amount > 0 else PaymentStatus.CAPTURED
    if voided.amount > 0 and open_.amount == 0:
        return PaymentStatus.VOIDED
    return PaymentStatus.AUTHORISED


def status_after_authorisation(outcome: Outcome) -> PaymentStatus:
    return {
        Outcome.APPROVED: PaymentStatus.AUTHORISED,
        Outcome.PENDING: PaymentStatus.PENDING,
        Outcome.DECLINED: PaymentStatus.DECLINED,
        Outcome.FAILED: PaymentStatus.FAILED,
    }[outcome]


# ------------------------------------------------------------------------------- rules


class AmountNotAvailable(Conflict):
    """More than the payment (or the order) has for this operation; nothing changed."""

    code = "amount-not-available"
    title = "Amount not available"


def check_positive(amount: Money, field_name: str = "amount") -> None:
    if amount.amount <= 0:
        raise InvalidInput.for_field(field_name, "amount must be greater than zero",
                                     "not_positive")


def check_currency(amount: Money, currency: str, field_name: str = "currency") -> None:
    if amount.currency != currency:
        raise InvalidInput.for_field(
            field_name, f"the payment is in {currency}, not {amount.currency}",
            "currency_mismatch")


def _check_holds_money(payment: Payment, action: str) -> None:
    if payment.status in FINAL_WITHOUT_MONEY or payment.status is PaymentStatus.PENDING:
        raise IllegalTransition(
            f"A {payment.status} payment cannot be {action}",
            extra={"payment_id": payment.id, "current_status": payment.status.value})


def _not_available(payment: Payment, what: str, amount: Money, available: Money) -> None:
    raise AmountNotAvailable(
        f"Cannot {what} {amount} of payment {payment.id}: only {available} is available",
        extra={"payment_id": payment.id, "requested": str(amount.amount),
               "available": str(available.amount), "currency": payment.currency})


def check_capture(payment: Payment, amount: Money) -> None:
    """Capture takes open money only: ``captured + voided + amount <= authorised``."""
    _check_holds_money(payment, "captured")
    if payment.open.amount == 0:
        raise IllegalTransition(
            f"Payment {payment.id} has nothing left to capture (it is {payment.status})",
            extra={"payment_id": payment.id, "current_status": payment.status.value})
    check_currency(amount, payment.currency)
    check_positive(amount)
    if amount.amount > payment.open.amount:
        _not_available(payment, "capture", amount, payment.open)


def check_void(payment: Payment, amount: Money) -> None:
    """Void releases open money only; captured money is refunded, not voided."""
    _check_holds_money(payment, "voided")
    if payment.open.amount == 0:
        raise IllegalTransition(
            f"Payment {payment.id} has nothing left to void (it is {payment.status}); "
            "captured money can only be refunded",
            extra={"payment_id": payment.id, "current_status": payment.status.value})
    check_currency(amount, payment.currency)
    check_positive(amount)
    if amount.amount > payment.open.amount:
        _not_available(payment, "void", amount, payment.open)


def check_refund(payment: Payment, amount: Money) -> None:
    """Refund gives back captured money only: ``refunded + amount <= captured``."""
    _check_holds_money(payment, "refunded")
    check_currency(amount, payment.currency)
    check_positive(amount)
    if amount.amount > payment.refundable.amount:
        _not_available(payment, "refund", amount, payment.refundable)


def check_order_capacity(order_total: Money, committed: Money, amount: Money) -> None:
    """An order's payments together may not take more than its total."""
    left = order_total - committed
    if amount.amount > left.amount:
        raise AmountNotAvailable(
            f"Cannot authorise {amount}: the order total is {order_total} and "
            f"{committed} of it is already authorised or pending",
            extra={"requested": str(amount.amount), "available": str(max(left.amount, 0)),
                   "currency": order_total.currency})
