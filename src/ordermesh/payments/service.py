"""Payment use cases, committed here.

The API's use cases work on one payment (``authorise``, ``capture``, ``void``,
``refund``, ``sync_payment``). The money-moving ones take a ``Runner`` (writing units of
work) instead of one unit of work: they commit an intent, call the provider outside any
transaction and record its answer in a new one (see ``intents.py``). The order-level
functions other features call (``capture_for_order``, ``refund_for_order``,
``void_for_order``, ``authorise_more``) live in ``order_payments`` and are re-exported
here; they join the caller's transaction and record intents that are sent once it
commits (``gateway_calls.send_after_commit``).

A declined call is not an error here: it is recorded (transaction row, event), committed,
and returned; the API answers it with a 402.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.orders.queries import OrderRef, order_ref
from ordermesh.payments import intents, ledger
from ordermesh.payments.gateway_calls import Runner, finish, resume_due
from ordermesh.payments.intent_steps import answered_step, begin_authorise, begin_move
from ordermesh.payments.intents import INTENT_RESOURCE, Intent
from ordermesh.payments.model import (
    Payment,
    PaymentSummary,
    TransactionKind,
    check_currency,
    summarise,
)
from ordermesh.payments.operations import AuthoriseRequest, Done, as_if_approved
from ordermesh.payments.order_payments import (
    authorise_more,
    capture_for_order,
    refund_for_order,
    void_for_order,
)
from ordermesh.payments.pending import sync_payment, sync_pending_payments

__all__ = [
    "AmountIn", "AuthoriseRequest", "Done", "OrderPayments", "authorise", "authorise_more",
    "authorise_payment", "capture", "capture_for_order", "expected_summary", "get_payment",
    "order_payments",
    "payment_summary", "refund", "refund_for_order", "resume_intents", "sync_payment",
    "sync_pending_payments",
    "void", "void_for_order",
]

K = TransactionKind
IdemKey = idempotency.IdempotencyKey | None


@dataclass(frozen=True)
class AmountIn:
    """An amount as a request gave it; the currency defaults to the payment's."""

    value: Decimal
    currency: str | None = None

    def to_money(self, currency: str) -> Money:
        money = Money.exact(self.value, self.currency or currency, "amount")
        check_currency(money, currency)
        return money


@dataclass(frozen=True)
class OrderPayments:
    payments: list[Payment]
    summary: PaymentSummary


def request_key(idem: IdemKey) -> str:
    """The ledger's key for an API call: the caller's Idempotency-Key, scoped to the API
    key that sent it, or a fresh one (no retry protection without a header). Made once
    per request, before its first transaction: a rerun of it keeps the key."""
    return f"api:{idem.principal}:{idem.key}" if idem else new_id("key")


def _replayed(uow: UnitOfWork, payment_id: str, kind: TransactionKind, key: str) -> Done:
    payment = ledger.get_payment(uow, payment_id)
    tx = ledger.find_transaction(uow, payment, kind, key)
    if tx is None and kind is K.AUTHORISE:
        tx = next((t for t in payment.transactions if t.kind is K.AUTHORISE), None)
    if tx is None:
        raise Conflict(f"The request with this Idempotency-Key did not {kind} payment "
                       f"{payment_id}")
    return Done(payment, tx, replayed=True)


def _prior(uow: UnitOfWork, prior: idempotency.PriorResult, kind: TransactionKind,
           key: str) -> Done | Intent:
    """What a request repeated with its Idempotency-Key gets: the first answer, or its
    intent to send again when the provider never answered it."""
    if prior.resource_type == INTENT_RESOURCE:
        return answered_step(uow, intents.get(uow, prior.resource_id))
    return _replayed(uow, prior.resource_id, kind, key)  # answered before intents existed


def _committed(uow: UnitOfWork, step: Done | Intent) -> Done | Intent:
    uow.commit()
    return step


# --------------------------------------------------------------------- authorise

RequestOf = Callable[[UnitOfWork, OrderRef], AuthoriseRequest]


def authorise_payment(runner: Runner, order_id: str, request: AuthoriseRequest | RequestOf,
                      idem: IdemKey = None) -> Done:
    """Authorise a payment for the order (and capture it at once when asked); declined
    ones are recorded and returned too. The intent is recorded and committed first, the
    provider called outside any transaction, the answer recorded in a new one.
    ``request`` may be built from the order, in the first transaction.
    ``PaymentOutcomeUnknown`` (503) when the provider did not answer."""
    key = request_key(idem)
    intent_id = new_id("pint")

    def begin(uow: UnitOfWork) -> Done | Intent:
        if prior := idempotency.claim(uow, idem, idempotency.PriorResult(
                INTENT_RESOURCE, intent_id, 201)):
            return _committed(uow, _prior(uow, prior, K.AUTHORISE, key))
        asked = request(uow, order_ref(uow, order_id)) if callable(request) else request
        asked = replace(asked, key=asked.key or key)
        return _committed(uow, begin_authorise(uow, order_id, asked, intent_id))

    step = runner.run(begin)
    return step if isinstance(step, Done) else finish(runner, step)


def authorise(runner: Runner, order_id: str, request: AuthoriseRequest,
              idem: IdemKey = None) -> Payment:
    """``authorise_payment`` for callers that only need the payment (check its status:
    ``declined``, ``failed`` and ``pending`` took no money)."""
    return authorise_payment(runner, order_id, request, idem).payment


# -------------------------------------------------------- capture, void, refund


def _operate(runner: Runner, payment_id: str, kind: TransactionKind,
             amount: AmountIn | None, idem: IdemKey, reason: str | None = None) -> Done:
    key = request_key(idem)
    intent_id = new_id("pint")

    def begin(uow: UnitOfWork) -> Done | Intent:
        if prior := idempotency.claim(uow, idem, idempotency.PriorResult(
                INTENT_RESOURCE, intent_id, 200)):
            return _committed(uow, _prior(uow, prior, kind, key))
        payment = ledger.get_payment(uow, payment_id)
        money = amount.to_money(payment.currency) if amount is not None else None
        return _committed(uow, begin_move(uow, payment_id, kind, money, key, reason,
                                          intent_id))

    step = runner.run(begin)
    return step if isinstance(step, Done) else finish(runner, step)


def capture(runner: Runner, payment_id: str, amount: AmountIn | None = None,
            idem: IdemKey = None) -> Done:
    """Capture ``amount`` (everything open when None); declined or not, it is recorded."""
    return _operate(runner, payment_id, K.CAPTURE, amount, idem)


def void(runner: Runner, payment_id: str, amount: AmountIn | None = None,
         reason: str | None = None, idem: IdemKey = None) -> Done:
    """Release ``amount`` of what is authorised and not captured (all when None)."""
    return _operate(runner, payment_id, K.VOID, amount, idem, reason)


def refund(runner: Runner, payment_id: str, amount: AmountIn, reason: str,
           idem: IdemKey = None) -> Done:
    """Give back ``amount`` of the captured money."""
    return _operate(runner, payment_id, K.REFUND, amount, idem, reason)


def resume_intents(container_uow: Callable[[str], UnitOfWork], limit: int = 20) -> int:
    """For the worker: send again intents nobody finished (``gateway_calls.resume_due``)."""
    return resume_due(container_uow, limit)


# ------------------------------------------------------------------------ reading


def get_payment(uow: UnitOfWork, payment_id: str) -> Payment:
    return ledger.get_payment(uow, payment_id)


def order_payments(uow: UnitOfWork, order_id: str) -> OrderPayments:
    """An order's payments (oldest first) with their transactions, and the summary."""
    order = order_ref(uow, order_id)
    found = ledger.order_payments(uow, order.id)
    return OrderPayments(found, summarise(order.id, order.payable, found))


def payment_summary(uow: UnitOfWork, order_id: str) -> PaymentSummary:
    """What the order's payments add up to (see ``PaymentSummary``)."""
    order = order_ref(uow, order_id)
    return summarise(order.id, order.payable,
                     ledger.order_payments(uow, order.id, transactions=False))


def expected_summary(uow: UnitOfWork, order_id: str) -> PaymentSummary:
    """``payment_summary`` as it will be once the captures, voids and refunds still
    waiting for the provider are approved (``operations.as_if_approved``)."""
    order = order_ref(uow, order_id)
    return summarise(order.id, order.payable,
                     [as_if_approved(uow, p) for p in
                      ledger.order_payments(uow, order.id, transactions=False)])
