"""Store credit: what an account holds, computed from its append-only ledger.

An account is one customer's credit in one currency. Its ledger only ever grows:

* ``issued`` (+): a return resolved as store credit, optionally expiring;
* ``adjusted`` (+ or -): an admin's correction, with a reason (a + one may expire);
* ``redeemed`` (-): credit spent on an order (a payment's capture);
* ``refunded`` (+): a refund of a payment made with credit puts it back (never expires).

Spending goes through a **hold** first (a payment's authorisation): the hold reserves
the amount at once; a capture redeems part of it (a ``redeemed`` entry), a void releases
the rest. Holds are not ledger entries: they are reservations against it.

Credit that expires is spent first: the balance is computed by walking the ledger in
order, each debit (a hold, a negative adjustment) taking from the credit that expires
soonest among what has not expired at that moment. What is left of credit whose expiry
has passed is ``expired``: never available again, without any entry being written.

No database, no web: this module imports the standard library and ``kit`` only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from ordermesh.kit.errors import Conflict
from ordermesh.kit.money import Money


class EntryKind(enum.StrEnum):
    ISSUED = "issued"
    ADJUSTED = "adjusted"
    REDEEMED = "redeemed"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class Entry:
    id: str
    kind: EntryKind
    amount: Money  # signed: + credit, - debit
    created_at: datetime
    expires_at: datetime | None = None
    hold: str | None = None  # the hold a redemption or refund belongs to
    order_id: str | None = None
    source_type: str | None = None  # "return", "payment", "admin"
    source_id: str | None = None
    reason: str | None = None
    actor: str = ""
    seq: int = 0  # the ledger's order


@dataclass(frozen=True)
class Hold:
    """A payment's reservation of credit (its provider reference)."""

    reference: str
    order_id: str
    amount: Money
    captured: Money
    voided: Money
    refunded: Money
    created_at: datetime
    after_entry: int = 0  # the seq of the account's last entry when it was taken

    @property
    def open(self) -> Money:
        """Held and neither redeemed nor released."""
        return self.amount - self.captured - self.voided

    @property
    def taken(self) -> Money:
        """What the hold took from the credit: all of it but what was released."""
        return self.amount - self.voided


@dataclass(frozen=True)
class Standing:
    """An account now: ``balance`` = ``available`` + ``held``; ``expired`` is gone."""

    currency: str
    balance: Money
    available: Money
    held: Money
    expired: Money


@dataclass
class _Lot:
    remaining: Money
    expires_at: datetime | None
    order: int


def _live(lot: _Lot, at: datetime) -> bool:
    return lot.remaining.amount > 0 and (lot.expires_at is None or lot.expires_at > at)


def _spend(lots: list[_Lot], amount: Money, at: datetime) -> Money:
    """Take ``amount`` from the lots alive ``at``, soonest expiry first; what they did not
    cover."""
    live = sorted((lot for lot in lots if _live(lot, at)),
                  key=lambda lot: (lot.expires_at is None, lot.expires_at or at, lot.order))
    for lot in live:
        if amount.amount == 0:
            break
        take = min(lot.remaining, amount)
        lot.remaining -= take
        amount -= take
    return amount


def standing(currency: str, entries: list[Entry], holds: list[Hold], now: datetime
             ) -> Standing:
    """The account at ``now``, from its entries and holds (see the module docstring)."""
    zero = Money.zero(currency)
    # in the order they happened: a hold comes after the entries written before it
    moves: list[tuple[tuple[int, int, int], datetime, Money, datetime | None]] = []
    for i, e in enumerate(entries):
        if e.kind is EntryKind.REDEEMED and e.hold is not None:
            continue  # its hold took it already
        moves.append(((e.seq, 0, i), e.created_at, e.amount, e.expires_at))
    for j, h in enumerate(holds):
        moves.append(((h.after_entry, 1, j), h.created_at, -h.taken, None))
    lots: list[_Lot] = []
    short = zero
    for order, (_, at, amount, expires_at) in enumerate(sorted(moves, key=lambda m: m[0])):
        if amount.amount > 0:
            lots.append(_Lot(amount, expires_at, order))
        elif amount.amount < 0:
            short += _spend(lots, -amount, at)
    available = sum((lot.remaining for lot in lots if _live(lot, now)), zero) - short
    expired = sum((lot.remaining for lot in lots
                   if lot.remaining.amount > 0 and not _live(lot, now)), zero)
    held = sum((h.open for h in holds), zero)
    return Standing(currency, available + held, available, held, expired)


class NotEnoughCredit(Conflict):
    """An admin's negative adjustment larger than what is available; nothing changed."""

    code = "amount-not-available"
    title = "Amount not available"
