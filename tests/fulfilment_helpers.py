"""Scaffolding for the fulfilment tests: a shop, orders, fulfilment orders, picking."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.helpers import (
    add_stock,
    make_channel,
    make_location,
    make_product,
    ok,
    order_body,
    pay,
)

ADDRESS = {"name": "Ada Lovelace", "line1": "Invalidenstr. 1", "city": "Berlin",
           "postal_code": "10115", "country": "DE"}


def fshop(client: TestClient, stock: dict[str, dict[str, int]],
          locations: dict[str, dict] | None = None, currency: str = "EUR") -> None:
    """A channel 'web', locations (``locations``: extra fields per code) and stock."""
    make_channel(client, "web", currency)
    codes = {loc for per_sku in stock.values() for loc in per_sku} | set(locations or {})
    for code in sorted(codes):
        make_location(client, code, **(locations or {}).get(code, {}))
    for sku, per_location in stock.items():
        make_product(client, sku)
        for loc, units in per_location.items():
            if units:
                add_stock(client, sku, loc, units)


def place(client: TestClient, lines: list[tuple[str, int, str]], status: int = 201,
          paid: bool = True, **extra: Any) -> dict:
    """An order, paid by card unless ``paid`` is False (unpaid orders cannot ship)."""
    extra.setdefault("shipping_address", ADDRESS)
    order = ok(client.post("/api/v1/orders", json=order_body(lines, **extra)), status)
    if paid and status == 201:
        pay(client, order)
    return order


def fos_of(client: TestClient, order_id: str) -> list[dict]:
    return ok(client.get(f"/api/v1/orders/{order_id}/fulfilment"))["fulfilment_orders"]


def fo(client: TestClient, fo_id: str) -> dict:
    return ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))


def pick_all(client: TestClient, location: str, max_orders: int = 20) -> dict:
    pick_list = ok(client.post("/api/v1/pick-lists",
                               json={"location": location, "max_orders": max_orders}), 201)
    return ok(client.post(f"/api/v1/pick-lists/{pick_list['id']}/confirm", json={}))


def events(client: TestClient, prefix: str = "fulfilment.") -> list[dict]:
    return ok(client.get("/api/v1/events", params={"type": prefix, "limit": 1000}
                         ))["items"]


def stock_at(client: TestClient, sku: str, location: str) -> dict:
    levels = ok(client.get(f"/api/v1/inventory/{sku}"))["locations"]
    found = next((lv for lv in levels if lv["location"] == location), None)
    return ({k: found[k] for k in ("on_hand", "reserved")} if found
            else {"on_hand": 0, "reserved": 0})


def pack(client: TestClient, fo_id: str) -> dict:
    """Pack what was picked, as packing proposes (SSCC numbering set up once)."""
    settings = client.get("/api/v1/sscc-settings")
    if settings.status_code != 200 or not settings.json().get("company_prefix"):
        ok(client.put("/api/v1/sscc-settings", json={"company_prefix": "0614141"}))
    return ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={}), 201)


def book(client: TestClient, fo_id: str) -> dict:
    """Book the carrier for a packed fulfilment order: labels, tracking numbers."""
    return ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship", json={}), 201)


def ship(client: TestClient, fo_id: str) -> dict:
    """Book the carrier for a packed fulfilment order and hand the parcels over: the
    order ships. Returns the booking."""
    booking = book(client, fo_id)
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/handover", json={}))
    return booking


def pick_pack_ship(client: TestClient, location: str, fo_id: str) -> dict:
    pick_all(client, location)
    pack(client, fo_id)
    return ship(client, fo_id)


def move(container, fo_id: str, status: str, reason: str = "test") -> None:
    """What a carrier's tracking does: move a fulfilment order through the service."""
    from ordermesh.fulfilment.model import FulfilmentStatus
    from ordermesh.fulfilment.service import set_status
    from ordermesh.kit.db import UnitOfWork

    with UnitOfWork(container.engine, container.clock) as uow:
        set_status(uow, fo_id, FulfilmentStatus(status), reason)
        uow.commit()


def order_of(client: TestClient, order_id: str) -> dict:
    return ok(client.get(f"/api/v1/orders/{order_id}"))


def snapshot(client: TestClient, order_id: str, skus: list[str]) -> tuple:
    """Everything a failed request must leave as it was."""
    return (order_of(client, order_id), fos_of(client, order_id),
            [ok(client.get(f"/api/v1/inventory/{s}")) for s in skus])
