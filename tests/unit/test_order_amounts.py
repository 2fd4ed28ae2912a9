"""Order amounts: every total is exactly the sum of its parts, whatever the rates."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ordermesh.kit.money import Money, allocate, minor_unit
from ordermesh.orders.amounts import LineInput, order_amounts
from ordermesh.tax.model import (
    ComponentTax,
    LineTax,
    Place,
    PricingMode,
    RateComponent,
    Rates,
    TaxClass,
)

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


def _vat(*classes_and_rates) -> Rates:
    return Rates(Place("DE"), date(2026, 11, 26), {
        cls: (RateComponent("DE", "VAT", Decimal(rate)),) for cls, rate in classes_and_rates})


def _refunded(line_no: int, net: str, tax: str, rate: int) -> LineTax:
    n, t = Money.of(net, "EUR"), Money.of(tax, "EUR")
    return LineTax(str(line_no), TaxClass.STANDARD, n, t, n + t, Decimal(rate),
                   (ComponentTax("DE", "VAT", Decimal(rate), n, t),))


def test_a_line_whose_open_units_were_all_refunded_is_worth_its_refunds_not_re_priced():
    rates = _vat((TaxClass.STANDARD, 19))
    eur = Money.zero("EUR")
    # 3 x 13.33 incl. 19 %: 6.38 of tax; two of the units were refunded for 26.66 with two
    # thirds of it, 4.25, and the third cancelled. Re-priced, two units carry 4.26.
    fresh = LineInput(1, 3, 2, Money.of("13.33", "EUR"), eur, TaxClass.STANDARD)
    assert order_amounts([fresh], eur, eur, rates, PricingMode.INCLUSIVE).totals.tax == \
        Money.of("4.26", "EUR")
    refunded = replace(fresh, refunded=_refunded(1, "22.41", "4.25", 19))
    amounts = order_amounts([refunded], Money.of("4.90", "EUR"), eur, rates,
                            PricingMode.INCLUSIVE)
    line = amounts.lines[1]
    assert (line.net, line.tax, line.gross) == (
        Money.of("22.41", "EUR"), Money.of("4.25", "EUR"), Money.of("26.66", "EUR"))
    assert amounts.totals.tax == Money.of("5.03", "EUR")  # and 0.78 of the shipping's
    assert [(c.taxable, c.tax) for c in amounts.tax.breakdown] == [
        (Money.of("26.53", "EUR"), Money.of("5.03", "EUR"))]
    assert amounts.totals.total == amounts.totals.subtotal - amounts.totals.discount \
        + Money.of("4.90", "EUR")


def test_a_refunded_line_before_tax_keeps_subtotal_less_discount_equal_to_its_net():
    rates = _vat((TaxClass.STANDARD, 19), (TaxClass.REDUCED, 7))
    eur = Money.zero("EUR")
    # 3 x 1.00 before tax, 0.04 off the line: 2.96 + 0.56 of tax = 3.52; two units were
    # refunded for two thirds of it, 2.35 with 0.37 of tax, so 1.98 net, where two units
    # re-priced would be 2.00 less 0.03 of the discount, 1.97
    lines = [LineInput(1, 3, 2, Money.of("1.00", "EUR"), Money.of("0.04", "EUR"),
                       TaxClass.STANDARD, _refunded(1, "1.98", "0.37", 19)),
             LineInput(2, 1, 1, Money.of("1.04", "EUR"), eur, TaxClass.REDUCED)]
    amounts = order_amounts(lines, eur, eur, rates, PricingMode.EXCLUSIVE)
    line = amounts.lines[1]
    assert (line.net, line.tax, line.gross) == (
        Money.of("1.98", "EUR"), Money.of("0.37", "EUR"), Money.of("2.35", "EUR"))
    assert (line.subtotal, line.discount) == (Money.of("2.00", "EUR"), Money.of("0.02", "EUR"))
    assert amounts.totals.total == amounts.totals.subtotal - amounts.totals.discount \
        + amounts.totals.tax
    assert {c.rate_percent: c.tax.amount for c in amounts.tax.breakdown} == {
        Decimal(19): Decimal("0.37"), Decimal(7): Decimal("0.07")}
