"""Credit spent as a payment: the store-credit provider's side of each call.

A payment with provider ``store_credit`` calls these with the provider key the payments
ledger gives it (``payments/providers/store_credit.py``): in a short transaction of its
own on the intent path, committed right after the call, or inside the caller's
transaction on the order-level path (a shipment's capture). Each call

* answers a key it answered before with that first answer, moving nothing again (the
  answers are kept in ``store_credit_requests``);
* locks the account (to hold) or the hold (to capture, void, refund) first, so two
  payments racing for the last credit are served one after the other: one is approved,
  the other declined (``insufficient_store_credit``).

Nothing here imports payments: an answer is an ``Answer``, which the provider maps.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from ordermesh.credit.model import EntryKind
from ordermesh.credit.service import (
    Account,
    account_standing,
    add_entry,
    entry_event,
    find_account,
    hold_of,
    last_entry,
)
from ordermesh.credit.tables import store_credit_accounts as accounts
from ordermesh.credit.tables import store_credit_holds as holds
from ordermesh.credit.tables import store_credit_requests as requests
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.kit.upsert import insert_ignore_returning

APPROVED, DECLINED, FAILED = "approved", "declined", "failed"
HOLD_PREFIX = "sch"


@dataclass(frozen=True)
class Answer:
    outcome: str
    reference: str | None
    code: str | None = None
    message: str = ""


def _answered(uow: UnitOfWork, operation: str, key: str, amount: Money) -> Answer | None:
    row = uow.execute(select(requests).where(requests.c.key == key)).first()
    if row is None:
        return None
    if row.operation != operation or row.amount != amount.amount:
        return Answer(FAILED, row.reference, "idempotency_error",
                      f"Key '{key}' was used for another request")
    return Answer(row.outcome, row.reference, row.code, row.message or "")


def _remember(uow: UnitOfWork, operation: str, key: str, amount: Money,
              answer: Answer) -> Answer:
    inserted = insert_ignore_returning(uow, requests, ("key",), "key", {
        "key": key, "operation": operation, "reference": answer.reference,
        "amount": amount.amount, "outcome": answer.outcome, "code": answer.code,
        "message": answer.message[:300], "created_at": uow.clock.now()})
    if inserted is None:  # the same key answered meanwhile: that answer stands
        first = _answered(uow, operation, key, amount)
        assert first is not None
        return first
    return answer


def refuse(uow: UnitOfWork, key: str, amount: Money, code: str, message: str) -> Answer:
    """Decline an authorisation without looking at any account (the wrong customer)."""
    if (done := _answered(uow, "authorise", key, amount)) is not None:
        return done
    return _remember(uow, "authorise", key, amount, Answer(DECLINED, None, code, message))


def hold(uow: UnitOfWork, customer_id: str, order_id: str, amount: Money,
         key: str) -> Answer:
    """Hold ``amount`` of the customer's credit for the order, or decline when less is
    available."""
    if (done := _answered(uow, "authorise", key, amount)) is not None:
        return done
    account = find_account(uow, customer_id, amount.currency, lock=True)
    if (done := _answered(uow, "authorise", key, amount)) is not None:
        return done  # answered while this call waited for the account
    available = (account_standing(uow, account).available if account
                 else Money.zero(amount.currency))
    if amount > available:
        return _remember(uow, "authorise", key, amount, Answer(
            DECLINED, None, "insufficient_store_credit",
            f"The customer has {available} of store credit available, {amount} was asked"))
    assert account is not None
    reference = new_id(HOLD_PREFIX)
    now = uow.clock.now()
    uow.execute(holds.insert().values(
        reference=reference, account_id=account.id, order_id=order_id, amount=amount.amount,
        captured=0, voided=0, refunded=0, after_entry=last_entry(uow, account),
        created_at=now, updated_at=now))
    return _remember(uow, "authorise", key, amount, Answer(
        APPROVED, reference, message=f"{amount} of store credit held"))


def customer_of_hold(uow: UnitOfWork, reference: str) -> str | None:
    row = uow.execute(select(accounts.c.customer_id)
                      .join(holds, holds.c.account_id == accounts.c.id)
                      .where(holds.c.reference == reference)).first()
    return row.customer_id if row else None


def move(uow: UnitOfWork, operation: str, reference: str, amount: Money,
         key: str) -> Answer:
    """``capture`` (redeem held credit), ``void`` (release it) or ``refund`` (put redeemed
    credit back) ``amount`` of the hold ``reference``."""
    if (done := _answered(uow, operation, key, amount)) is not None:
        return done
    c = holds.c
    row = uow.execute(select(holds, accounts.c.customer_id, accounts.c.currency)
                      .join(accounts, accounts.c.id == c.account_id)
                      .where(c.reference == reference).with_for_update(of=holds)).first()
    if (done := _answered(uow, operation, key, amount)) is not None:
        return done
    if row is None or row.currency != amount.currency:
        return _remember(uow, operation, key, amount, Answer(
            DECLINED, None, "resource_missing", f"No store-credit hold '{reference}' in "
            f"{amount.currency}"))
    held = hold_of(row, row.currency)
    room = {"capture": held.open, "void": held.open,
            "refund": held.captured - held.refunded}[operation]
    if amount > room:
        return _remember(uow, operation, key, amount, Answer(
            DECLINED, None, "amount_too_large",
            f"The hold has {room} to {operation}, not {amount}"))
    column = {"capture": c.captured, "void": c.voided, "refund": c.refunded}[operation]
    uow.execute(update(holds).where(c.reference == reference)
                .values({column: column + amount.amount, c.updated_at: uow.clock.now()}))
    account = Account(row.account_id, row.customer_id, row.currency)
    answer_ref = new_id("scv")
    if operation != "void":
        kind = EntryKind.REDEEMED if operation == "capture" else EntryKind.REFUNDED
        signed = -amount if operation == "capture" else amount
        answer_ref = add_entry(uow, account, kind, signed, hold=reference,
                               order_id=row.order_id, source_type="payment",
                               source_id=key, unique_key=f"{operation}:{key}")
        event = ("store_credit.redeemed" if operation == "capture"
                 else "store_credit.refunded")
        entry_event(uow, event, account, answer_ref, signed,
                    order_id=row.order_id, hold_reference=reference)
    return _remember(uow, operation, key, amount, Answer(APPROVED, answer_ref))


def status(uow: UnitOfWork, reference: str) -> Answer:
    found = uow.execute(select(holds.c.reference).where(holds.c.reference == reference)
                        ).first()
    if found is None:
        return Answer(FAILED, reference, "resource_missing", "No such store-credit hold")
    return Answer(APPROVED, reference)
