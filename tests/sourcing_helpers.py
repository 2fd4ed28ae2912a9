"""Scaffolding for the sourcing tests: a small shop with located warehouses and stores."""

from __future__ import annotations

from typing import Any

from tests.helpers import add_stock, make_channel, make_location, make_product, ok, with_address

# Real coordinates, so that distances read naturally in the explanations.
PLACES = {
    "ber": (52.52, 13.405), "muc": (48.137, 11.575), "ham": (53.551, 9.994),
    "vie": (48.208, 16.373), "lax": (34.052, -118.244), "nyc": (40.713, -74.006),
}
MUNICH_ADDRESS = {"name": "Ada", "line1": "Marienplatz 1", "city": "München",
                  "country": "DE", "latitude": 48.137, "longitude": 11.576}


def located(client, code: str, kind: str = "warehouse", **extra: Any) -> dict:
    lat, lon = PLACES[code]
    return make_location(client, code, kind=kind, latitude=lat, longitude=lon, **extra)


def sourcing_shop(client, stock: dict[str, dict[str, int]], locations: dict | None = None,
                  products: dict | None = None) -> dict[str, dict]:
    """Channel 'web'; locations with coordinates (``locations``: code -> extra fields);
    products with stock ``{"SKU": {"loc": units}}``. Returns the locations by code."""
    make_channel(client, "web")
    codes = sorted({loc for per in stock.values() for loc in per} | set(locations or {}))
    made = {c: located(client, c, **(locations or {}).get(c, {})) for c in codes}
    for sku, per in stock.items():
        make_product(client, sku, **(products or {}).get(sku, {}))
        for loc, units in per.items():
            if units:
                add_stock(client, sku, loc, units)
    return made


def channel_id(client, code: str = "web") -> str:
    return next(c["id"] for c in ok(client.get("/api/v1/channels"))["items"]
                if c["code"] == code)


def set_rules(client, rules: list[str], **extra: Any) -> dict:
    return ok(client.put(f"/api/v1/channels/{channel_id(client)}/sourcing",
                         json={"rules": rules, **extra}))


def place(client, lines: list[tuple[str, int]], **extra: Any):
    return client.post("/api/v1/orders", json=with_address({
        "channel": "web", "lines": [{"sku": s, "quantity": q, "unit_price": "10"}
                                    for s, q in lines], **extra}))


def where(order: dict) -> dict[int, list[tuple[str, int]]]:
    return {ln["line_no"]: sorted((a["location"], a["quantity"]) for a in ln["allocations"])
            for ln in order["lines"]}


def decisions(client, order_id: str) -> list[dict]:
    return ok(client.get(f"/api/v1/orders/{order_id}/sourcing"))["decisions"]
