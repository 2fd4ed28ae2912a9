"""Builders for drop-ship tests, through the public API: a shop whose supplier ACME
drop-ships VASE, the supplier's partner key, and calls made with it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.helpers import add_stock, make_channel, make_location, make_product, ok, pay
from tests.purchasing_helpers import make_supplier, offer

RULES = "/api/v1/dropship-rules"
DS = "/api/v1/dropship-orders"
PARTNER = "/api/v1/partner/dropship-orders"
CUSTOMER = {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London",
            "postal_code": "SW1Y 4JH", "country": "GB"}
ACME_ADDRESS = {"line1": "1 Factory Road", "city": "Leeds", "postal_code": "LS1 1AA",
                "country": "GB"}


def dropship_shop(client: TestClient, own_vase: int = 0) -> None:
    """Channel web, warehouse ber with 10 TEE (and ``own_vase`` VASE), products TEE and
    VASE, supplier ACME (GBP) carrying VASE at 11.50 and TEE at 3.00."""
    make_channel(client, "web", "GBP")
    make_location(client, "ber")
    make_product(client, "VASE", weight_grams=1200)
    make_product(client, "TEE", weight_grams=200)
    add_stock(client, "TEE", "ber", 10)
    if own_vase:
        add_stock(client, "VASE", "ber", own_vase)
    make_supplier(client, "ACME", currency="GBP", addresses=[ACME_ADDRESS])
    offer(client, "ACME", "VASE", "11.50", currency="GBP", supplier_sku="AC-V-1")
    offer(client, "ACME", "TEE", "3.00", currency="GBP")


def rule(client: TestClient, status: int = 201, **body: Any) -> dict:
    response = client.post(RULES, json={"supplier": "ACME", **body})
    return ok(response, status)


def partner_key(client: TestClient, supplier: str = "ACME") -> dict[str, str]:
    """The headers of a fresh partner key of ``supplier``."""
    key = ok(client.post("/api/v1/api-keys", json={
        "name": f"{supplier} portal", "role": "supplier", "supplier": supplier}), 201)
    return {"Authorization": f"Bearer {key['key']}"}


def place(client: TestClient, lines: list[tuple[str, int, str]], paid: bool = True) -> dict:
    order = ok(client.post("/api/v1/orders", json={
        "channel": "web", "shipping_address": CUSTOMER,
        "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
        "lines": [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines]}), 201)
    if paid:
        pay(client, order)
    return order


def dropships_of(client: TestClient, order_id: str) -> list[dict]:
    return ok(client.get(DS, params={"order_id": order_id}))["items"]


def answer(client: TestClient, key: dict, ds_id: str, what: str, body: dict | None = None,
           status: int = 200):
    response = client.post(f"{PARTNER}/{ds_id}/{what}", json=body, headers=key)
    return ok(response, status) if status < 300 else response


def ship_body(lines: list[tuple[int, int]], tracking: str = "1Z001",
              carrier: str = "ups") -> dict:
    return {"carrier": carrier, "tracking_number": tracking,
            "lines": [{"line_no": n, "quantity": q} for n, q in lines]}


def vases_routed(client: TestClient, quantity: int, own_vase: int = 0, paid: bool = True
                 ) -> tuple[dict[str, str], dict, dict]:
    """The drop-ship shop with VASE routed to ACME always, and an order of ``quantity``
    vases: ACME's partner key headers, the order, and its drop-ship order."""
    dropship_shop(client, own_vase)
    rule(client, sku="VASE")
    key = partner_key(client)
    order = place(client, [("VASE", quantity, "30.00")], paid=paid)
    [ds] = dropships_of(client, order["id"])
    return key, order, ds
