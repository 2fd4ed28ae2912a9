"""A parcel's label names where it goes: a ship order's address, never a stand-in; a
pickup order's parcel waits at its pick-up location."""

from __future__ import annotations

from sqlalchemy import update

from ordermesh.fulfilment.tables import fulfilment_orders
from ordermesh.orders.tables import orders
from tests.barcodes import page_content
from tests.fulfilment_helpers import ADDRESS, book, events, fos_of, fshop, pack, pick_all
from tests.helpers import ok, order_body, pay

FOS = "/api/v1/fulfilment-orders"


def packed(client, **extra) -> tuple[dict, dict, str]:
    """A paid order (unpaid ones cannot be booked) with its parcel packed."""
    order = ok(client.post("/api/v1/orders", json=order_body([("TEE", 1, "5")], **extra)), 201)
    pay(client, order)
    fo = fos_of(client, order["id"])[0]
    pick_all(client, fo["location"])
    package = pack(client, fo["id"])["packages"][0]
    return order, fo, package["id"]


def label(client, package_id: str):
    return client.get(f"/api/v1/packages/{package_id}/label.pdf")


def forget_address(container, order_id: str) -> None:
    """As an order placed before a ship order needed an address (now refused with 422)."""
    with container.engine.begin() as conn:
        conn.execute(update(orders).where(orders.c.id == order_id).values(shipping_address=None))
        conn.execute(update(fulfilment_orders).where(fulfilment_orders.c.order_id == order_id)
                     .values(shipping_address=None))


def test_a_ship_parcel_without_an_address_is_never_labelled_nor_booked(client, container):
    fshop(client, {"TEE": {"ber": 5}})
    order, fo, package_id = packed(client)
    forget_address(container, order["id"])
    refused = label(client, package_id)
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "no shipping address" in refused.json()["detail"]
    assert client.get(f"{FOS}/{fo['id']}/packing-slip.pdf").status_code == 409
    booking = client.post(f"{FOS}/{fo['id']}/ship", json={})
    assert booking.status_code == 409
    assert "no shipping address" in booking.json()["detail"]
    assert events(client, "shipment.booked") == []
    assert ok(client.get(f"{FOS}/{fo['id']}"))["status"] == "packed"
    # with an address the label names the recipient
    ok(client.post(f"/api/v1/orders/{order['id']}/edits", json={"edits": [
        {"op": "set_shipping_address", "address": ADDRESS}]}))
    printed = label(client, package_id)
    assert printed.status_code == 200
    content = page_content(printed.content)
    assert b"Ada Lovelace" in content and b"counter" not in content


def test_a_pickup_parcel_is_labelled_for_its_pick_up_location(client):
    fshop(client, {"TEE": {"sto": 5}}, locations={"sto": {
        "kind": "store", "capabilities": ["ship", "pickup"]}})
    _, _, package_id = packed(client, fulfilment={"method": "pickup",
                                                  "pickup_location": "sto"})
    printed = label(client, package_id)
    assert printed.status_code == 200
    assert b"Pick-up at STO" in page_content(printed.content)


def test_a_booked_parcels_address_cannot_change_under_its_label(client):
    fshop(client, {"TEE": {"ber": 5}})
    order, fo, _ = packed(client, shipping_address=ADDRESS)
    book(client, fo["id"])
    moved = client.post(f"/api/v1/orders/{order['id']}/edits", json={"edits": [
        {"op": "set_shipping_address", "address": {**ADDRESS, "city": "Potsdam"}}]})
    assert moved.status_code == 409
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["shipping_address"]["city"] == (
        "Berlin")
    assert ok(client.get(f"{FOS}/{fo['id']}"))["shipping_address"]["city"] == "Berlin"
