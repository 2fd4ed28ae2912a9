"""Builders for supplier and purchase order tests, through the public API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.helpers import ok, shop

SUPPLIERS = "/api/v1/suppliers"
POS = "/api/v1/purchase-orders"


def make_supplier(client: TestClient, code: str = "LINEN", currency: str = "EUR",
                  **extra: Any) -> dict:
    body = {"code": code, "name": f"{code.title()} Ltd", "currency": currency,
            "lead_time_days": 10, **extra}
    return ok(client.post(SUPPLIERS, json=body), 201)


def offer(client: TestClient, supplier: str, sku: str, cost: str = "4.00",
          currency: str = "EUR", **extra: Any) -> dict:
    body = {"prices": [{"cost": {"amount": cost, "currency": currency}}], **extra}
    return ok(client.put(f"{SUPPLIERS}/{supplier}/products/{sku}", json=body))


def buying_shop(client: TestClient) -> None:
    """Shop with TEE (10 at ber) and MUG (none), supplier LINEN selling both."""
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 0}})
    make_supplier(client, "LINEN")
    offer(client, "LINEN", "TEE", "4.00")
    offer(client, "LINEN", "MUG", "2.50")


def draft(client: TestClient, lines: list[tuple[str, int]], supplier: str = "LINEN",
          **extra: Any) -> dict:
    return ok(client.post(POS, json={
        "supplier": supplier, "location": "ber",
        "lines": [{"sku": s, "quantity": q} for s, q in lines], **extra}), 201)


def sent(client: TestClient, lines: list[tuple[str, int]], **extra: Any) -> dict:
    po = draft(client, lines, **extra)
    return ok(client.post(f"{POS}/{po['id']}/send"))


def receive(client: TestClient, po_id: str, lines: list[tuple[str, int]] | list[tuple],
            status: int = 201):
    body = {"lines": [{"sku": ln[0], "accepted": ln[1], "rejected": ln[2] if len(ln) > 2
                       else 0} for ln in lines]}
    response = client.post(f"{POS}/{po_id}/receipts", json=body)
    return ok(response, status) if status < 300 else response


def refused(client: TestClient, uow, method: str, url: str, status: int,
            field: str | None = None, **request: Any) -> dict:
    """A request refused with problem+json (naming ``field``) that changed no supplier,
    purchase order, stock, ledger, supply or event row."""
    from sqlalchemy import select

    from ordermesh.purchasing.tables import (
        purchase_order_lines,
        purchase_order_receipts,
        purchase_orders,
    )
    from ordermesh.suppliers.tables import supplier_products, supplier_tags, suppliers
    from tests import stock_checks

    watched = (suppliers, supplier_tags, supplier_products, purchase_orders,
               purchase_order_lines, purchase_order_receipts, *stock_checks._WATCHED)

    def everything() -> dict:
        with uow(write=False) as u:
            return {t.name: sorted((tuple(r) for r in u.execute(select(t))), key=repr)
                    for t in watched}

    before = everything()
    response = client.request(method, url, **request)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    if field is not None:
        assert field in [e["field"] for e in problem.get("errors", [])], problem
    assert everything() == before, f"a refused {method} {url} changed something"
    return problem
