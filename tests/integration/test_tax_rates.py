"""Rates from the database: every country matches the shipped data, rates change on their
effective dates, India and Canada split their taxes, admins add rate periods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ordermesh.kit.errors import Conflict, InvalidInput
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import read_events
from ordermesh.tax.model import (
    FALLBACK,
    RATED_CLASSES,
    Place,
    PricingMode,
    TaxableLine,
    TaxClass,
    compute_tax,
)
from ordermesh.tax.seed import read_rates, seed_rates
from ordermesh.tax.service import NewRate, add_rate, list_rates, rates_for
from tests.helpers import ok

D = Decimal
ROWS = read_rates()


@pytest.fixture(autouse=True)
def shipped_rates(container):
    """The PostgreSQL fixture empties every table before a test; load the rates again."""
    with container.engine.begin() as conn:
        seed_rates(conn)


def tax_on(uow, place: Place, on: date, cls=TaxClass.STANDARD, amount="1000.00",
           origin: Place | None = None):
    with uow(write=False) as u:
        rates = rates_for(u, place, on, origin)
    line = TaxableLine("1", Money.exact(amount, "EUR"), cls)
    return compute_tax([line], rates, PricingMode.EXCLUSIVE).lines[0]


def published(country: str, region: str, cls: str, on: date) -> Decimal | None:
    """The rate the CSV gives, with the same fallback the engine applies."""
    while cls is not None:
        found = [r.rate_percent for r in ROWS if r.country == country
                 and r.region in ("", region) and r.tax_class == cls
                 and r.valid_from <= on and (r.valid_to is None or r.valid_to >= on)]
        if found:
            return sum(found, D(0))
        cls = FALLBACK.get(TaxClass(cls))
    return None


@pytest.mark.parametrize("on", [date(2023, 6, 1), date(2024, 6, 1), date(2025, 6, 1),
                                date(2026, 6, 1)])
def test_every_place_in_the_data_is_taxed_at_its_published_rate(uow, on):
    places = sorted({(r.country, r.region) for r in ROWS})
    places += [("IN", "KA")]  # India's rows are national; a destination needs a state
    checked = 0
    for country, region in places:
        if country == "IN" and not region:
            continue
        for cls in RATED_CLASSES:
            expected = published(country, region, cls, on)
            taxed = tax_on(uow, Place(country, region or None), on, cls)
            # 1000.00 net: the tax is ten times the rate, exactly (rates have <= 3 places)
            assert taxed.tax.amount == expected * 10, (country, region, cls, on)
            checked += 1
    assert checked == 3 * (len(places) - 1)  # India without a state is skipped


@pytest.mark.parametrize("on, rate", [(date(2023, 12, 31), "20"), (date(2024, 1, 1), "22"),
                                      (date(2025, 6, 30), "22"), (date(2025, 8, 1), "24")])
def test_estonia_uses_the_rate_in_force_at_the_tax_point(uow, on, rate):
    assert tax_on(uow, Place("EE"), on, amount="100.00").tax.amount == D(rate)


@pytest.mark.parametrize("country, before, after, change", [
    ("FI", "24", "25.5", date(2024, 9, 1)),
    ("CH", "7.7", "8.1", date(2024, 1, 1)),
    ("SK", "20", "23", date(2025, 1, 1)),
    ("RO", "19", "21", date(2025, 8, 1)),
])
def test_a_rate_change_applies_from_its_first_day(uow, country, before, after, change):
    last_day = date.fromordinal(change.toordinal() - 1)
    assert tax_on(uow, Place(country), last_day, amount="100.00").rate_percent == D(before)
    assert tax_on(uow, Place(country), change, amount="100.00").rate_percent == D(after)


def test_india_splits_gst_within_a_state_and_charges_igst_across_states(uow):
    on = date(2026, 1, 1)
    within = tax_on(uow, Place("IN", "KA"), on, origin=Place("IN", "KA"))
    assert [(c.jurisdiction, c.name, c.rate_percent, c.tax.amount)
            for c in within.components] == [("IN", "CGST", D("9"), D("90.00")),
                                             ("IN-KA", "SGST", D("9"), D("90.00"))]
    across = tax_on(uow, Place("IN", "KA"), on, origin=Place("IN", "MH"))
    assert [(c.name, c.rate_percent) for c in across.components] == [("IGST", D("18"))]
    chandigarh = tax_on(uow, Place("IN", "CH"), on, TaxClass.REDUCED, origin=Place("IN", "CH"))
    assert [c.name for c in chandigarh.components] == ["CGST", "UTGST"]
    assert chandigarh.rate_percent == D("5")  # GST 2.0: 12% and 5% became 5%


def test_a_region_may_be_given_by_its_name_as_addresses_carry_it(uow):
    on = date(2026, 1, 1)
    assert tax_on(uow, Place("US", "California"), on).rate_percent == D("7.25")
    karnataka = tax_on(uow, Place("IN", "Karnataka"), on, origin=Place("IN", "ka"))
    assert [c.name for c in karnataka.components] == ["CGST", "SGST"]


def test_canada_charges_hst_in_ontario_and_gst_plus_pst_in_british_columbia(uow):
    on = date(2026, 1, 1)
    ontario = tax_on(uow, Place("CA", "ON"), on, amount="100.00")
    assert [(c.jurisdiction, c.name, c.tax.amount) for c in ontario.components] == [
        ("CA-ON", "HST", D("13.00"))]
    bc = tax_on(uow, Place("CA", "BC"), on, amount="100.00")
    assert [(c.jurisdiction, c.name, c.tax.amount) for c in bc.components] == [
        ("CA", "GST", D("5.00")), ("CA-BC", "PST", D("7.00"))]
    assert tax_on(uow, Place("CA", "NS"), date(2025, 3, 31)).rate_percent == D("15")
    assert tax_on(uow, Place("CA", "NS"), date(2025, 4, 1)).rate_percent == D("14")


@pytest.mark.parametrize("place, on, field, code", [
    (Place("US"), date(2026, 1, 1), "shipping_address.region", "region_required"),
    (Place("US", "ZZ"), date(2026, 1, 1), "shipping_address.region", "unknown_region"),
    (Place("US", "PR"), date(2026, 1, 1), "shipping_address.region", "no_tax_rates"),
    (Place("IN"), date(2026, 1, 1), "shipping_address.region", "region_required"),
    (Place("BR"), date(2026, 1, 1), "shipping_address.country", "no_tax_rates"),
    (Place("DE"), date(2022, 12, 31), "shipping_address.country", "no_tax_rates"),
])
def test_a_destination_without_rates_is_refused_on_the_address_field(uow, place, on, field,
                                                                      code):
    with uow(write=False) as u, pytest.raises(InvalidInput) as exc:
        rates_for(u, place, on)
    assert (exc.value.errors[0].field, exc.value.errors[0].code) == (field, code)


def test_states_without_sales_tax_charge_nothing(uow):
    for state in ("AK", "DE", "MT", "NH", "OR"):
        assert tax_on(uow, Place("US", state), date(2026, 1, 1)).tax.amount == 0


def german_vat(rate: str, valid_from: date, **extra) -> NewRate:
    return NewRate(country="DE", tax_class=TaxClass.STANDARD, name="VAT",
                   rate_percent=D(rate), valid_from=valid_from, source="BGBl test", **extra)


def test_a_new_rate_ends_the_open_period_the_day_before(uow):
    with uow() as u:
        added = add_rate(u, german_vat("21", date(2027, 1, 1)))
    assert added.closed is not None and added.closed.valid_to == date(2026, 12, 31)
    assert tax_on(uow, Place("DE"), date(2026, 12, 31), amount="100.00").tax.amount == 19
    assert tax_on(uow, Place("DE"), date(2027, 1, 1), amount="100.00").tax.amount == 21
    with uow(write=False) as u:
        events = read_events(u, type_prefix="tax.")
        history = list_rates(u, "DE")
    assert [p.rate_percent for p in history if p.tax_class is TaxClass.STANDARD] == [
        D("19"), D("21")]
    assert all(e.type == "tax.rate_added" for e in events)


def test_a_temporary_rate_can_follow_and_be_followed(uow):
    with uow() as u:
        add_rate(u, german_vat("16", date(2027, 7, 1), valid_to=date(2027, 12, 31)))
    with uow() as u:
        add_rate(u, german_vat("19", date(2028, 1, 1)))
    assert tax_on(uow, Place("DE"), date(2027, 7, 1)).rate_percent == D("16")
    assert tax_on(uow, Place("DE"), date(2028, 1, 1)).rate_percent == D("19")


@pytest.mark.parametrize("valid_from", [date(2023, 1, 1), date(2020, 1, 1)])
def test_a_period_that_overlaps_or_precedes_an_existing_one_is_a_conflict(uow, valid_from):
    with uow() as u, pytest.raises(Conflict):
        add_rate(u, german_vat("21", valid_from))
    with uow(write=False) as u:
        assert len([p for p in list_rates(u, "DE") if p.tax_class is TaxClass.STANDARD]) == 1


def test_a_closed_period_reaching_the_new_start_is_a_conflict(uow):
    with uow() as u:
        add_rate(u, german_vat("16", date(2027, 7, 1), valid_to=date(2027, 12, 31)))
    with uow() as u, pytest.raises(Conflict):
        add_rate(u, german_vat("18", date(2027, 10, 1)))


def test_zero_and_exempt_classes_have_no_rates_to_change(uow):
    with uow() as u, pytest.raises(InvalidInput):
        add_rate(u, NewRate("DE", TaxClass.ZERO, "VAT", D("1"), date(2027, 1, 1), "x"))


def test_an_admin_adds_a_rate_through_the_api_and_a_retry_changes_nothing(client):
    body = {"country": "US", "region": "CA", "tax_class": "standard", "name": "Sales tax",
            "rate_percent": "7.5", "valid_from": "2027-01-01",
            "source": "https://www.cdtfa.ca.gov/"}
    first = ok(client.post("/api/v1/tax/rates", json=body, headers={"Idempotency-Key": "k"}),
               201)
    again = ok(client.post("/api/v1/tax/rates", json=body, headers={"Idempotency-Key": "k"}),
               201)
    assert again["rate"]["id"] == first["rate"]["id"]
    assert first["rate"]["jurisdiction"] == "US-CA"
    assert first["closed"]["rate_percent"] == "7.25"
    assert first["closed"]["valid_to"] == "2026-12-31"
    assert again["closed"]["id"] == first["closed"]["id"]
    events = ok(client.get("/api/v1/events", params={"type": "tax."}))["items"]
    assert [e["type"] for e in events] == ["tax.rate_added"]
    assert events[0]["payload"]["closed"]["rate_percent"] == "7.25"
    problem = ok(client.post("/api/v1/tax/rates", json=body), 409)
    assert "overlaps or follows" in problem["detail"]


@pytest.mark.parametrize(("change", "code"), [
    ({"rate_percent": "100"}, "less_than"), ({"rate_percent": "-1"}, "greater_than_equal"),
    ({"rate_percent": "7.123456"}, "decimal_max_places"), ({"tax_class": "zero"}, "literal_error"),
    ({"country": "XX"}, "value_error"), ({"region": "ZZ"}, "unknown_region"),
    ({"jurisdiction": "FR"}, "invalid"), ({"valid_to": "2026-12-31"}, "invalid"),
    ({"valid_from": 20270101}, "value_error"), ({"source": ""}, "string_too_short"),
    ({"extra": 1}, "extra_forbidden"),
])
def test_bad_rate_changes_are_refused_and_change_nothing(client, change, code):
    body = {"country": "US", "region": "CA", "tax_class": "standard", "name": "Sales tax",
            "rate_percent": "7.5", "valid_from": "2027-01-01", "source": "s", **change}
    events = ok(client.get("/api/v1/events", params={"type": "tax."}))["items"]
    problem = ok(client.post("/api/v1/tax/rates", json=body), 422)
    [field] = change
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field, code)]
    rates = ok(client.get("/api/v1/tax/rates", params={"country": "US", "region": "CA"}))
    assert [r["rate_percent"] for r in rates["items"]] == ["7.25"]
    assert ok(client.get("/api/v1/events", params={"type": "tax."}))["items"] == events


def test_only_an_admin_may_change_rates(client):
    operator = ok(client.post("/api/v1/api-keys", json={"name": "ops", "role": "operator"}),
                  201)
    body = {"country": "DE", "tax_class": "standard", "name": "VAT", "rate_percent": "21",
            "valid_from": "2027-01-01", "source": "s"}
    problem = ok(client.post("/api/v1/tax/rates", json=body,
                             headers={"Authorization": f"Bearer {operator['key']}"}), 403)
    assert problem["code"] == "forbidden"
    rates = ok(client.get("/api/v1/tax/rates", params={"country": "DE", "on": "2027-06-01"}))
    assert "21" not in [r["rate_percent"] for r in rates["items"]]
    assert ok(client.get("/api/v1/events", params={"type": "tax.rate_added"}))["items"] == []
    ok(client.post("/api/v1/tax/rates", json=body), 201)  # the admin may
