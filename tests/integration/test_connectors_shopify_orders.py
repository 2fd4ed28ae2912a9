"""Shopify orders in: signed webhooks verified before anything is written, mapped to our
order and placed once; refusals kept in the connector's inbox with their reason."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from ordermesh.connectors.tables import connector_inbox
from ordermesh.kit.db import UnitOfWork
from ordermesh.orders.tables import orders
from tests.connector_helpers import CHANNEL, CODE, deliver, inbox, shopify_shop
from tests.fake_shopify import running_shopify, shopify_order, webhook_headers
from tests.helpers import ok, stock_of


def count(container, table) -> int:
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        return uow.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_signed_order_is_placed_with_the_prices_discounts_and_address_shopify_charged(
        client, container):
    with running_shopify() as shop:
        shopify_shop(client, shop, {"MUG": 5, "TEE": 5})
        body = shopify_order(5551001, [("MUG", 2, "12.50"), ("TEE", 1, "20.00")],
                             discounts={"TEE": "5.00"})
        got = ok(deliver(client, body, "wh-1"))
    assert got["status"] == "placed" and got["replayed"] is False
    order = ok(client.get(f"/api/v1/orders/{got['order_id']}"))
    assert order["channel"] == CHANNEL and order["external_id"] == "5551001"
    lines = {ln["sku"]: ln for ln in order["lines"]}
    assert lines["MUG"]["quantity"] == 2 and lines["MUG"]["unit_price"]["amount"] == "12.50"
    assert lines["TEE"]["discount"]["amount"] == "5.00"
    assert order["shipping_address"]["city"] == "Berlin"
    assert order["shipping_address"]["country"] == "DE"
    assert order["totals"]["shipping"]["amount"] == "4.90"
    # 25.00 + 15.00 + 4.90, tax included as Shopify charged it
    assert order["totals"]["total"]["amount"] == "44.90"
    assert stock_of(client, "MUG")["locations"][0]["reserved"] == 2


def test_a_replayed_webhook_places_the_order_once(client, container):
    with running_shopify() as shop:
        shopify_shop(client, shop, {"MUG": 5})
        body = shopify_order(5551002, [("MUG", 1, "12.50")])
        first = ok(deliver(client, body, "wh-2"))
        again = ok(deliver(client, body, "wh-2"))
        other_delivery = ok(deliver(client, body, "wh-2b"))
    assert again == {**first, "replayed": True}
    assert other_delivery["status"] == "already_placed"
    assert other_delivery["order_id"] == first["order_id"]
    assert count(container, orders) == 1
    assert stock_of(client, "MUG")["locations"][0]["reserved"] == 1
    assert [e["status"] for e in inbox(client)] == ["already_placed", "placed"]


def test_a_wrong_signature_is_refused_and_nothing_is_written(client, container):
    with running_shopify() as shop:
        shopify_shop(client, shop, {"MUG": 5})
        body = shopify_order(5551003, [("MUG", 1, "12.50")])
        forged = deliver(client, body, "wh-3", **{
            "X-Shopify-Hmac-Sha256": webhook_headers(b"{}", "x")["X-Shopify-Hmac-Sha256"]})
        unsigned = client.post(f"/api/v1/connectors/{CODE}/webhooks",
                               content=json.dumps(body).encode(),
                               headers={"X-Shopify-Webhook-Id": "wh-3",
                                        "Content-Type": "application/json",
                                        "X-Shopify-Topic": "orders/create"})
        unknown = client.post("/api/v1/connectors/nope/webhooks",
                              content=json.dumps(body).encode(),
                              headers=webhook_headers(json.dumps(body).encode(), "wh-3"))
    for response in (forged, unsigned, unknown):
        assert response.status_code == 401, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert forged.json()["detail"] == unknown.json()["detail"]
    assert count(container, orders) == 0 and count(container, connector_inbox) == 0


def test_a_body_that_is_not_a_shopify_order_is_422_and_nothing_is_written(client, container):
    with running_shopify() as shop:
        shopify_shop(client, shop, {"MUG": 5})
        raw = b'{"id": 1, "line_items": [{"sku": "MUG"'
        not_json = client.post(f"/api/v1/connectors/{CODE}/webhooks", content=raw,
                               headers=webhook_headers(raw, "wh-4"))
        no_lines = deliver(client, {"id": 5551004, "currency": "EUR", "line_items": []},
                           "wh-5")
        bad_line = deliver(client, shopify_order(5551005, [("MUG", 0, "abc")]), "wh-6")
    assert not_json.status_code == 422 and not_json.json()["errors"][0]["field"] == "body"
    assert no_lines.status_code == 422
    assert {e["field"] for e in bad_line.json()["errors"]} == {
        "line_items.0.quantity", "line_items.0.price"}
    assert count(container, orders) == 0 and count(container, connector_inbox) == 0


def test_an_order_with_an_unknown_sku_or_short_stock_is_refused_and_kept_with_its_reason(
        client, container):
    with running_shopify() as shop:
        shopify_shop(client, shop, {"MUG": 1})
        unknown = ok(deliver(client, shopify_order(5551006, [("GHOST", 1, "9.00")]), "wh-7"))
        short = ok(deliver(client, shopify_order(5551007, [("MUG", 3, "12.50")]), "wh-8"))
        placed = ok(deliver(client, shopify_order(5551008, [("MUG", 1, "12.50")]), "wh-9"))
    assert unknown["status"] == "refused" and unknown["order_id"] is None
    assert unknown["reason"]["errors"][0]["field"] == "lines.0.sku"
    assert short["status"] == "refused"
    assert short["reason"]["shortages"] == [{"sku": "MUG", "requested": 3, "available": 1}]
    assert placed["status"] == "placed"  # a refused order blocks nothing after it
    refused = ok(client.get(f"/api/v1/connectors/{CODE}/inbox",
                            params={"status": "refused"}))["items"]
    assert [e["external_id"] for e in refused] == ["5551007", "5551006"]
    assert count(container, orders) == 1
    health = ok(client.get(f"/api/v1/connectors/{CODE}/health"))
    assert health["webhooks_refused"] == 2


def test_prices_with_tax_included_on_a_channel_that_adds_tax_are_refused(client, container):
    with running_shopify() as shop:
        shopify_shop(client, shop, {"MUG": 5})
        got = ok(deliver(client, shopify_order(5551009, [("MUG", 1, "12.50")],
                                               taxes_included=False), "wh-10"))
    assert got["status"] == "refused"
    assert got["reason"]["errors"][0]["field"] == "taxes_included"


def test_the_same_order_delivered_twice_at_once_is_placed_once(client, container):
    with running_shopify() as shop:
        shopify_shop(client, shop, {"MUG": 5})
        body = shopify_order(5551010, [("MUG", 1, "12.50")])
        deliveries = ["wh-a", "wh-a", "wh-b", "wh-c"]  # a retry, and two more deliveries
        with ThreadPoolExecutor(len(deliveries)) as pool:
            answers = list(pool.map(lambda w: deliver(client, body, w), deliveries))
    got = [ok(a) for a in answers]
    assert len({g["order_id"] for g in got}) == 1
    assert sorted(g["status"] for g in got if not g["replayed"]).count("placed") == 1
    assert count(container, orders) == 1
    assert stock_of(client, "MUG")["locations"][0]["reserved"] == 1
    assert len(inbox(client)) == 3
