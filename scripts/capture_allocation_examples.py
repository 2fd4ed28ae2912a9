"""Capture the examples of docs/allocation.md and docs/inventory-health.md.

Like ``capture_examples.py`` (whose ``Recorder`` it uses): a fresh SQLite database, the
app as the server builds it, every exchange printed as Markdown. The clock is fixed
(2026-11-26 09:00 UTC) and moved back day by day to place four weeks of sales, so the
health report has a history to work from.

    .venv/bin/python scripts/capture_allocation_examples.py > /tmp/allocation-examples.md
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
from capture_examples import ADMIN_KEY, Recorder

from ordermesh.app import create_app
from ordermesh.bootstrap import build_container
from ordermesh.inventory.forecasting import refresh_forecasts
from ordermesh.kit.clock import FixedClock
from ordermesh.kit.db import UnitOfWork
from ordermesh.migrations import upgrade
from ordermesh.settings import Settings

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CUSTOMER = {"name": "Ada Lovelace", "line1": "Friedrichstraße 43", "city": "Berlin",
            "postal_code": "10117", "country": "DE"}  # orders that ship need an address


def quiet(client: TestClient, method: str, path: str, body: dict | None = None) -> dict:
    response = client.request(method, path, json=body,
                              headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert response.status_code < 300, response.text
    return response.json() if response.content else {}


def setup(client: TestClient) -> None:
    for code, kind in (("web", "web"), ("marketplace", "marketplace")):
        quiet(client, "POST", "/api/v1/channels",
              {"code": code, "name": code.title(), "kind": kind, "currency": "EUR"})
    for code, country in (("ber", "DE"), ("ham", "DE"), ("par", "FR")):
        quiet(client, "POST", "/api/v1/locations", {
            "code": code, "name": code.upper(), "kind": "warehouse",
            "address": {"line1": "1 Main St", "city": code.title(), "country": country}})
    for sku, category in (("TSHIRT-BLK-M", "apparel"), ("MUG-WHT", "kitchen")):
        quiet(client, "POST", "/api/v1/products", {"sku": sku, "name": sku, "category": category})
    for sku, location, units in (("TSHIRT-BLK-M", "ber", 130), ("TSHIRT-BLK-M", "ham", 40),
                                 ("MUG-WHT", "ber", 400)):
        quiet(client, "POST", "/api/v1/inventory/adjustments", {
            "sku": sku, "location": location, "quantity_delta": units, "reason": "received"})


def sell(client: TestClient, clock: FixedClock) -> None:
    """Four weeks of one order a day per SKU on the web shop, ending yesterday."""
    for back in range(28, 0, -1):
        clock.set(NOW - timedelta(days=back))
        tee = 3 if back > 7 else 6  # the T-shirt took off last week
        for sku, units in (("TSHIRT-BLK-M", tee), ("MUG-WHT", 1)):
            quiet(client, "POST", "/api/v1/orders", {
                "channel": "web", "shipping_address": CUSTOMER,
                "lines": [{"sku": sku, "quantity": units, "unit_price": "19.99"}]})
    clock.set(NOW)


def main() -> int:
    url = f"sqlite:///{tempfile.mkdtemp(prefix='ordermesh-alloc-')}/ordermesh.db"
    upgrade(url)
    clock = FixedClock(NOW)
    container = build_container(Settings(database_url=url, admin_api_key=ADMIN_KEY), clock)
    with TestClient(create_app(container)) as client:
        rec = Recorder(client)
        clock.set(NOW - timedelta(days=30))
        setup(client)
        sell(client, clock)
        print("\n## allocation\n")
        rec.call("Safety stock of a SKU at a location", "PUT", "/api/v1/inventory/safety-stock",
                 body={"sku": "TSHIRT-BLK-M", "location": "ber", "quantity": 5})
        rec.call("Default safety stock for a category", "PUT",
                 "/api/v1/inventory/safety-stock/defaults",
                 body={"location": "ber", "category": "kitchen", "quantity": 10})
        rec.call("Where the marketplace may be served from", "PUT",
                 "/api/v1/channels/marketplace/sources",
                 body={"locations": ["ham"], "location_kinds": [], "countries": ["FR"]})
        rec.call("A quota for the marketplace", "POST", "/api/v1/allocation-rules",
                 body={"channel": "marketplace", "sku": "TSHIRT-BLK-M", "kind": "quota",
                       "units": 20})
        rec.call("A share quota for a category", "POST", "/api/v1/allocation-rules",
                 body={"channel": "marketplace", "category": "kitchen", "kind": "quota",
                       "share_percent": "25"})
        rec.call("A quota above 100% is refused", "POST", "/api/v1/allocation-rules",
                 body={"channel": "web", "category": "kitchen", "kind": "quota",
                       "share_percent": "80"})
        rec.call("Expected supply", "POST", "/api/v1/inventory/supply", body={
            "sku": "TSHIRT-BLK-M", "location": "ber", "quantity": 150,
            "expected_date": "2026-12-08", "kind": "purchase_order", "reference": "PO-4711"})
        rec.call("Stock in transit", "POST", "/api/v1/inventory/transfers", body={
            "from": "ber", "to": "par", "expected_date": "2026-11-30",
            "lines": [{"sku": "TSHIRT-BLK-M", "quantity": 10}]})
        print("\n## availability\n")
        rec.call("Availability for the web shop", "GET",
                 "/api/v1/availability?sku=TSHIRT-BLK-M&channel=web")
        rec.call("Availability for the marketplace", "GET",
                 "/api/v1/availability?sku=TSHIRT-BLK-M&channel=marketplace")
        rec.call("Availability of a batch", "POST", "/api/v1/availability/batch",
                 body={"channel": "marketplace", "skus": ["MUG-WHT", "TSHIRT-BLK-M"]})
        rec.call("The marketplace cannot sell beyond its quota", "POST", "/api/v1/orders",
                 body={"channel": "marketplace", "shipping_address": CUSTOMER, "lines": [
                     {"sku": "TSHIRT-BLK-M", "quantity": 21, "unit_price": "19.99"}]})
        print("\n## health\n")
        rec.call("Health before the worker has fitted forecasts", "GET",
                 "/api/v1/inventory/health?sku=MUG-WHT")
        with UnitOfWork(container.engine, clock, actor="worker") as uow:
            refresh_forecasts(uow)
        rec.call("Health, riskiest first", "GET", "/api/v1/inventory/health?limit=2")
        rec.call("Health seen from the web shop", "GET",
                 "/api/v1/inventory/health?channel=web&sku=TSHIRT-BLK-M")
    print(f"\n(database kept at {url})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
