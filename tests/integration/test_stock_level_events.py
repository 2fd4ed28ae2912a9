"""Low stock, stock-out and back in stock arrive through the outbox."""

from __future__ import annotations

import threading

from ordermesh.flows.placement import place_order
from ordermesh.inventory.supply import Receipt, receive
from ordermesh.orders.service import PlaceLine, PlaceOrder
from tests.helpers import SHIP_TO, make_location, ok, order_body, shop

LEVEL_EVENTS = {"inventory.low_stock", "inventory.stock_out", "inventory.back_in_stock"}


def level_events(client) -> list[tuple[str, int, int]]:
    events = ok(client.get("/api/v1/events", params={"type": "inventory.", "limit": 1000}))
    return [(e["type"], e["payload"]["previous_available"], e["payload"]["available"])
            for e in events["items"] if e["type"] in LEVEL_EVENTS]


def test_orders_and_cancellations_raise_low_stock_stock_out_and_back_in_stock(client):
    shop(client, {"TEE": {"ber": 6, "ham": 4}})
    ok(client.put("/api/v1/products/TEE/stock-policy", json={"low_stock_threshold": 5}))
    assert ok(client.get("/api/v1/products/TEE/stock-policy")) == {
        "sku": "TEE", "low_stock_threshold": 5, "lead_time_days": None}
    ok(client.post("/api/v1/orders", json=order_body([("TEE", 3, "5")])), 201)  # 10 -> 7
    ok(client.post("/api/v1/orders", json=order_body([("TEE", 3, "5")])), 201)  # 7 -> 4
    last = ok(client.post("/api/v1/orders", json=order_body([("TEE", 4, "5")])), 201)
    ok(client.post(f"/api/v1/orders/{last['id']}/cancel", json={}))  # 0 -> 4
    assert level_events(client) == [
        ("inventory.back_in_stock", 0, 6),  # the first stock of TEE, at ber
        ("inventory.low_stock", 7, 4),
        ("inventory.stock_out", 4, 0),
        ("inventory.back_in_stock", 0, 4),
    ]
    low = ok(client.get("/api/v1/events", params={"type": "inventory.low_stock"}))["items"][0]
    assert low["payload"] == {"sku": "TEE", "available": 4, "previous_available": 7,
                              "low_stock_threshold": 5}


def test_a_hold_and_a_quarantine_move_the_level_too(client):
    shop(client, {"TEE": {"ber": 3}})
    hold = ok(client.post("/api/v1/reservations", json={
        "channel": "web", "lines": [{"sku": "TEE", "quantity": 3}]}), 201)
    ok(client.post(f"/api/v1/reservations/{hold['id']}/release", json={}))
    ok(client.post("/api/v1/inventory/damage", json={
        "sku": "TEE", "location": "ber", "quantity": 3, "action": "quarantine"}), 201)
    assert level_events(client)[1:] == [
        ("inventory.stock_out", 3, 0), ("inventory.back_in_stock", 0, 3),
        ("inventory.stock_out", 3, 0)]


def test_a_bad_stock_policy_is_refused_and_changes_nothing(client):
    shop(client, {"TEE": {"ber": 3}})
    for body in ({"low_stock_threshold": 0}, {"lead_time_days": -1}, {"lead_time_days": "3"},
                 {"low_stock_threshold": 2, "colour": "red"}):
        refused = client.put("/api/v1/products/TEE/stock-policy", json=body)
        assert refused.status_code == 422, body
    assert client.put("/api/v1/products/NOPE/stock-policy", json={}).status_code == 404
    assert client.get("/api/v1/products/NOPE/stock-policy").status_code == 404
    assert ok(client.get("/api/v1/products/TEE/stock-policy"))["low_stock_threshold"] is None


def test_concurrent_receipts_of_an_empty_product_raise_back_in_stock_once(client, uow):
    shop(client, {"TEE": {"ber": 1}})
    with uow() as u:  # sell the only unit: the level is 0
        place_order(u, PlaceOrder("web", [PlaceLine("TEE", 1, 5)], shipping_address=SHIP_TO))
    make_location(client, "ham")
    barrier = threading.Barrier(4)

    def deliver(location: str) -> None:
        barrier.wait()
        with uow(actor=f"dock-{location}") as u:
            receive(u, Receipt("TEE", location, 5))

    threads = [threading.Thread(target=deliver, args=(loc,)) for loc in ("ber", "ham") * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    back = [e for e in level_events(client) if e[0] == "inventory.back_in_stock"]
    assert back[1:] == [("inventory.back_in_stock", 0, 5)]  # the first is the opening stock
