"""Setting up a shop with a Shopify or WooCommerce connector against the simulated
platform, and delivering its webhooks and running the connector jobs as the worker
would."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from fastapi.testclient import TestClient

from ordermesh.connectors.accounts import account_by_id
from ordermesh.connectors.model import CallResult, Connector
from ordermesh.connectors.platforms import connector_for
from ordermesh.connectors.pushes import Push, claim_due
from ordermesh.flows.channel_jobs import ConnectorPushes, ConnectorSync, policy_of
from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork
from tests import fake_woocommerce
from tests.fake_shopify import (
    LOCATION_ID,
    TOKEN,
    WEBHOOK_SECRET,
    FakeShopify,
    shopify_order,
    webhook_headers,
)
from tests.helpers import add_stock, make_channel, make_location, make_product, ok

CHANNEL = "shopify-eu"
CODE = "shop-eu"
WOO_CODE = "woo-de"


def shopify_shop(client: TestClient, shop: FakeShopify, stock: dict[str, int],
                 listed: list[str] | None = None) -> dict:
    """Our channel, one location with ``stock``, the products in Shopify too (``listed``,
    default all of them), and the connector."""
    make_channel(client, CHANNEL, "EUR", kind="shop_platform")
    make_location(client, "ber")
    for sku, units in stock.items():
        make_product(client, sku)
        if units:
            add_stock(client, sku, "ber", units)
    for sku in listed if listed is not None else list(stock):
        shop.add_product(f"Product {sku}", [sku])
    return connect(client, shop)


def connect(client: TestClient, shop: FakeShopify, **extra: Any) -> dict:
    return ok(client.post("/api/v1/connectors", json={
        "code": CODE, "platform": "shopify", "channel": CHANNEL, "base_url": shop.base_url,
        "credentials": {"access_token": TOKEN, "webhook_secret": WEBHOOK_SECRET},
        "settings": {"location_id": LOCATION_ID,
                     "tracking_url_template": "https://track.example.com/{number}"},
        **extra}), 201)


def deliver(client: TestClient, order: dict, webhook_id: str, topic: str = "orders/create",
            **header_changes: str):
    """POST the order as Shopify would, signed; returns the response."""
    body = json.dumps(order).encode()
    headers = {**webhook_headers(body, webhook_id, topic), **header_changes}
    return client.post(f"/api/v1/connectors/{CODE}/webhooks", content=body, headers=headers)


def placed_and_paid(client: TestClient, shop: FakeShopify, order: dict, webhook_id: str
                    ) -> dict:
    """A Shopify order that came in by webhook: paid in Shopify (``financial_status:
    paid``), so it may ship."""
    shop.add_order(order)
    placed = ok(client.get(f"/api/v1/orders/{ok(deliver(client, order, webhook_id))['order_id']}"))
    assert placed["payment_status"] == "paid", placed["payment_status"]
    return placed


def listed_shop_with_an_order(client: TestClient, container: Container, shop: FakeShopify,
                              order_id: int, lines: list[tuple[str, int, str]]) -> dict:
    """``shopify_shop`` with five of each SKU of ``lines``, its listings read and its
    stock pushed, and one order of those lines placed and paid."""
    shopify_shop(client, shop, {sku: 5 for sku, _, _ in lines})
    sync(container)
    return placed_and_paid(client, shop, shopify_order(order_id, lines), "w1")


def sent_by_a_worker_that_died(container: Container, clock,
                               call: Callable[[Connector, httpx.Client, Push], CallResult]
                               ) -> None:
    """The intents are recorded; a worker claims the one due push, makes its call
    (``call``) and dies before recording the answer; the other workers leave it while it
    is leased, and one takes it up again when the lease runs out."""
    ConnectorSync().run_once(container)
    policy = policy_of(container.settings)
    with UnitOfWork(container.engine, container.clock) as uow:
        (claimed,) = claim_due(uow, 10, policy)
        account = account_by_id(uow, claimed.account_id)
    with httpx.Client(timeout=5) as http:
        assert call(connector_for(account), http, claimed).ok
    ConnectorPushes().run_once(container)  # leased: nobody else takes it yet
    clock.advance(policy.lease + timedelta(seconds=1))
    ConnectorPushes().run_once(container)  # the lease ran out: claimed again


def sync(container: Container) -> int:
    """One pass of both connector jobs: record intents, then send them."""
    recorded = ConnectorSync().run_once(container)
    return recorded + ConnectorPushes().run_once(container)


def pushes(client: TestClient, status: str | None = None) -> list[dict]:
    params = {"status": status} if status else {}
    return ok(client.get(f"/api/v1/connectors/{CODE}/pushes", params=params))["items"]


def inbox(client: TestClient) -> list[dict]:
    return ok(client.get(f"/api/v1/connectors/{CODE}/inbox"))["items"]


def woo_shop(client: TestClient, shop: fake_woocommerce.FakeWoo, stock: dict[str, int]
             ) -> None:
    """Our channel, one location with ``stock``, each SKU a simple product in the shop (and
    a variable one whose two sizes are variations with SKUs we do not sell), and the
    WooCommerce connector."""
    make_channel(client, CHANNEL, "EUR", kind="shop_platform")
    make_location(client, "ber")
    for sku, units in stock.items():
        make_product(client, sku)
        add_stock(client, sku, "ber", units)
        shop.add_product(sku)
    shop.add_product("BUNDLE", kind="variable", variations=("BUNDLE-S", "BUNDLE-L"))
    ok(client.post("/api/v1/connectors", json={
        "code": WOO_CODE, "platform": "woocommerce", "channel": CHANNEL,
        "base_url": shop.base_url, "settings": {
            "tracking_url_template": "https://track.example.com/{number}"},
        "credentials": {"consumer_key": fake_woocommerce.KEY,
                        "consumer_secret": fake_woocommerce.SECRET,
                        "webhook_secret": fake_woocommerce.WEBHOOK_SECRET}}), 201)


def deliver_to_woo(client: TestClient, order: dict, delivery_id: str,
                   topic: str = "order.created"):
    """POST the order as WooCommerce would, signed; returns the response."""
    raw = json.dumps(order).encode()
    return client.post(f"/api/v1/connectors/{WOO_CODE}/webhooks", content=raw,
                       headers=fake_woocommerce.webhook_headers(raw, delivery_id, topic))
