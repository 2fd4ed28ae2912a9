"""Scaffolding for shipping tests: an order with a packed fulfilment order, webhooks.

Everything goes through the public API: placement (sourcing releases the fulfilment
order), pick lists, packages.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

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
SECRET = "whsec-0123456789abcdef"


def shop_with_stock(client, locations=("ber",), channels=("web",), sku="TEE",
                    quantity=100, kind="warehouse") -> dict[str, dict]:
    for code in channels:
        make_channel(client, code)
    found = {code: make_location(client, code, kind=kind, address={
        "line1": "Lagerweg 1", "city": "Berlin", "country": "DE", "postal_code": "10117"})
             for code in locations}
    make_product(client, sku, weight_grams=400)
    for code in locations:
        add_stock(client, sku, code, quantity)
    return found


def setup_sscc(client) -> None:
    ok(client.put("/api/v1/sscc-settings", json={"company_prefix": "4012345"}))


def place(client, quantity=2, channel="web", address=None, sku="TEE", paid=True,
          **extra) -> dict:
    """An order, paid by card unless ``paid`` is False (unpaid orders cannot ship)."""
    body = order_body([(sku, quantity, "19.99")], channel=channel,
                      shipping_address=address or ADDRESS, **extra)
    order = ok(client.post("/api/v1/orders", json=body), 201)
    if paid:
        pay(client, order)
    return order


def fulfilment_order(client, order: dict) -> str:
    """The order's (first) fulfilment order, released by sourcing at placement."""
    fos = ok(client.get(f"/api/v1/orders/{order['id']}/fulfilment"))["fulfilment_orders"]
    return fos[0]["id"]


def pick_all(client, location_code: str = "ber") -> None:
    """Everything released at the location goes on one pick list, picked in full."""
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": location_code,
                                                            "max_orders": 200}), 201)
    ok(client.post(f"/api/v1/pick-lists/{pick_list['id']}/confirm", json={}))


def pack(client, fo_id: str, split: list[int] | None = None) -> None:
    """Packs line 1 into packages of ``split`` units each (default: one package)."""
    fo = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))
    line = fo["lines"][0]
    split = split or [line["quantity"]]
    assert sum(split) == line["quantity"]
    ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/packages", json={"packages": [
        {"packaging_code": None, "lines": [{"line_no": line["line_no"], "quantity": n}]}
        for n in split]}), 201)


def packed_fo(client, container, *, quantity=2, split=None, address=None,
              channel="web", **extra) -> str:
    order = place(client, quantity, channel=channel, address=address, **extra)
    fo_id = fulfilment_order(client, order)
    pick_all(client)
    pack(client, fo_id, split)
    return fo_id


def ready_shop(client, container, **kwargs) -> dict[str, dict]:
    locations = shop_with_stock(client, **kwargs)
    setup_sscc(client)
    return locations


def make_carrier(client, code="sim", **settings: Any) -> dict:
    return ok(client.post("/api/v1/carriers", json={
        "code": code, "name": code.upper(), "adapter": "simulated", "webhook_secret": SECRET,
        "settings": settings}), 201)


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_webhook(client, carrier: str, events: list[dict], secret: str = SECRET,
                 signature: str | None = "sign"):
    raw = json.dumps({"events": events}).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        headers["X-Ordermesh-Signature"] = sign(raw, secret)
    elif signature is not None:
        headers["X-Ordermesh-Signature"] = signature
    return client.post(f"/api/v1/tracking/{carrier}", content=raw, headers=headers)


def shipped(client, container, **kwargs) -> tuple[str, list[str]]:
    """A shop, the simulated carrier and one packed fulfilment order, booked: its id and
    its parcels' tracking numbers."""
    ready_shop(client, container)
    make_carrier(client, "sim")
    fo_id = packed_fo(client, container, **kwargs)
    shipment = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship"), 201)
    return fo_id, [p["tracking_number"] for p in shipment["parcels"]]


def fo_status(container, fo_id: str) -> str:
    """A fulfilment order's status, read through the service (not the API)."""
    from ordermesh.fulfilment.service import get_fulfilment_order
    from ordermesh.kit.db import UnitOfWork

    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        return get_fulfilment_order(uow, fo_id).status.value
