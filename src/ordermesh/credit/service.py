"""Store-credit accounts: reading an account, issuing credit, an admin's adjustment.

Nothing here commits but ``adjust`` (a use case of its own); ``issue`` joins the caller's
transaction (a return resolved as store credit). Every change locks the account row
first, so two changes of one account never interleave (``SQLite`` serialises writers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ordermesh.credit.model import Entry, EntryKind, Hold, NotEnoughCredit, Standing, standing
from ordermesh.credit.tables import store_credit_accounts as accounts
from ordermesh.credit.tables import store_credit_entries as entries
from ordermesh.credit.tables import store_credit_holds as holds
from ordermesh.customers.service import get_customer
from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_ignore_returning

MAX_REASON = 500


@dataclass(frozen=True)
class Account:
    id: str
    customer_id: str
    currency: str


def find_account(uow: UnitOfWork, customer_id: str, currency: str, *,
                 lock: bool = False) -> Account | None:
    query = select(accounts).where(accounts.c.customer_id == customer_id,
                                   accounts.c.currency == currency)
    row = uow.execute(query.with_for_update() if lock else query).first()
    return Account(row.id, row.customer_id, row.currency) if row else None


def open_account(uow: UnitOfWork, customer_id: str, currency: str) -> Account:
    """The customer's account in ``currency``, created when it has none; locked."""
    insert_ignore_returning(uow, accounts, ("customer_id", "currency"), "id", {
        "id": new_id("sca"), "customer_id": customer_id, "currency": currency,
        "created_at": uow.clock.now()})
    found = find_account(uow, customer_id, currency, lock=True)
    assert found is not None
    return found


def _entry(row, currency: str) -> Entry:
    return Entry(row.id, EntryKind(row.kind), Money.of(row.amount, currency),
                 as_utc(row.created_at), as_utc(row.expires_at) if row.expires_at else None,
                 row.hold_reference, row.order_id, row.source_type, row.source_id,
                 row.reason, row.actor, row.seq)


def hold_of(row, currency: str) -> Hold:
    m = lambda v: Money.of(v, currency)  # noqa: E731
    return Hold(row.reference, row.order_id, m(row.amount), m(row.captured), m(row.voided),
                m(row.refunded), as_utc(row.created_at), row.after_entry)


def ledger(uow: UnitOfWork, account: Account) -> tuple[list[Entry], list[Hold]]:
    found = uow.execute(select(entries).where(entries.c.account_id == account.id)
                        .order_by(entries.c.seq))
    held = uow.execute(select(holds).where(holds.c.account_id == account.id)
                       .order_by(holds.c.created_at, holds.c.reference))
    return ([_entry(r, account.currency) for r in found],
            [hold_of(r, account.currency) for r in held])


def last_entry(uow: UnitOfWork, account: Account) -> int:
    """The seq of the account's last entry (0 when it has none)."""
    return uow.execute(select(func.coalesce(func.max(entries.c.seq), 0))
                       .where(entries.c.account_id == account.id)).scalar_one()


def account_standing(uow: UnitOfWork, account: Account) -> Standing:
    return standing(account.currency, *ledger(uow, account), uow.clock.now())


def add_entry(uow: UnitOfWork, account: Account, kind: EntryKind, amount: Money, *,
              expires_at: datetime | None = None, hold: str | None = None,
              order_id: str | None = None, source_type: str | None = None,
              source_id: str | None = None, reason: str | None = None,
              unique_key: str | None = None) -> str:
    entry_id = new_id("sce")
    uow.execute(entries.insert().values(
        id=entry_id, account_id=account.id, kind=kind.value, amount=amount.amount,
        expires_at=expires_at, hold_reference=hold, order_id=order_id,
        source_type=source_type, source_id=source_id, reason=reason, unique_key=unique_key,
        actor=uow.actor, created_at=uow.clock.now()))
    return entry_id


def entry_event(uow: UnitOfWork, type_: str, account: Account, entry_id: str,
                amount: Money, **extra: object) -> dict:
    """Record ``store_credit.<kind>`` for one entry, with the account after it."""
    now = account_standing(uow, account)
    payload = {"customer_id": account.customer_id, "account_id": account.id,
               "entry_id": entry_id, "currency": account.currency,
               "amount": str(amount.amount), "balance": str(now.balance.amount),
               "available": str(now.available.amount),
               **{k: v for k, v in extra.items() if v is not None}}
    record_event(uow, type_, "customer", account.customer_id, payload)
    return payload


def _check_expiry(uow: UnitOfWork, amount: Money, expires_at: datetime | None) -> None:
    if expires_at is None:
        return
    if amount.amount < 0:
        raise InvalidInput.for_field("expires_at", "only credit given may expire",
                                     "expiry_on_debit")
    if as_utc(expires_at) <= uow.clock.now():
        raise InvalidInput.for_field("expires_at", "must be in the future", "expiry_in_past")


def issue(uow: UnitOfWork, customer_id: str, amount: Money, *, source_type: str,
          source_id: str, unique_key: str, reason: str | None = None,
          order_id: str | None = None, expires_at: datetime | None = None) -> dict:
    """Issue ``amount`` of credit to the customer (``store_credit.issued``); the same
    ``unique_key`` issues once. Does not commit."""
    if amount.amount <= 0:
        raise InvalidInput.for_field("amount", "credit issued must be more than zero",
                                     "not_positive")
    _check_expiry(uow, amount, expires_at)
    account = open_account(uow, customer_id, amount.currency)
    entry_id = add_entry(uow, account, EntryKind.ISSUED, amount, expires_at=expires_at,
                         order_id=order_id, source_type=source_type, source_id=source_id,
                         reason=reason, unique_key=unique_key)
    return entry_event(uow, "store_credit.issued", account, entry_id, amount,
                       source_type=source_type, source_id=source_id, order_id=order_id,
                       expires_at=expires_at.isoformat() if expires_at else None)


def adjust(uow: UnitOfWork, customer_id: str, amount: Money, reason: str,
           expires_at: datetime | None = None,
           idem: idempotency.IdempotencyKey | None = None) -> dict:
    """An admin adds (+) or takes away (-) credit, with a reason
    (``store_credit.adjusted``). Taking more than is available: ``409``. Commits."""
    if prior := idempotency.claim(uow, idem):
        return adjustment(uow, prior.resource_id)
    customer = get_customer(uow, customer_id)
    if customer.erased_at is not None:
        raise Conflict(f"Customer '{customer_id}' was erased", extra={"reason": "erased"})
    if not reason.strip():
        raise InvalidInput.for_field("reason", "say why the credit is adjusted")
    if amount.amount == 0:
        raise InvalidInput.for_field("amount", "an adjustment moves some credit", "zero")
    _check_expiry(uow, amount, expires_at)
    account = open_account(uow, customer.id, amount.currency)
    if amount.amount < 0:
        available = account_standing(uow, account).available
        if -amount > available:
            raise NotEnoughCredit(
                f"Cannot take {-amount} of store credit: {available} is available",
                extra={"requested": str(-amount.amount), "available": str(available.amount),
                       "currency": amount.currency})
    entry_id = add_entry(uow, account, EntryKind.ADJUSTED, amount, expires_at=expires_at,
                         source_type="admin", reason=reason.strip()[:MAX_REASON])
    entry_event(uow, "store_credit.adjusted", account, entry_id, amount,
                reason=reason.strip()[:MAX_REASON],
                expires_at=expires_at.isoformat() if expires_at else None)
    idempotency.complete(uow, idem, "store_credit_entry", entry_id, 201)
    uow.commit()
    return adjustment(uow, entry_id)


def entry_json(e: Entry, currency: str) -> dict:
    return {"id": e.id, "kind": e.kind.value, "amount": str(e.amount.amount),
            "currency": currency, "expires_at": e.expires_at, "order_id": e.order_id,
            "hold_reference": e.hold, "source_type": e.source_type, "source_id": e.source_id,
            "reason": e.reason, "actor": e.actor, "created_at": e.created_at}


def standing_json(s: Standing) -> dict:
    return {"currency": s.currency, "balance": str(s.balance.amount),
            "available": str(s.available.amount), "held": str(s.held.amount),
            "expired": str(s.expired.amount)}


def adjustment(uow: UnitOfWork, entry_id: str) -> dict:
    """An entry with its account as it stands now."""
    row = uow.execute(select(entries, accounts.c.customer_id, accounts.c.currency)
                      .join(accounts, accounts.c.id == entries.c.account_id)
                      .where(entries.c.id == entry_id)).one()
    account = Account(row.account_id, row.customer_id, row.currency)
    return {"customer_id": row.customer_id,
            "entry": entry_json(_entry(row, row.currency), row.currency),
            "account": standing_json(account_standing(uow, account))}


def statement(uow: UnitOfWork, customer_id: str) -> dict:
    """The customer's credit per currency, with every entry (newest first) and the holds
    of payments still open."""
    customer = get_customer(uow, customer_id)
    rows = uow.execute(select(accounts).where(accounts.c.customer_id == customer.id)
                       .order_by(accounts.c.currency))
    found = []
    for row in rows:
        account = Account(row.id, row.customer_id, row.currency)
        listed, held = ledger(uow, account)
        now = standing(account.currency, listed, held, uow.clock.now())
        found.append({**standing_json(now),
                      "holds": [{"reference": h.reference, "order_id": h.order_id,
                                 "open": str(h.open.amount)}
                                for h in held if h.open.amount > 0],
                      "entries": [entry_json(e, account.currency) for e in reversed(listed)]})
    return {"customer_id": customer.id, "accounts": found}
