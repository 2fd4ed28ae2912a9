"""Quotes, the rate listing, the tax ledger and the report, through the API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money
from ordermesh.tax.ledger import TaxEntry, book, entries_from
from ordermesh.tax.model import Place, PricingMode, TaxableLine, TaxClass, compute_tax
from ordermesh.tax.seed import seed_rates
from ordermesh.tax.service import rates_for
from ordermesh.tax.tables import tax_entries
from tests.helpers import ok

D = Decimal


@pytest.fixture(autouse=True)
def shipped_rates(container):
    """The PostgreSQL fixture empties every table before a test; load the rates again."""
    with container.engine.begin() as conn:
        seed_rates(conn)


def quote(client, status=200, **body):
    body = {"currency": "EUR", "pricing_mode": "inclusive",
            "lines": [{"key": "1", "amount": "119.00"}], **body}
    return ok(client.post("/api/v1/tax/quote", json=body), status)


def test_a_german_basket_with_prices_including_vat(client):
    answer = quote(client, destination={"country": "DE"}, lines=[
        {"key": "shirt", "amount": "119.00"},
        {"key": "book", "amount": "10.70", "tax_class": "reduced"},
        {"key": "shipping", "amount": "4.99"}])
    assert (answer["net"], answer["tax"], answer["gross"]) == ("114.19", "20.50", "134.69")
    assert [(b["rate_percent"], b["taxable"], b["tax"]) for b in answer["breakdown"]] == [
        ("19", "104.19", "19.80"), ("7", "10.00", "0.70")]
    assert answer["tax_point"] == "2026-11-26" and answer["reverse_charge"] is False


def test_a_californian_basket_gets_sales_tax_on_top(client):
    answer = quote(client, destination={"country": "US", "region": "CA"}, currency="USD",
                   pricing_mode="exclusive", lines=[{"key": "1", "amount": "100.00"}])
    assert (answer["tax"], answer["gross"]) == ("7.25", "107.25")
    assert answer["breakdown"][0]["jurisdiction"] == "US-CA"


def test_estonian_rates_follow_the_tax_point(client):
    taxes = [quote(client, destination={"country": "EE"}, tax_point=day, pricing_mode=
                   "exclusive", lines=[{"key": "1", "amount": "100.00"}])["tax"]
             for day in ("2023-06-01", "2024-06-01", "2025-08-01")]
    assert taxes == ["20.00", "22.00", "24.00"]


def test_an_eu_business_buyer_in_another_member_state_is_reverse_charged(client):
    answer = quote(client, destination={"country": "FR"}, seller_country="DE",
                   buyer_vat_id="fr 40 303 265 045", lines=[{"key": "1", "amount": "120.00"}])
    assert answer["reverse_charge"] is True and answer["buyer_vat_id"] == "FR40303265045"
    assert (answer["net"], answer["tax"], answer["gross"]) == ("100.00", "0.00", "100.00")
    assert answer["breakdown"][0]["name"] == "reverse charge"


def test_a_business_buyer_in_the_sellers_own_country_pays_vat(client):
    answer = quote(client, destination={"country": "DE"}, seller_country="DE",
                   buyer_vat_id="DE136695976")
    assert answer["reverse_charge"] is False and answer["tax"] == "19.00"


def test_india_within_one_state_through_the_api(client):
    answer = quote(client, destination={"country": "IN", "region": "KA"},
                   origin={"country": "IN", "region": "KA"}, currency="INR",
                   lines=[{"key": "1", "amount": "1180.00"}])
    assert [(b["name"], b["tax"]) for b in answer["breakdown"]] == [
        ("CGST", "90.00"), ("SGST", "90.00")]


def test_yen_quotes_have_whole_yen(client):
    answer = quote(client, destination={"country": "JP"}, currency="JPY",
                   lines=[{"key": "1", "amount": "1000"},
                          {"key": "2", "amount": "1080", "tax_class": "reduced"}])
    assert (answer["net"], answer["tax"]) == ("1909", "171")


@pytest.mark.parametrize("change, field", [
    ({"destination": {"country": "US"}}, "destination.region"),
    ({"destination": {"country": "BR"}}, "destination.country"),
    ({"destination": {"country": "FR"}, "buyer_vat_id": "FR00000000000"}, "buyer_vat_id"),
    ({"destination": {"country": "JP"}, "currency": "JPY",
      "lines": [{"key": "1", "amount": "119.50"}]}, "lines.0.amount"),
    ({"destination": {"country": "DE"}, "lines": []}, "lines"),
    ({"destination": {"country": "DE"}, "tax_point": "2022-01-01"}, "destination.country"),
    ({"destination": {"country": "DE"}, "lines": [{"key": "1", "amount": "-1"}]},
     "lines.0.amount"),
    ({"destination": {"country": "DE"}, "lines": [{"key": "1", "amount": "1",
                                                   "tax_class": "luxury"}]},
     "lines.0.tax_class"),
])
def test_bad_quotes_get_a_422_naming_the_field(client, change, field):
    problem = quote(client, 422, **change)
    assert field in [e["field"] for e in problem["errors"]]


def test_listing_rates_resolves_what_a_destination_pays(client):
    listing = ok(client.get("/api/v1/tax/rates",
                            params={"country": "CA", "region": "QC", "on": "2026-01-01"}))
    assert [(r["name"], r["rate_percent"]) for r in listing["items"]] == [
        ("GST", "5"), ("QST", "9.975")]
    standard = listing["resolved"]["classes"][0]
    assert (standard["tax_class"], standard["rate_percent"]) == ("standard", "14.975")
    reduced = listing["resolved"]["classes"][1]
    assert reduced["rate_percent"] == "14.975"  # Canada has no reduced rate


def test_listing_a_country_that_needs_a_region_without_one_lists_every_region(client):
    listing = ok(client.get("/api/v1/tax/rates", params={"country": "US", "on": "2026-01-01"}))
    assert listing["resolved"] is None
    assert len({r["region"] for r in listing["items"]}) == 51


def the_error(problem: dict) -> tuple[str, str]:
    """The one ``errors[]`` entry as (field without the 'query.' prefix, code)."""
    [error] = problem["errors"]
    return error["field"].removeprefix("query."), error["code"]


@pytest.mark.parametrize(("params", "field", "code"), [
    ({"country": "XX"}, "country", "value_error"),
    ({"region": "toolong"}, "region", "string_pattern_mismatch"),
    ({"on": "yesterday"}, "on", "date_from_datetime_parsing"),
    ({"country": "BR"}, "country", "no_tax_rates"),
])
def test_bad_rate_queries_get_a_422(client, params, field, code):
    problem = ok(client.get("/api/v1/tax/rates", params=params), 422)
    assert the_error(problem) == (field, code)


def order_entries(uow, order_id: str, place: Place, amounts: list[str], on: date,
                  document="order", negative=False):
    with uow(write=False) as u:
        rates = rates_for(u, place, on)
    currency = "USD" if place.country == "US" else "EUR"
    lines = [TaxableLine(str(i), Money.exact(a, currency), TaxClass.STANDARD)
             for i, a in enumerate(amounts)]
    result = compute_tax(lines, rates, PricingMode.EXCLUSIVE)
    return entries_from(result, order_id=order_id, document=document, tax_point=on,
                        document_id=f"{document}-{order_id}", negative=negative)


def test_the_report_sums_collected_and_refunded_tax_per_jurisdiction(client, uow):
    with uow() as u:
        book(u, order_entries(uow, "ord_1", Place("DE"), ["100.00", "50.00"], date(2026, 3, 1)))
        book(u, order_entries(uow, "ord_2", Place("DE"), ["200.00"], date(2026, 3, 5)))
        book(u, order_entries(uow, "ord_1", Place("DE"), ["50.00"], date(2026, 3, 9),
                              document="refund", negative=True))
        book(u, order_entries(uow, "ord_3", Place("US", "NY"), ["10.00"], date(2026, 3, 2)))
        book(u, order_entries(uow, "ord_4", Place("DE"), ["999.00"], date(2026, 4, 1)))
        u.commit()
    march = ok(client.get("/api/v1/tax/report", params={"from": "2026-03-01",
                                                        "to": "2026-03-31"}))
    assert march["from"] == "2026-03-01"
    assert [(r["jurisdiction"], r["taxable"], r["tax_collected"], r["tax_refunded"],
             r["net_tax"]) for r in march["rows"]] == [
        ("DE", "300.00", "66.50", "9.50", "57.00"),
        ("US-NY", "10.00", "0.40", "0.00", "0.40")]
    germany = ok(client.get("/api/v1/tax/report", params={"from": "2026-01-01",
                                                          "to": "2026-12-31",
                                                          "country": "DE"}))
    assert [(r["taxable"], r["net_tax"]) for r in germany["rows"]] == [("1299.00", "246.81")]
    events = ok(client.get("/api/v1/events", params={"type": "tax.booked"}))["items"]
    assert [e["aggregate_id"] for e in events] == ["ord_1", "ord_2", "ord_1", "ord_3", "ord_4"]


@pytest.mark.parametrize(("params", "field", "code", "says"), [
    ({"from": "2026-02-01", "to": "2026-01-01"}, "to", "invalid", "must not be before"),
    ({"from": "2026-01-01"}, "to", "missing", "required"),
    ({"from": "x", "to": "2026-01-01"}, "from", "date_from_datetime_parsing", "date"),
    ({"from": "2000-01-01", "to": "2026-01-01"}, "to", "invalid", "at most 3660 days"),
])
def test_bad_report_periods_get_a_422(client, params, field, code, says):
    problem = ok(client.get("/api/v1/tax/report", params=params), 422)
    assert the_error(problem) == (field, code)
    assert says in problem["detail"]


def entry(**change) -> TaxEntry:
    base = dict(order_id="ord_1", document="order", document_id=None,
                tax_point=date(2026, 1, 1), currency="EUR", jurisdiction="DE", name="VAT",
                rate_percent=D("19"), taxable=Money.exact("10.00", "EUR"),
                tax=Money.exact("1.90", "EUR"))
    return TaxEntry(**{**base, **change})


@pytest.mark.parametrize("bad", [
    entry(document="invoice"),
    entry(taxable=Money.exact("-10.00", "EUR")),
    entry(tax=Money.exact("1.90", "USD")),
    entry(currency="XXX"),
    entry(rate_percent=D("100")),
])
def test_the_ledger_refuses_entries_that_do_not_add_up(uow, bad):
    with uow() as u, pytest.raises(InvalidInput):
        book(u, [entry(), bad])
    with uow(write=False) as u:
        assert u.execute(tax_entries.select()).all() == []


def test_the_database_refuses_amounts_of_different_signs(uow):
    with uow() as u, pytest.raises(IntegrityError):
        u.execute(insert(tax_entries).values(
            id="txe_x", order_id="o", document="refund", tax_point=date(2026, 1, 1),
            currency="EUR", jurisdiction="DE", country="DE", region="", name="VAT",
            rate_percent=D("19"), taxable_amount=D("-10"), tax_amount=D("1.9"),
            created_at=u.clock.now()))
