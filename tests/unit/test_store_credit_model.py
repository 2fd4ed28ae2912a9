"""The store-credit account computed from its ledger: holds, expiry, spending the credit
that expires soonest first, and the balance always equal to the ledger's sum less what
expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ordermesh.credit.model import Entry, EntryKind, Hold, standing
from ordermesh.kit.money import Money

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def eur(value: str | int) -> Money:
    return Money.of(value, "EUR")


def entry(kind: EntryKind, amount: str, day: int, expires: int | None = None,
          hold: str | None = None) -> Entry:
    return Entry(f"e{day}{kind}{amount}", kind, eur(amount), T0 + timedelta(days=day),
                 T0 + timedelta(days=expires) if expires is not None else None, hold)


def hold(amount: str, day: int, captured: str = "0", voided: str = "0") -> Hold:
    return Hold(f"h{day}", "ord", eur(amount), eur(captured), eur(voided), eur(0),
                T0 + timedelta(days=day))


def test_a_hold_is_held_not_available_and_a_capture_redeems_it():
    issued = entry(EntryKind.ISSUED, "50.00", 0)
    s = standing("EUR", [issued], [hold("20.00", 1)], T0 + timedelta(days=2))
    assert (s.balance, s.available, s.held) == (eur("50.00"), eur("30.00"), eur("20.00"))
    redeemed = entry(EntryKind.REDEEMED, "-15.00", 2, hold="h1")
    s = standing("EUR", [issued, redeemed], [hold("20.00", 1, captured="15.00",
                                                  voided="5.00")], T0 + timedelta(days=3))
    assert (s.balance, s.available, s.held) == (eur("35.00"), eur("35.00"), eur("0.00"))


def test_what_is_left_of_expired_credit_is_not_available_and_expiring_credit_goes_first():
    entries = [entry(EntryKind.ISSUED, "10.00", 0, expires=5),
               entry(EntryKind.ADJUSTED, "10.00", 1),
               entry(EntryKind.ADJUSTED, "-4.00", 2)]
    before = standing("EUR", entries, [], T0 + timedelta(days=4))
    after = standing("EUR", entries, [], T0 + timedelta(days=6))
    assert (before.available, before.expired) == (eur("16.00"), eur("0.00"))
    assert (after.available, after.expired) == (eur("10.00"), eur("6.00"))


def test_a_hold_takes_from_the_credit_there_was_when_it_was_taken_whatever_the_clock():
    """Entries and holds written at one moment are ordered by the ledger, not the clock:
    credit added after a hold was not there for it to take."""
    first = Entry("e1", EntryKind.ISSUED, eur("50.00"), T0, seq=1)
    later = Entry("e2", EntryKind.ADJUSTED, eur("10.00"), T0, T0 + timedelta(days=5), seq=2)
    held = Hold("h1", "ord", eur("30.00"), eur(0), eur(0), eur(0), T0, after_entry=1)
    s = standing("EUR", [first, later], [held], T0 + timedelta(days=6))
    assert (s.available, s.held, s.expired) == (eur("20.00"), eur("30.00"), eur("10.00"))


def test_credit_expired_before_a_debit_is_not_spent_by_it():
    entries = [entry(EntryKind.ISSUED, "10.00", 0, expires=1),
               entry(EntryKind.ISSUED, "10.00", 0),
               entry(EntryKind.ADJUSTED, "-10.00", 2)]
    s = standing("EUR", entries, [], T0 + timedelta(days=3))
    assert (s.available, s.expired) == (eur("0.00"), eur("10.00"))


moves = st.lists(st.tuples(st.sampled_from(["issue", "expiring", "debit", "hold"]),
                           st.integers(1, 5000), st.integers(0, 30)), max_size=25)


@given(moves, st.integers(0, 40))
def test_the_balance_is_the_ledger_sum_less_what_expired(plan, today):
    """Whatever was issued, spent or held (debits only within what is available, as the
    service checks), balance = sum of entries - expired, and nothing is negative."""
    entries: list[Entry] = []
    holds: list[Hold] = []
    for n, (what, cents, day) in enumerate(sorted(plan, key=lambda p: p[2])):
        amount = Money.of(cents, "EUR")
        amount = Money.of(amount.amount / 100, "EUR")
        at = T0 + timedelta(days=day)
        if what in ("issue", "expiring"):
            entries.append(Entry(f"e{n}", EntryKind.ISSUED, amount, at,
                                 at + timedelta(days=3) if what == "expiring" else None,
                                 seq=n + 1))
            continue
        available = standing("EUR", entries, holds, at).available
        amount = min(amount, available)
        if amount.amount == 0:
            continue
        if what == "debit":
            entries.append(Entry(f"e{n}", EntryKind.ADJUSTED, -amount, at, seq=n + 1))
        else:
            holds.append(Hold(f"h{n}", "ord", amount, eur(0), eur(0), eur(0), at,
                              after_entry=entries[-1].seq if entries else 0))
    now = T0 + timedelta(days=today)
    s = standing("EUR", entries, holds, now)
    ledger_sum = sum((e.amount for e in entries), eur(0))
    assert s.balance == ledger_sum - s.expired
    assert s.available.amount >= 0 and s.expired.amount >= 0
    assert s.held == sum((h.amount for h in holds), eur(0))
