"""WooCommerce through the same connector interface: signed webhooks in, placed once;
stock, shipment notes with tracking and completion out, to a simulated WooCommerce."""

from __future__ import annotations

import json

from tests.connector_helpers import WOO_CODE, deliver_to_woo, sync, woo_shop
from tests.fake_woocommerce import (
    API,
    running_woo,
    webhook_headers,
    woo_order,
)
from tests.helpers import ok, pay

CODE = WOO_CODE
HOOK = f"/api/v1/connectors/{CODE}/webhooks"
deliver = deliver_to_woo


def test_a_signed_woocommerce_order_is_placed_once_at_its_prices(client, container):
    with running_woo() as shop:
        woo_shop(client, shop, {"MUG": 5})
        body = woo_order(901, [("MUG", 2, "21.01", "3.99")])  # 2 x 12.50 with 19 % VAT
        got = ok(deliver(client, body, "d1"))
        # WooCommerce sends every delivery under a new id: the order id decides
        again = ok(deliver(client, body, "d2"))
    assert got["status"] == "placed" and again["status"] == "already_placed"
    assert again["order_id"] == got["order_id"]
    order = ok(client.get(f"/api/v1/orders/{got['order_id']}"))
    assert order["lines"][0]["unit_price"]["amount"] == "12.50"
    assert order["totals"]["shipping"]["amount"] == "4.90"
    assert order["totals"]["total"]["amount"] == "29.90"


def test_a_wrong_signature_is_401_and_the_save_ping_is_answered_without_writing(
        client, container):
    with running_woo() as shop:
        woo_shop(client, shop, {"MUG": 5})
        raw = json.dumps(woo_order(902, [("MUG", 1, "10.50", "2.00")])).encode()
        forged = client.post(HOOK, content=raw, headers={
            **webhook_headers(raw, "d3"), "X-WC-Webhook-Signature": "AAAA"})
        ping = client.post(HOOK, content=b"webhook_id=12", headers={
            "Content-Type": "application/x-www-form-urlencoded"})
    assert forged.status_code == 401
    assert ok(ping)["status"] == "ignored"
    assert ok(client.get(f"/api/v1/connectors/{CODE}/inbox"))["items"] == []
    assert ok(client.get("/api/v1/orders"))["items"] == []


def test_stock_shipments_and_completion_reach_woocommerce_once(client, container):
    with running_woo() as shop:
        woo_shop(client, shop, {"MUG": 5, "TEE": 4})
        body = woo_order(903, [("MUG", 2, "21.01", "3.99"), ("TEE", 1, "16.81", "3.19")])
        shop.orders[903] = body
        order = ok(client.get(f"/api/v1/orders/{ok(deliver(client, body, 'd4'))['order_id']}"))
        pay(client, order)
        ok(client.post(f"/api/v1/orders/{order['id']}/shipments", json={
            "lines": [{"line_no": 1, "quantity": 2}], "carrier": "DHL",
            "tracking_number": "00340434161094042557"}), 201)
        sync(container)
        assert shop.orders[903]["status"] == "processing"  # the TEE has not shipped
        ok(client.post(f"/api/v1/orders/{order['id']}/shipments", json={
            "lines": [{"line_no": 2, "quantity": 1}], "carrier": "DHL",
            "tracking_number": "00340434161094042564"}), 201)
        sync(container)
        sync(container)
    assert (shop.stock("MUG"), shop.stock("TEE")) == (3, 3)
    assert shop.on("PUT", rf"{API}/products/\d+")[0].body == {
        "manage_stock": True, "stock_quantity": 3}
    notes = [n["note"] for n in shop.notes[903]]
    assert notes == [
        "Shipped with DHL, tracking number 00340434161094042557: "
        "https://track.example.com/00340434161094042557 (2 x MUG)",
        "Shipped with DHL, tracking number 00340434161094042564: "
        "https://track.example.com/00340434161094042564 (1 x TEE)"]
    assert all(n["customer_note"] for n in shop.notes[903])
    assert shop.orders[903]["status"] == "completed"


def test_an_order_cancelled_in_woocommerce_is_cancelled_here(client, container):
    with running_woo() as shop:
        woo_shop(client, shop, {"MUG": 5})
        body = woo_order(904, [("MUG", 1, "10.50", "2.00")])
        placed = ok(deliver(client, body, "d5"))
        edited = ok(deliver(client, {**body, "customer_note": "ring twice"}, "d6",
                            topic="order.updated"))
        cancelled = ok(deliver(client, {**body, "status": "cancelled"}, "d7",
                               topic="order.updated"))
    # an update of a placed order places nothing again (it could bring the payment)
    assert edited["status"] == "already_placed" and edited["order_id"] == placed["order_id"]
    assert cancelled["status"] == "cancelled" and cancelled["order_id"] == placed["order_id"]
    assert ok(client.get(f"/api/v1/orders/{placed['order_id']}"))["status"] == "cancelled"


def test_a_refund_here_is_recorded_in_woocommerce_once_without_moving_money_again(
        client, container):
    with running_woo() as shop:
        woo_shop(client, shop, {"MUG": 5})
        body = woo_order(905, [("MUG", 2, "21.01", "3.99")])
        shop.orders[905] = body
        order = ok(client.get(f"/api/v1/orders/{ok(deliver(client, body, 'd8'))['order_id']}"))
        pay(client, order)
        made = ok(client.post(f"/api/v1/orders/{order['id']}/refunds", json={
            "lines": [{"line_no": 1, "quantity": 1}], "reason": "arrived broken"}), 201)
        sync(container)
        sync(container)
    (posted,) = shop.on("POST", rf"{API}/orders/905/refunds")
    net = f"{float(made['amount']) - float(made['tax']):.2f}"
    assert posted.body == {"amount": made["amount"], "api_refund": False,
                           "reason": f"arrived broken (ordermesh {made['id']})",
                           "line_items": [{"id": 9051, "quantity": 1, "refund_total": net}]}
    assert made["amount"] == "12.50"
    (kept,) = shop.refunds[905]
    assert kept["amount"] == "12.50" and kept["refunded_payment"] is False
    (push,) = [p for p in ok(client.get(f"/api/v1/connectors/{CODE}/pushes"))["items"]
               if p["kind"] == "refund"]
    assert push["status"] == "succeeded" and push["last_status_code"] == 201
