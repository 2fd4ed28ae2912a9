"""Money of a whole order: what other features (shipping, refunds, edits, cancellations)
call to capture, refund, void or authorise more.

These functions join the caller's transaction and do not commit: the caller commits its
own change (a shipment, a refund, an edit) and the money movement together, or neither.
They lock the order's payments in ``seq`` order; a caller that also locks the order row
must lock it first (``order_ref(..., for_update=True)``).

Every call takes an idempotency ``key``. A retry with the same key finds the
transactions the first call recorded and returns its result without moving money again.
The key is stored per payment and kind, so the same key may be used for a capture and
for a refund, and on different orders.
"""

from __future__ import annotations

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput
from ordermesh.kit.money import Money
from ordermesh.orders.queries import OrderRef, order_ref
from ordermesh.payments import ledger
from ordermesh.payments.model import (
    DEFERRED_METHODS,
    FINAL_WITHOUT_MONEY,
    MONEY_STATUSES,
    AmountNotAvailable,
    Outcome,
    Payment,
    PaymentDeclined,
    Transaction,
    TransactionKind,
    check_currency,
    check_positive,
)
from ordermesh.payments.operations import AuthoriseRequest, Done, authorise_in, move

K = TransactionKind


def _locked(uow: UnitOfWork, order_id: str, amount: Money | None) -> tuple[OrderRef,
                                                                          list[Payment]]:
    order = order_ref(uow, order_id)
    if amount is not None:
        check_currency(amount, order.currency)
        check_positive(amount)
    found = ledger.order_payments(uow, order.id, for_update=True, transactions=False)
    return order, [p for p in found if p.status in MONEY_STATUSES]


def _approved_total(transactions: list[Transaction], currency: str) -> Money:
    return sum((t.amount for t in transactions if t.status is Outcome.APPROVED),
               Money.zero(currency))


def _declined(done: Done) -> PaymentDeclined:
    tx = done.transaction
    return PaymentDeclined(
        f"{tx.kind.capitalize()} of {tx.amount} on payment {tx.payment_id} was {tx.status}: "
        f"{tx.failure_message or tx.failure_code}",
        extra={"payment_id": tx.payment_id, "transaction_id": tx.id,
               "decline_code": tx.failure_code})


def capture_for_order(uow: UnitOfWork, order_id: str, amount: Money, key: str) -> Money:
    """Capture up to ``amount`` over the order's authorised payments, oldest first.

    Returns what was captured: less than ``amount`` when the open authorisations do not
    cover it, or a provider declined a capture (that attempt is recorded and the next
    payment tried). Cash on delivery and invoice terms are not captured here: a person
    captures them when the money arrives. Does not commit."""
    order, found = _locked(uow, order_id, amount)
    if prior := ledger.transactions_by_key(uow, order.id, K.CAPTURE, key):
        return _approved_total(prior, order.currency)
    remaining = amount
    for payment in found:
        if remaining.amount == 0:
            break
        if payment.open.amount == 0 or payment.method in DEFERRED_METHODS:
            continue  # cash on delivery and invoice terms are captured when paid
        take = min(payment.open, remaining, key=lambda m: m.amount)
        if move(uow, payment, K.CAPTURE, take, key).approved:
            remaining = remaining - take
    return amount - remaining


def refund_for_order(uow: UnitOfWork, order_id: str, amount: Money, reason: str,
                     key: str) -> list[Transaction]:
    """Refund ``amount`` of the order's captured money, newest payment first; returns the
    refund transactions. ``AmountNotAvailable`` (409) when more than the refundable
    total is asked, ``PaymentDeclined`` (409) when a provider refuses: nothing is
    refunded then, if the caller rolls back. Does not commit."""
    if not reason or not reason.strip():
        raise InvalidInput.for_field("reason", "a refund needs a reason")
    order, found = _locked(uow, order_id, amount)
    if prior := ledger.transactions_by_key(uow, order.id, K.REFUND, key):
        return prior
    refundable = sum((p.refundable for p in found), Money.zero(order.currency))
    if amount.amount > refundable.amount:
        raise AmountNotAvailable(
            f"Cannot refund {amount} of order {order.number}: {refundable} is refundable",
            extra={"order_id": order.id, "requested": str(amount.amount),
                   "available": str(refundable.amount), "currency": order.currency})
    remaining, refunds = amount, []
    for payment in reversed(found):
        if remaining.amount == 0:
            break
        if payment.refundable.amount == 0:
            continue
        take = min(payment.refundable, remaining, key=lambda m: m.amount)
        done = move(uow, payment, K.REFUND, take, key, reason)
        if not done.approved:
            raise _declined(done)
        refunds.append(done.transaction)
        remaining = remaining - take
    return refunds


def void_for_order(uow: UnitOfWork, order_id: str, key: str,
                   amount: Money | None = None) -> Money:
    """Release authorised-but-uncaptured money of the order (all of it when ``amount`` is
    None), newest payment first; returns what was released. ``AmountNotAvailable`` when
    more is asked than is open, ``PaymentDeclined`` when a provider refuses. Pending
    payments hold no open money yet and are left alone. Does not commit."""
    order, found = _locked(uow, order_id, amount)
    if prior := ledger.transactions_by_key(uow, order.id, K.VOID, key):
        return _approved_total(prior, order.currency)
    open_total = sum((p.open for p in found), Money.zero(order.currency))
    if amount is None:
        amount = open_total
    elif amount.amount > open_total.amount:
        raise AmountNotAvailable(
            f"Cannot void {amount} of order {order.number}: {open_total} is authorised and "
            "not captured", extra={"order_id": order.id, "requested": str(amount.amount),
                                   "available": str(open_total.amount),
                                   "currency": order.currency})
    remaining = amount
    for payment in reversed(found):
        if remaining.amount == 0:
            break
        if payment.open.amount == 0:
            continue
        take = min(payment.open, remaining, key=lambda m: m.amount)
        done = move(uow, payment, K.VOID, take, key)
        if not done.approved:
            raise _declined(done)
        remaining = remaining - take
    return amount


def authorise_more(uow: UnitOfWork, order: OrderRef, amount: Money, key: str) -> Payment:
    """Authorise ``amount`` more for the order (an edit raised its total), with the
    provider, method and payment source of its latest payment that was not refused, and
    captured (now, or when a pending approval comes) when the order captures at order.

    Returns the new payment; check its status: ``declined``/``failed`` took no money and
    ``pending`` not yet. The order's total must already include the increase. Does not
    commit."""
    existing = ledger.order_payments(uow, order.id, transactions=False)
    if (prior := ledger.payment_by_key(uow, order.id, key)) is not None:
        return prior
    latest = next((p for p in reversed(existing) if p.status not in FINAL_WITHOUT_MONEY),
                  None)
    if latest is None:
        raise Conflict(f"Order {order.number} has no payment whose method could be charged "
                       "again", extra={"order_id": order.id})
    request = AuthoriseRequest(provider=latest.provider, amount=amount, method=latest.method,
                               source=latest.provider_reference, key=key,
                               capture=order.capture_policy == "order"
                               and latest.method not in DEFERRED_METHODS,
                               due_date=latest.due_date)
    return authorise_in(uow, order.id, request).payment
