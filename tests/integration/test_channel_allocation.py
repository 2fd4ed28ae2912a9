"""Safety stock, channel sources, quotas and exclusions, as orders and ATP see them."""

from __future__ import annotations

from collections import Counter

import pytest

from ordermesh.inventory.ledger import ledger_drift
from ordermesh.orders.service import PlaceLine, PlaceOrder
from tests.helpers import SHIP_TO, make_channel, make_location, ok, order_body, shop, stock_of
from tests.stock_checks import buy_concurrently


def place(client, sku: str, quantity: int, channel: str = "web"):
    return client.post("/api/v1/orders", json=order_body([(sku, quantity, "5")], channel))


def atp(client, sku: str, channel: str = "web") -> dict:
    return ok(client.get("/api/v1/availability", params={"sku": sku, "channel": channel}))


def rule(client, status: int = 201, **body):
    return ok(client.post("/api/v1/allocation-rules", json=body), status)


def two_channels(client, stock: dict[str, dict[str, int]], **products) -> None:
    shop(client, stock)
    make_channel(client, "mkt", kind="marketplace")


def test_safety_stock_is_never_sold(client):
    shop(client, {"TEE": {"ber": 10}})
    ok(client.put("/api/v1/inventory/safety-stock",
                  json={"sku": "TEE", "location": "ber", "quantity": 3}))
    assert atp(client, "TEE")["available"] == 7
    ok(place(client, "TEE", 7), 201)
    refused = place(client, "TEE", 1)
    assert refused.status_code == 409
    assert refused.json()["shortages"] == [{"sku": "TEE", "requested": 1, "available": 0}]
    assert stock_of(client, "TEE")["totals"] == {"on_hand": 10, "reserved": 7, "available": 3}


def test_a_category_default_applies_where_the_stock_row_has_no_safety_stock_of_its_own(client):
    shop(client, {})
    make_location(client, "ber")
    for sku, category in (("MUG", "kitchen"), ("TEE", "apparel")):
        ok(client.post("/api/v1/products", json={"sku": sku, "name": sku,
                                                 "category": category}), 201)
        ok(client.post("/api/v1/inventory/adjustments", json={
            "sku": sku, "location": "ber", "quantity_delta": 10, "reason": "received"}), 201)
    for body in ({"location": "ber", "quantity": 1},
                 {"location": "ber", "category": "kitchen", "quantity": 4}):
        ok(client.put("/api/v1/inventory/safety-stock/defaults", json=body))
    assert atp(client, "MUG")["available"] == 6
    assert atp(client, "TEE")["available"] == 9
    ok(client.put("/api/v1/inventory/safety-stock",
                  json={"sku": "MUG", "location": "ber", "quantity": 0}))
    assert atp(client, "MUG")["available"] == 10
    defaults = ok(client.get("/api/v1/inventory/safety-stock/defaults"))["items"]
    assert defaults == [{"location": "ber", "category": None, "quantity": 1},
                        {"location": "ber", "category": "kitchen", "quantity": 4}]


def test_a_channel_sells_only_from_the_locations_that_may_serve_it(client):
    shop(client, {"TEE": {"ber": 2, "ham": 5}})
    make_location(client, "par", address={"line1": "1 Rue", "city": "Paris", "country": "FR"})
    ok(client.post("/api/v1/inventory/adjustments", json={
        "sku": "TEE", "location": "par", "quantity_delta": 4, "reason": "received"}), 201)
    ok(client.put("/api/v1/channels/web/sources", json={"locations": ["ber"],
                                                         "countries": ["FR"]}))
    seen = atp(client, "TEE")
    assert seen["available"] == 6
    assert [loc["location"] for loc in seen["locations"]] == ["ber", "par"]
    assert seen["breakdown"]["free_at_other_locations"] == 5
    order = ok(place(client, "TEE", 6), 201)
    assert {a["location"] for a in order["lines"][0]["allocations"]} == {"ber", "par"}
    assert place(client, "TEE", 1).status_code == 409
    assert stock_of(client, "TEE")["locations"][1]["reserved"] == 0  # ham untouched
    ok(client.put("/api/v1/channels/web/sources", json={}))
    assert atp(client, "TEE")["available"] == 5


def test_a_quota_caps_its_channel_and_fences_its_units_from_the_others(client):
    two_channels(client, {"TEE": {"ber": 10}})
    made = rule(client, channel="mkt", sku="TEE", kind="quota", units=3)
    assert made["units"] == 3 and made["sku"] == "TEE"
    web, mkt = atp(client, "TEE"), atp(client, "TEE", "mkt")
    assert (web["available"], mkt["available"]) == (7, 3)
    assert web["breakdown"]["allocated_to_other_channels"] == 3
    assert mkt["breakdown"]["quota"] == {"allocated": 3, "reserved": 0, "remaining": 3}
    ok(place(client, "TEE", 7), 201)
    assert place(client, "TEE", 1).status_code == 409
    first = ok(place(client, "TEE", 2, "mkt"), 201)
    assert place(client, "TEE", 2, "mkt").json()["shortages"][0]["available"] == 1
    ok(client.post(f"/api/v1/orders/{first['id']}/cancel", json={}))
    assert atp(client, "TEE", "mkt")["breakdown"]["quota"]["remaining"] == 3


def test_a_share_quota_follows_the_sellable_stock(client):
    two_channels(client, {"TEE": {"ber": 10}})
    made = rule(client, channel="mkt", sku="TEE", kind="quota", share_percent="30")
    assert made["share_percent"] == "30.00"
    assert atp(client, "TEE", "mkt")["available"] == 3
    ok(client.post("/api/v1/inventory/adjustments", json={
        "sku": "TEE", "location": "ber", "quantity_delta": 10, "reason": "received"}), 201)
    assert atp(client, "TEE", "mkt")["available"] == 6
    assert atp(client, "TEE")["available"] == 14


def test_an_excluded_sku_is_never_sold_on_that_channel(client):
    two_channels(client, {"TEE": {"ber": 10}})
    rule(client, channel="mkt", sku="TEE", kind="exclude")
    refused = place(client, "TEE", 1, "mkt")
    assert refused.status_code == 409
    seen = atp(client, "TEE", "mkt")
    assert seen["available"] == 0 and seen["breakdown"]["excluded"] is True
    assert atp(client, "TEE")["available"] == 10


def test_a_sku_rule_wins_over_its_category_rule_and_deleting_it_restores_the_category_rule(
        client):
    shop(client, {})
    make_channel(client, "mkt", kind="marketplace")
    make_location(client, "ber")
    ok(client.post("/api/v1/products", json={"sku": "TEE", "name": "Tee",
                                             "category": "apparel"}), 201)
    ok(client.post("/api/v1/inventory/adjustments", json={
        "sku": "TEE", "location": "ber", "quantity_delta": 10, "reason": "received"}), 201)
    rule(client, channel="mkt", category="apparel", kind="exclude")
    assert atp(client, "TEE", "mkt")["available"] == 0
    own = rule(client, channel="mkt", sku="TEE", kind="quota", units=4)
    assert atp(client, "TEE", "mkt")["available"] == 4
    assert len(ok(client.get("/api/v1/allocation-rules", params={"channel": "mkt"}))["items"]) == 2
    assert client.delete(f"/api/v1/allocation-rules/{own['id']}").status_code == 204
    assert atp(client, "TEE", "mkt")["available"] == 0
    assert client.get(f"/api/v1/allocation-rules/{own['id']}").status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"sku": "TEE", "kind": "quota", "share_percent": "100.5"}, "share_percent"),
    ({"sku": "TEE", "kind": "quota", "share_percent": "0"}, "share_percent"),
    ({"sku": "TEE", "kind": "quota", "units": -1}, "units"),
    ({"sku": "TEE", "category": "x", "kind": "exclude"}, "sku"),
    ({"kind": "exclude"}, "sku"),
    ({"sku": "TEE", "kind": "quota"}, "units"),
    ({"sku": "TEE", "kind": "quota", "units": 2, "share_percent": "5"}, "units"),
    ({"sku": "TEE", "kind": "exclude", "units": 2}, "units"),
    ({"sku": "NOPE", "kind": "exclude"}, "sku"),
    ({"category": "nothing-here", "kind": "exclude"}, "category"),
    ({"sku": "TEE", "kind": "everything"}, "kind"),
    ({"sku": "TEE", "kind": "exclude", "extra": 1}, "extra"),
], ids=lambda v: str(v) if isinstance(v, str) else None)
def test_a_bad_rule_is_refused_and_nothing_is_stored(client, body, field):
    two_channels(client, {"TEE": {"ber": 10}})
    refused = client.post("/api/v1/allocation-rules", json={"channel": "mkt", **body})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert any(e["field"].startswith(field) for e in refused.json()["errors"]), refused.json()
    assert ok(client.get("/api/v1/allocation-rules"))["items"] == []


def test_shares_for_one_sku_may_not_add_up_to_more_than_all_of_it(client):
    two_channels(client, {"TEE": {"ber": 10}})
    make_channel(client, "store", kind="store")
    rule(client, channel="mkt", sku="TEE", kind="quota", share_percent="60")
    refused = client.post("/api/v1/allocation-rules", json={
        "channel": "store", "sku": "TEE", "kind": "quota", "share_percent": "40.01"})
    assert refused.status_code == 422 and "100.01%" in refused.json()["detail"]
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [
        ("share_percent", "out_of_range")]
    rule(client, channel="store", sku="TEE", kind="quota", share_percent="40")
    duplicate = client.post("/api/v1/allocation-rules", json={
        "channel": "store", "sku": "TEE", "kind": "exclude"})
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"] == (
        "Channel 'store' already has a rule for this sku; delete it first")
    rules = ok(client.get("/api/v1/allocation-rules"))["items"]
    assert [(r["channel"], r["kind"], r["share_percent"]) for r in rules] == [
        ("mkt", "quota", "60.00"), ("store", "quota", "40.00")]


def test_bad_sources_and_safety_stock_are_refused_and_change_nothing(client):
    shop(client, {"TEE": {"ber": 10}})
    for path, body in (
        ("/api/v1/channels/web/sources", {"locations": ["nowhere"]}),
        ("/api/v1/channels/web/sources", {"countries": ["XX"]}),
        ("/api/v1/channels/web/sources", {"location_kinds": ["castle"]}),
        ("/api/v1/inventory/safety-stock", {"sku": "TEE", "location": "ber", "quantity": -1}),
        ("/api/v1/inventory/safety-stock", {"sku": "NOPE", "location": "ber", "quantity": 1}),
        ("/api/v1/inventory/safety-stock/defaults", {"location": "nowhere", "quantity": 1}),
    ):
        assert client.put(path, json=body).status_code == 422, (path, body)
    assert client.put("/api/v1/channels/nope/sources", json={}).status_code == 404
    assert atp(client, "TEE")["available"] == 10
    assert ok(client.get("/api/v1/channels/web/sources"))["locations"] == []


def test_two_hundred_buyers_on_each_of_two_channels_never_exceed_the_quota(client, uow):
    two_channels(client, {"HOT": {"ber": 60, "ham": 40}})
    rule(client, channel="mkt", sku="HOT", kind="quota", units=30)
    commands = [PlaceOrder(channel="mkt" if i % 2 else "web", lines=[PlaceLine("HOT", 1, 5)],
                           shipping_address=SHIP_TO)
                for i in range(400)]
    outcome = buy_concurrently(uow, commands, threads=40)
    assert outcome == Counter(placed=100, refused=300)
    orders = ok(client.get("/api/v1/orders", params={"limit": 200}))["items"]
    assert Counter(o["channel"] for o in orders) == Counter(mkt=30, web=70)
    assert stock_of(client, "HOT")["totals"] == {"on_hand": 100, "reserved": 100,
                                                 "available": 0}
    with uow(write=False) as u:
        assert ledger_drift(u) == []


def test_a_retried_rule_with_the_same_idempotency_key_creates_it_once(client):
    two_channels(client, {"TEE": {"ber": 10}})
    body = {"channel": "mkt", "sku": "TEE", "kind": "quota", "units": 3}
    first = ok(client.post("/api/v1/allocation-rules", json=body,
                           headers={"Idempotency-Key": "rule-1"}), 201)
    again = ok(client.post("/api/v1/allocation-rules", json=body,
                           headers={"Idempotency-Key": "rule-1"}), 201)
    assert again["id"] == first["id"]
    assert len(ok(client.get("/api/v1/allocation-rules"))["items"]) == 1
    other = client.post("/api/v1/allocation-rules", json={**body, "units": 4},
                        headers={"Idempotency-Key": "rule-1"})
    assert other.status_code == 422


def test_a_channel_can_be_served_from_one_region(client):
    shop(client, {})
    for code, region in (("muc", "Bayern"), ("ber", "Berlin")):
        make_location(client, code, address={"line1": "1 Str", "city": code, "country": "DE",
                                             "region": region})
    ok(client.post("/api/v1/products", json={"sku": "TEE", "name": "Tee"}), 201)
    for code in ("muc", "ber"):
        ok(client.post("/api/v1/inventory/adjustments", json={
            "sku": "TEE", "location": code, "quantity_delta": 3, "reason": "received"}), 201)
    sources = ok(client.put("/api/v1/channels/web/sources", json={
        "regions": [{"country": "DE", "region": "BAYERN"}]}))
    assert sources["regions"] == [{"country": "DE", "region": "bayern"}]
    seen = atp(client, "TEE")
    assert seen["available"] == 3 and [v["location"] for v in seen["locations"]] == ["muc"]
    refused = client.put("/api/v1/channels/web/sources", json={
        "regions": [{"country": "XX", "region": "Bayern"}]})
    assert refused.status_code == 422
    assert atp(client, "TEE")["available"] == 3


def test_a_region_of_blanks_is_refused_and_stores_nothing(client):
    shop(client, {"TEE": {"ber": 1}})
    for region in ("   ", "İ" * 35):
        refused = client.put("/api/v1/channels/web/sources", json={
            "regions": [{"country": "DE", "region": region}]})
        assert refused.status_code == 422, refused.text
    assert ok(client.get("/api/v1/channels/web/sources"))["regions"] == []


def test_web_orders_cannot_take_the_units_a_quota_needs_at_its_only_location(client):
    two_channels(client, {"TEE": {"ber": 11, "ham": 9}})
    ok(client.put("/api/v1/channels/mkt/sources", json={"locations": ["ber"]}))
    rule(client, channel="mkt", sku="TEE", kind="quota", units=10)
    assert atp(client, "TEE")["available"] == 10
    ok(place(client, "TEE", 10), 201)
    assert atp(client, "TEE", "mkt")["available"] == 10
    ok(place(client, "TEE", 10, "mkt"), 201)
