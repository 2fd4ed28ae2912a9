"""Invoice drafts must add up exactly; credit notes never exceed their invoice."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordermesh.invoices.model import (
    Credited,
    CreditExceedsInvoice,
    Invoice,
    InvoiceDraft,
    InvoiceKind,
    InvoiceLine,
    Party,
    breakdown_by_rate,
    check_credit,
    check_draft,
    format_number,
    invoice_line,
    totals_of,
)
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money, minor_unit

BUYER = Party("Kunde GmbH", None, "DE")


def eur(amount: str, currency: str = "EUR") -> Money:
    return Money.of(amount, currency)


def vat_line(net: str, rate: str = "19", quantity: int = 1, currency: str = "EUR",
             description: str = "Mug") -> InvoiceLine:
    net_money = Money.of(net, currency)
    tax = Money.of(Decimal(net) * Decimal(rate) / 100, currency)
    return invoice_line(description, quantity, net_money, tax, Decimal(rate))


def draft(lines: list[InvoiceLine], currency: str = "EUR", **overrides) -> InvoiceDraft:
    net, tax, gross = totals_of(lines, currency)
    base = InvoiceDraft(
        kind=InvoiceKind.INVOICE, order_id="ord_1", order_number="OM-000001",
        legal_entity_id="le_1", currency=currency, buyer=BUYER, lines=tuple(lines),
        tax_breakdown=breakdown_by_rate(lines), net=net, tax=tax, gross=gross,
        tax_point=date(2026, 11, 26))
    return replace(base, **overrides)


def refused_fields(d: InvoiceDraft) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as refused:
        check_draft(d)
    return [(e.field, e.code) for e in refused.value.errors]


def test_a_draft_whose_lines_shipping_and_breakdown_add_up_is_accepted():
    lines = [vat_line("10.00", quantity=2), vat_line("5.99", rate="7"),
             vat_line("4.90", description="Shipping")]
    d = draft(lines)
    check_draft(d)
    assert d.gross == eur("11.90") + eur("6.41") + eur("5.83")
    assert [(b.rate_percent, b.taxable.amount, b.tax.amount) for b in d.tax_breakdown] == [
        (Decimal(19), Decimal("14.90"), Decimal("2.83")),
        (Decimal(7), Decimal("5.99"), Decimal("0.42"))]


@pytest.mark.parametrize("total", ["net", "tax", "gross"])
def test_a_total_that_is_not_the_sum_of_the_lines_is_refused(total):
    d = draft([vat_line("10.00"), vat_line("20.00")])
    off = replace(d, **{total: getattr(d, total) + eur("0.01")})
    assert (total, "does_not_add_up") in refused_fields(off)


def test_a_line_whose_net_and_tax_do_not_make_its_gross_is_refused():
    line = replace(vat_line("10.00"), gross=eur("11.91"))
    d = draft([vat_line("5.00"), line])
    assert ("lines.1.gross", "does_not_add_up") in refused_fields(d)


def test_a_breakdown_whose_tax_is_not_the_tax_total_is_refused():
    d = draft([vat_line("10.00"), vat_line("10.00", rate="7")])
    first = d.tax_breakdown[0]
    wrong = replace(d, tax_breakdown=(replace(first, tax=first.tax + eur("0.01")),
                                      d.tax_breakdown[1]))
    assert ("tax_breakdown", "does_not_add_up") in refused_fields(wrong)


def test_a_breakdown_taxing_more_than_was_sold_is_refused():
    d = draft([vat_line("10.00")])
    wrong = replace(d, tax_breakdown=(replace(d.tax_breakdown[0], taxable=eur("10.01")),))
    assert ("tax_breakdown.0.taxable", "does_not_add_up") in refused_fields(wrong)


def test_amounts_in_another_currency_or_finer_than_the_minor_unit_are_refused():
    d = draft([vat_line("1000", rate="10", currency="JPY")], currency="JPY")
    line = d.lines[0]
    fractional = replace(line, unit_net=Money(Decimal("1000.5"), "JPY"))
    euro = replace(line, tax=eur("100.00"))
    assert ("lines.0.unit_net", "invalid") in refused_fields(replace(d, lines=(fractional,)))
    assert ("lines.0.tax", "currency_mismatch") in refused_fields(replace(d, lines=(euro,)))


def test_unit_net_may_be_off_by_rounding_but_not_by_more():
    # 3 units for 10.00 net: 3.33 a unit is 10.00 / 3 rounded; 3.34 is not.
    line = invoice_line("Tea", 3, eur("10.00"), eur("1.90"), Decimal(19))
    assert line.unit_net == eur("3.33")
    check_draft(draft([line]))
    # 19.99 gross a unit, 3 units: net 59.97 / 1.19 = 50.39, 16.80 a unit (16.80 x 3 = 50.40)
    inclusive = invoice_line("Tea", 3, eur("50.39"), eur("9.58"), Decimal(19))
    assert inclusive.unit_net == eur("16.80")
    check_draft(draft([inclusive]))
    assert ("lines.0.unit_net", "does_not_add_up") in refused_fields(
        draft([replace(line, unit_net=eur("3.34"))]))


def test_negative_amounts_zero_quantities_and_empty_documents_are_refused():
    line = vat_line("10.00")
    assert ("lines.0.quantity", "invalid") in refused_fields(
        draft([replace(line, quantity=0)]))
    negative = invoice_line("Discount", 1, eur("-5.00"), eur("-0.95"), Decimal(19))
    assert ("lines.0.net", "negative_amount") in refused_fields(draft([negative]))
    assert ("lines", "missing") in refused_fields(draft([]))


def test_a_credit_note_must_name_the_invoice_it_corrects_and_an_invoice_must_not():
    lines = [vat_line("10.00")]
    assert ("corrects_invoice_id", "missing") in refused_fields(
        draft(lines, kind=InvoiceKind.CREDIT_NOTE))
    assert ("corrects_invoice_id", "invalid") in refused_fields(
        draft(lines, corrects_invoice_id="inv_1"))
    check_draft(draft(lines, kind=InvoiceKind.CREDIT_NOTE, corrects_invoice_id="inv_1"))


def test_a_credit_note_of_nothing_is_refused():
    zero = invoice_line("Nothing", 1, eur("0.00"), eur("0.00"), Decimal(19))
    assert ("gross", "negative_amount") in refused_fields(
        draft([zero], kind=InvoiceKind.CREDIT_NOTE, corrects_invoice_id="inv_1"))


def test_reverse_charge_needs_the_buyers_vat_id_and_no_tax():
    untaxed = [invoice_line("Mug", 1, eur("10.00"), eur("0.00"), Decimal(0))]
    assert ("buyer.vat_id", "missing") in refused_fields(draft(untaxed, reverse_charge=True))
    taxed = draft([vat_line("10.00")], reverse_charge=True,
                  buyer=replace(BUYER, vat_id="NL004495445B01"))
    assert ("tax", "reverse_charge_with_tax") in refused_fields(taxed)
    check_draft(draft(untaxed, reverse_charge=True,
                      buyer=replace(BUYER, vat_id="NL004495445B01")))


def test_every_problem_of_a_draft_is_named_at_once():
    d = draft([vat_line("10.00")], order_number="", buyer=replace(BUYER, name=" "))
    fields = [f for f, _ in refused_fields(replace(d, net=d.net + eur("1.00")))]
    assert {"order_number", "buyer.name", "net"} <= set(fields)


CURRENCIES = ["EUR", "JPY", "KWD", "INR", "USD"]
RATES = [Decimal(r) for r in ("0", "5", "7", "7.7", "10", "18", "19", "20", "25.5")]


@st.composite
def lines_and_currency(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    digits = minor_unit(currency)
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        quantity = draw(st.integers(1, 50))
        unit_minor = draw(st.integers(0, 10**7))
        net = Money.of(Decimal(unit_minor * quantity).scaleb(-digits), currency)
        rate = draw(st.sampled_from(RATES))
        tax = Money.of(net.amount * rate / 100, currency)  # rounded per line
        lines.append(invoice_line("Thing", quantity, net, tax, rate))
    return lines, currency


@settings(max_examples=200, deadline=None)
@given(lines_and_currency())
def test_any_draft_built_from_its_lines_adds_up_and_any_total_one_minor_unit_off_is_refused(
        data):
    lines, currency = data
    d = draft(lines, currency)
    check_draft(d)
    assert d.gross.amount == sum((ln.gross.amount for ln in lines), Decimal(0))
    assert sum((b.tax.amount for b in d.tax_breakdown), Decimal(0)) == d.tax.amount
    one = Money.of(Decimal(1).scaleb(-minor_unit(currency)), currency)
    for name in ("net", "tax", "gross"):
        with pytest.raises(InvalidInput):
            check_draft(replace(d, **{name: getattr(d, name) + one}))


def issued(gross_lines: list[InvoiceLine], **overrides) -> Invoice:
    d = draft(gross_lines)
    fields = dict(
        id="inv_1", kind=InvoiceKind.INVOICE, number="ACME-INV-000001", sequence=1,
        series_id="ser_1", legal_entity_id=d.legal_entity_id, order_id=d.order_id,
        order_number=d.order_number, corrects_invoice_id=None, corrects_number=None,
        issued_at=datetime(2026, 11, 26, tzinfo=UTC), tax_point=d.tax_point,
        currency=d.currency, locale="de_DE", seller=BUYER, buyer=BUYER, lines=d.lines,
        tax_breakdown=d.tax_breakdown, net=d.net, tax=d.tax, gross=d.gross,
        reverse_charge=False, note=None, reference=None)
    return Invoice(**{**fields, **overrides})


def credited(net: str, tax: str) -> Credited:
    return Credited(eur(net), eur(tax), eur(net) + eur(tax))


def test_a_credit_note_may_take_exactly_what_remains_on_the_invoice_but_no_cent_more():
    original = issued([vat_line("100.00")])  # 100.00 + 19.00
    rest = draft([vat_line("60.00")], kind=InvoiceKind.CREDIT_NOTE, corrects_invoice_id="inv_1")
    check_credit(original, credited("40.00", "7.60"), rest)
    with pytest.raises(CreditExceedsInvoice) as refused:
        check_credit(original, credited("40.01", "7.60"), rest)
    assert refused.value.extra["creditable"] == {"net": "59.99", "tax": "11.40",
                                                 "gross": "71.39"}


def test_a_credit_note_must_match_its_invoices_seller_order_and_currency():
    original = issued([vat_line("100.00")])
    note = draft([vat_line("10.00")], kind=InvoiceKind.CREDIT_NOTE, corrects_invoice_id="inv_1")
    nothing = credited("0.00", "0.00")
    for changed in ({"order_id": "ord_2"}, {"legal_entity_id": "le_2"}):
        with pytest.raises(InvalidInput):
            check_credit(original, nothing, replace(note, **changed))
    with pytest.raises(InvalidInput):
        check_credit(replace(original, kind=InvoiceKind.CREDIT_NOTE), nothing, note)


def test_numbers_are_the_prefix_and_the_sequence_padded_to_six_digits():
    assert format_number("ACME-INV-", 42) == "ACME-INV-000042"
    assert format_number("INV-2026-", 1_234_567) == "INV-2026-1234567"
