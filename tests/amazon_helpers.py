"""Setting up a shop with an Amazon connector against the simulated seller account, and
polling it as the worker would."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests import fake_amazon
from tests.fake_amazon import FakeAmazon
from tests.helpers import add_stock, make_channel, make_location, make_product, ok
from tests.poll_helpers import poll

CHANNEL = "amazon-de"
CODE = "amazon-de"


def amazon_shop(client: TestClient, shop: FakeAmazon, stock: dict[str, int], *,
                listed: dict[str, str] | None = None, **settings: Any) -> dict:
    """Our marketplace channel, one location with ``stock``, the listings on Amazon
    (``listed``: seller SKU -> our SKU; default each of ours under its own name) and the
    connector; the seller's clock is the test's."""
    make_channel(client, CHANNEL, "EUR", kind="marketplace")
    make_location(client, "ber")
    for sku, units in stock.items():
        make_product(client, sku)
        if units:
            add_stock(client, sku, "ber", units)
    listed = listed if listed is not None else {sku: sku for sku in stock}
    for seller_sku in listed:
        shop.add_listing(seller_sku)
    sku_map = {seller: ours for seller, ours in listed.items() if seller != ours}
    return connect(client, shop, **({"sku_map": sku_map} if sku_map else {}), **settings)


def connect(client: TestClient, shop: FakeAmazon, **settings: Any) -> dict:
    return ok(client.post("/api/v1/connectors", json={
        "code": CODE, "platform": "amazon", "channel": CHANNEL, "base_url": shop.base_url,
        "credentials": {"client_id": fake_amazon.CLIENT_ID,
                        "client_secret": fake_amazon.CLIENT_SECRET,
                        "refresh_token": fake_amazon.REFRESH_TOKEN},
        "settings": {"marketplace_id": fake_amazon.MARKETPLACE,
                     "seller_id": fake_amazon.SELLER_ID, "prices_include_tax": True,
                     "token_url": shop.token_url, **settings}}), 201)


def poll_amazon(container, **changes: Any) -> int:
    return poll(container, CODE, **changes)


def inbox(client: TestClient) -> list[dict]:
    return ok(client.get(f"/api/v1/connectors/{CODE}/inbox"))["items"]


def pushes(client: TestClient) -> list[dict]:
    return ok(client.get(f"/api/v1/connectors/{CODE}/pushes"))["items"]
