"""Every resource with a code, SKU or number is addressed by it wherever its id works,
lists filter by it, and a 404 names what was looked up."""

from __future__ import annotations

import pytest

from tests.helpers import make_channel, make_location, make_product, ok, order_body, shop


def test_a_product_is_read_and_changed_by_its_sku_as_by_its_id(client):
    created = make_product(client, "TSHIRT-BLK-M")
    assert ok(client.get("/api/v1/products/TSHIRT-BLK-M")) == \
        ok(client.get(f"/api/v1/products/{created['id']}"))
    changed = ok(client.patch("/api/v1/products/TSHIRT-BLK-M", json={"weight_grams": 180}))
    assert (changed["id"], changed["weight_grams"]) == (created["id"], 180)
    ok(client.put(f"/api/v1/products/{created['id']}/stock-policy",
                  json={"low_stock_threshold": 3}))
    assert ok(client.get("/api/v1/products/TSHIRT-BLK-M/stock-policy")) == {
        "sku": "TSHIRT-BLK-M", "low_stock_threshold": 3, "lead_time_days": None}


def test_a_channel_is_read_and_changed_by_its_code_as_by_its_id(client):
    created = make_channel(client, "amazon-de")
    assert ok(client.get("/api/v1/channels/amazon-de")) == \
        ok(client.get(f"/api/v1/channels/{created['id']}"))
    changed = ok(client.patch("/api/v1/channels/amazon-de",
                              json={"capture_policy": "shipment"}))
    assert (changed["id"], changed["capture_policy"]) == (created["id"], "shipment")
    assert ok(client.get("/api/v1/channels/amazon-de/sourcing"))["channel_id"] == created["id"]
    make_location(client, "ber")
    ok(client.put(f"/api/v1/channels/{created['id']}/sources", json={"locations": ["ber"]}))
    assert ok(client.get("/api/v1/channels/amazon-de/sources"))["locations"] == ["ber"]


def test_a_location_is_read_and_changed_by_its_code_as_by_its_id(client):
    created = make_location(client, "berlin-dc")
    assert ok(client.get("/api/v1/locations/berlin-dc")) == \
        ok(client.get(f"/api/v1/locations/{created['id']}"))
    changed = ok(client.patch("/api/v1/locations/berlin-dc",
                              json={"fulfilment": {"daily_capacity": 40}}))
    assert (changed["id"], changed["fulfilment"]["daily_capacity"]) == (created["id"], 40)
    make_product(client, "MUG")
    ok(client.put(f"/api/v1/locations/{created['id']}/bins", json=[{"sku": "MUG", "bin": "A-1"}]))
    assert ok(client.get("/api/v1/locations/berlin-dc/bins"))["items"] == [
        {"sku": "MUG", "bin": "A-1"}]


def test_lists_filter_by_sku_and_code(client):
    for sku in ("CAP", "MUG", "TEE"):
        make_product(client, sku)
    for code in ("shop", "amazon-de"):
        make_channel(client, code)
    for code in ("ber", "muc"):
        make_location(client, code)
    assert [p["sku"] for p in ok(client.get("/api/v1/products?sku=MUG"))["items"]] == ["MUG"]
    assert ok(client.get("/api/v1/products?sku=NOPE"))["items"] == []
    assert [c["code"] for c in ok(client.get("/api/v1/channels?code=shop"))["items"]] == ["shop"]
    assert [x["code"] for x in ok(client.get("/api/v1/locations?code=muc"))["items"]] == ["muc"]
    assert ok(client.get("/api/v1/locations?code=nope"))["items"] == []


@pytest.mark.parametrize(("url", "detail"), [
    ("/api/v1/products/NOPE", "No product with id or SKU 'NOPE'"),
    ("/api/v1/products/NOPE/stock-policy", "No product with id or SKU 'NOPE'"),
    ("/api/v1/channels/nope", "No channel with id or code 'nope'"),
    ("/api/v1/channels/nope/sources", "No channel with id or code 'nope'"),
    ("/api/v1/channels/nope/sourcing", "No channel with id or code 'nope'"),
    ("/api/v1/locations/nope", "No location with id or code 'nope'"),
    ("/api/v1/locations/nope/bins", "No location with id or code 'nope'"),
    ("/api/v1/orders/OM-999999", "No order with id or number 'OM-999999'"),
    ("/api/v1/fulfilment-orders/FO-999999-1",
     "No fulfilment order with id or number 'FO-999999-1'"),
])
def test_a_404_names_what_was_looked_up(client, url, detail):
    response = client.get(url)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == detail


def test_changing_an_unknown_code_is_a_404_and_changes_nothing(client):
    for url, body in [("/api/v1/products/NOPE", {"name": "x"}),
                      ("/api/v1/channels/nope", {"capture_policy": "shipment"}),
                      ("/api/v1/locations/nope", {"capabilities": ["ship"]})]:
        assert client.patch(url, json=body).status_code == 404
    assert ok(client.get("/api/v1/events"))["items"] == []


def test_an_order_is_read_by_its_number_as_by_its_id(client):
    shop(client, {"MUG": {"ber": 5}})
    order = ok(client.post("/api/v1/orders", json=order_body([("MUG", 1, "9.50")],
                                                             external_id="x-1")), 201)
    assert ok(client.get(f"/api/v1/orders/{order['number']}"))["id"] == order["id"]
