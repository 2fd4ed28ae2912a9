"""Small builders that tests use to set up a shop through the public API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from ordermesh.orders.model import ShippingAddress


def ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def make_channel(client: TestClient, code: str = "web", currency: str = "EUR",
                 kind: str = "web") -> dict:
    return ok(client.post("/api/v1/channels", json={
        "code": code, "name": code.title(), "kind": kind, "currency": currency}), 201)


def make_location(client: TestClient, code: str = "ber", **extra: Any) -> dict:
    body = {"code": code, "name": code.upper(), "kind": "warehouse", **extra}
    return ok(client.post("/api/v1/locations", json=body), 201)


def make_product(client: TestClient, sku: str, **extra: Any) -> dict:
    return ok(client.post("/api/v1/products", json={"sku": sku, "name": f"Product {sku}",
                                                      **extra}), 201)


def add_stock(client: TestClient, sku: str, location: str, quantity: int) -> dict:
    return ok(client.post("/api/v1/inventory/adjustments", json={
        "sku": sku, "location": location, "quantity_delta": quantity, "reason": "received"}),
        201)


def shop(client: TestClient, stock: dict[str, dict[str, int]], currency: str = "EUR") -> None:
    """A channel 'web' and products with stock: ``{"SKU": {"location": units}}``."""
    make_channel(client, "web", currency)
    locations = {loc for per_sku in stock.values() for loc in per_sku}
    for loc in sorted(locations):
        make_location(client, loc)
    for sku, per_location in stock.items():
        make_product(client, sku)
        for loc, units in per_location.items():
            if units:
                add_stock(client, sku, loc, units)


# Where an order ships when a test does not say: an order that ships needs an address.
# Oregon has no sales tax, so on a channel without a legal entity the order comes to the
# same amounts as one without a destination did (but its 0 % is booked: tax.booked).
# A channel with a legal entity would zero-rate it as an export, where an order without
# an address was taxed at the seller's place: tests of such channels give an address.
DEFAULT_ADDRESS = {"name": "Grace Hopper", "line1": "1 Main Street", "city": "Portland",
                   "region": "OR", "postal_code": "97201", "country": "US"}
SHIP_TO = ShippingAddress(**DEFAULT_ADDRESS)  # the same, for tests that call place_order


def with_address(body: dict, address: dict | None = None) -> dict:
    """``body`` with a shipping address where it ships and names none (``DEFAULT_ADDRESS``
    unless ``address``); a pick-up or counter sale, or a body that says
    ``shipping_address: None`` on purpose, is left as it is."""
    method = (body.get("fulfilment") or {}).get("method", "ship")
    if method == "ship" and "shipping_address" not in body:
        return {**body, "shipping_address": address or DEFAULT_ADDRESS}
    return body


def order_body(lines: list[tuple[str, int, str]], channel: str = "web", **extra: Any) -> dict:
    return with_address({"channel": channel, "lines": [
        {"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines], **extra})


def stock_of(client: TestClient, sku: str) -> dict:
    return ok(client.get(f"/api/v1/inventory/{sku}"))


def capture_later(client: TestClient, code: str = "web") -> None:
    """Payments of this channel are authorised only, unless asked to capture."""
    channel = next(c for c in ok(client.get("/api/v1/channels"))["items"] if c["code"] == code)
    ok(client.patch(f"/api/v1/channels/{channel['id']}", json={"capture_policy": "shipment"}))


def pay(client: TestClient, order: dict, method: str = "card") -> dict:
    """The customer pays what the order owes: by test card (captured or only authorised
    as the channel's capture policy says), or with a ``manual`` method such as
    ``cash_on_delivery`` or ``invoice_terms``."""
    body = ({"provider": "test", "source": "4242424242424242"} if method == "card"
            else {"provider": "manual", "method": method})
    return ok(client.post(f"/api/v1/orders/{order['id']}/payments", json=body), 201)
