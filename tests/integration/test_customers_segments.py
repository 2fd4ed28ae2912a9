"""Segments: saved rules over the customer profile (RFM bucket, channel, country,
lifetime spend, last order before/after, product bought, consent), evaluated on demand
with paging; rules that cannot be evaluated are refused and nothing is saved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from tests.helpers import make_channel, ok, order_body, shop

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
DE = {"name": "Ada Lovelace", "line1": "Invalidenstr. 1", "city": "Berlin",
      "postal_code": "10115", "country": "DE"}
AT = {"name": "Bob Huber", "line1": "Ring 1", "city": "Wien", "postal_code": "1010",
      "country": "AT"}
ADA = {"email": "ada@example.com", "name": "Ada Lovelace"}
BOB = {"email": "bob@example.at", "name": "Bob Huber"}


def _order(client, customer, sku="TEE", channel="web", address=DE, price="20.00") -> dict:
    return ok(client.post("/api/v1/orders", json=order_body(
        [(sku, 1, price)], channel=channel, customer=customer, shipping_address=address)),
        201)


@pytest.fixture
def people(client, container) -> dict[str, str]:
    """Bob bought a mug once, shipped to Austria, 400 days ago; Ada bought five T-shirts
    in the last two months, on the web shop and on Amazon: a champion."""
    shop(client, {"TEE": {"ber": 100}, "MUG": {"ber": 100}})
    make_channel(client, "amazon-de", kind="marketplace")
    container.clock.set(NOW - timedelta(days=400))
    bob = _order(client, BOB, sku="MUG", address=AT)["customer_id"]
    ada = None
    for n in range(5):
        container.clock.set(NOW - timedelta(days=50 - n * 10))
        ada = _order(client, ADA, channel="amazon-de" if n == 4 else "web")["customer_id"]
    container.clock.set(NOW)
    return {"ada": ada, "bob": bob}


def _segment(client, rules: dict, name: str = "seg") -> dict:
    return ok(client.post("/api/v1/segments", json={"name": name, "rules": rules}), 201)


def _members(client, segment: dict, **params) -> dict:
    return ok(client.get(f"/api/v1/segments/{segment['id']}/customers", params=params))


def test_champions_who_bought_on_amazon_are_ada_with_the_facts_that_decided_it(
        client, people):
    segment = _segment(client, {"rfm": ["champion"], "channels": ["amazon-de"],
                                "bought": ["TEE"], "countries": ["de"]})
    assert segment["rules"] == {"rfm": ["champion"], "channels": ["amazon-de"],
                                "countries": ["DE"], "bought": ["TEE"]}
    found = _members(client, segment)
    [ada] = found["items"]
    assert ada["customer_id"] == people["ada"] and ada["email"] == "ada@example.com"
    assert (ada["rfm_segment"], ada["orders"]) == ("champion", 5)
    assert ada["channels"] == ["amazon-de", "web"] and ada["countries"] == ["DE"]
    assert ada["lifetime_value_net"] == [{"amount": "100.00", "currency": "EUR"}]
    assert ada["last_order_at"] == "2026-11-17T12:00:00Z"
    assert (found["scanned"], found["next_cursor"]) == (2, None)


def test_spend_dates_and_products_pick_out_the_lapsed_austrian_mug_buyer(client, people):
    lapsed = _segment(client, {"last_order_before": "2026-01-01", "bought": ["MUG"],
                               "countries": ["AT"]}, "lapsed mugs")
    assert [m["customer_id"] for m in _members(client, lapsed)["items"]] == [people["bob"]]
    assert _members(client, lapsed)["items"][0]["rfm_segment"] == "lapsed"
    big = _segment(client, {"lifetime_spend": {"currency": "EUR", "min": "50"}}, "big")
    assert [m["customer_id"] for m in _members(client, big)["items"]] == [people["ada"]]
    small = _segment(client, {"lifetime_spend": {"currency": "EUR", "max": "50"},
                              "last_order_after": "2025-01-01"}, "small")
    assert [m["customer_id"] for m in _members(client, small)["items"]] == [people["bob"]]
    other_money = _segment(client, {"lifetime_spend": {"currency": "USD", "min": "0"}},
                           "dollars")
    assert _members(client, other_money)["items"] == []


def test_a_consent_rule_follows_the_ledger_as_it_is_now(client, people):
    segment = _segment(client, {"consent": {"purpose": "marketing", "medium": "email"}})
    assert _members(client, segment)["items"] == []
    ok(client.post(f"/api/v1/customers/{people['bob']}/consents", json={
        "purpose": "marketing", "medium": "email", "granted": True, "level": "confirmed",
        "source_channel": "direct", "proof": {"form": "newsletter"}}), 201)
    assert [m["customer_id"] for m in _members(client, segment)["items"]] == [people["bob"]]


def test_pages_continue_the_scan_where_the_last_one_stopped(client, people):
    everyone = _segment(client, {"last_order_after": "2020-01-01"})
    first = _members(client, everyone, limit=1)
    assert [m["customer_id"] for m in first["items"]] == [people["bob"]]  # oldest first
    assert first["next_cursor"] is not None
    second = _members(client, everyone, limit=1, cursor=first["next_cursor"])
    assert [m["customer_id"] for m in second["items"]] == [people["ada"]]
    assert second["next_cursor"] is None


def test_customers_merged_into_another_are_one_member_and_erased_ones_none(client, people):
    ok(client.post(f"/api/v1/customers/{people['ada']}/merges", json={
        "customer_id": people["bob"], "reason": "same household account"}), 201)
    both = _segment(client, {"countries": ["AT"]})
    [ada] = _members(client, both)["items"]
    assert ada["customer_id"] == people["ada"] and ada["orders"] == 6
    assert ada["countries"] == ["AT", "DE"]


def test_consent_given_to_a_record_merged_into_the_person_counts_until_withdrawn(
        client, people):
    segment = _segment(client, {"consent": {"purpose": "marketing", "medium": "email"}})
    ok(client.post(f"/api/v1/customers/{people['bob']}/consents", json={
        "purpose": "marketing", "medium": "email", "granted": True, "level": "confirmed",
        "source_channel": "direct", "proof": {"form": "newsletter"}}), 201)
    ok(client.post(f"/api/v1/customers/{people['ada']}/merges", json={
        "customer_id": people["bob"], "reason": "same person"}), 201)
    assert [m["customer_id"] for m in _members(client, segment)["items"]] == [people["ada"]]
    ok(client.post(f"/api/v1/customers/{people['ada']}/consents", json={
        "purpose": "marketing", "medium": "email", "granted": False,
        "source_channel": "direct"}), 201)
    assert _members(client, segment)["items"] == []


def _statements_for_a_page(client, container, segment: dict) -> tuple[int, int]:
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(container.engine, "before_cursor_execute", count)
    try:
        found = _members(client, segment, limit=100)
    finally:
        event.remove(container.engine, "before_cursor_execute", count)
    return len(found["items"]), len(statements)


def test_a_page_takes_as_many_statements_for_twenty_customers_as_for_two(
        client, container, people):
    segment = _segment(client, {"consent": {"purpose": "marketing", "medium": "email"},
                                "last_order_after": "2020-01-01", "bought": ["TEE", "MUG"]})
    for who in ("ada", "bob"):
        ok(client.post(f"/api/v1/customers/{people[who]}/consents", json={
            "purpose": "marketing", "medium": "email", "granted": True, "level": "single",
            "source_channel": "direct"}), 201)
    few = _statements_for_a_page(client, container, segment)
    for n in range(18):
        customer = _order(client, {"email": f"c{n}@example.com", "name": f"C {n}"},
                          sku="MUG" if n % 2 else "TEE")["customer_id"]
        ok(client.post(f"/api/v1/customers/{customer}/consents", json={
            "purpose": "marketing", "medium": "email", "granted": True, "level": "single",
            "source_channel": "direct"}), 201)
    many = _statements_for_a_page(client, container, segment)
    assert (few[0], many[0]) == (2, 20)
    assert many[1] == few[1]


@pytest.mark.parametrize(("rules", "field", "code"), [
    ({}, "rules", "no_rules"),
    ({"rfm": ["whale"]}, "rules.rfm.0", "literal_error"),
    ({"channels": ["ebay"]}, "rules.channels.0", "unknown_channel"),
    ({"bought": ["NOPE"]}, "rules.bought.0", "unknown_sku"),
    ({"countries": ["XX"]}, "rules.countries.0", "value_error"),
    ({"lifetime_spend": {"currency": "EUR", "min": "90", "max": "10"}},
     "rules.lifetime_spend.max", "empty_range"),
    ({"lifetime_spend": {"currency": "EUR"}}, "rules.lifetime_spend", "empty_range"),
    ({"lifetime_spend": {"currency": "XYZ", "min": "1"}},
     "rules.lifetime_spend.currency", "value_error"),
    ({"last_order_after": "2026-05-01", "last_order_before": "2026-05-01"},
     "rules.last_order_before", "empty_range"),
    ({"consent": {"purpose": "gossip", "medium": "email"}}, "rules.consent.purpose",
     "unknown_purpose"),
    ({"consent": {"purpose": "marketing", "medium": "pigeon"}}, "rules.consent.medium",
     "unknown_medium"),
    ({"spend": 5}, "rules.spend", "extra_forbidden"),
])
def test_rules_that_cannot_be_evaluated_are_refused_and_nothing_is_saved(
        client, people, rules, field, code):
    refused = client.post("/api/v1/segments", json={"name": "bad", "rules": rules})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    error = refused.json()["errors"][0]
    assert (error["field"], error["code"]) == (field, code)
    assert ok(client.get("/api/v1/segments")) == []


def test_a_second_segment_of_the_same_name_and_an_unknown_segment_are_refused(
        client, people):
    first = _segment(client, {"rfm": ["new"]}, "newcomers")
    taken = client.post("/api/v1/segments", json={"name": "newcomers",
                                                  "rules": {"rfm": ["loyal"]}})
    assert taken.status_code == 409
    assert ok(client.get("/api/v1/segments")) == [first]
    assert ok(client.get(f"/api/v1/segments/{first['id']}")) == first
    assert client.get("/api/v1/segments/seg_nope/customers").status_code == 404
    assert client.get("/api/v1/segments/seg_nope").status_code == 404
