"""Each step of a fulfilment order in a warehouse (accept, pick, pack, ship, tracking,
reject, short pick) and of the packing set-up writes exactly its declared events
(tests/event_contract.py); a refused step writes none."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.event_checks import assert_writes, assert_writes_nothing, of_type
from tests.fulfilment_helpers import fos_of, fshop, order_of
from tests.fulfilment_helpers import place as place_lines
from tests.helpers import ok
from tests.packing_helpers import BOXES, packing_shop
from tests.packing_helpers import place as place_packing
from tests.shipping_helpers import (
    fo_status,
    fulfilment_order,
    make_carrier,
    packed_fo,
    place,
    post_webhook,
    ready_shop,
    shipped,
)

FO = "/api/v1/fulfilment-orders"


def _tracking(number: str, status: str, at: str) -> dict:
    return {"event_id": f"{number}-{status}", "tracking_number": number, "status": status,
            "occurred_at": at, "description": status, "location": "Berlin"}


def _handed_over(client, container) -> tuple[str, list[str]]:
    """A booked fulfilment order handed to the carrier (the order shipped), and the clock
    at a time after the carrier events these tests send (so none is parked)."""
    fo_id, numbers = shipped(client, container)
    ok(client.post(f"{FO}/{fo_id}/handover", json={}))
    assert fo_status(container, fo_id) == "shipped"
    container.clock.set(datetime(2026, 12, 5, 12, tzinfo=UTC))
    return fo_id, numbers


def test_a_warehouse_fulfilment_order_writes_each_step_from_accept_to_delivered(
        client, container, clock):
    ready_shop(client, container)
    _, written = assert_writes(client, "carrier.create", lambda: make_carrier(client, "sim"))
    assert of_type(written, "carrier.created")["payload"]["code"] == "sim"
    _, written = assert_writes(client, "carrier.update", lambda: ok(client.patch(
        "/api/v1/carriers/sim", json={"settings": {"delay_days": 0}})))
    assert of_type(written, "carrier.updated")["aggregate_type"] == "carrier"
    order = place(client, 2, paid=False)
    ok(client.post(f"/api/v1/orders/{order['id']}/payments", json={
        "provider": "test", "source": "4242424242424242", "capture": True}), 201)
    fo_id = fulfilment_order(client, order)
    accepted, written = assert_writes(client, "fulfilment.accept", lambda: ok(client.post(
        f"{FO}/{fo_id}/accept", json={})))
    assert accepted["status"] == "accepted"
    assert of_type(written, "fulfilment.accepted")["payload"]["from_status"] == "released"
    pick_list, written = assert_writes(client, "pick_list.create", lambda: ok(client.post(
        "/api/v1/pick-lists", json={"location": "ber"}), 201))
    assert of_type(written, "order.processing")["aggregate_id"] == order["id"]
    assert order_of(client, order["id"])["status"] == "processing"
    _, written = assert_writes(client, "pick_list.confirm", lambda: ok(client.post(
        f"/api/v1/pick-lists/{pick_list['id']}/confirm", json={})))
    assert of_type(written, "fulfilment.pick_list_confirmed")["payload"]["short"] == []
    assert of_type(written, "fulfilment.picked")["aggregate_id"] == fo_id
    assert fo_status(container, fo_id) == "picked"
    _, written = assert_writes(client, "packages.create", lambda: ok(client.post(
        f"{FO}/{fo_id}/packages", json={"packages": [
            {"packaging_code": None, "lines": [{"line_no": 1, "quantity": 2}]}]}), 201))
    assert of_type(written, "fulfilment.packed")["aggregate_id"] == fo_id
    assert of_type(written, "package.created")["payload"]["lines"] == [
        {"line_no": 1, "quantity": 2}]
    shipment, written = assert_writes(client, "fulfilment.ship", lambda: ok(client.post(
        f"{FO}/{fo_id}/ship"), 201))
    [number] = [p["tracking_number"] for p in shipment["parcels"]]
    assert of_type(written, "package.tracking_assigned")["payload"]["tracking_number"] == \
        number
    assert of_type(written, "fulfilment.label_created")["aggregate_id"] == fo_id
    assert fo_status(container, fo_id) == "label_created"
    assert order_of(client, order["id"])["status"] == "processing"  # not shipped yet
    again = assert_writes_nothing(client, lambda: client.post(f"{FO}/{fo_id}/ship"))
    assert again.status_code == 409
    handed, written = assert_writes(client, "fulfilment.handover", lambda: ok(client.post(
        f"{FO}/{fo_id}/handover", json={})))
    assert handed["status"] == "shipped"
    assert of_type(written, "fulfilment.shipped")["aggregate_id"] == fo_id
    assert of_type(written, "order.shipment_recorded")["payload"]["status"] == "shipped"
    assert order_of(client, order["id"])["status"] == "shipped"
    again = assert_writes_nothing(client, lambda: client.post(f"{FO}/{fo_id}/handover",
                                                              json={}))
    assert again.status_code == 409
    clock.set(datetime(2026, 11, 27, 10, 30, tzinfo=UTC))  # after the carrier's events
    for status, use_case, fo_after in (
            ("DEP", "tracking.in_transit", "in_transit"),
            ("OFD", "tracking.out_for_delivery", "out_for_delivery"),
            ("DLV", "tracking.delivered", "delivered")):
        _, written = assert_writes(client, use_case, lambda s=status: ok(post_webhook(
            client, "sim", [_tracking(number, s, "2026-11-27T10:00:00Z")])))
        assert fo_status(container, fo_id) == fo_after
    assert of_type(written, "fulfilment.delivery_measured")["payload"]["on_time"] is True
    assert of_type(written, "order.completed")["aggregate_id"] == order["id"]
    assert order_of(client, order["id"])["status"] == "completed"


def test_a_failed_delivery_and_a_return_to_sender_write_their_statuses(client, container):
    fo_id, (number,) = _handed_over(client, container)
    assert_writes(client, "tracking.delivery_failed", lambda: ok(post_webhook(
        client, "sim", [_tracking(number, "NDL", "2026-12-01T13:00:00Z")])))
    assert fo_status(container, fo_id) == "delivery_failed"
    assert_writes(client, "tracking.returned_to_sender", lambda: ok(post_webhook(
        client, "sim", [_tracking(number, "RTS", "2026-12-03T10:00:00Z")])))
    assert fo_status(container, fo_id) == "returned_to_sender"
    unsigned = assert_writes_nothing(client, lambda: post_webhook(
        client, "sim", [_tracking(number, "DLV", "2026-12-04T10:00:00Z")], signature=None))
    assert unsigned.status_code == 401


def test_a_parcel_damaged_in_transit_writes_fulfilment_damaged(client, container):
    fo_id, (number,) = _handed_over(client, container)
    _, written = assert_writes(client, "tracking.damaged", lambda: ok(post_webhook(
        client, "sim", [_tracking(number, "DMG", "2026-11-28T13:00:00Z")])))
    assert of_type(written, "fulfilment.damaged")["aggregate_id"] == fo_id
    assert fo_status(container, fo_id) == "damaged"


def test_rejecting_a_fulfilment_order_sources_its_units_elsewhere(client):
    fshop(client, {"TEE": {"ber": 5, "ham": 5}})
    order = place_lines(client, [("TEE", 2, "5")])
    first = fos_of(client, order["id"])[0]
    rejected, written = assert_writes(client, "fulfilment.reject", lambda: ok(client.post(
        f"{FO}/{first['id']}/reject", json={"reason": "closed"})))
    assert rejected["status"] == "rejected"
    assert of_type(written, "fulfilment.lines_rejected")["payload"]["lines"] == [
        {"line_no": 1, "quantity": 2}]
    elsewhere = of_type(written, "fulfilment.released")["payload"]
    assert elsewhere["location"] != first["location"]
    again = assert_writes_nothing(client, lambda: client.post(
        f"{FO}/{first['id']}/reject", json={"reason": "closed"}))
    assert again.status_code == 409


def test_a_short_pick_writes_lines_short_and_sources_the_missing_units(client):
    fshop(client, {"TEE": {"ber": 5, "ham": 5}})
    order = place_lines(client, [("TEE", 4, "5")])
    here = fos_of(client, order["id"])[0]["location"]
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": here}), 201)
    _, written = assert_writes(client, "pick_list.confirm.short", lambda: ok(client.post(
        f"/api/v1/pick-lists/{pick_list['id']}/confirm", json={
            "items": [{"position": 1, "picked_quantity": 3}], "reason": "bin was empty"})))
    assert of_type(written, "fulfilment.lines_short")["payload"]["trigger"] == "short_pick"
    assert [f["lines"][0]["open"] for f in fos_of(client, order["id"])] == [3, 1]


def test_packing_set_up_writes_its_events(client):
    fshop(client, {"POWERBANK": {"ber": 5}})
    ok(client.patch(f"/api/v1/products/{_product_id(client, 'POWERBANK')}",
                    json={"handling": ["hazmat"]}))
    _, written = assert_writes(client, "packaging_type.create", lambda: ok(client.post(
        "/api/v1/packaging-types", json=BOXES[0]), 201))
    assert of_type(written, "packaging_type.created")["payload"]["code"] == "MAILER"
    _, written = assert_writes(client, "packaging_type.update", lambda: ok(client.patch(
        "/api/v1/packaging-types/MAILER", json={"active": False})))
    assert of_type(written, "packaging_type.updated")["payload"]["active"] is False
    mark = "UN3481 Lithium ion batteries packed with equipment"
    _, written = assert_writes(client, "hazmat_mark.set", lambda: client.put(
        "/api/v1/hazmat-marks/POWERBANK", json={"mark": mark}))
    assert of_type(written, "packing.hazmat_mark_set")["payload"]["mark"] == mark
    _, written = assert_writes(client, "sscc_settings.set", lambda: ok(client.put(
        "/api/v1/sscc-settings", json={"company_prefix": "4012345"})))
    assert of_type(written, "packing.sscc_settings_changed")["payload"][
        "company_prefix"] == "4012345"
    bad = assert_writes_nothing(client, lambda: client.put(
        "/api/v1/sscc-settings", json={"company_prefix": "12"}))
    assert bad.status_code == 422


def _product_id(client, sku: str) -> str:
    return next(p["id"] for p in ok(client.get("/api/v1/products"))["items"]
                if p["sku"] == sku)


def test_packing_in_a_stocked_box_consumes_the_packaging_material(client, container):
    packing_shop(client, {"MUG": {"weight_grams": 600, "dimensions": {
        "length_mm": 120, "width_mm": 100, "height_mm": 100}}})
    order = place_packing(client, [("MUG", 2)])
    fo_id = fos_of(client, order["id"])[0]["id"]
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": "ber"}), 201)
    ok(client.post(f"/api/v1/pick-lists/{pick_list['id']}/confirm", json={}))
    _, written = assert_writes(client, "packages.create.material", lambda: ok(client.post(
        f"{FO}/{fo_id}/packages", json={"packages": [
            {"packaging_code": "BOX-S", "lines": [{"line_no": 1, "quantity": 2}]}]}), 201))
    assert of_type(written, "packaging.consumed")["payload"]["material_sku"] == "PKG-BOX-S"
    assert of_type(written, "inventory.consumed")["payload"]["sku"] == "PKG-BOX-S"


def test_packing_more_than_was_picked_writes_no_event(client, container):
    ready_shop(client, container)
    fo_id = packed_fo(client, container, quantity=1)
    refused = assert_writes_nothing(client, lambda: client.post(f"{FO}/{fo_id}/packages", json={
        "packages": [{"packaging_code": None, "lines": [{"line_no": 1, "quantity": 1}]}]}))
    assert refused.status_code == 409, refused.text
    assert (refused.json()["code"], refused.json()["current_status"]) == (
        "illegal-transition", "packed")
    [line] = ok(client.get(f"{FO}/{fo_id}"))["lines"]
    assert (line["picked_quantity"], line["packed_quantity"]) == (1, 1)


def test_picking_one_fulfilment_order_now_writes_its_own_pick_list(client, container):
    ready_shop(client, container)
    order = place(client, 1)
    fo_id = fulfilment_order(client, order)
    _, written = assert_writes(client, "fulfilment.start_picking", lambda: ok(client.post(
        f"{FO}/{fo_id}/start-picking"), 201))
    assert of_type(written, "fulfilment.picking")["aggregate_id"] == fo_id
    assert of_type(written, "fulfilment.pick_list_created")["payload"]["fulfilment_orders"]
    assert order_of(client, order["id"])["status"] == "processing"
    again = assert_writes_nothing(client, lambda: client.post(f"{FO}/{fo_id}/start-picking"))
    assert again.status_code == 409


def test_polling_the_carrier_writes_the_status_it_reports(client, container, clock):
    from ordermesh.shipping.jobs import TrackingPoll

    fo_id, _ = shipped(client, container)  # booked, not handed over
    assert_writes_nothing(client, lambda: TrackingPoll().run_once(container))  # label only
    assert fo_status(container, fo_id) == "label_created"
    clock.set(datetime(2026, 11, 27, 9, tzinfo=UTC))
    _, written = assert_writes(client, "tracking.poll",
                               lambda: TrackingPoll().run_once(container))
    assert of_type(written, "fulfilment.in_transit")["actor"].startswith("worker")
    assert of_type(written, "fulfilment.shipped")["aggregate_id"] == fo_id
    order_id = of_type(written, "order.shipment_recorded")["aggregate_id"]
    assert fo_status(container, fo_id) == "in_transit"
    assert order_of(client, order_id)["status"] == "shipped"


def test_a_carrier_estimate_past_the_promise_writes_delivery_delayed_once_per_estimate(
        client, container):
    fo_id, (number,) = _handed_over(client, container)
    promised = ok(client.get(f"{FO}/{fo_id}"))["promised_date"]
    first = {**_tracking(number, "DEP", "2026-11-27T08:00:00Z"),
             "estimated_delivery": "2026-12-09"}
    assert_writes(client, "tracking.in_transit", lambda: ok(post_webhook(
        client, "sim", [{**first, "estimated_delivery": promised}])))  # on time: nothing more
    later = {**_tracking(number, "ARR", "2026-11-28T08:00:00Z"),
             "estimated_delivery": "2026-12-09"}
    _, written = assert_writes(client, "tracking.estimate_late", lambda: ok(post_webhook(
        client, "sim", [later])))
    delayed = of_type(written, "fulfilment.delivery_delayed")
    assert delayed["aggregate_id"] == fo_id
    assert (delayed["payload"]["promised_date"], delayed["payload"]["estimated_delivery"],
            delayed["payload"]["previous_estimate"]) == (promised, "2026-12-09", promised)
    assert_writes_nothing(client, lambda: ok(post_webhook(client, "sim", [
        {**later, "event_id": f"{number}-ARR2", "occurred_at": "2026-11-28T09:00:00Z"}])))
