"""Reading and writing the payment ledger (``payments`` and ``payment_transactions``).

Locks: a use case locks the payment rows it changes before it looks at their amounts or
calls a provider (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite lets one writer in at
a time). Several payments of an order are locked together, in ``seq`` order, so two use
cases can never wait for each other in a circle. Use cases that also lock the order
(authorising) lock it first, payments after.

Every amount then changes through one conditional ``UPDATE`` that re-checks the
invariant in the database (``captured + voided + :a <= authorised``, ``refunded + :a <=
captured``); the CHECK constraints in ``tables.py`` back it up. Python checks first only
to explain a refusal; the database has the last word.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, update

from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.payments.model import (
    DEFERRED_METHODS,
    MONEY_STATUSES,
    AmountNotAvailable,
    Outcome,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ProviderResult,
    Transaction,
    TransactionKind,
    derive_status,
)
from ordermesh.payments.standing import LedgerTotals, PaymentOverride, PaymentStanding
from ordermesh.payments.tables import payment_overrides, payments
from ordermesh.payments.tables import payment_transactions as txs

MAX_MESSAGE = 300


def _payment(row: Any, transactions: tuple[Transaction, ...] = ()) -> Payment:
    cur = row.currency
    return Payment(
        id=row.id, order_id=row.order_id, provider=row.provider,
        method=PaymentMethod(row.method), provider_reference=row.provider_reference,
        currency=cur, requested=Money.of(row.requested_amount, cur),
        authorised=Money.of(row.authorised_amount, cur),
        captured=Money.of(row.captured_amount, cur),
        refunded=Money.of(row.refunded_amount, cur), voided=Money.of(row.voided_amount, cur),
        status=PaymentStatus(row.status), card_last4=row.card_last4,
        card_brand=row.card_brand, created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at), transactions=transactions,
        capture_on_approval=bool(row.capture_on_approval), due_date=row.due_date,
    )


def _transaction(row: Any, currency: str) -> Transaction:
    return Transaction(
        id=row.id, payment_id=row.payment_id, kind=TransactionKind(row.kind),
        amount=Money.of(row.amount, currency), status=Outcome(row.status),
        provider_reference=row.provider_reference, idempotency_key=row.idempotency_key,
        reason=row.reason, failure_code=row.failure_code,
        failure_message=row.failure_message, actor=row.actor,
        created_at=as_utc(row.created_at),
    )


def _with_transactions(uow: UnitOfWork, rows: list[Any]) -> list[Payment]:
    if not rows:
        return []
    by_payment: dict[str, list[Transaction]] = {r.id: [] for r in rows}
    currency = {r.id: r.currency for r in rows}
    for t in uow.execute(select(txs).where(txs.c.payment_id.in_(list(by_payment)))
                         .order_by(txs.c.seq)):
        by_payment[t.payment_id].append(_transaction(t, currency[t.payment_id]))
    return [_payment(r, tuple(by_payment[r.id])) for r in rows]


def get_payment(uow: UnitOfWork, payment_id: str, *, for_update: bool = False) -> Payment:
    """One payment with its transactions; ``for_update`` locks its row."""
    query = select(payments).where(payments.c.id == payment_id)
    row = uow.execute(query.with_for_update() if for_update else query).first()
    if row is None:
        raise NotFound(f"Payment '{payment_id}' does not exist")
    return _with_transactions(uow, [row])[0]


def order_payments(uow: UnitOfWork, order_id: str, *, for_update: bool = False,
                   transactions: bool = True) -> list[Payment]:
    """An order's payments, oldest first; ``for_update`` locks them all, in that order."""
    query = select(payments).where(payments.c.order_id == order_id).order_by(payments.c.seq)
    rows = list(uow.execute(query.with_for_update() if for_update else query))
    return _with_transactions(uow, rows) if transactions else [_payment(r) for r in rows]


def payment_by_key(uow: UnitOfWork, order_id: str, key: str) -> Payment | None:
    row = uow.execute(select(payments.c.id).where(
        payments.c.order_id == order_id, payments.c.idempotency_key == key)).first()
    return get_payment(uow, row.id) if row else None


def insert_payment(
    uow: UnitOfWork, *, payment_id: str, order_id: str, provider: str,
    method: PaymentMethod, key: str, requested: Money, result: ProviderResult,
    status: PaymentStatus, capture_on_approval: bool = False, due_date: date | None = None,
) -> None:
    now = uow.clock.now()
    authorised = requested.amount if result.approved else 0
    uow.execute(insert(payments).values(
        id=payment_id, order_id=order_id, provider=provider, method=method.value,
        provider_reference=result.reference, idempotency_key=key,
        currency=requested.currency, requested_amount=requested.amount,
        authorised_amount=authorised, captured_amount=0, refunded_amount=0, voided_amount=0,
        status=status.value, card_last4=result.card_last4, card_brand=result.card_brand,
        capture_on_approval=capture_on_approval, due_date=due_date, created_at=now,
        updated_at=now))


def find_transaction(uow: UnitOfWork, payment: Payment, kind: TransactionKind,
                     key: str) -> Transaction | None:
    row = uow.execute(select(txs).where(
        txs.c.payment_id == payment.id, txs.c.kind == kind.value,
        txs.c.idempotency_key == key)).first()
    return _transaction(row, payment.currency) if row else None


def transactions_by_key(uow: UnitOfWork, order_id: str, kind: TransactionKind,
                        key: str) -> list[Transaction]:
    """The transactions an earlier order-level call with ``key`` made, oldest first."""
    rows = uow.execute(
        select(txs, payments.c.currency).join(payments, payments.c.id == txs.c.payment_id)
        .where(payments.c.order_id == order_id, txs.c.kind == kind.value,
               txs.c.idempotency_key == key).order_by(txs.c.seq))
    return [_transaction(r, r.currency) for r in rows]


def insert_transaction(
    uow: UnitOfWork, payment: Payment, kind: TransactionKind, amount: Money, key: str,
    result: ProviderResult, reason: str | None = None,
) -> Transaction:
    approved = result.approved
    tx = Transaction(
        id=new_id("ptx"), payment_id=payment.id, kind=kind, amount=amount,
        status=result.outcome, provider_reference=result.reference, idempotency_key=key,
        reason=reason, failure_code=None if approved else result.code,
        failure_message=None if approved else (result.message or None),
        actor=uow.actor, created_at=uow.clock.now())
    uow.execute(insert(txs).values(
        id=tx.id, payment_id=tx.payment_id, kind=kind.value, amount=amount.amount,
        status=tx.status.value, provider_reference=tx.provider_reference,
        idempotency_key=key, reason=reason, failure_code=tx.failure_code,
        failure_message=tx.failure_message[:MAX_MESSAGE] if tx.failure_message else None,
        actor=tx.actor, created_at=tx.created_at))
    return tx


_COLUMN = {TransactionKind.CAPTURE: payments.c.captured_amount,
           TransactionKind.VOID: payments.c.voided_amount,
           TransactionKind.REFUND: payments.c.refunded_amount}


def _within(kind: TransactionKind, a: Any) -> Any:
    c = payments.c
    if kind is TransactionKind.REFUND:
        return c.refunded_amount + a <= c.captured_amount
    return c.captured_amount + c.voided_amount + a <= c.authorised_amount


def add_amount(uow: UnitOfWork, payment: Payment, kind: TransactionKind,
               amount: Money) -> Payment:
    """Move ``amount`` into the captured, voided or refunded total, if the database agrees
    the payment has it; else ``AmountNotAvailable`` and nothing changed."""
    column = _COLUMN[kind]
    c = payments.c
    row = uow.execute(
        update(payments)
        .where(c.id == payment.id, c.currency == amount.currency,
               c.status.in_([s.value for s in MONEY_STATUSES]), _within(kind, amount.amount))
        .values({column: column + amount.amount, c.updated_at: uow.clock.now()})
        .returning(c.authorised_amount, c.captured_amount, c.refunded_amount,
                   c.voided_amount)).first()
    if row is None:
        raise AmountNotAvailable(
            f"Payment {payment.id} does not have {amount} to {kind}",
            extra={"payment_id": payment.id, "requested": str(amount.amount),
                   "currency": payment.currency})
    cur = payment.currency
    status = derive_status(Money.of(row.authorised_amount, cur),
                           Money.of(row.captured_amount, cur),
                           Money.of(row.refunded_amount, cur), Money.of(row.voided_amount, cur))
    uow.execute(update(payments).where(c.id == payment.id).values(status=status.value))
    return get_payment(uow, payment.id)


def settle(uow: UnitOfWork, payment: Payment, result: ProviderResult,
           status: PaymentStatus) -> bool:
    """Record the outcome of a pending authorisation; False if it was settled already."""
    c = payments.c
    values: dict[Any, Any] = {c.status: status.value, c.updated_at: uow.clock.now()}
    if result.approved:
        values[c.authorised_amount] = c.requested_amount
    if result.card_last4:
        values[c.card_last4] = result.card_last4
    return bool(uow.execute(update(payments).where(
        c.id == payment.id, c.status == PaymentStatus.PENDING.value).values(values)).rowcount)


def standings(uow: UnitOfWork, owed: dict[str, Money]) -> dict[str, PaymentStanding]:
    """Where each order stands with its money (``owed``: order id -> what the customer
    owes), in two statements for any number of orders."""
    if not owed:
        return {}
    c = payments.c
    rows = uow.execute(
        select(c.order_id, c.method, func.sum(c.authorised_amount).label("authorised"),
               func.sum(c.captured_amount).label("captured"),
               func.sum(c.refunded_amount).label("refunded"),
               func.sum(c.voided_amount).label("voided"), func.min(c.due_date).label("due"))
        .where(c.order_id.in_(list(owed)), c.status.in_([s.value for s in MONEY_STATUSES]))
        .group_by(c.order_id, c.method).order_by(c.order_id, func.min(c.seq)))
    by_order: dict[str, list[Any]] = {}
    for row in rows:
        by_order.setdefault(row.order_id, []).append(row)
    o = payment_overrides.c
    overrides = {r.order_id: PaymentOverride(r.actor, r.reason, as_utc(r.created_at))
                 for r in uow.execute(select(o.order_id, o.actor, o.reason, o.created_at)
                                      .where(o.order_id.in_(list(owed))))}
    out = {}
    for order_id, owes in owed.items():
        groups = by_order.get(order_id, [])

        def total(attr: str, only_deferred: bool = False, grp: list = groups,
                  cur: str = owes.currency) -> Money:
            return sum((Money.of(getattr(g, attr), cur) for g in grp
                        if not only_deferred or PaymentMethod(g.method) in DEFERRED_METHODS),
                       Money.zero(cur))

        deferred_open = (total("authorised", True) - total("captured", True)
                         - total("voided", True))
        totals = LedgerTotals(owes, total("authorised"), total("captured"), total("refunded"),
                              total("voided"), deferred_open)
        dues = [g.due for g in groups if g.due is not None]
        out[order_id] = PaymentStanding(
            totals, tuple(PaymentMethod(g.method) for g in groups),
            min(dues) if dues else None, overrides.get(order_id))
    return out
