"""Holds at the last unit: of the stock, and of a channel's quota when a hold is turned
into an order."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from ordermesh.inventory.holds import PlaceHold, place_hold
from ordermesh.inventory.ledger import ledger_drift
from ordermesh.inventory.model import SkuQuantity
from ordermesh.kit.errors import InsufficientStock
from tests.helpers import make_channel, ok, order_body, shop, stock_of

HOLDS = "/api/v1/reservations"


def hold(client, sku: str, quantity: int, channel: str = "web"):
    return client.post(HOLDS, json={"channel": channel,
                                    "lines": [{"sku": sku, "quantity": quantity}]})


def events(client) -> list[str]:
    return [e["type"] for e in ok(client.get("/api/v1/events", params={"limit": 500}))["items"]]


def shortage(response) -> list[dict]:
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "insufficient-stock"
    return response.json()["shortages"]


def quota(client, channel: str, sku: str, units: int) -> None:
    ok(client.post("/api/v1/allocation-rules", json={
        "channel": channel, "sku": sku, "kind": "quota", "units": units}), 201)


def test_the_last_unit_can_be_held_by_exactly_one_of_two_holds(client):
    shop(client, {"TEE": {"ber": 3}})
    first = ok(hold(client, "TEE", 2), 201)
    last = ok(hold(client, "TEE", 1), 201)  # exactly what is left
    before = events(client)
    assert shortage(hold(client, "TEE", 1)) == [{"sku": "TEE", "requested": 1, "available": 0}]
    assert stock_of(client, "TEE")["totals"] == {"on_hand": 3, "reserved": 3, "available": 0}
    assert events(client) == before
    ok(client.post(f"{HOLDS}/{last['id']}/release"))
    assert ok(hold(client, "TEE", 1), 201)["status"] == "active"
    assert ok(client.get(f"{HOLDS}/{first['id']}"))["status"] == "active"


def test_two_carts_racing_for_the_last_unit_leave_exactly_one_hold(client, uow):
    shop(client, {"TEE": {"ber": 1}})
    barrier = threading.Barrier(2)

    def try_hold(i: int) -> str:
        barrier.wait()
        try:
            with uow(actor=f"cart-{i}") as u:
                place_hold(u, PlaceHold("web", [SkuQuantity("TEE", 1)]))
        except InsufficientStock:
            return "refused"
        return "held"

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert sorted(pool.map(try_hold, range(2))) == ["held", "refused"]
    assert stock_of(client, "TEE")["totals"] == {"on_hand": 1, "reserved": 1, "available": 0}
    assert events(client).count("reservation.created") == 1
    with uow(write=False) as u:
        assert ledger_drift(u) == []


def test_a_hold_for_one_unit_more_than_is_left_is_refused_whole(client):
    shop(client, {"TEE": {"ber": 3}})
    ok(hold(client, "TEE", 1), 201)
    assert shortage(hold(client, "TEE", 3)) == [{"sku": "TEE", "requested": 3, "available": 2}]
    assert stock_of(client, "TEE")["totals"]["reserved"] == 1
    assert events(client).count("reservation.created") == 1


def test_a_hold_converted_into_an_order_that_takes_the_quotas_last_unit_exhausts_it(client):
    shop(client, {"TEE": {"ber": 10}})
    make_channel(client, "mkt", kind="marketplace")
    quota(client, "mkt", "TEE", 3)
    cart = ok(hold(client, "TEE", 2, channel="mkt"), 201)
    # the order wants one unit more than its hold: the quota's last one
    order = ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 3, "5.00")], channel="mkt", reservation_id=cart["id"])), 201)
    assert ok(client.get(f"{HOLDS}/{cart['id']}"))["status"] == "converted"
    assert stock_of(client, "TEE")["totals"] == {"on_hand": 10, "reserved": 3, "available": 7}
    before = events(client)

    assert shortage(hold(client, "TEE", 1, channel="mkt")) == [
        {"sku": "TEE", "requested": 1, "available": 0}]
    refused = client.post("/api/v1/orders", json=order_body([("TEE", 1, "5.00")],
                                                            channel="mkt"))
    assert shortage(refused) == [{"sku": "TEE", "requested": 1, "available": 0}]
    assert events(client) == before
    assert [o["id"] for o in ok(client.get("/api/v1/orders"))["items"]] == [order["id"]]
    # the rest of the stock is still the web shop's
    assert ok(hold(client, "TEE", 7), 201)["status"] == "active"


def test_a_hold_converted_into_an_order_one_unit_past_the_quota_is_refused_and_kept(client):
    shop(client, {"TEE": {"ber": 10}})
    make_channel(client, "mkt", kind="marketplace")
    quota(client, "mkt", "TEE", 3)
    cart = ok(hold(client, "TEE", 2, channel="mkt"), 201)
    before = events(client)
    refused = client.post("/api/v1/orders", json=order_body(
        [("TEE", 4, "5.00")], channel="mkt", reservation_id=cart["id"]))
    assert shortage(refused) == [{"sku": "TEE", "requested": 4, "available": 3}]
    assert events(client) == before
    assert ok(client.get("/api/v1/orders"))["items"] == []
    assert ok(client.get(f"{HOLDS}/{cart['id']}"))["status"] == "active"
    assert stock_of(client, "TEE")["totals"]["reserved"] == 2
