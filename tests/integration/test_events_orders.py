"""Each change of an order writes exactly its declared events (tests/event_contract.py);
a refused change writes none."""

from __future__ import annotations

from tests.event_checks import assert_writes, assert_writes_nothing, of_type
from tests.fulfilment_helpers import ADDRESS, fos_of, order_of, pick_all, place
from tests.helpers import ok, order_body, shop, stock_of

ADA = {"email": "ada@example.com", "name": "Ada Lovelace"}


def _shop(client) -> None:
    shop(client, {"TEE": {"ber": 10}})


def _order(client, quantity: int = 2) -> dict:
    """An unpaid order (paying is a use case of its own)."""
    return place(client, [("TEE", quantity, "10.00")], customer=ADA, paid=False)


def test_placing_an_order_writes_the_order_its_customer_sourcing_and_tax(client):
    _shop(client)
    order, written = assert_writes(client, "order.place", lambda: _order(client))
    created = of_type(written, "order.created")
    assert created["aggregate_id"] == order["id"]
    assert created["payload"]["number"] == order["number"]
    assert of_type(written, "customer.created")["payload"] == {"email": "ada@example.com"}
    assert of_type(written, "fulfilment.released")["payload"]["order_id"] == order["id"]
    assert stock_of(client, "TEE")["totals"]["reserved"] == 2


def test_a_known_customer_giving_a_phone_number_is_updated_by_the_order(client):
    _shop(client)
    first = _order(client, 1)
    second, written = assert_writes(client, "order.place.known_customer", lambda: place(
        client, [("TEE", 1, "10.00")], customer={**ADA, "phone": "+49 30 1234567"},
        paid=False))
    assert second["customer_id"] == first["customer_id"]
    assert of_type(written, "customer.updated")["payload"] == {"added": ["phone"]}


def test_an_order_refused_for_lack_of_stock_writes_no_event(client):
    _shop(client)
    response = assert_writes_nothing(client, lambda: client.post(
        "/api/v1/orders", json=order_body([("TEE", 11, "10.00")], customer=ADA,
                                          shipping_address=ADDRESS)))
    assert response.status_code == 409
    assert ok(client.get("/api/v1/orders"))["items"] == []
    assert ok(client.get("/api/v1/customers"))["items"] == []


def test_an_invalid_order_writes_no_event(client):
    _shop(client)
    response = assert_writes_nothing(client, lambda: client.post(
        "/api/v1/orders", json=order_body([("TEE", 0, "10.00")], shipping_address=ADDRESS)))
    assert response.status_code == 422
    assert stock_of(client, "TEE")["totals"]["reserved"] == 0


def test_holding_an_order_writes_order_held_and_a_second_hold_writes_nothing(client):
    _shop(client)
    order = _order(client)
    held, written = assert_writes(client, "order.hold", lambda: ok(client.post(
        f"/api/v1/orders/{order['id']}/hold", json={"reason": "fraud check"})))
    assert held["status"] == "on_hold"
    event = of_type(written, "order.held")
    assert event["aggregate_id"] == order["id"]
    assert event["payload"]["reason"] == "fraud check"
    assert event["payload"]["from_status"] == "confirmed"
    again = assert_writes_nothing(client, lambda: client.post(
        f"/api/v1/orders/{order['id']}/hold", json={"reason": "again"}))
    assert again.status_code == 409
    assert order_of(client, order["id"])["status"] == "on_hold"


def test_releasing_a_hold_writes_order_hold_released(client):
    _shop(client)
    order = _order(client)
    ok(client.post(f"/api/v1/orders/{order['id']}/hold", json={"reason": "fraud check"}))
    released, written = assert_writes(client, "order.release_hold", lambda: ok(client.post(
        f"/api/v1/orders/{order['id']}/release-hold", json={"reason": "checked"})))
    assert released["status"] == "confirmed"
    event = of_type(written, "order.hold_released")
    assert (event["payload"]["to_status"], event["payload"]["reason"]) == ("confirmed",
                                                                           "checked")
    refused = assert_writes_nothing(client, lambda: client.post(
        f"/api/v1/orders/{order['id']}/release-hold", json={}))
    assert refused.status_code == 409


def test_cancelling_an_order_writes_order_cancelled_and_frees_its_fulfilment(client):
    _shop(client)
    order = _order(client)
    cancelled, written = assert_writes(client, "order.cancel", lambda: ok(client.post(
        f"/api/v1/orders/{order['id']}/cancel", json={"reason": "customer asked"})))
    assert cancelled["status"] == "cancelled"
    assert of_type(written, "order.cancelled")["payload"]["reason"] == "customer asked"
    assert [fo["status"] for fo in fos_of(client, order["id"])] == ["cancelled"]
    assert stock_of(client, "TEE")["totals"]["reserved"] == 0
    again = assert_writes_nothing(client, lambda: client.post(
        f"/api/v1/orders/{order['id']}/cancel", json={}))
    assert again.status_code == 409


def test_cancelling_some_units_writes_order_lines_cancelled(client):
    _shop(client)
    order = _order(client, 3)
    changed, written = assert_writes(client, "order.cancel_lines", lambda: ok(client.post(
        f"/api/v1/orders/{order['id']}/cancel",
        json={"lines": [{"line_no": 1, "quantity": 1}]})))
    assert changed["status"] == "confirmed"
    assert of_type(written, "order.lines_cancelled")["payload"]["version"] == 2
    assert stock_of(client, "TEE")["totals"]["reserved"] == 2
    too_many = assert_writes_nothing(client, lambda: client.post(
        f"/api/v1/orders/{order['id']}/cancel",
        json={"lines": [{"line_no": 1, "quantity": 3}]}))
    assert too_many.status_code in (409, 422)
    assert stock_of(client, "TEE")["totals"]["reserved"] == 2


def test_editing_an_order_writes_order_edited_with_the_new_version(client):
    _shop(client)
    order = _order(client, 1)
    edited, written = assert_writes(client, "order.edit", lambda: ok(client.post(
        f"/api/v1/orders/{order['id']}/edits", json={
            "edits": [{"op": "set_quantity", "line_no": 1, "quantity": 3}],
            "reason": "customer called"})))
    assert edited["version"] == 2
    event = of_type(written, "order.edited")
    assert event["payload"]["version"] == 2
    assert event["payload"]["reason"] == "customer called"
    assert event["payload"]["previous_total"] == order["totals"]["total"]["amount"]
    assert stock_of(client, "TEE")["totals"]["reserved"] == 3
    [joined] = fos_of(client, order["id"])  # no second fulfilment order
    assert joined["lines"][0]["quantity"] == 3
    added = of_type(written, "fulfilment.lines_added")
    assert added["aggregate_id"] == joined["id"]


def test_units_added_after_picking_are_released_on_a_new_fulfilment_order(client):
    _shop(client)
    order = _order(client, 1)
    pick_all(client, "ber")
    [picked] = fos_of(client, order["id"])
    assert picked["status"] == "picked"
    edited, written = assert_writes(client, "order.edit.after_pick", lambda: ok(client.post(
        f"/api/v1/orders/{order['id']}/edits", json={
            "edits": [{"op": "set_quantity", "line_no": 1, "quantity": 2}]})))
    assert edited["version"] == 2
    released = of_type(written, "fulfilment.released")
    fos = {fo["id"]: fo for fo in fos_of(client, order["id"])}
    assert set(fos) == {picked["id"], released["aggregate_id"]}
    assert fos[picked["id"]]["status"] == "picked"
    assert fos[released["aggregate_id"]]["lines"][0]["quantity"] == 1
    assert stock_of(client, "TEE")["totals"]["reserved"] == 2


def test_an_edit_beyond_the_stock_writes_no_event(client):
    _shop(client)
    order = _order(client, 1)
    refused = assert_writes_nothing(client, lambda: client.post(
        f"/api/v1/orders/{order['id']}/edits", json={
            "edits": [{"op": "set_quantity", "line_no": 1, "quantity": 11}]}))
    assert refused.status_code == 409
    assert order_of(client, order["id"])["version"] == 1
    assert stock_of(client, "TEE")["totals"]["reserved"] == 1


def test_changing_the_address_writes_order_edited_and_fulfilment_address_changed(client):
    _shop(client)
    order = _order(client, 1)
    hamburg = {**ADDRESS, "line1": "Jungfernstieg 1", "city": "Hamburg",
               "postal_code": "20354"}
    _, written = assert_writes(client, "order.edit.address", lambda: ok(client.post(
        f"/api/v1/orders/{order['id']}/edits", json={
            "edits": [{"op": "set_shipping_address", "address": hamburg}]})))
    changed = of_type(written, "fulfilment.address_changed")
    assert changed["payload"]["shipping_address"]["city"] == "Hamburg"
    assert fos_of(client, order["id"])[0]["shipping_address"]["city"] == "Hamburg"


def test_asking_for_availability_or_a_tax_quote_writes_no_event(client):
    _shop(client)
    batch = assert_writes_nothing(client, lambda: ok(client.post(
        "/api/v1/availability/batch", json={"channel": "web", "skus": ["TEE"]})))
    assert batch["items"][0]["available"] == 10
    quote = assert_writes_nothing(client, lambda: ok(client.post("/api/v1/tax/quote", json={
        "currency": "EUR", "pricing_mode": "inclusive", "destination": {"country": "DE"},
        "lines": [{"key": "1", "amount": "119.00"}]})))
    assert quote["tax"] == "19.00"
