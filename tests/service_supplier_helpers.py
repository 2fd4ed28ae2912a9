"""A shop with a carrier's three shipments and a 3PL's short-picked order, every one of
them with customer feedback: the hand-checked data of the service scorecard tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tests.helpers import add_stock, make_location, make_product, ok
from tests.purchasing_helpers import SUPPLIERS, make_supplier
from tests.shipping_helpers import (
    fulfilment_order,
    make_carrier,
    pack,
    pick_all,
    place,
    post_webhook,
    setup_sscc,
    shop_with_stock,
)

START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # every hand-over
AFTER = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)  # scans arrive, feedback is entered
CUSTOMER = {"email": "ada@example.com", "name": "Ada Lovelace"}


@dataclass
class World:
    carrier_orders: list[dict]  # on time, late, damaged
    promised: list[str]  # promised dates of the three
    tpl_order: dict
    tpl_fo: dict


def _feedback(client, order: dict, kind: str, score: int, text: str) -> None:
    ok(client.post("/api/v1/feedback", json={
        "source": "agent", "customer_id": order["customer_id"], "kind": kind,
        "score": score, "text": text, "order": order["id"]}), 201)


def _scan(client, carrier: str, number: str, status: str, at: str) -> None:
    ok(post_webhook(client, carrier, [{
        "event_id": f"{number}-{status}", "tracking_number": number, "status": status,
        "occurred_at": at, "description": status, "location": "Berlin"}]))


def carrier_and_3pl_world(client, container) -> World:
    """Carrier ``sim``: three parcels from ``ber`` handed over at START; the first
    delivered a day later, the second two days after its promised date, the third scanned
    damaged. 3PL location ``tpl``: one order of 3 VASE, 1 reported short, 2 shipped with
    carrier ``post`` and delivered. Feedback: CSAT 5, CSAT 2 and NPS 3 on the carrier's
    orders, CSAT 4 on the 3PL's."""
    container.clock.set(START)
    shop_with_stock(client, sku="TEE")
    make_location(client, "tpl", kind="3pl", fulfilment={"priority": 1}, address={
        "line1": "Hafenstr. 9", "city": "Hamburg", "country": "DE", "postal_code": "20457"})
    make_product(client, "VASE", weight_grams=900)
    add_stock(client, "VASE", "tpl", 10)
    setup_sscc(client)
    make_carrier(client, "sim")
    make_carrier(client, "post")
    orders, numbers = [], []
    for _ in range(3):
        orders.append(place(client, 1, customer=CUSTOMER))
    pick_all(client)
    for order in orders:
        fo_id = fulfilment_order(client, order)
        pack(client, fo_id)
        shipment = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship"), 201)
        numbers.append(shipment["parcels"][0]["tracking_number"])
        ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/handover", json={}))
    promised = [ok(client.get(f"/api/v1/fulfilment-orders/{fulfilment_order(client, o)}"))
                ["promised_date"] for o in orders]
    tpl_order = place(client, 3, sku="VASE", customer=CUSTOMER)
    tpl_fo = ok(client.get(f"/api/v1/fulfilment-orders/{fulfilment_order(client, tpl_order)}"))
    fo_url = f"/api/v1/fulfilment-orders/{tpl_fo['id']}/3pl"
    ok(client.post(f"{fo_url}/accepted", json={}))
    ok(client.post(f"{fo_url}/short", json={"lines": [{"line_no": 1, "quantity": 1}]}))
    ok(client.post(f"{fo_url}/shipped", json={"packages": [
        {"tracking_number": "PST0001", "carrier": "post",
         "lines": [{"line_no": 1, "quantity": 2}]}]}))
    container.clock.set(AFTER)
    _scan(client, "sim", numbers[0], "DLV", "2026-11-27T12:00:00Z")
    _scan(client, "sim", numbers[1], "DLV", f"{_plus_two(promised[1])}T12:00:00Z")
    _scan(client, "sim", numbers[2], "DMG", "2026-11-27T09:00:00Z")
    _scan(client, "post", "PST0001", "DLV", "2026-11-28T12:00:00Z")
    _feedback(client, orders[0], "csat", 5, "Fast delivery, thank you")
    _feedback(client, orders[1], "csat", 2, "It came late and the courier was slow")
    _feedback(client, orders[2], "nps", 3, "The box arrived damaged")
    _feedback(client, tpl_order, "csat", 4, "Nice packaging")
    make_supplier(client, "SWIFT", kind="carrier")
    make_supplier(client, "TPLCO", kind="3pl")
    return World(orders, promised, tpl_order, tpl_fo)


def _plus_two(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=2)).isoformat()


def link(client, supplier: str, carriers: list[str] = (), locations: list[str] = ()):
    return client.put(f"{SUPPLIERS}/{supplier}/links", json={
        "carrier_accounts": list(carriers), "locations": list(locations)})


def scorecard(client, supplier: str, start: str = "2026-11-01", end: str = "2026-12-31"):
    return ok(client.get(f"{SUPPLIERS}/{supplier}/scorecard",
                         params={"from": start, "to": end}))
