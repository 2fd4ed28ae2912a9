"""Suppliers and purchase orders write exactly the declared events
(tests/event_contract.py); refused changes write none."""

from __future__ import annotations

from datetime import timedelta

from tests.event_checks import assert_writes, assert_writes_nothing, of_type
from tests.helpers import make_location, ok, order_body, shop
from tests.purchasing_helpers import POS, SUPPLIERS, buying_shop, draft, offer, sent
from tests.shipping_helpers import make_carrier

REPLENISH = "/api/v1/replenishment"


def test_supplier_set_up_writes_created_and_changed(client):
    shop(client, {"TEE": {}})
    _, written = assert_writes(client, "supplier.create", lambda: ok(client.post(
        SUPPLIERS, json={"code": "A", "name": "A Ltd", "currency": "EUR",
                         "tags": ["linen"]}), 201))
    assert of_type(written, "supplier.created")["payload"]["tags"] == ["linen"]
    _, written = assert_writes(client, "supplier.update", lambda: ok(client.patch(
        f"{SUPPLIERS}/A", json={"status": "blocked"})))
    payload = of_type(written, "supplier.changed")["payload"]
    assert (payload["status"], payload["previous_status"]) == ("blocked", "active")
    assert_writes_nothing(client, lambda: ok(client.patch(f"{SUPPLIERS}/A",
                                                          json={"status": "blocked"})))
    _, written = assert_writes(client, "supplier.product", lambda: offer(client, "A", "TEE"))
    assert of_type(written, "supplier.changed")["payload"]["sku"] == "TEE"
    refused = assert_writes_nothing(client, lambda: client.put(
        f"{SUPPLIERS}/A/products/TEE",
        json={"prices": [{"cost": {"amount": "1", "currency": "USD"}}]}))
    assert refused.status_code == 422


def test_linking_carrier_accounts_and_3pl_locations_writes_changed(client):
    make_carrier(client, "sim")
    make_location(client, "tpl", kind="3pl")
    ok(client.post(SUPPLIERS, json={"code": "SWIFT", "name": "Swift", "currency": "EUR",
                                    "kind": "carrier"}), 201)
    ok(client.post(SUPPLIERS, json={"code": "TPLCO", "name": "TPL Co", "currency": "EUR",
                                    "kind": "3pl"}), 201)
    links = f"{SUPPLIERS}/SWIFT/links"
    _, written = assert_writes(client, "supplier.links", lambda: ok(client.put(
        links, json={"carrier_accounts": ["sim"]})))
    payload = of_type(written, "supplier.changed")["payload"]
    assert (payload["changed"], payload["carrier_accounts"],
            payload["previous_carrier_accounts"]) == (["links"], ["sim"], [])
    assert_writes_nothing(client, lambda: ok(client.put(links, json={
        "carrier_accounts": ["sim"]})))
    _, written = assert_writes(client, "supplier.links", lambda: ok(client.put(
        f"{SUPPLIERS}/TPLCO/links", json={"locations": ["tpl"]})))
    assert of_type(written, "supplier.changed")["payload"]["locations"] == ["tpl"]
    _, written = assert_writes(client, "supplier.links", lambda: ok(client.put(links, json={})))
    assert of_type(written, "supplier.changed")["payload"]["previous_carrier_accounts"] == [
        "sim"]
    refused = assert_writes_nothing(client, lambda: client.put(
        f"{SUPPLIERS}/TPLCO/links", json={"carrier_accounts": ["sim"]}))
    assert refused.status_code == 422


def test_a_purchase_order_writes_created_sent_confirmed_received_and_closed(client):
    buying_shop(client)
    ok(client.post("/api/v1/inventory/adjustments", json={
        "sku": "MUG", "location": "ber", "quantity_delta": 1, "reason": "received"}), 201)
    po, written = assert_writes(client, "purchase_order.create", lambda: draft(
        client, [("TEE", 20), ("MUG", 10)]))
    assert of_type(written, "purchase_order.created")["payload"]["total"] == "105.00"
    _, written = assert_writes(client, "purchase_order.send", lambda: ok(client.post(
        f"{POS}/{po['id']}/send")))
    assert len(of_type(written, "purchase_order.sent")["payload"]["lines"]) == 2
    _, written = assert_writes(client, "purchase_order.confirm", lambda: ok(client.post(
        f"{POS}/{po['id']}/confirm", json={"lines": [{"line_no": 2, "quantity": 8}]})))
    confirmed = of_type(written, "purchase_order.confirmed")["payload"]["lines"]
    assert [(ln["ordered"], ln["confirmed"]) for ln in confirmed] == [(20, 20), (10, 8)]
    _, written = assert_writes(client, "purchase_order.receive", lambda: ok(client.post(
        f"{POS}/{po['id']}/receipts", json={"lines": [{"sku": "TEE", "accepted": 18}]}), 201))
    received = of_type(written, "purchase_order.received")["payload"]
    assert (received["status"], received["lines"][0]["open"]) == ("partly_received", 2)
    _, written = assert_writes(client, "purchase_order.receive.over", lambda: ok(client.post(
        f"{POS}/{po['id']}/receipts", json={"lines": [{"sku": "TEE", "accepted": 3}]}), 201))
    assert sorted(e["payload"]["quantity"] for e in written
                  if e["type"] == "inventory.received") == [1, 2]
    too_many = assert_writes_nothing(client, lambda: client.post(
        f"{POS}/{po['id']}/receipts", json={"lines": [{"sku": "MUG", "accepted": 9}]}))
    assert too_many.status_code == 409
    _, written = assert_writes(client, "purchase_order.close.short", lambda: ok(client.post(
        f"{POS}/{po['id']}/close", json={"reason": "MUG discontinued"})))
    closed = of_type(written, "purchase_order.closed")["payload"]
    assert (closed["short"], closed["short_lines"]) == (
        True, [{"line_no": 2, "sku": "MUG", "missing": 8}])


def test_cancelling_a_sent_purchase_order_writes_cancelled_and_withdraws_its_supply(client):
    buying_shop(client)
    po = sent(client, [("TEE", 5)])
    _, written = assert_writes(client, "purchase_order.cancel", lambda: ok(client.post(
        f"{POS}/{po['id']}/cancel", json={"reason": "ordered twice"})))
    assert of_type(written, "purchase_order.cancelled")["payload"]["was"] == "sent"
    again = assert_writes_nothing(client, lambda: client.post(f"{POS}/{po['id']}/cancel",
                                                              json={}))
    assert again.status_code == 409


def test_replenishment_turned_into_a_purchase_order_writes_created(client, clock):
    buying_shop(client)
    today = clock.now()
    for back in range(5, 0, -1):
        clock.set(today - timedelta(days=back))
        ok(client.post("/api/v1/orders", json=order_body([("TEE", 2, "5")])), 201)
    clock.set(today)
    po, written = assert_writes(client, "replenishment.order", lambda: ok(client.post(
        f"{REPLENISH}/purchase-orders", json={"supplier": "LINEN", "location": "ber"}), 201))
    assert of_type(written, "purchase_order.created")["aggregate_id"] == po["id"]
