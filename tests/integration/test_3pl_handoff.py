"""3PL: fulfilment orders at a location of kind 3pl are handed over as a versioned JSON
event; the partner reports accepted, shipped (packages with tracking) and short."""

from datetime import UTC, datetime

import pytest

from tests.fulfilment_helpers import (
    events,
    fos_of,
    fshop,
    move,
    order_of,
    place,
    snapshot,
    stock_at,
)
from tests.helpers import add_stock, make_channel, make_location, make_product, ok
from tests.shipping_helpers import make_carrier, post_webhook

TPL = {"kind": "3pl", "fulfilment": {"priority": 1}}


@pytest.fixture
def handed_over(client) -> tuple[dict, dict]:
    make_channel(client, "web")
    make_location(client, "tpl", **TPL)
    make_location(client, "ber")
    make_product(client, "VASE", weight_grams=1200, handling=["fragile"],
                 dimensions={"length_mm": 200, "width_mm": 150, "height_mm": 300})
    make_product(client, "TEE", weight_grams=200)
    for sku in ("VASE", "TEE"):
        add_stock(client, sku, "tpl", 10)
    add_stock(client, "VASE", "ber", 10)
    order = place(client, [("VASE", 2, "30"), ("TEE", 1, "10")],
                  customer={"email": "ada@example.com", "name": "Ada"})
    return order, fos_of(client, order["id"])[0]


def test_a_3pl_fulfilment_order_is_handed_over_as_a_versioned_document(client, handed_over):
    order, fo = handed_over
    assert fo["location"] == "tpl" and fo["location_kind"] == "3pl"
    [event] = events(client, "fulfilment.handoff_requested")
    doc = event["payload"]
    assert event["aggregate_id"] == fo["id"]
    assert (doc["schema"], doc["version"]) == ("ordermesh.fulfilment.handoff", "1.0")
    assert doc["fulfilment_order"]["number"] == fo["number"]
    assert doc["order"]["number"] == order["number"]
    assert doc["order"]["customer"]["email"] == "ada@example.com"
    assert doc["location"]["code"] == "tpl"
    assert doc["lines"] == [
        {"line_no": 1, "sku": "VASE", "name": "Product VASE", "quantity": 2,
         "weight_g": 1200, "dimensions_mm": [200, 150, 300], "handling": ["fragile"]},
        {"line_no": 2, "sku": "TEE", "name": "Product TEE", "quantity": 1, "weight_g": 200,
         "dimensions_mm": None, "handling": []}]
    assert doc["ship_to"]["city"] == "Berlin"
    assert doc["service_level"] == "standard"
    assert doc["carrier"] == fo["carrier"] and doc["carrier_service"] == fo["carrier_service"]
    assert doc["promised_date"] == fo["promised_date"] and doc["ship_by"] == fo["ship_by"]
    assert doc["packaging_hints"] == ["fragile"]
    assert doc["callbacks"]["shipped"] == (
        f"POST /api/v1/fulfilment-orders/{fo['id']}/3pl/shipped")
    assert not [e for e in events(client, "fulfilment.handoff") if e["aggregate_id"] != fo["id"]]


def test_the_3pl_accepts_and_ships_with_its_packages_and_tracking(client, container,
                                                                 handed_over):
    order, fo = handed_over
    accepted = ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/3pl/accepted",
                              json={"reference": "TPL-778"}))
    assert accepted["status"] == "accepted"
    shipped = ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/3pl/shipped", json={
        "packages": [
            {"tracking_number": "1Z999", "carrier": "ups", "weight_g": 2700,
             "sscc": "006141410000000012", "lines": [{"line_no": 1, "quantity": 2}]},
            {"tracking_number": "1Z998", "carrier": "ups",
             "lines": [{"line_no": 2, "quantity": 1}]}]}))
    assert shipped["status"] == "shipped"
    assert [t["status"] for t in shipped["timeline"]] == [
        "released", "accepted", "picking", "packed", "shipped"]
    assert order_of(client, order["id"])["status"] == "shipped"
    shipment = ok(client.get(f"/api/v1/orders/{order['id']}/shipments"))["items"][0]
    assert (shipment["carrier"], shipment["tracking_number"]) == ("ups", "1Z999, 1Z998")
    assert stock_at(client, "VASE", "tpl") == {"on_hand": 8, "reserved": 0}
    packages = [e["payload"] for e in events(client, "package.") if e["type"] == "package.created"]
    assert sorted(p["source"] for p in packages) == ["external", "external"]
    move(container, fo["id"], "delivered")
    assert order_of(client, order["id"])["status"] == "completed"


def test_the_3pl_reports_units_short_and_they_are_sourced_elsewhere(client, handed_over):
    order, fo = handed_over
    short = ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/3pl/short", json={
        "lines": [{"line_no": 1, "quantity": 1}], "reason": "broken in stock"}))
    assert (short["lines"][0]["short_quantity"], short["lines"][0]["open"]) == (1, 1)
    fos = fos_of(client, order["id"])
    assert [(f["location"], [(ln["sku"], ln["open"]) for ln in f["lines"]]) for f in fos] == [
        ("tpl", [("VASE", 1), ("TEE", 1)]), ("ber", [("VASE", 1)])]
    assert stock_at(client, "VASE", "tpl") == {"on_hand": 9, "reserved": 1}
    assert len(events(client, "fulfilment.handoff_requested")) == 1  # ber is no 3PL


def test_a_shipment_that_leaves_units_behind_or_carries_cancelled_ones_changes_nothing(
        client, handed_over):
    order, fo = handed_over
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={
        "lines": [{"line_no": 2, "quantity": 1}], "reason": "no tee"}))
    before = snapshot(client, order["id"], ["VASE", "TEE"])
    url = f"/api/v1/fulfilment-orders/{fo['id']}/3pl/shipped"
    cancelled_line = client.post(url, json={"packages": [{
        "tracking_number": "1Z1", "lines": [{"line_no": 1, "quantity": 2},
                                            {"line_no": 2, "quantity": 1}]}]})
    assert ok(cancelled_line, 422)["code"] == "invalid-input"
    left_behind = client.post(url, json={"packages": [{
        "tracking_number": "1Z1", "lines": [{"line_no": 1, "quantity": 1}]}]})
    assert ok(left_behind, 422)["errors"][0]["code"] == "units_left_behind"
    assert ok(client.post(url, json={"packages": []}), 422)
    assert ok(client.post(url, json={"packages": [{"tracking_number": "1Z1", "sscc": "1",
                                                   "lines": [{"line_no": 1, "quantity": 2}]}]}),
              422)
    assert snapshot(client, order["id"], ["VASE", "TEE"]) == before
    assert not events(client, "package.created")


def test_3pl_reports_are_refused_for_fulfilment_orders_of_own_locations(client):
    fshop(client, {"TEE": {"ber": 3}})
    order = place(client, [("TEE", 1, "5")])
    fo = fos_of(client, order["id"])[0]
    assert ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/3pl/accepted", json={}),
              409)["location_kind"] == "warehouse"
    assert not events(client, "fulfilment.handoff_requested")


def test_the_parcels_a_3pl_ships_with_a_known_carrier_are_tracked_to_delivery(
        client, container, handed_over):
    order, fo = handed_over
    make_carrier(client, "ups")
    ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/3pl/shipped", json={
        "packages": [{"tracking_number": "1Z999", "carrier": "ups",
                      "lines": [{"line_no": 1, "quantity": 2}, {"line_no": 2, "quantity": 1}]}]}))
    container.clock.set(datetime(2026, 11, 27, 12, tzinfo=UTC))  # the carrier reports later
    result = ok(post_webhook(client, "ups", [
        {"event_id": "u1", "tracking_number": "1Z999", "status": "DEP",
         "occurred_at": "2026-11-26T19:00:00Z"},
        {"event_id": "u2", "tracking_number": "1Z999", "status": "DLV",
         "occurred_at": "2026-11-27T11:00:00Z"}]))
    assert result["stored"] == 2
    tracked = ok(client.get(f"/api/v1/fulfilment-orders/{fo['id']}"))
    assert tracked["status"] == "delivered"
    assert [e["status"] for e in tracked["timeline"] if e["type"] == "tracking"] == [
        "in_transit", "delivered"]
    assert order_of(client, order["id"])["status"] == "completed"


def test_parcels_of_a_carrier_without_an_account_here_are_recorded_but_not_tracked(
        client, handed_over):
    _order, fo = handed_over
    ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/3pl/shipped", json={
        "packages": [{"tracking_number": "1Z999", "carrier": "ups",
                      "lines": [{"line_no": 1, "quantity": 2}, {"line_no": 2, "quantity": 1}]}]}))
    assert post_webhook(client, "ups", []).status_code == 401  # unknown here: as a bad signature
    assert ok(client.get(f"/api/v1/fulfilment-orders/{fo['id']}"))["status"] == "shipped"


def test_a_3pl_shipment_with_two_carriers_follows_the_first_with_an_account(client,
                                                                           handed_over):
    _order, fo = handed_over
    make_carrier(client, "dpd")
    make_carrier(client, "ups")
    ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/3pl/shipped", json={
        "packages": [{"tracking_number": "1Z999", "carrier": "ups",
                      "lines": [{"line_no": 1, "quantity": 2}]},
                     {"tracking_number": "DPD123", "carrier": "dpd",
                      "lines": [{"line_no": 2, "quantity": 1}]}]}))
    shipment = ok(client.get(f"/api/v1/fulfilment-orders/{fo['id']}/shipment"))
    assert shipment["carrier"] == "dpd"
    assert [p["tracking_number"] for p in shipment["parcels"]] == ["DPD123"]


def test_a_3pl_reporting_one_tracking_number_for_two_parcels_is_refused_and_changes_nothing(
        client, handed_over):
    _order, fo = handed_over
    make_carrier(client, "ups")
    refused = client.post(f"/api/v1/fulfilment-orders/{fo['id']}/3pl/shipped", json={
        "packages": [{"tracking_number": "1Z999", "carrier": "ups",
                      "lines": [{"line_no": 1, "quantity": 2}]},
                     {"tracking_number": "1Z999", "carrier": "ups",
                      "lines": [{"line_no": 2, "quantity": 1}]}]})
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["tracking_numbers"] == ["1Z999"]
    assert ok(client.get(f"/api/v1/fulfilment-orders/{fo['id']}"))["status"] == fo["status"]
    assert client.get(f"/api/v1/fulfilment-orders/{fo['id']}/shipment").status_code == 404
