"""Shared set-up of the customer tests: a shop with a web shop and a marketplace."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.helpers import make_channel, ok, order_body, shop

BERLIN = {"name": "Ada Lovelace", "line1": "Invalidenstr. 1", "city": "Berlin",
          "postal_code": "10115", "country": "DE"}


def customer_shop(client: TestClient) -> None:
    shop(client, {"TEE": {"ber": 100}})
    make_channel(client, "amazon-de", kind="marketplace")


def order(client: TestClient, customer: dict[str, Any], channel: str = "web",
          status: int = 201, quantity: int = 1) -> dict:
    return ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", quantity, "20.00")], channel=channel, customer=customer,
        shipping_address=BERLIN)), status)


def customer_of(client: TestClient, customer_id: str) -> dict:
    return ok(client.get(f"/api/v1/customers/{customer_id}"))
