"""Scaffolding for returns tests: a paid order whose units shipped, through the API."""

from __future__ import annotations

from tests.helpers import ok, order_body, pay, shop

RETURNS = "/api/v1/returns"
FEES = {"restocking_fee_percent": "12.5", "return_shipping_fee": "4.95"}
BERLIN = {"name": "Ada", "line1": "Main St 1", "city": "Berlin", "country": "DE"}


def invoicing(client) -> None:
    """The channel 'web' invoices its orders (German VAT) from a legal entity."""
    ok(client.post("/api/v1/legal-entities", json={
        "code": "acme-de", "name": "Acme GmbH", "locale": "de_DE", "vat_id": "DE136695976",
        "address": {"lines": ["Friedrichstr. 1"], "postal_code": "10117", "city": "Berlin",
                    "country": "DE"}}), 201)
    channel = ok(client.get("/api/v1/channels"))["items"][0]
    ok(client.patch(f"/api/v1/channels/{channel['id']}", json={"legal_entity": "acme-de"}))


def shipped_order(client, lines=(("TEE", 3, "20.00"),), ship=None, stock=10,
                  category: str | None = None, invoiced: bool = False, new_shop: bool = True,
                  **extra) -> dict:
    """A channel 'web', a location 'ber', the products with stock (``new_shop``), and a
    paid order whose units (all, or ``ship``: {line_no: units}) shipped."""
    if new_shop:
        shop(client, {sku: {"ber": stock} for sku, _, _ in lines})
        if invoiced:
            invoicing(client)
    if category:
        for p in ok(client.get("/api/v1/products"))["items"]:
            ok(client.patch(f"/api/v1/products/{p['id']}", json={"category": category}))
    order = ok(client.post("/api/v1/orders", json=order_body(
        list(lines), shipping_address=BERLIN, **extra)), 201)
    pay(client, order)
    units = ship or {i + 1: q for i, (_, q, _) in enumerate(lines)}
    ok(client.post(f"/api/v1/orders/{order['id']}/shipments", json={
        "lines": [{"line_no": no, "quantity": q} for no, q in units.items()],
        "carrier": "dhl", "tracking_number": "JD0001"}), 201)
    return order


def ask(client, order: dict, lines, **extra):
    """POST /returns with lines (line_no, quantity, reason)."""
    return client.post(RETURNS, json={"order": order["number"], "lines": [
        {"line_no": no, "quantity": q, "reason": r} for no, q, r in lines], **extra})


def stock_at(client, sku: str, location: str = "ber") -> dict:
    """on_hand, reserved and damaged (held aside) of a SKU at a location."""
    found = ok(client.get("/api/v1/availability", params={"sku": sku, "channel": "web"}))
    level = next(lv for lv in found["locations"] if lv["location"] == location)
    return {k: level[k] for k in ("on_hand", "reserved", "damaged")}


def ledger_agrees(container) -> bool:
    """``ordermesh inventory verify``: every stock counter equals its ledger's sum."""
    from ordermesh.inventory.ledger import ledger_drift
    from ordermesh.kit.db import UnitOfWork

    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        return ledger_drift(uow) == []


def receive_all(client, ret: dict, grade: str = "as_new", disposition: str = "restock"):
    """Every unit of the return arrives at 'ber'; the return as answered."""
    return ok(client.post(f"{RETURNS}/{ret['id']}/receipts", json={
        "location": "ber", "lines": [
            {"line_no": ln["line_no"], "quantity": ln["quantity"] - ln["received_quantity"],
             "grade": grade, "disposition": disposition} for ln in ret["lines"]]}), 201)
