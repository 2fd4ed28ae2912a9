"""An order that references a hold takes over its units over HTTP."""

from __future__ import annotations

from datetime import timedelta

from ordermesh.inventory.ledger import ledger_drift
from tests.helpers import make_channel, ok, order_body, shop, stock_of


def hold(client, sku: str, quantity: int, channel: str = "web") -> dict:
    return ok(client.post("/api/v1/reservations", json={
        "channel": channel, "lines": [{"sku": sku, "quantity": quantity}],
        "expires_in_seconds": 600}), 201)


def test_the_held_last_units_go_to_the_cart_that_holds_them(client, uow):
    shop(client, {"TEE": {"ber": 3}})
    cart = hold(client, "TEE", 3)
    assert client.post("/api/v1/orders", json=order_body([("TEE", 1, "5")])).status_code == 409
    order = ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 3, "5")], reservation_id=cart["id"])), 201)
    assert stock_of(client, "TEE")["totals"] == {"on_hand": 3, "reserved": 3, "available": 0}
    taken = ok(client.get(f"/api/v1/reservations/{cart['id']}"))
    assert taken["status"] == "converted" and taken["order_id"] == order["id"]
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={}))
    assert stock_of(client, "TEE")["totals"]["reserved"] == 0
    with uow(write=False) as u:
        assert ledger_drift(u) == []


def test_an_order_may_take_more_or_less_than_its_hold(client):
    shop(client, {"TEE": {"ber": 10}, "CAP": {"ber": 10}})
    cart = ok(client.post("/api/v1/reservations", json={
        "channel": "web", "lines": [{"sku": "TEE", "quantity": 2}, {"sku": "CAP", "quantity": 4}]}),
        201)
    ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 5, "5"), ("CAP", 1, "5")], reservation_id=cart["id"])), 201)
    assert stock_of(client, "TEE")["totals"]["reserved"] == 5
    assert stock_of(client, "CAP")["totals"]["reserved"] == 1


def test_an_expired_hold_cannot_be_ordered_even_before_the_worker_runs(client, clock):
    shop(client, {"TEE": {"ber": 3}})
    cart = hold(client, "TEE", 2)
    clock.set(clock.now() + timedelta(minutes=11))
    refused = client.post("/api/v1/orders", json=order_body([("TEE", 2, "5")],
                                                            reservation_id=cart["id"]))
    assert refused.status_code == 409
    assert ok(client.get("/api/v1/orders"))["items"] == []
    assert stock_of(client, "TEE")["totals"]["reserved"] == 2  # until the worker expires it


def test_a_hold_of_another_channel_or_an_unknown_hold_is_bad_input(client):
    shop(client, {"TEE": {"ber": 3}})
    make_channel(client, "mkt", kind="marketplace")
    cart = hold(client, "TEE", 1, channel="mkt")
    for reservation in (cart["id"], "hld_nothing"):
        refused = client.post("/api/v1/orders", json=order_body([("TEE", 1, "5")],
                                                                reservation_id=reservation))
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "reservation_id"
    assert ok(client.get(f"/api/v1/reservations/{cart['id']}"))["status"] == "active"
    assert stock_of(client, "TEE")["totals"]["reserved"] == 1
