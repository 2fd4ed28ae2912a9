"""Setting up a shop with a Shopify connector against the simulated Shopify, and
delivering its webhooks and running the connector jobs as the worker would."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from ordermesh.flows.channel_jobs import ConnectorPushes, ConnectorSync
from ordermesh.http.deps import Container
from tests.fake_shopify import LOCATION_ID, TOKEN, WEBHOOK_SECRET, FakeShopify, webhook_headers
from tests.helpers import add_stock, make_channel, make_location, make_product, ok

CHANNEL = "shopify-eu"
CODE = "shop-eu"


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


def sync(container: Container) -> int:
    """One pass of both connector jobs: record intents, then send them."""
    recorded = ConnectorSync().run_once(container)
    return recorded + ConnectorPushes().run_once(container)


def pushes(client: TestClient, status: str | None = None) -> list[dict]:
    params = {"status": status} if status else {}
    return ok(client.get(f"/api/v1/connectors/{CODE}/pushes", params=params))["items"]


def inbox(client: TestClient) -> list[dict]:
    return ok(client.get(f"/api/v1/connectors/{CODE}/inbox"))["items"]
