"""Scaffolding for store-credit tests: a customer with credit from a return, and orders
of that customer to pay with it."""

from __future__ import annotations

from tests.helpers import ok, order_body
from tests.returns_helpers import RETURNS, receive_all, shipped_order

ADA = {"email": "ada@example.com", "name": "Ada"}
GRACE = {"email": "grace@example.com", "name": "Grace"}


def credit_of(client, customer_id: str, currency: str = "EUR") -> dict:
    """The customer's account in ``currency`` (GET .../store-credit)."""
    found = ok(client.get(f"/api/v1/customers/{customer_id}/store-credit"))
    return next(a for a in found["accounts"] if a["currency"] == currency)


def credit_policy(client, **extra) -> dict:
    return ok(client.put("/api/v1/return-policies/web", json={
        "resolutions": ["refund", "store_credit"], **extra}))


def return_for_credit(client, order: dict, quantity: int = 1,
                      reason: str = "size_or_fit") -> dict:
    """Line 1 of ``order`` returned for store credit, every unit received."""
    ret = ok(client.post(RETURNS, json={"order": order["number"], "lines": [
        {"line_no": 1, "quantity": quantity, "reason": reason,
         "resolution": "store_credit"}]}), 201)
    return receive_all(client, ret)


def customer_with_credit(client, unit_price: str = "20.00", units: int = 2) -> tuple[dict, str]:
    """A shop whose customer Ada returned ``units`` of a shipped order for store credit
    (resolved, no fees): the order and Ada's customer id."""
    order = shipped_order(client, lines=(("TEE", units, unit_price),), customer=ADA)
    credit_policy(client)
    ret = return_for_credit(client, order, units)
    ok(client.post(f"{RETURNS}/{ret['id']}/refund"), 201)
    return order, order["customer_id"]


def new_order(client, total: str, customer: dict = ADA, sku: str = "TEE") -> dict:
    return ok(client.post("/api/v1/orders", json=order_body(
        [(sku, 1, total)], customer=customer)), 201)


def pay_with_credit(client, order: dict, **body):
    return client.post(f"/api/v1/orders/{order['id']}/payments",
                       json={"provider": "store_credit", **body})
