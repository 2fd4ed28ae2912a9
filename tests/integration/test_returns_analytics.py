"""Return analytics: rates by cohort (units shipped for the period's orders, units in
returns that were not rejected or cancelled), per SKU, reason and channel; refunds and
dispositions; a customer far above the norm; bad periods and groupings refused."""

from __future__ import annotations

import pytest

from tests.helpers import ok
from tests.returns_helpers import RETURNS, ask, shipped_order

ANALYTICS = f"{RETURNS}/analytics"
DAY = {"from": "2026-11-26", "to": "2026-11-26"}


@pytest.fixture
def sales(client):
    """Bo: 20 TEE and 1 CAP, whose CAP return was cancelled. Ada: three orders of a TEE
    and a CAP; she returns both units of two of them (defective, received and refunded:
    TEE restocked, CAP scrapped; size or fit, not received yet)."""
    shipped_order(client, lines=(("TEE", 20, "20.00"), ("CAP", 1, "10.00")), stock=50,
                  customer={"email": "bo@example.com"}, external_id="B-1")
    cancelled = ok(ask(client, {"number": "OM-000001"}, [(2, 1, "changed_mind")]), 201)
    ok(client.post(f"{RETURNS}/{cancelled['id']}/cancel", json={}))
    ada = [shipped_order(client, lines=(("TEE", 1, "20.00"), ("CAP", 1, "10.00")),
                         new_shop=False, customer={"email": "ada@example.com"},
                         external_id=f"A-{i}") for i in range(3)]
    refunded = ok(ask(client, ada[0], [(1, 1, "defective"), (2, 1, "defective")]), 201)
    ok(client.post(f"{RETURNS}/{refunded['id']}/receipts", json={"location": "ber", "lines": [
        {"line_no": 1, "quantity": 1, "grade": "as_new", "disposition": "restock"},
        {"line_no": 2, "quantity": 1, "grade": "defective", "disposition": "scrap"}]}), 201)
    ok(client.post(f"{RETURNS}/{refunded['id']}/refund"), 201)
    ok(ask(client, ada[1], [(1, 1, "size_or_fit"), (2, 1, "size_or_fit")]), 201)
    return client


def test_rates_per_sku_count_shipped_units_of_the_period_and_live_returns(sales):
    found = ok(sales.get(ANALYTICS, params=DAY))
    assert found["totals"] == {
        "units_shipped": 27, "units_returned": 4, "return_rate": "0.1481",
        "refunded": [{"currency": "EUR", "amount": "30.00"}],
        "units_by_disposition": {"restock": 1, "scrap": 1}}
    assert [(g["key"], g["units_shipped"], g["units_returned"], g["units_received"],
             g["returns"], g["return_rate"]) for g in found["groups"]] == [
        ("CAP", 4, 2, 1, 2, "0.5000"), ("TEE", 23, 2, 1, 2, "0.0870")]


def test_by_reason_each_reason_has_its_share_of_the_returned_units(sales):
    found = ok(sales.get(ANALYTICS, params={**DAY, "group_by": "reason"}))
    assert [(g["key"], g["units_returned"], g["units_shipped"], g["share_of_returned"])
            for g in found["groups"]] == [("defective", 2, None, "0.5000"),
                                          ("size_or_fit", 2, None, "0.5000")]


def test_a_customer_far_above_the_norm_is_named_with_her_numbers(sales):
    [ada] = ok(sales.get(ANALYTICS, params={**DAY, "group_by": "channel"}))[
        "customers_above_norm"]
    assert {k: ada[k] for k in ("orders", "units_shipped", "units_returned",
                                "return_rate")} == {
        "orders": 3, "units_shipped": 6, "units_returned": 4, "return_rate": "0.6667"}
    customer = ok(sales.get(f"/api/v1/customers/{ada['customer_id']}"))
    assert customer["email"] == "ada@example.com"


def test_orders_outside_the_period_or_channel_count_nothing(sales):
    later = ok(sales.get(ANALYTICS, params={"from": "2026-11-27", "to": "2026-12-31"}))
    assert later["totals"]["units_shipped"] == 0 and later["groups"] == []
    assert later["totals"]["return_rate"] is None and later["customers_above_norm"] == []
    web = ok(sales.get(ANALYTICS, params={**DAY, "channel": "web", "group_by": "channel"}))
    assert [(g["key"], g["return_rate"]) for g in web["groups"]] == [("web", "0.1481")]


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-11-27", "to": "2026-11-26"}, "query.to"),
    ({"from": "2016-01-01", "to": "2026-11-26"}, "query.to"),
    ({**DAY, "group_by": "warehouse"}, "query.group_by"),
    ({**DAY, "limit": 0}, "query.limit"),
    ({"from": "2026-11-26"}, "query.to"),
])
def test_a_bad_period_or_grouping_is_refused_naming_the_parameter(client, params, field):
    answer = client.get(ANALYTICS, params=params)
    assert answer.status_code == 422, answer.text
    assert field in [e["field"] for e in answer.json()["errors"]]
