"""Click-and-collect: picked, ready at the counter with a code, collected with the code,
or not collected in time: cancelled on the order, refunded and back on the shelf."""

from datetime import timedelta

import pytest

from ordermesh.fulfilment.jobs import PickupExpiry
from tests.fulfilment_helpers import events, fos_of, fshop, order_of, pick_all, place, stock_at
from tests.helpers import ok

STORE = {"kind": "store", "capabilities": ["ship", "pickup"],
         "address": {"line1": "Alexanderplatz 1", "city": "Berlin", "country": "DE"},
         "fulfilment": {"pickup_hold_days": 2}}
VISA = "4242424242424242"


@pytest.fixture
def pickup_order(client) -> dict:
    fshop(client, {"TEE": {"sto": 5}}, locations={"sto": STORE})
    order = place(client, [("TEE", 2, "10.00")], shipping_address=None,
                  customer={"email": "ada@example.com", "name": "Ada"},
                  fulfilment={"method": "pickup", "pickup_location": "sto"}, paid=False)
    ok(client.post(f"/api/v1/orders/{order['id']}/payments", json={
        "provider": "test", "source": VISA, "amount": order["totals"]["total"]["amount"],
        "capture": True}), 201)
    return order


def _ready(client, fo_id: str) -> dict:
    return ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ready-for-pickup", json={}))


def _collect(client, fo_id: str, code: str):
    return client.post(f"/api/v1/fulfilment-orders/{fo_id}/pickup", json={"code": code})


def test_a_pickup_order_is_collected_with_its_code_and_the_order_completes(client,
                                                                          pickup_order):
    fo = fos_of(client, pickup_order["id"])[0]
    assert (fo["kind"], fo["location"], fo["carrier"], fo["shipping_address"]) == (
        "pickup", "sto", "pickup", None)
    pick_all(client, "sto")
    ready = _ready(client, fo["id"])
    code = ready["pickup_code"]
    assert len(code) == 6 and code.isdigit()
    assert ready["fulfilment_order"]["status"] == "ready_for_pickup"
    assert code not in str(ready["fulfilment_order"])  # shown once, never stored
    message = events(client, "fulfilment.ready_for_pickup")[0]["payload"]
    assert message["pickup_code"] == code
    assert message["customer"]["email"] == "ada@example.com"
    assert message["pickup_location"]["code"] == "sto"
    collected = ok(_collect(client, fo["id"], code))
    assert collected["status"] == "picked_up" and collected["delivered_at"]
    order = order_of(client, pickup_order["id"])
    assert order["status"] == "completed"
    assert stock_at(client, "TEE", "sto") == {"on_hand": 3, "reserved": 0}
    shipment = ok(client.get(f"/api/v1/orders/{pickup_order['id']}/shipments"))["items"][0]
    assert shipment["carrier"] == "pickup"


def test_a_wrong_code_is_refused_counted_and_changes_nothing_else(client, pickup_order):
    fo = fos_of(client, pickup_order["id"])[0]
    pick_all(client, "sto")
    code = _ready(client, fo["id"])["pickup_code"]
    wrong = "000000" if code != "000000" else "111111"
    problem = ok(_collect(client, fo["id"], wrong), 422)
    assert problem["errors"][0] == {"field": "code", "code": "wrong_code",
                                    "message": problem["errors"][0]["message"]}
    assert "attempt 1 of 5" in problem["detail"]
    assert fos_of(client, pickup_order["id"])[0]["status"] == "ready_for_pickup"
    assert order_of(client, pickup_order["id"])["status"] == "processing"
    assert stock_at(client, "TEE", "sto") == {"on_hand": 5, "reserved": 2}
    rejected = events(client, "fulfilment.pickup_code_rejected")
    assert [e["payload"]["attempts"] for e in rejected] == [1]
    assert ok(_collect(client, fo["id"], code))["status"] == "picked_up"


def test_five_wrong_codes_lock_the_pickup_until_a_new_code_is_issued(client, pickup_order):
    fo = fos_of(client, pickup_order["id"])[0]
    pick_all(client, "sto")
    code = _ready(client, fo["id"])["pickup_code"]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        ok(_collect(client, fo["id"], wrong), 422)
    assert ok(_collect(client, fo["id"], code), 409)["attempts"] == 5
    new = ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/pickup-code"))["pickup_code"]
    if new != code:
        assert ok(_collect(client, fo["id"], code), 422)
    assert ok(_collect(client, fo["id"], new))["status"] == "picked_up"


def test_a_pickup_is_not_ready_before_everything_is_picked(client, pickup_order):
    fo = fos_of(client, pickup_order["id"])[0]
    assert ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/ready-for-pickup",
                          json={}), 409)["code"] == "illegal-transition"
    ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/start-picking"), 201)
    not_picked = ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/ready-for-pickup",
                                json={}), 409)
    assert (not_picked["code"], not_picked["current_status"]) == (
        "illegal-transition", "picking")  # the pick is not confirmed
    assert ok(_collect(client, fo["id"], "123456"), 409)["code"] == "illegal-transition"


def test_a_pickup_not_collected_in_time_is_cancelled_refunded_and_back_in_stock(
        client, container, clock, pickup_order):
    fo = fos_of(client, pickup_order["id"])[0]
    pick_all(client, "sto")
    _ready(client, fo["id"])
    job = PickupExpiry()
    clock.advance(timedelta(days=1, hours=23))
    assert job.run_once(container) == 0
    clock.advance(timedelta(hours=1))
    assert job.run_once(container) == 1
    assert job.run_once(container) == 0
    expired = fos_of(client, pickup_order["id"])[0]
    assert expired["status"] == "not_collected"
    assert expired["lines"][0]["cancelled_quantity"] == 2
    order = order_of(client, pickup_order["id"])
    assert order["status"] == "cancelled"
    assert stock_at(client, "TEE", "sto") == {"on_hand": 5, "reserved": 0}
    summary = ok(client.get(f"/api/v1/orders/{pickup_order['id']}/payments"))["summary"]
    assert summary["refunded"]["amount"] == pickup_order["totals"]["total"]["amount"]
    reason = events(client, "fulfilment.not_collected")[0]["payload"]["reason"]
    assert reason == f"{fo['number']} not collected within 2 day(s)"
    assert ok(_collect(client, fo["id"], "123456"), 409)
