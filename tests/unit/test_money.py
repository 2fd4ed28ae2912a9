from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money, minor_unit, total
from ordermesh.orders.amounts import LineInput, no_rates, order_amounts
from ordermesh.tax.model import PricingMode, TaxClass

CURRENCIES = ["EUR", "JPY", "KWD", "USD", "INR", "GBP", "CHF"]


def test_minor_units_follow_iso_4217():
    assert (minor_unit("EUR"), minor_unit("JPY"), minor_unit("KWD"), minor_unit("HUF")) == (
        2, 0, 3, 2)


@pytest.mark.parametrize("code", ["EURO", "eur", "XXY", "", "12A"])
def test_unknown_currency_codes_are_refused(code):
    with pytest.raises(InvalidInput):
        minor_unit(code)


def test_amounts_round_half_up_to_the_minor_unit():
    assert Money.of("2.345", "EUR").amount == Decimal("2.35")
    assert Money.of("2.5", "JPY").amount == Decimal("3")
    assert Money.of("1.0005", "KWD").amount == Decimal("1.001")


@pytest.mark.parametrize(("amount", "currency"), [("1.999", "EUR"), ("1.5", "JPY"),
                                                  ("0.0001", "KWD")])
def test_exact_input_refuses_more_decimals_than_the_currency_has(amount, currency):
    with pytest.raises(InvalidInput):
        Money.exact(amount, currency)


def test_exact_input_accepts_trailing_zeros():
    assert Money.exact("10.500", "EUR").amount == Decimal("10.50")


def test_money_of_different_currencies_cannot_be_added():
    with pytest.raises(InvalidInput):
        _ = Money.of(1, "EUR") + Money.of(1, "USD")


@pytest.mark.parametrize("value", ["NaN", "Infinity", "abc"])
def test_non_finite_or_non_numeric_amounts_are_refused(value):
    with pytest.raises(InvalidInput):
        Money.exact(value, "EUR")


currency = st.sampled_from(CURRENCIES)


@st.composite
def priced_lines(draw):
    cur = draw(currency)
    digits = minor_unit(cur)
    n = draw(st.integers(min_value=1, max_value=20))
    lines = []
    for i in range(n):
        minor = draw(st.integers(min_value=0, max_value=10**9))
        price = Money.of(Decimal(minor).scaleb(-digits), cur)
        qty = draw(st.integers(min_value=1, max_value=10_000))
        cancelled = draw(st.integers(min_value=0, max_value=qty))
        lines.append(LineInput(i + 1, qty, qty - cancelled, price, Money.zero(cur),
                               TaxClass.STANDARD))
    shipping = Money.of(Decimal(draw(st.integers(0, 10**6))).scaleb(-digits), cur)
    return cur, lines, shipping


@given(priced_lines())
def test_order_total_is_exactly_the_sum_of_its_lines_and_shipping(data):
    cur, lines, shipping = data
    totals = order_amounts(lines, shipping, Money.zero(cur), no_rates(date(2026, 11, 26)),
                           PricingMode.INCLUSIVE).totals
    assert totals.subtotal.amount == sum(
        (ln.unit_price.amount * ln.open_quantity for ln in lines), Decimal(0))
    assert totals.total == totals.subtotal + shipping
    # every amount stays on the currency's grid: nothing is lost to rounding
    grid = Decimal(1).scaleb(-minor_unit(cur))
    assert totals.total.amount % grid == 0


@given(st.lists(st.integers(-10**12, 10**12), max_size=50), currency)
def test_summing_money_is_associative_and_exact(minors, cur):
    digits = minor_unit(cur)
    amounts = [Money.of(Decimal(m).scaleb(-digits), cur) for m in minors]
    forward = total(amounts, cur)
    backward = total(reversed(amounts), cur)
    assert forward == backward
    assert forward.amount == Decimal(sum(minors)).scaleb(-digits)


@given(st.decimals(min_value=-10**9, max_value=10**9, allow_nan=False, places=6), currency)
def test_rounding_never_moves_an_amount_by_more_than_half_a_minor_unit(value, cur):
    rounded = Money.of(value, cur).amount
    assert abs(rounded - value) <= Decimal(1).scaleb(-minor_unit(cur)) / 2
