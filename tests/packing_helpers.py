"""Scaffolding for packing tests: a shop with packaging, an order with a picked
fulfilment order (through fulfilment's own pick-list services)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ordermesh.kit.db import UnitOfWork
from tests.helpers import add_stock, make_channel, make_location, make_product, ok, order_body

ADDRESS = {"name": "Ada Lovelace", "line1": "Invalidenstr. 1", "city": "Berlin",
           "postal_code": "10115", "country": "DE"}
WAREHOUSE = {"name": "ordermesh Berlin", "line1": "Lagerweg 1", "city": "Berlin",
             "postal_code": "10117", "country": "DE"}
BOXES = [
    {"code": "MAILER", "name": "Mailer bag", "length_mm": 350, "width_mm": 250,
     "height_mm": 40, "max_weight_g": 1000, "own_weight_g": 20,
     "cost": {"amount": "0.15", "currency": "EUR"}},
    {"code": "BOX-S", "name": "Small box", "length_mm": 250, "width_mm": 200, "height_mm": 150,
     "max_weight_g": 5000, "own_weight_g": 150, "cost": {"amount": "0.45", "currency": "EUR"},
     "material_sku": "PKG-BOX-S"},
    {"code": "BOX-M", "name": "Medium box", "length_mm": 400, "width_mm": 300,
     "height_mm": 250, "max_weight_g": 15000, "own_weight_g": 350,
     "cost": {"amount": "0.90", "currency": "EUR"}, "material_sku": "PKG-BOX-M"},
    {"code": "PADDED-M", "name": "Padded box", "length_mm": 400, "width_mm": 300,
     "height_mm": 250, "max_weight_g": 15000, "own_weight_g": 500,
     "cost": {"amount": "1.60", "currency": "EUR"}, "handling": ["padded"],
     "gift_wrap": True},
    {"code": "DG-4G", "name": "UN 4G fibreboard box", "length_mm": 300, "width_mm": 200,
     "height_mm": 150, "max_weight_g": 10000, "own_weight_g": 600,
     "cost": {"amount": "4.20", "currency": "EUR"}, "handling": ["certified"]},
    {"code": "COOL-M", "name": "Insulated shipper", "length_mm": 350, "width_mm": 250,
     "height_mm": 250, "max_weight_g": 12000, "own_weight_g": 900,
     "cost": {"amount": "6.50", "currency": "EUR"}, "handling": ["insulated"]},
]


@dataclass(frozen=True)
class _Assignment:
    location_id: str
    line_no: int
    quantity: int


def packing_shop(client, products: dict[str, dict[str, Any]], *, boxes_in_stock: int = 20,
                 location: str = "ber", sscc: bool = True) -> dict:
    """Channel 'web', location with an address, packaging catalogue (material SKUs
    stocked), SSCC settings, and the given products with 100 units each."""
    make_channel(client, "web")
    loc = make_location(client, location, address=WAREHOUSE)
    for sku in ("PKG-BOX-S", "PKG-BOX-M"):
        make_product(client, sku, name=f"Packaging {sku}")
        if boxes_in_stock:
            add_stock(client, sku, location, boxes_in_stock)
    for body in BOXES:
        ok(client.post("/api/v1/packaging-types", json=body), 201)
    if sscc:
        ok(client.put("/api/v1/sscc-settings", json={"company_prefix": "4012345",
                                                      "extension_digit": 3}))
    for sku, attrs in products.items():
        make_product(client, sku, **attrs)
        add_stock(client, sku, location, 100)
    return loc


def place(client, lines: list[tuple[str, int]], **extra) -> dict:
    return ok(client.post("/api/v1/orders", json=order_body(
        [(sku, q, "19.99") for sku, q in lines], shipping_address=ADDRESS, **extra)), 201)


def fulfilment_order_of(container, order: dict) -> str:
    """The order's first fulfilment order (released at placement by sourcing; released
    here when it was not)."""
    from ordermesh.fulfilment import service as fulfilment
    from ordermesh.fulfilment.release import release_fulfilment
    from ordermesh.shipping.promise import promises

    with UnitOfWork(container.engine, container.clock) as uow:
        fos = fulfilment.fulfilment_for_order(uow, order["id"])
        if fos:
            return fos[0].id
        loc = order["lines"][0]["allocations"][0]["location_id"]
        ids = release_fulfilment(uow, order["id"], [
            _Assignment(loc, ln["line_no"], ln["quantity"]) for ln in order["lines"]], None,
            promises(uow))
        uow.commit()
        return ids[0]


def pick(container, fo_id: str, picked: dict[int, int] | None = None,
         location: str = "ber") -> None:
    """Put the FO on a pick list and confirm it: every unit picked, or ``picked``
    (line_no -> units; the rest short)."""
    from ordermesh.flows import resourcing
    from ordermesh.fulfilment import picking

    with UnitOfWork(container.engine, container.clock) as uow:
        pick_list = picking.create_pick_list(uow, location, 10, fo_ids=[fo_id])
    by_line = {i.line_no: i.position for i in pick_list.items if i.fo_id == fo_id}
    with UnitOfWork(container.engine, container.clock) as uow:
        resourcing.confirm_pick_list(uow, pick_list.id, {
            by_line[no]: q for no, q in (picked or {}).items()}, None)


def picked_order(client, container, lines: list[tuple[str, int]],
                 picked: dict[int, int] | None = None, **extra) -> tuple[dict, str]:
    order = place(client, lines, **extra)
    fo_id = fulfilment_order_of(container, order)
    pick(container, fo_id, picked)
    return order, fo_id


def stock_at(client, sku: str, location: str = "ber") -> int:
    levels = ok(client.get(f"/api/v1/inventory/{sku}"))["locations"]
    return next((lv["on_hand"] for lv in levels if lv["location"] == location), 0)
