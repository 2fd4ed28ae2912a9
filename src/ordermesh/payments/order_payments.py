"""Money of a whole order: what other features (shipping, refunds, edits, cancellations)
call to capture, refund, void or authorise more.

These functions join the caller's transaction, do not commit and call no provider: they
check the move, lock the order's payments (in ``seq`` order; a caller that also locks
the order row must lock it first, ``order_ref(..., for_update=True)``) and record one
payment intent per payment they move money of (``intents.py``). The intents' amounts
are taken at once (no other call can move that money), and they are sent once the
caller's transaction commits, each answer recorded in a transaction of its own
(``gateway_calls.send_after_commit``); one the provider does not answer is left to the
worker's ``payment-intents`` job. A deadlock rerun of the caller's transaction rolls its
intents back with it and records them again: nothing was sent. So the caller's change
(a shipment, a refund, a cancellation, an edit) stands whatever the provider answers:
a decline is recorded on the payment (``payment.declined``) for a person to act on.

Every call takes an idempotency ``key``, the caller's stable one (a shipment id, a refund
id). A retry with the same key finds the intents the first call recorded and returns
what it asked for without asking again. The key is stored per order and kind, so the
same key may be used for a capture and for a refund, and on different orders.
"""

from __future__ import annotations

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput
from ordermesh.kit.money import Money
from ordermesh.orders.queries import OrderRef, order_ref
from ordermesh.payments import intents, ledger
from ordermesh.payments.gateway_calls import send_after_commit
from ordermesh.payments.intent_steps import begin_authorise, begin_move
from ordermesh.payments.intents import Intent, IntentStatus
from ordermesh.payments.model import (
    DEFERRED_METHODS,
    FINAL_WITHOUT_MONEY,
    MONEY_STATUSES,
    AmountNotAvailable,
    Outcome,
    Payment,
    TransactionKind,
    check_currency,
    check_positive,
)
from ordermesh.payments.operations import AuthoriseRequest, available_of

K = TransactionKind


def _locked(uow: UnitOfWork, order_id: str, amount: Money | None) -> tuple[OrderRef,
                                                                          list[Payment]]:
    order = order_ref(uow, order_id)
    if amount is not None:
        check_currency(amount, order.currency)
        check_positive(amount)
    found = ledger.order_payments(uow, order.id, for_update=True, transactions=False)
    return order, [available_of(uow, p) for p in found if p.status in MONEY_STATUSES]


def _asked_before(uow: UnitOfWork, order: OrderRef, kind: TransactionKind,
                  key: str) -> Money | None:
    """What an earlier call with ``key`` asked to move (recorded as intents), or moved
    (recorded in the ledger before order-level calls went through intents)."""
    if prior := intents.by_request(uow, order.id, kind, key):
        return sum((i.amount for i in prior if i.status is not IntentStatus.FAILED
                    and i.outcome in (None, Outcome.APPROVED.value)),
                   Money.zero(order.currency))
    if old := ledger.transactions_by_key(uow, order.id, kind, key):
        return sum((t.amount for t in old if t.status is Outcome.APPROVED),
                   Money.zero(order.currency))
    return None


def _ask(uow: UnitOfWork, payment: Payment, kind: TransactionKind, amount: Money, key: str,
         reason: str | None = None) -> Intent | None:
    step = begin_move(uow, payment.id, kind, amount, key, reason)
    return step if isinstance(step, Intent) else None


def capture_for_order(uow: UnitOfWork, order_id: str, amount: Money, key: str) -> Money:
    """Ask to capture up to ``amount`` over the order's authorised payments, oldest
    first; returns what was asked for: less than ``amount`` when the open authorisations
    do not cover it. The captures are sent after the caller commits; a declined one is
    recorded as such and not tried on another payment. Cash on delivery and invoice
    terms are not captured here: a person captures them when the money arrives."""
    order, found = _locked(uow, order_id, amount)
    if (prior := _asked_before(uow, order, K.CAPTURE, key)) is not None:
        return prior
    remaining, asked = amount, []
    for payment in found:
        if remaining.amount == 0:
            break
        if payment.open.amount == 0 or payment.method in DEFERRED_METHODS:
            continue  # cash on delivery and invoice terms are captured when paid
        take = min(payment.open, remaining, key=lambda m: m.amount)
        if (intent := _ask(uow, payment, K.CAPTURE, take, key)) is not None:
            asked.append(intent)
            remaining = remaining - take
    send_after_commit(uow, asked)
    return amount - remaining


def refund_for_order(uow: UnitOfWork, order_id: str, amount: Money, reason: str,
                     key: str) -> list[Intent]:
    """Ask to refund ``amount`` of the order's captured money, newest payment first;
    returns the refund intents (sent after the caller commits). ``AmountNotAvailable``
    (409) when more than the refundable total is asked (a capture still waiting for
    the provider is not refundable yet)."""
    if not reason or not reason.strip():
        raise InvalidInput.for_field("reason", "a refund needs a reason")
    order, found = _locked(uow, order_id, amount)
    if prior := intents.by_request(uow, order.id, K.REFUND, key):
        return prior
    if _asked_before(uow, order, K.REFUND, key) is not None:
        return []  # refunded before refunds went through intents
    refundable = sum((p.refundable for p in found), Money.zero(order.currency))
    if amount.amount > refundable.amount:
        raise AmountNotAvailable(
            f"Cannot refund {amount} of order {order.number}: {refundable} is refundable",
            extra={"order_id": order.id, "requested": str(amount.amount),
                   "available": str(refundable.amount), "currency": order.currency})
    remaining, asked = amount, []
    for payment in reversed(found):
        if remaining.amount == 0:
            break
        if payment.refundable.amount == 0:
            continue
        take = min(payment.refundable, remaining, key=lambda m: m.amount)
        if (intent := _ask(uow, payment, K.REFUND, take, key, reason)) is not None:
            asked.append(intent)
        remaining = remaining - take
    send_after_commit(uow, asked)
    return asked


def void_for_order(uow: UnitOfWork, order_id: str, key: str,
                   amount: Money | None = None) -> Money:
    """Ask to release authorised-but-uncaptured money of the order (all of it when
    ``amount`` is None), newest payment first; returns what was asked for.
    ``AmountNotAvailable`` when more is asked than is open. Pending payments hold no open
    money yet and are left alone. The voids are sent after the caller commits."""
    order, found = _locked(uow, order_id, amount)
    if (prior := _asked_before(uow, order, K.VOID, key)) is not None:
        return prior
    open_total = sum((p.open for p in found), Money.zero(order.currency))
    if amount is None:
        amount = open_total
    elif amount.amount > open_total.amount:
        raise AmountNotAvailable(
            f"Cannot void {amount} of order {order.number}: {open_total} is authorised and "
            "not captured", extra={"order_id": order.id, "requested": str(amount.amount),
                                   "available": str(open_total.amount),
                                   "currency": order.currency})
    remaining, asked = amount, []
    for payment in reversed(found):
        if remaining.amount == 0:
            break
        if payment.open.amount == 0:
            continue
        take = min(payment.open, remaining, key=lambda m: m.amount)
        if (intent := _ask(uow, payment, K.VOID, take, key)) is not None:
            asked.append(intent)
        remaining = remaining - take
    send_after_commit(uow, asked)
    return amount


def authorise_more(uow: UnitOfWork, order: OrderRef, amount: Money, key: str) -> Money:
    """Ask to authorise ``amount`` more for the order (an edit raised its total), with
    the provider, method and payment source of its latest payment that was not refused,
    captured when approved if the order captures at order. Returns what was asked for;
    the authorisation is sent after the caller commits (a declined one leaves the order
    a balance to pay). The order's total must already include the increase."""
    existing = ledger.order_payments(uow, order.id, transactions=False)
    if prior := intents.by_request(uow, order.id, K.AUTHORISE, key):
        return prior[0].amount
    if (paid := ledger.payment_by_key(uow, order.id, key)) is not None:
        return paid.requested  # authorised before edits went through intents
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
    step = begin_authorise(uow, order.id, request)
    send_after_commit(uow, [step] if isinstance(step, Intent) else [])
    return amount
