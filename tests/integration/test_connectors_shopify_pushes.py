"""Back to Shopify: the channel's available-to-sell per SKU, fulfilments with tracking and
cancellations, each recorded before it is sent and sent by the worker to the simulated
Shopify with its real paths and bodies; retried on 429 (after Retry-After) and 5xx."""

from __future__ import annotations

from datetime import timedelta

from ordermesh.connectors.model import FulfilmentNotice, ShippedLine
from tests.connector_helpers import (
    CODE,
    deliver,
    listed_shop_with_an_order,
    placed_and_paid,
    pushes,
    sent_by_a_worker_that_died,
    shopify_shop,
    sync,
)
from tests.fake_shopify import API, running_shopify, shopify_order
from tests.helpers import ok

SET_LEVEL = f"{API}/inventory_levels/set.json"
INTERVAL = timedelta(seconds=61)  # past ORDERMESH_CONNECTOR_STOCK_INTERVAL_S's default


def ship(client, order: dict, line_no: int, quantity: int, carrier: str, number: str) -> None:
    ok(client.post(f"/api/v1/orders/{order['id']}/shipments", json={
        "lines": [{"line_no": line_no, "quantity": quantity}], "carrier": carrier,
        "tracking_number": number}), 201)


def test_each_listed_sku_gets_the_channels_available_to_sell_once_per_change(
        client, container, clock):
    with running_shopify() as shop:
        shop.page_size = 1  # the listings come over three pages, by the Link header
        shopify_shop(client, shop, {"MUG": 5, "TEE": 3}, listed=["MUG", "TEE", "ONLY-THERE"])
        ok(client.put("/api/v1/inventory/safety-stock",
                      json={"sku": "TEE", "location": "ber", "quantity": 1}))
        sync(container)
        assert len(shop.on("GET", f"{API}/products.json")) == 3
        assert (shop.level("MUG"), shop.level("TEE"), shop.level("ONLY-THERE")) == (5, 2, None)
        first = shop.on("POST", SET_LEVEL)[0]
        assert set(first.body) == {"location_id", "inventory_item_id", "available"}
        assert first.headers["X-Shopify-Access-Token"].startswith("shpat_")

        clock.advance(INTERVAL)
        sync(container)
        assert len(shop.on("POST", SET_LEVEL)) == 2  # nothing changed: nothing sent

        for n in range(3):  # three orders move MUG before the next comparison
            ok(deliver(client, shopify_order(5552000 + n, [("MUG", 1, "12.50")]), f"w{n}"))
        clock.advance(INTERVAL)
        sync(container)
    sets = shop.on("POST", SET_LEVEL)
    assert len(sets) == 3 and sets[-1].body["available"] == 2
    assert shop.level("MUG") == 2
    assert {p["subject"] for p in pushes(client, "succeeded")} == {"MUG", "TEE"}


def test_a_shopify_order_shipped_here_is_fulfilled_in_shopify_with_its_tracking(
        client, container):
    with running_shopify() as shop:
        shopify_shop(client, shop, {"MUG": 5, "TEE": 5})
        order = placed_and_paid(client, shop, shopify_order(
            5553001, [("MUG", 2, "12.50"), ("TEE", 1, "20.00")]), "w1")
        ship(client, order, 1, 2, "DHL", "00340434161094042557")
        sync(container)
        ship(client, order, 2, 1, "UPS", "1Z999AA10123456784")
        sync(container)
        sync(container)  # nothing left: nothing sent twice
    posted = shop.on("POST", f"{API}/fulfillments.json")
    assert len(posted) == 2
    first = posted[0].body["fulfillment"]
    assert first["tracking_info"] == {
        "number": "00340434161094042557", "company": "DHL",
        "url": "https://track.example.com/00340434161094042557"}
    assert first["notify_customer"] is True
    fo = shop.fulfillment_orders[5553001][0]
    mug = next(i for i in fo["line_items"] if i["line_item_id"] == 55530011)
    assert first["line_items_by_fulfillment_order"] == [{
        "fulfillment_order_id": fo["id"],
        "fulfillment_order_line_items": [{"id": mug["id"], "quantity": 2}]}]
    assert fo["status"] == "closed"
    assert [f["tracking_number"] for f in shop.fulfillments] == [
        "00340434161094042557", "1Z999AA10123456784"]
    done = [p for p in pushes(client, "succeeded") if p["kind"] == "fulfilment"]
    assert len(done) == 2 and all(p["last_status_code"] == 201 for p in done)


def test_a_throttled_or_failing_shopify_is_retried_after_retry_after_and_with_backoff(
        client, container, clock):
    with running_shopify() as shop:
        shopify_shop(client, shop, {"MUG": 5})
        shop.throttle = 1  # reading the listings is answered 429: read again next pass
        sync(container)
        assert shop.level("MUG") is None and pushes(client) == []
        sync(container)  # the listings are read; the stock was compared a moment ago
        assert len(shop.on("GET", f"{API}/products.json")) == 2
        clock.advance(INTERVAL)
        shop.throttle = 1  # the level push: 429
        sync(container)
        waiting = pushes(client, "pending")
        assert len(waiting) == 1 and waiting[0]["last_status_code"] == 429
        assert waiting[0]["attempts"] == 1
        clock.advance(timedelta(seconds=2))  # its Retry-After: 2.0
        shop.fail = 1
        sync(container)
        waiting = pushes(client, "pending")
        assert waiting[0]["last_status_code"] == 500 and waiting[0]["attempts"] == 2
        sync(container)  # not due yet: it backs off
        assert pushes(client, "pending")[0]["attempts"] == 2
        clock.advance(timedelta(minutes=2))
        sync(container)
    assert shop.level("MUG") == 5
    assert [p["status"] for p in pushes(client)] == ["succeeded"]
    health = ok(client.get(f"/api/v1/connectors/{CODE}/health"))
    assert health["pushes_waiting"] == 0 and health["listings"] == 1


def test_a_push_shopify_refuses_for_good_fails_visibly_without_retrying(
        client, container, clock):
    with running_shopify() as shop:
        order = listed_shop_with_an_order(client, container, shop, 5554001,
                                          [("MUG", 1, "12.50")])
        ship(client, order, 1, 1, "DHL", "00340434161094042557")
        ok(client.patch(f"/api/v1/connectors/{CODE}", json={"credentials": {
            "access_token": "shpat_revoked", "webhook_secret": "shpss_x_0123456789abcdef"}}))
        clock.advance(INTERVAL)
        sync(container)
        clock.advance(timedelta(hours=1))
        sync(container)
    failed = pushes(client, "failed")
    # each stock comparison records the level again (the platform still shows 5)
    assert sorted(p["kind"] for p in failed) == ["fulfilment", "stock", "stock"]
    assert all(p["attempts"] == 1 and p["last_status_code"] == 401 for p in failed)
    assert shop.fulfillments == [] and shop.level("MUG") == 5
    health = ok(client.get(f"/api/v1/connectors/{CODE}/health"))
    assert health["pushes_failed"] == 3 and "Invalid API key" in health["last_error"]


def test_cancellations_go_both_ways_but_never_back_to_where_they_came_from(
        client, container):
    with running_shopify() as shop:
        shopify_shop(client, shop, {"MUG": 5})
        ours = shopify_order(5555001, [("MUG", 1, "12.50")])
        theirs = shopify_order(5555002, [("MUG", 1, "12.50")])
        for body, webhook in ((ours, "w1"), (theirs, "w2")):
            shop.add_order(body)
            ok(deliver(client, body, webhook))
        sync(container)
        ours_id = ok(deliver(client, ours, "w1"))["order_id"]
        ok(client.post(f"/api/v1/orders/{ours_id}/cancel", json={"reason": "out of stock"}))
        cancelled = ok(deliver(client, {**theirs, "cancelled_at": "2026-11-26T14:00:00+01:00",
                                        "cancel_reason": "customer"}, "w3",
                               topic="orders/cancelled"))
        again = ok(deliver(client, theirs, "w4", topic="orders/cancelled"))
        sync(container)
    assert cancelled["status"] == "cancelled"
    assert ok(client.get(f"/api/v1/orders/{cancelled['order_id']}"))["status"] == "cancelled"
    assert again["status"] == "ignored"
    sent = shop.on("POST", rf"{API}/orders/\d+/cancel\.json")
    assert [s.path for s in sent] == [f"{API}/orders/5555001/cancel.json"]
    assert shop.orders[5555001]["cancelled_at"] is not None
    assert shop.orders[5555002]["cancelled_at"] is None


def test_a_fulfilment_sent_by_a_worker_that_died_before_recording_it_is_not_sent_twice(
        client, container, clock):
    with running_shopify() as shop:
        order = listed_shop_with_an_order(client, container, shop, 5556001,
                                          [("MUG", 1, "12.50")])
        ship(client, order, 1, 1, "DHL", "00340434161094042557")
        sent_by_a_worker_that_died(container, clock, lambda connector, http, claimed:
                                   connector.push_fulfilment(http, FulfilmentNotice(
                                       claimed.subject, [ShippedLine("MUG", 1, "55560011")],
                                       "DHL", "00340434161094042557", None)))
    assert len(shop.fulfillments) == 1  # Shopify had nothing left to fulfil
    (push,) = [p for p in pushes(client) if p["kind"] == "fulfilment"]
    assert push["status"] == "succeeded" and push["attempts"] == 2
