"""How an order reaches its buyer decides what it needs: an order that ships needs a
shipping address (422 at placement, nothing written); a pick-up and a sale over a store's
counter name the store and need none (issue 14)."""

from __future__ import annotations

import json

from ordermesh.flows.importing import import_orders
from tests.fulfilment_helpers import fos_of, fshop, order_of, pick_all, stock_at
from tests.helpers import ok, order_body, pay

STORE = {"kind": "store", "capabilities": ["pickup"],
         "address": {"line1": "Alexanderplatz 1", "city": "Berlin", "country": "DE"}}
COUNTER = {"method": "counter", "pickup_location": "sto"}
ADA = {"email": "ada@example.com", "name": "Ada"}


def post(client, headers: dict | None = None, **extra):
    body = order_body([("TEE", 2, "10.00")], **extra)
    return client.post("/api/v1/orders", json=body, headers=headers or {})


def everything(client) -> tuple:
    """What a refused placement must leave as it was: orders, events, stock, customers."""
    return (ok(client.get("/api/v1/orders"))["items"],
            ok(client.get("/api/v1/events", params={"limit": 1000}))["items"],
            stock_at(client, "TEE", "ber"), stock_at(client, "TEE", "sto"),
            ok(client.get("/api/v1/customers"))["items"])


def test_an_order_that_ships_without_an_address_is_refused_naming_the_field_and_writes_nothing(
        client):
    fshop(client, {"TEE": {"ber": 5, "sto": 5}}, locations={"sto": STORE})
    before = everything(client)
    for fulfilment in (None, {"method": "ship"}, {"method": "ship", "service_level": "express"}):
        extra = {"fulfilment": fulfilment} if fulfilment else {}
        refused = post(client, shipping_address=None, customer=ADA, **extra)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["code"] == "invalid-input"
        assert problem["errors"] == [{"field": "shipping_address", "code": "missing",
                                      "message": problem["detail"]}]
        assert "needs a shipping_address" in problem["detail"]
    assert everything(client) == before


def test_a_refused_order_does_not_use_up_its_idempotency_key(client):
    fshop(client, {"TEE": {"ber": 5}})
    key = {"Idempotency-Key": "checkout-77"}
    assert post(client, key, shipping_address=None).status_code == 422
    placed = ok(post(client, key), 201)  # the same key, now with an address
    assert placed["shipping_address"]["city"] == "Portland"
    assert stock_at(client, "TEE", "ber") == {"on_hand": 5, "reserved": 2}


def test_a_counter_sale_without_an_address_is_sourced_at_its_store_and_handed_over(client):
    fshop(client, {"TEE": {"ber": 50, "sto": 5}}, locations={"sto": STORE})
    order = ok(post(client, shipping_address=None, fulfilment=COUNTER), 201)
    assert (order["fulfilment_method"], order["pickup_location"]) == ("counter", "sto")
    assert order["shipping_address"] is None
    # no address and no seller: taxed nowhere, as a pick-up without an address is
    assert (order["tax"]["country"], order["totals"]["total"]["amount"]) == (None, "20.00")
    assert [(a["location"], a["quantity"]) for a in order["lines"][0]["allocations"]] == [
        ("sto", 2)]  # the store, though the warehouse has more
    fo = fos_of(client, order["id"])[0]
    assert (fo["kind"], fo["location"], fo["carrier"], fo["shipping_address"]) == (
        "pickup", "sto", "pickup", None)
    pay(client, order)
    pick_all(client, "sto")
    code = ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/ready-for-pickup",
                          json={}))["pickup_code"]
    handed = ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/pickup",
                            json={"code": code}))
    assert handed["status"] == "picked_up"
    assert order_of(client, order["id"])["status"] == "completed"
    assert stock_at(client, "TEE", "sto") == {"on_hand": 3, "reserved": 0}
    shipment = ok(client.get(f"/api/v1/orders/{order['id']}/shipments"))["items"][0]
    assert shipment["carrier"] == "pickup"


def test_a_counter_sale_names_a_store_that_hands_goods_over(client):
    fshop(client, {"TEE": {"ber": 5, "sto": 5}}, locations={"sto": STORE})
    before = everything(client)
    nameless = ok(post(client, shipping_address=None, fulfilment={"method": "counter"}), 422)
    assert nameless["errors"][0]["field"] == "fulfilment.pickup_location"
    assert "names the store" in nameless["errors"][0]["message"]
    warehouse = ok(post(client, shipping_address=None,
                        fulfilment={"method": "counter", "pickup_location": "ber"}), 422)
    assert warehouse["errors"][0] == {"field": "fulfilment.pickup_location",
                                      "code": "no_pickup",
                                      "message": "location 'ber' does not hand over pick-ups"}
    assert everything(client) == before


def test_a_counter_sale_may_carry_the_buyers_address_and_is_taxed_there(client):
    fshop(client, {"TEE": {"sto": 5}}, locations={"sto": STORE})
    berlin = {"name": "Ada", "line1": "Invalidenstr. 1", "city": "Berlin", "country": "DE"}
    order = ok(post(client, shipping_address=berlin, fulfilment=COUNTER), 201)
    assert order["fulfilment_method"] == "counter"
    assert (order["tax"]["country"], order["totals"]["tax"]["amount"]) == ("DE", "3.19")


def test_a_pickup_order_still_needs_no_address(client):
    fshop(client, {"TEE": {"sto": 5}}, locations={"sto": STORE})
    order = ok(post(client, shipping_address=None,
                    fulfilment={"method": "pickup", "pickup_location": "sto"}), 201)
    assert (order["fulfilment_method"], order["pickup_location"]) == ("pickup", "sto")
    assert fos_of(client, order["id"])[0]["kind"] == "pickup"


def test_an_order_that_ships_names_no_pick_up_location(client):
    fshop(client, {"TEE": {"sto": 5}}, locations={"sto": STORE})
    problem = ok(post(client, fulfilment={"method": "ship", "pickup_location": "sto"}), 422)
    assert problem["errors"][0]["field"] == "fulfilment.pickup_location"


def test_an_import_refuses_a_ship_order_without_an_address_on_its_line_and_goes_on(
        client, container):
    fshop(client, {"TEE": {"ber": 5, "sto": 5}}, locations={"sto": STORE})
    rows = [order_body([("TEE", 1, "10.00")], external_id="I-1"),
            order_body([("TEE", 1, "10.00")], external_id="I-2", shipping_address=None),
            order_body([("TEE", 1, "10.00")], external_id="I-3", shipping_address=None,
                       fulfilment=COUNTER)]
    report = import_orders(container, [json.dumps(r).encode() for r in rows])
    assert (report.placed, report.duplicates) == (2, 0)
    [refusal] = report.refusals
    assert (refusal.line, refusal.code) == (2, "invalid-input")
    assert "needs a shipping_address" in refusal.detail
    placed = ok(client.get("/api/v1/orders"))["items"]
    assert sorted(o["external_id"] for o in placed) == ["I-1", "I-3"]
    assert stock_at(client, "TEE", "ber")["reserved"] + stock_at(client, "TEE", "sto")[
        "reserved"] == 2
