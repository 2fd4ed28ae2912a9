"""The tax engine: rounding per line and component, totals that are sums, reverse charge."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money, minor_unit
from ordermesh.tax.model import (
    ComponentTax,
    Place,
    PricingMode,
    RateComponent,
    Rates,
    TaxableLine,
    TaxClass,
    compute_tax,
    reverse_charge_applies,
    summarise,
)

EX, INC = PricingMode.EXCLUSIVE, PricingMode.INCLUSIVE
D = Decimal


def rates(country: str = "DE", **by_class: list[tuple[str, str, str]]) -> Rates:
    return Rates(Place(country), date(2026, 1, 1), {
        TaxClass(cls): tuple(RateComponent(j, n, D(r)) for j, n, r in parts)
        for cls, parts in by_class.items()})


GERMANY = rates(standard=[("DE", "VAT", "19")], reduced=[("DE", "VAT", "7")])
QUEBEC = rates("CA", standard=[("CA", "GST", "5"), ("CA-QC", "QST", "9.975")])


def line(amount: str, currency: str = "EUR", cls: TaxClass = TaxClass.STANDARD, key="1"):
    return TaxableLine(key, Money.exact(amount, currency), cls)


def test_exclusive_tax_is_added_to_the_net_per_component():
    result = compute_tax([line("100.00", "CAD")], QUEBEC, EX)
    (taxed,) = result.lines
    assert [c.tax.amount for c in taxed.components] == [D("5.00"), D("9.98")]
    assert (taxed.net.amount, taxed.tax.amount, taxed.gross.amount) == (
        D("100.00"), D("14.98"), D("114.98"))
    assert taxed.rate_percent == D("14.975")


def test_inclusive_net_is_the_gross_divided_by_one_plus_the_rate():
    result = compute_tax([line("119.00"), line("10.70", cls=TaxClass.REDUCED, key="2")],
                         GERMANY, INC)
    assert [(t.net.amount, t.tax.amount) for t in result.lines] == [
        (D("100.00"), D("19.00")), (D("10.00"), D("0.70"))]
    assert (result.net.amount, result.tax.amount, result.gross.amount) == (
        D("110.00"), D("19.70"), D("129.70"))


def test_inclusive_components_share_the_tax_and_the_last_takes_the_remainder():
    (taxed,) = compute_tax([line("100.00", "CAD")], QUEBEC, INC).lines
    assert taxed.net.amount == D("86.98") and taxed.tax.amount == D("13.02")
    gst, qst = taxed.components
    assert gst.tax.amount == D("4.35")  # 13.02 * 5 / 14.975 = 4.347...
    assert qst.tax.amount == D("8.67")  # the rest
    assert gst.taxable == qst.taxable == taxed.net


def test_yen_have_no_minor_unit_and_dinar_three():
    (yen,) = compute_tax([line("1000", "JPY")], rates("JP", standard=[("JP", "CT", "10")]),
                         INC).lines
    assert (yen.net.amount, yen.tax.amount) == (D("909"), D("91"))
    (dinar,) = compute_tax([line("1.234", "KWD")], rates("KW", standard=[("KW", "X", "5")]),
                           EX).lines
    assert dinar.tax.amount == D("0.062")  # 0.0617 rounds half-up to three places
    assert dinar.gross.amount == D("1.296")


def test_half_a_cent_rounds_up():
    (taxed,) = compute_tax([line("0.05")], rates(standard=[("DE", "VAT", "10")]), EX).lines
    assert taxed.tax.amount == D("0.01")


def test_zero_rated_and_exempt_lines_carry_no_tax_but_say_which_they_are():
    result = compute_tax([line("20.00", cls=TaxClass.ZERO, key="book"),
                          line("30.00", cls=TaxClass.EXEMPT, key="insurance")], GERMANY, INC)
    assert result.tax.amount == 0 and result.net.amount == result.gross.amount == D("50.00")
    assert [(c.name, c.taxable.amount, c.tax.amount) for c in result.breakdown] == [
        ("zero-rated", D("20.00"), D("0.00")), ("exempt", D("30.00"), D("0.00"))]


def test_a_class_the_country_lacks_falls_back_to_the_next_higher_one():
    (taxed,) = compute_tax([line("100.00", cls=TaxClass.SUPER_REDUCED)], GERMANY, EX).lines
    assert taxed.tax.amount == D("7.00")
    denmark = rates("DK", standard=[("DK", "VAT", "25")])
    (taxed,) = compute_tax([line("100.00", cls=TaxClass.REDUCED)], denmark, EX).lines
    assert taxed.tax.amount == D("25.00")


def test_reverse_charge_charges_nothing_and_marks_the_taxable_amount():
    result = compute_tax([line("100.00")], GERMANY, EX, reverse_charge=True)
    assert result.reverse_charge and result.tax.amount == 0
    assert result.gross.amount == D("100.00")
    assert [(c.name, c.taxable.amount) for c in result.breakdown] == [
        ("reverse charge", D("100.00"))]


def test_reverse_charge_with_inclusive_prices_takes_the_tax_out_of_the_price():
    result = compute_tax([line("119.00")], GERMANY, INC, reverse_charge=True)
    assert (result.net.amount, result.tax.amount, result.gross.amount) == (
        D("100.00"), D("0.00"), D("100.00"))


def test_breakdown_adds_up_per_jurisdiction_name_and_rate():
    result = compute_tax([line("10.00", key="a"), line("10.00", key="b"),
                          line("10.00", cls=TaxClass.REDUCED, key="c")], GERMANY, EX)
    assert [(c.rate_percent, c.taxable.amount, c.tax.amount) for c in result.breakdown] == [
        (D("19"), D("20.00"), D("3.80")), (D("7"), D("10.00"), D("0.70"))]


@pytest.mark.parametrize("lines, field", [
    ([], "lines"),
    ([line("1.00"), line("1.00", "USD")], "lines.1.amount"),
])
def test_bad_baskets_are_refused(lines, field):
    with pytest.raises(InvalidInput) as exc:
        compute_tax(lines, GERMANY, EX)
    assert exc.value.errors[0].field == field


def test_a_class_without_any_rate_is_refused():
    with pytest.raises(InvalidInput) as exc:
        compute_tax([line("1.00")], rates(reduced=[("DE", "VAT", "7")]), EX)
    assert exc.value.errors[0].code == "no_rate"


@pytest.mark.parametrize("seller, buyer, vat_id, applies", [
    ("DE", "FR", "FR40303265045", True),
    ("DE", "GR", "EL094259216", True),
    ("DE", "DE", "DE136695976", False),  # domestic B2B: normal VAT
    ("DE", "FR", None, False),  # a consumer
    ("DE", "FR", "DE136695976", False),  # an id of another country than the buyer's
    ("GB", "FR", "FR40303265045", False),  # seller outside the EU
    ("DE", "CH", "CHE123456789", False),  # buyer outside the EU
])
def test_reverse_charge_needs_an_eu_seller_and_a_buyer_with_a_vat_id_in_another_state(
    seller, buyer, vat_id, applies
):
    assert reverse_charge_applies(Place(seller), Place(buyer), vat_id) is applies


def test_summarise_keeps_different_rates_apart():
    eur = Money.exact("1.00", "EUR")
    parts = [ComponentTax("DE", "VAT", D("19"), eur, eur), ComponentTax("DE", "VAT", D("7"),
                                                                         eur, eur),
             ComponentTax("DE", "VAT", D("19"), eur, eur)]
    assert [(c.rate_percent, c.tax.amount) for c in summarise(parts)] == [
        (D("19"), D("2.00")), (D("7"), D("1.00"))]


# ---- properties -----------------------------------------------------------------------

CURRENCIES = st.sampled_from(["EUR", "JPY", "KWD", "INR", "CAD"])
RATE = st.decimals(min_value=0, max_value=D("40"), places=3, allow_nan=False)
COMPONENTS = st.lists(RATE, min_size=1, max_size=3)


@st.composite
def baskets(draw):
    currency = draw(CURRENCIES)
    unit = D(1).scaleb(-minor_unit(currency))
    classes = {cls: tuple(RateComponent(f"X{i}", f"T{i}", r) for i, r in
                          enumerate(draw(COMPONENTS)))
               for cls in (TaxClass.STANDARD, TaxClass.REDUCED)}
    amounts = draw(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1,
                            max_size=12))
    lines = [TaxableLine(str(i), Money.exact(a * unit, currency),
                         draw(st.sampled_from(list(TaxClass))))
             for i, a in enumerate(amounts)]
    return lines, Rates(Place("XX"), date(2026, 1, 1), classes), draw(st.sampled_from(
        list(PricingMode))), draw(st.booleans())


@settings(max_examples=300, deadline=None)
@given(baskets())
def test_every_line_adds_up_and_totals_are_the_sums_of_the_lines(basket):
    lines, the_rates, mode, reverse = basket
    result = compute_tax(lines, the_rates, mode, reverse_charge=reverse)
    currency = lines[0].amount.currency
    for taxed, given_line in zip(result.lines, lines, strict=True):
        assert taxed.net + taxed.tax == taxed.gross
        paid = taxed.gross if mode is INC else taxed.net
        assert paid == given_line.amount or reverse
        assert sum((c.tax for c in taxed.components), Money.zero(currency)) == taxed.tax
        for amount in (taxed.net, taxed.tax, taxed.gross):
            assert Money.exact(amount.amount, currency) == amount  # fits the minor unit
    for total, part in ((result.net, "net"), (result.tax, "tax"), (result.gross, "gross")):
        assert total == sum((getattr(t, part) for t in result.lines), Money.zero(currency))
    assert sum((c.tax for c in result.breakdown), Money.zero(currency)) == result.tax
    assert result.net == sum((c.taxable for c in result.breakdown), Money.zero(currency)) \
        or any(len(t.components) > 1 for t in result.lines)


@settings(max_examples=300, deadline=None)
@given(CURRENCIES, st.integers(min_value=0, max_value=10**9), COMPONENTS)
def test_exclusive_then_inclusive_gives_the_net_back(currency, units, rate_list):
    unit = D(1).scaleb(-minor_unit(currency))
    the_rates = Rates(Place("XX"), date(2026, 1, 1), {TaxClass.STANDARD: tuple(
        RateComponent("XX", f"T{i}", r) for i, r in enumerate(rate_list))})
    net = Money.exact(units * unit, currency)
    gross = compute_tax([TaxableLine("1", net, TaxClass.STANDARD)], the_rates, EX).gross
    back = compute_tax([TaxableLine("1", gross, TaxClass.STANDARD)], the_rates, INC).net
    # Exact with one component; each further component may add one minor unit of drift.
    assert abs(back.amount - net.amount) <= unit * (len(rate_list) - 1)


@settings(max_examples=300, deadline=None)
@given(CURRENCIES, st.integers(min_value=0, max_value=10**9), RATE)
def test_inclusive_then_exclusive_gives_the_gross_back_within_a_minor_unit(
    currency, units, rate
):
    unit = D(1).scaleb(-minor_unit(currency))
    the_rates = Rates(Place("XX"), date(2026, 1, 1),
                      {TaxClass.STANDARD: (RateComponent("XX", "T", rate),)})
    gross = Money.exact(units * unit, currency)
    net = compute_tax([TaxableLine("1", gross, TaxClass.STANDARD)], the_rates, INC).net
    again = compute_tax([TaxableLine("1", net, TaxClass.STANDARD)], the_rates, EX).gross
    assert abs(again.amount - gross.amount) <= unit
