"""Supplier prices, order quantities and receipt tolerance: the rules without a database."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordermesh.kit.errors import IllegalTransition, InvalidInput
from ordermesh.kit.money import Money
from ordermesh.purchasing.model import (
    CANCELLABLE,
    POLine,
    POStatus,
    require,
    status_after_receipt,
)
from ordermesh.suppliers.model import PriceBreak, SupplierProduct, check_prices, normal_tags

DAY = date(2026, 12, 1)


def offer(prices=(), pack_size: int = 1, moq: int = 0) -> SupplierProduct:
    return SupplierProduct("s", "p", "TEE", None, pack_size, moq, None, False, tuple(prices))


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def line(quantity: int = 10, received: int = 0, confirmed: int | None = None) -> POLine:
    return POLine(1, "p", "TEE", quantity, eur("1.00"), DAY, confirmed, None, received, 0,
                  None)


def test_the_highest_quantity_break_reached_and_valid_on_the_day_sets_the_cost():
    o = offer([PriceBreak(eur("4.00")), PriceBreak(eur("3.50"), 100),
               PriceBreak(eur("3.00"), 500, valid_to=date(2026, 11, 30))])
    assert o.cost("EUR", 99, DAY) == eur("4.00")
    assert o.cost("EUR", 100, DAY) == eur("3.50")
    assert o.cost("EUR", 600, DAY) == eur("3.50")  # the 500 break expired
    assert o.cost("USD", 100, DAY) is None


@given(wanted=st.integers(0, 10_000), pack=st.integers(1, 50), moq=st.integers(0, 500))
def test_an_order_quantity_is_whole_packs_at_least_the_moq_and_what_is_wanted(wanted, pack,
                                                                             moq):
    q = offer(pack_size=pack, moq=moq).order_quantity(wanted)
    assert q % pack == 0
    assert q >= max(wanted, moq, 1)
    assert q - pack < max(wanted, moq, 1)  # one pack less would not do


def test_negative_costs_and_backwards_periods_are_refused():
    with pytest.raises(InvalidInput):
        check_prices([PriceBreak(eur("-0.01"))])
    with pytest.raises(InvalidInput):
        check_prices([PriceBreak(eur("1.00"), valid_from=DAY, valid_to=date(2026, 11, 1))])


def test_tags_are_kept_lower_case_once_each():
    assert normal_tags(["Linen", " linen ", "Wool", ""]) == ("linen", "wool")


def test_the_tolerance_is_a_percentage_of_what_is_due_on_top_of_what_is_open():
    assert line(20).most_receivable(10) == 22
    assert line(20, received=15).most_receivable(0) == 5
    assert line(20, confirmed=10).most_receivable(5) == 10  # 5% of 10 rounds down to 0


def test_an_order_is_received_once_no_line_has_units_open():
    assert status_after_receipt([line(10, 10), line(5, 6)]) is POStatus.RECEIVED
    assert status_after_receipt([line(10, 10), line(5, 4)]) is POStatus.PARTLY_RECEIVED


def test_a_transition_from_a_state_that_does_not_allow_it_is_illegal():
    require(POStatus.SENT, CANCELLABLE, "be cancelled")
    with pytest.raises(IllegalTransition):
        require(POStatus.PARTLY_RECEIVED, CANCELLABLE, "be cancelled")
