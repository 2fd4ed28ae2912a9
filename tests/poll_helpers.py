"""Polling a simulated platform for missed orders as the worker would, with the same
test written once for Shopify and once for WooCommerce."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from ordermesh.connectors import accounts
from ordermesh.flows.channel_poll import ConnectorPoll, PollSettings
from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork
from tests.connector_helpers import CODE as SHOPIFY_CODE
from tests.connector_helpers import WOO_CODE, deliver_to_woo, shopify_shop, woo_shop
from tests.connector_helpers import deliver as deliver_to_shopify
from tests.fake_shopify import running_shopify, shopify_order
from tests.fake_woocommerce import running_woo, woo_order
from tests.helpers import ok


@dataclass(frozen=True)
class Platform:
    """One simulated platform as the polling tests need it."""

    name: str
    code: str
    running: Callable[[], AbstractContextManager[Any]]
    setup: Callable[[TestClient, Any, dict[str, int]], Any]
    order: Callable[[int, str, int], dict]  # (id, SKU, quantity) at 12.50 a unit
    deliver: Callable[[TestClient, dict, str], Any]
    list_path: str  # the platform's order list, as its requests record it
    retry_after_s: float

    def cancel(self, shop: Any, order_id: int) -> None:
        """The platform cancels the order (and so changes it)."""
        if self.name == "shopify":
            shop.orders[order_id]["cancelled_at"] = shop.now().isoformat()
        else:
            shop.orders[order_id]["status"] = "cancelled"
        shop.touch(order_id)


SHOPIFY = Platform(
    "shopify", SHOPIFY_CODE, running_shopify, shopify_shop,
    lambda i, sku, n: shopify_order(i, [(sku, n, "12.50")]),
    lambda client, order, delivery: deliver_to_shopify(client, order, delivery),
    "/admin/api/2024-10/orders.json", 2.0)
WOOCOMMERCE = Platform(
    "woocommerce", WOO_CODE, running_woo, woo_shop,
    lambda i, sku, n: woo_order(i, [(sku, n, f"{n * 10.50:.2f}", f"{n * 2:.2f}")]),
    deliver_to_woo, "/wp-json/wc/v3/orders", 3.0)
PLATFORMS = [SHOPIFY, WOOCOMMERCE]


def config(container: Container, **changes: Any) -> PollSettings:
    return PollSettings(**{**PollSettings.of(container).__dict__, **changes})


def poll(container: Container, code: str, **changes: Any) -> int:
    """One worker pass of the poll over connector ``code``: the orders taken in."""
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        account = accounts.account(uow, code)
    return ConnectorPoll().poll(container, account, config(container, **changes))


def poll_state(client: TestClient, code: str) -> dict:
    return ok(client.get(f"/api/v1/connectors/{code}/health"))["poll"]


def listed(shop: Any, platform: Platform) -> Iterator[dict[str, list[str]]]:
    """The queries of each order-list request the platform answered."""
    return (s.query for s in shop.on("GET", platform.list_path))


def later(clock, seconds: float = 60) -> None:
    clock.advance(timedelta(seconds=seconds))
