"""Fulfilment states say what happened: picked once the pick is confirmed, label created
at the booking, shipped when the parcels are handed to the carrier (by the location or
the carrier's first scan); only then does the order ship."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.fulfilment_helpers import book, events, fos_of, fshop, pack, pick_all, place
from tests.helpers import ok
from tests.shipping_helpers import fo_status, post_webhook, shipped

FOS = "/api/v1/fulfilment-orders"


def order_status(client, order_id: str) -> str:
    return ok(client.get(f"/api/v1/orders/{order_id}"))["status"]


def reported_after(container, at: str) -> None:
    """The carrier reports after the fact: the clock moves a few minutes past the event
    (an event dated after its arrival is parked, not applied)."""
    container.clock.set(datetime.fromisoformat(at) + timedelta(minutes=5))


def ber_stock(client) -> dict:
    level = next(lv for lv in ok(client.get("/api/v1/inventory/TEE"))["locations"]
                 if lv["location"] == "ber")
    return {"on_hand": level["on_hand"], "reserved": level["reserved"]}


def test_confirming_the_pick_moves_the_fulfilment_order_to_picked(client):
    fshop(client, {"TEE": {"ber": 5}})
    order = place(client, [("TEE", 2, "5")])
    pick_all(client, "ber")
    fo = fos_of(client, order["id"])[0]
    assert fo["status"] == "picked"
    assert fo["timeline"][-1]["from_status"] == "picking"
    (picked,) = events(client, "fulfilment.picked")
    assert picked["payload"]["from_status"] == "picking"
    assert order_status(client, order["id"]) == "processing"


def test_booking_the_carrier_creates_the_label_but_the_order_ships_only_at_the_hand_over(
        client):
    fshop(client, {"TEE": {"ber": 5}})
    order = place(client, [("TEE", 2, "5")])
    fo_id = fos_of(client, order["id"])[0]["id"]
    pick_all(client, "ber")
    pack(client, fo_id)
    booking = book(client, fo_id)
    assert booking["status"] == "label_created"
    fo = ok(client.get(f"{FOS}/{fo_id}"))
    assert fo["status"] == "label_created"
    assert order_status(client, order["id"]) == "processing"
    assert ber_stock(client) == {"on_hand": 5, "reserved": 2}  # still on the shelf
    assert ok(client.get(f"/api/v1/orders/{order['id']}/shipments"))["items"] == []
    (label,) = events(client, "fulfilment.label_created")
    assert label["payload"]["details"]["tracking_numbers"] == [
        p["tracking_number"] for p in booking["parcels"]]
    assert events(client, "order.shipment_recorded") == []

    handed = ok(client.post(f"{FOS}/{fo_id}/handover", json={"reason": "van at 16:00"}))
    assert handed["status"] == "shipped"
    assert handed["timeline"][-1]["reason"] == "van at 16:00"
    assert order_status(client, order["id"]) == "shipped"
    assert ber_stock(client) == {"on_hand": 3, "reserved": 0}
    (shipment,) = ok(client.get(f"/api/v1/orders/{order['id']}/shipments"))["items"]
    assert shipment["tracking_number"] == booking["parcels"][0]["tracking_number"]
    assert len(events(client, "fulfilment.shipped")) == 1
    assert len(events(client, "order.shipment_recorded")) == 1


def test_handing_over_twice_or_before_packing_is_refused_and_changes_nothing(client):
    fshop(client, {"TEE": {"ber": 5}})
    order = place(client, [("TEE", 2, "5")])
    fo_id = fos_of(client, order["id"])[0]["id"]
    pick_all(client, "ber")
    unpacked = client.post(f"{FOS}/{fo_id}/handover", json={})
    assert unpacked.status_code == 409
    assert unpacked.headers["content-type"] == "application/problem+json"
    assert unpacked.json()["current_status"] == "picked"
    assert order_status(client, order["id"]) == "processing"
    assert ber_stock(client) == {"on_hand": 5, "reserved": 2}
    pack(client, fo_id)
    book(client, fo_id)
    ok(client.post(f"{FOS}/{fo_id}/handover", json={}))
    again = client.post(f"{FOS}/{fo_id}/handover", json={})
    assert again.status_code == 409
    assert len(ok(client.get(f"/api/v1/orders/{order['id']}/shipments"))["items"]) == 1
    assert ber_stock(client) == {"on_hand": 3, "reserved": 0}


def test_the_carriers_first_scan_hands_a_booked_order_over_and_tracking_moves_it_on(
        client, container):
    fo_id, (number,) = shipped(client, container)
    fo = ok(client.get(f"{FOS}/{fo_id}"))
    assert fo["status"] == "label_created"
    assert order_status(client, fo["order_id"]) == "processing"

    def scan(code: str, at: str):
        reported_after(container, at)
        return ok(post_webhook(client, "sim", [{
            "event_id": f"{number}-{code}", "tracking_number": number, "status": code,
            "occurred_at": at, "description": code}]))

    scan("PCK", "2026-11-26T17:00:00Z")
    assert fo_status(container, fo_id) == "shipped"
    assert order_status(client, fo["order_id"]) == "shipped"
    statuses = [e["status"] for e in ok(client.get(f"{FOS}/{fo_id}"))["timeline"]
                if e["type"] == "status"]
    assert statuses[-2:] == ["label_created", "shipped"]
    scan("DEP", "2026-11-26T19:00:00Z")
    assert fo_status(container, fo_id) == "in_transit"
    scan("DLV", "2026-11-27T11:00:00Z")
    assert fo_status(container, fo_id) == "delivered"
    assert order_status(client, fo["order_id"]) == "completed"
    assert len(events(client, "order.shipment_recorded")) == 1


def test_a_first_scan_that_is_already_in_transit_hands_over_before_moving_on(client,
                                                                            container):
    fo_id, (number,) = shipped(client, container)
    reported_after(container, "2026-11-26T19:00:00Z")
    ok(post_webhook(client, "sim", [{
        "event_id": "e1", "tracking_number": number, "status": "DEP",
        "occurred_at": "2026-11-26T19:00:00Z", "description": "departed"}]))
    statuses = [e["status"] for e in ok(client.get(f"{FOS}/{fo_id}"))["timeline"]
                if e["type"] == "status"]
    assert statuses[-3:] == ["label_created", "shipped", "in_transit"]
    assert [e["payload"]["status"] for e in events(client, "order.shipment_recorded")] == [
        "shipped"]
