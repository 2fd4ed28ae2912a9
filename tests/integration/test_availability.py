"""Available to promise: now, per location, by date, and why."""

from __future__ import annotations

from datetime import timedelta

from tests.helpers import make_channel, ok, order_body, shop


def atp(client, sku: str, channel: str = "web") -> dict:
    return ok(client.get("/api/v1/availability", params={"sku": sku, "channel": channel}))


def day(clock, n: int) -> str:
    return (clock.now() + timedelta(days=n)).date().isoformat()


def stocked_with_supply(client, clock) -> None:
    shop(client, {"TEE": {"ber": 10, "ham": 5}, "CAP": {"ber": 4}})
    make_channel(client, "mkt", kind="marketplace")
    ok(client.post("/api/v1/orders", json=order_body([("TEE", 2, "5")])), 201)
    ok(client.put("/api/v1/inventory/safety-stock",
                  json={"sku": "TEE", "location": "ber", "quantity": 1}))
    ok(client.post("/api/v1/inventory/transfers", json={
        "from": "ham", "to": "ber", "expected_date": day(clock, 3),
        "lines": [{"sku": "TEE", "quantity": 5}]}), 201)
    for kind, quantity, when in (("purchase_order", 20, 5), ("return", 3, 2)):
        ok(client.post("/api/v1/inventory/supply", json={
            "sku": "TEE", "location": "ber", "quantity": quantity, "kind": kind,
            "expected_date": day(clock, when), "reference": f"{kind}-1"}), 201)


def test_availability_explains_itself_and_grows_with_incoming_supply(client, clock):
    stocked_with_supply(client, clock)
    seen = atp(client, "TEE")
    assert seen["available"] == 7
    assert seen["breakdown"] == {
        "on_hand": 10, "reserved": 2, "safety_stock": 1, "allocated_to_other_channels": 0,
        "free_at_other_locations": 0, "quota": None, "excluded": False, "incoming": 25,
        "returns_expected": 3}
    assert seen["locations"] == [
        {"location": "ber", "on_hand": 10, "reserved": 2, "safety_stock": 1, "damaged": 0,
         "in_transit": 5, "available": 7},
        {"location": "ham", "on_hand": 0, "reserved": 0, "safety_stock": 0, "damaged": 0,
         "in_transit": 0, "available": 0}]
    assert [(i["source"], i["expected_date"], i["quantity"]) for i in seen["incoming"]] == [
        ("transfer", day(clock, 3), 5), ("purchase_order", day(clock, 5), 20)]
    assert seen["by_date"] == [{"date": day(clock, 3), "available": 12},
                               {"date": day(clock, 5), "available": 32}]


def test_a_quota_caps_availability_by_date_too(client, clock):
    stocked_with_supply(client, clock)
    ok(client.post("/api/v1/allocation-rules", json={
        "channel": "mkt", "sku": "TEE", "kind": "quota", "units": 10}), 201)
    seen = atp(client, "TEE", "mkt")
    assert seen["available"] == 7
    assert [d["available"] for d in seen["by_date"]] == [10, 10]
    assert [d["available"] for d in atp(client, "TEE")["by_date"]] == [2, 22]


def test_overdue_supply_counts_from_today(client, clock):
    shop(client, {"TEE": {"ber": 1}})
    ok(client.post("/api/v1/inventory/supply", json={
        "sku": "TEE", "location": "ber", "quantity": 4, "kind": "purchase_order",
        "expected_date": day(clock, -2)}), 201)
    assert atp(client, "TEE")["by_date"] == [{"date": day(clock, 0), "available": 5}]


def test_a_batch_answers_each_sku_once_in_the_order_asked(client, clock):
    stocked_with_supply(client, clock)
    batch = ok(client.post("/api/v1/availability/batch", json={
        "channel": "web", "skus": ["CAP", "TEE", "CAP"]}))
    assert [(i["sku"], i["available"]) for i in batch["items"]] == [("CAP", 4), ("TEE", 7)]
    assert batch["items"][1] == atp(client, "TEE")


def test_bad_availability_queries_are_refused_by_field(client, clock):
    stocked_with_supply(client, clock)
    cases = [
        (client.get("/api/v1/availability", params={"sku": "NOPE", "channel": "web"}), "sku"),
        (client.get("/api/v1/availability", params={"sku": "TEE", "channel": "nope"}),
         "channel"),
        (client.get("/api/v1/availability", params={"channel": "web"}), "sku"),
        (client.post("/api/v1/availability/batch", json={"channel": "web",
                                                         "skus": ["TEE", "NOPE"]}), "skus.1"),
        (client.post("/api/v1/availability/batch", json={"channel": "web", "skus": []}),
         "skus"),
        (client.post("/api/v1/availability/batch", json={
            "channel": "web", "skus": [f"S{i}" for i in range(501)]}), "skus"),
        (client.post("/api/v1/availability/batch", json={"channel": "web",
                                                         "skus": ["bad sku"]}), "skus.0"),
    ]
    for response, field in cases:
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert any(e["field"].endswith(field) for e in response.json()["errors"]), \
            response.json()
