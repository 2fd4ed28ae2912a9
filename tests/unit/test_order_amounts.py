"""Order amounts: every total is exactly the sum of its parts, whatever the rates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ordermesh.kit.money import Money, allocate, minor_unit
from ordermesh.orders.amounts import LineInput, order_amounts
from ordermesh.tax.model import Place, PricingMode, RateComponent, Rates, TaxClass

CURRENCIES = st.sampled_from(["EUR", "JPY", "KWD", "INR", "USD"])
RATES = st.decimals(min_value=0, max_value=30, places=2)


@st.composite
def orders(draw):
    cur = draw(CURRENCIES)
    digits = minor_unit(cur)
    n = draw(st.integers(1, 8))
    lines = []
    for i in range(n):
        price = Money.of(Decimal(draw(st.integers(0, 10**7))).scaleb(-digits), cur)
        qty = draw(st.integers(1, 50))
        open_qty = draw(st.integers(0, qty))
        discount = Money.of(Decimal(draw(st.integers(0, 10**5))).scaleb(-digits), cur)
        discount = min(discount, price.times(qty))
        lines.append(LineInput(i + 1, qty, open_qty, price, discount,
                               draw(st.sampled_from(list(TaxClass)))))
    shipping = Money.of(Decimal(draw(st.integers(0, 10**5))).scaleb(-digits), cur)
    components = draw(st.lists(RATES, min_size=1, max_size=2))  # e.g. CGST + SGST
    by_class = {c: tuple(RateComponent("XX", f"T{i}", r) for i, r in enumerate(components))
                for c in (TaxClass.STANDARD, TaxClass.REDUCED, TaxClass.SUPER_REDUCED)}
    rates = Rates(Place("XX"), date(2026, 11, 26), by_class)
    left = sum((ln.unit_price.times(ln.open_quantity) - ln.discount for ln in lines),
               Money.zero(cur))
    order_discount = Money.of(Decimal(draw(st.integers(0, 10**5))).scaleb(-digits), cur)
    order_discount = max(min(order_discount, left), Money.zero(cur))
    return lines, shipping, order_discount, rates, draw(st.sampled_from(list(PricingMode)))


@given(orders())
def test_every_total_is_the_exact_sum_of_lines_and_shipping(data):
    lines, shipping, order_discount, rates, mode = data
    amounts = order_amounts(lines, shipping, order_discount, rates, mode)
    parts = [*amounts.lines.values(), amounts.shipping]
    cur = shipping.currency
    assert amounts.totals.tax == sum((p.tax for p in parts), Money.zero(cur))
    assert amounts.totals.total == sum((p.gross for p in parts), Money.zero(cur))
    assert amounts.totals.net == sum((p.net for p in parts), Money.zero(cur))
    for part in parts:
        assert part.net + part.tax == part.gross
        assert sum((c.tax for c in part.components), Money.zero(cur)) == part.tax
    expected = amounts.totals.subtotal - amounts.totals.discount + shipping
    if mode == PricingMode.INCLUSIVE:
        assert amounts.totals.total == expected
    else:
        assert amounts.totals.total == expected + amounts.totals.tax
    grid = Decimal(1).scaleb(-minor_unit(cur))
    assert amounts.totals.total.amount % grid == 0


@given(st.integers(-10**9, 10**9), st.lists(st.integers(0, 10**6), min_size=1, max_size=12),
       CURRENCIES)
def test_allocating_an_amount_loses_and_invents_nothing(units, weights, cur):
    grid = Decimal(1).scaleb(-minor_unit(cur))
    amount = Money(Decimal(units) * grid, cur)
    parts = allocate(amount, [Money(Decimal(w) * grid, cur) for w in weights])
    assert sum((p.amount for p in parts), Decimal(0)) == amount.amount
    assert all(p.amount % grid == 0 for p in parts)
    if sum(weights):
        for part, weight in zip(parts, weights, strict=True):
            exact = amount.amount * weight / sum(weights)
            assert abs(part.amount - exact) < grid
