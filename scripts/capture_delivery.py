"""For the capture scripts: an order paid, picked, packed, booked with the simulated
carrier ``sim``, handed over and scanned delivered, through the API."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta

from capture_examples import ADMIN_KEY
from fastapi.testclient import TestClient

from ordermesh.kit.clock import FixedClock

CARRIER_SECRET = "whsec-capture-0123456789"


def quietly(client: TestClient, method: str, path: str, body: object = None,
            **kwargs) -> dict:
    response = client.request(method, path, json=body,
                              headers={"Authorization": f"Bearer {ADMIN_KEY}"}, **kwargs)
    assert response.status_code in (200, 201), response.text
    return response.json()


def pay_ship_and_deliver(client: TestClient, clock: FixedClock, order: dict,
                         delivered: datetime) -> None:
    """The order's one fulfilment order at ``ber`` (two lines: 1 and 2 units) goes all the
    way; the delivery scan is dated ``delivered`` and reported five minutes later."""
    quietly(client, "POST", f"/api/v1/orders/{order['id']}/payments",
            {"provider": "test", "source": "4242424242424242"})
    [fo] = quietly(client, "GET", f"/api/v1/orders/{order['id']}/fulfilment")[
        "fulfilment_orders"]
    picks = quietly(client, "POST", "/api/v1/pick-lists", {"location": "ber"})
    quietly(client, "POST", f"/api/v1/pick-lists/{picks['id']}/confirm", {})
    quietly(client, "POST", f"/api/v1/fulfilment-orders/{fo['id']}/packages", {"packages": [
        {"packaging_code": None, "lines": [{"line_no": 1, "quantity": 1},
                                           {"line_no": 2, "quantity": 2}]}]})
    shipment = quietly(client, "POST", f"/api/v1/fulfilment-orders/{fo['id']}/ship")
    quietly(client, "POST", f"/api/v1/fulfilment-orders/{fo['id']}/handover", {})
    clock.set(delivered + timedelta(minutes=5))
    number = shipment["parcels"][0]["tracking_number"]
    raw = json.dumps({"events": [{
        "event_id": f"{number}-DLV", "tracking_number": number, "status": "DLV",
        "occurred_at": delivered.isoformat(), "description": "delivered",
        "location": "Berlin"}]}).encode()
    signature = "sha256=" + hmac.new(CARRIER_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    response = client.post("/api/v1/tracking/sim", content=raw, headers={
        "Content-Type": "application/json", "X-Ordermesh-Signature": signature})
    assert response.status_code == 200, response.text
