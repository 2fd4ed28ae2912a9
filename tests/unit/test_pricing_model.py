"""Price list validity and which list's price wins (pure rules, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money
from ordermesh.pricing.model import (
    MAX_PRIORITY,
    Candidate,
    Validity,
    check_priority,
    winner,
    winners,
)

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def _c(code: str, priority: int = 0, valid_from: datetime | None = None,
       amount: str = "10.00") -> Candidate:
    return Candidate(code, priority, valid_from, Money.of(amount, "EUR"))


def test_a_window_includes_its_start_and_excludes_its_end():
    validity = Validity(T0, T0 + timedelta(days=1))
    assert not validity.contains(T0 - timedelta(microseconds=1))
    assert validity.contains(T0)
    assert validity.contains(T0 + timedelta(hours=23, minutes=59))
    assert not validity.contains(T0 + timedelta(days=1))


def test_open_ends_are_valid_since_always_and_for_ever():
    assert Validity().contains(datetime(1900, 1, 1, tzinfo=UTC))
    assert Validity(valid_from=T0).contains(datetime(9000, 1, 1, tzinfo=UTC))
    assert Validity(valid_to=T0).contains(datetime(1900, 1, 1, tzinfo=UTC))
    assert not Validity(valid_to=T0).contains(T0)


@pytest.mark.parametrize("valid_to", [T0, T0 - timedelta(seconds=1)])
def test_a_window_must_end_after_it_starts(valid_to):
    with pytest.raises(InvalidInput) as err:
        Validity(T0, valid_to)
    assert err.value.errors[0].field == "valid_to"
    assert err.value.errors[0].code == "invalid_validity"


def test_validity_needs_a_time_zone_and_is_kept_in_utc():
    with pytest.raises(InvalidInput) as err:
        Validity(datetime(2026, 12, 1))
    assert err.value.errors[0].code == "naive_datetime"
    berlin = timezone(timedelta(hours=1))
    validity = Validity(datetime(2026, 12, 1, 1, 0, tzinfo=berlin))
    assert validity.valid_from == T0
    assert validity.valid_from.tzinfo == UTC


def test_a_validity_end_that_cannot_be_expressed_in_utc_is_bad_input():
    with pytest.raises(InvalidInput):
        Validity(valid_to=datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))))


@pytest.mark.parametrize("priority", [-1, MAX_PRIORITY + 1, True, 1.5, "1"])
def test_priority_is_a_whole_number_within_range(priority):
    with pytest.raises(InvalidInput):
        check_priority(priority)
    assert check_priority(0) == 0 and check_priority(MAX_PRIORITY) == MAX_PRIORITY


def test_no_candidate_means_no_price():
    assert winner([]) is None
    assert winners([]) == {}


def test_the_highest_priority_wins_whatever_the_start():
    older_but_higher = _c("base", priority=10, valid_from=T0 - timedelta(days=300))
    newer = _c("promo", priority=5, valid_from=T0)
    assert winner([newer, older_but_higher]) == older_but_higher


def test_on_equal_priority_the_list_that_started_latest_wins():
    base = _c("base", valid_from=T0 - timedelta(days=30))
    promo = _c("promo", valid_from=T0)
    assert winner([base, promo]) == promo


def test_an_open_start_counts_as_the_earliest():
    always = _c("always", valid_from=None)
    dated = _c("dated", valid_from=datetime(1971, 1, 1, tzinfo=UTC))
    ancient = _c("ancient", valid_from=datetime(1900, 1, 1, tzinfo=UTC))
    assert winner([always, ancient]) == ancient
    assert winner([dated, always, ancient]) == dated


def test_on_a_full_tie_the_smallest_code_wins():
    a, b = _c("a-list", amount="1.00"), _c("b-list", amount="2.00")
    assert winner([b, a]) == a
    assert winner([a, b]) == a


def test_each_product_takes_the_winner_among_the_lists_that_price_it():
    base_x = _c("base", priority=0, amount="10.00")
    base_y = _c("base", priority=0, amount="20.00")
    promo_x = _c("promo", priority=5, amount="8.00")
    chosen = winners([("x", base_x), ("y", base_y), ("x", promo_x)])
    assert chosen == {"x": promo_x, "y": base_y}


_instants = st.one_of(st.none(), st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
_candidates = st.lists(
    st.builds(_c, code=st.text("abc", min_size=1, max_size=3),
              priority=st.integers(0, 3), valid_from=_instants),
    min_size=1, max_size=8, unique_by=lambda c: c.price_list_code)


@given(_candidates, st.randoms())
def test_the_winner_does_not_depend_on_the_order_rows_come_back_in(candidates, rnd):
    shuffled = list(candidates)
    rnd.shuffle(shuffled)
    assert winner(shuffled) == winner(candidates)


@given(_candidates)
def test_no_other_candidate_beats_the_winner(candidates):
    best = winner(candidates)
    assert best is not None
    for other in candidates:
        assert other.priority <= best.priority
        if other.priority == best.priority and other is not best:
            other_start = other.valid_from or datetime.min.replace(tzinfo=UTC)
            best_start = best.valid_from or datetime.min.replace(tzinfo=UTC)
            assert other_start <= best_start
            if other_start == best_start:
                assert best.price_list_code < other.price_list_code


@given(_candidates)
def test_winners_per_product_agree_with_winner(candidates):
    assert winners(("p", c) for c in candidates) == {"p": winner(candidates)}
