"""Write docs/fulfilment-walkthrough.md: one order from placement to delivered, through the API.

Like the other capture scripts (it uses ``capture_examples.Recorder``): a fresh SQLite
database, the app as the server builds it, a fixed clock, every exchange printed as
Markdown with the prose around it. The same journey is a test
(tests/integration/test_order_journey.py); this script also checks what it shows and
stops with an AssertionError when the app answers differently.

    .venv/bin/python scripts/capture_fulfilment_walkthrough.py > docs/fulfilment-walkthrough.md
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
from capture_examples import ADMIN_KEY, Recorder
from capture_kit import quietly, say

from ordermesh.app import create_app
from ordermesh.bootstrap import build_container
from ordermesh.kit.clock import FixedClock
from ordermesh.migrations import upgrade
from ordermesh.settings import Settings

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # a Thursday
SECRET = "whsec-0123456789abcdef"
HAMBURG = {"name": "Ada Lovelace", "line1": "Jungfernstieg 7", "city": "Hamburg",
           "postal_code": "20354", "country": "DE"}


def set_up(client: TestClient, rec: Recorder) -> None:
    quietly(client, "POST", "/api/v1/channels", {"code": "web", "name": "Web shop",
                                                 "kind": "web", "currency": "EUR"})
    quietly(client, "POST", "/api/v1/locations", {
        "code": "ber", "name": "Berlin warehouse", "kind": "warehouse",
        "address": {"line1": "Lagerstr. 1", "city": "Berlin", "postal_code": "10115",
                    "country": "DE"},
        "latitude": 52.53, "longitude": 13.38, "fulfilment": {"priority": 20}})
    rec.call("A store that ships and hands over orders", "POST", "/api/v1/locations", body={
        "code": "muc", "name": "Munich store", "kind": "store", "latitude": 48.137,
        "longitude": 11.575, "capabilities": ["ship", "pickup"],
        "fulfilment": {"priority": 10, "daily_capacity": 40, "pickup_hold_days": 5}})
    for product in (
            {"sku": "VASE", "name": "Glass vase", "weight_grams": 1200, "handling": ["fragile"],
             "dimensions": {"length_mm": 200, "width_mm": 150, "height_mm": 300}},
            {"sku": "MUG", "name": "Stoneware mug", "weight_grams": 350,
             "dimensions": {"length_mm": 120, "width_mm": 90, "height_mm": 100}},
            {"sku": "BOX-PAD-M", "name": "Padded box M (packaging)"}):
        quietly(client, "POST", "/api/v1/products", product)
    for sku, location, units in (("VASE", "ber", 10), ("MUG", "ber", 20), ("VASE", "muc", 2),
                                 ("BOX-PAD-M", "ber", 50)):
        quietly(client, "POST", "/api/v1/inventory/adjustments", {
            "sku": sku, "location": location, "quantity_delta": units, "reason": "received"})
    rec.call("Where each SKU is kept in the Berlin warehouse", "PUT",
             "/api/v1/locations/ber/bins", body=[{"sku": "VASE", "bin": "C-04-2"},
                                                 {"sku": "MUG", "bin": "A-01-1"}])
    quietly(client, "POST", "/api/v1/packaging-types", {
        "code": "BOX-S", "name": "Box S", "length_mm": 250, "width_mm": 200, "height_mm": 150,
        "max_weight_g": 10000, "own_weight_g": 200, "cost": {"amount": "0.60", "currency": "EUR"}})
    rec.call("Packaging that is stock too", "POST", "/api/v1/packaging-types", body={
        "code": "BOX-PAD-M", "name": "Padded box M", "length_mm": 400, "width_mm": 300,
        "height_mm": 300, "max_weight_g": 15000, "own_weight_g": 450,
        "cost": {"amount": "1.60", "currency": "EUR"}, "handling": ["padded"],
        "material_sku": "BOX-PAD-M"})
    rec.call("SSCC numbering", "PUT", "/api/v1/sscc-settings",
             body={"company_prefix": "4012345"})
    rec.call("The carrier account", "POST", "/api/v1/carriers", body={
        "code": "sim", "name": "Simulated carrier", "adapter": "simulated",
        "webhook_secret": SECRET, "settings": {"timezone": "Europe/Berlin"}})


def signed(events: list[dict]) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps({"events": events}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-Ordermesh-Signature": signature}


def journey(client: TestClient, rec: Recorder) -> None:
    say("""
## 2. The order

The customer in Hamburg orders a vase and two mugs. Sourcing runs inside the order's
transaction, while the stock rows are locked: it decides, reserves the units where it
decided, and releases one fulfilment order per location.
""")
    order = rec.call("Place the order", "POST", "/api/v1/orders", idem="walkthrough-1", body={
        "channel": "web", "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
        "shipping_address": HAMBURG,
        "lines": [{"sku": "VASE", "quantity": 1, "unit_price": "39.90"},
                  {"sku": "MUG", "quantity": 2, "unit_price": "12.50"}]})
    quietly(client, "POST", f"/api/v1/orders/{order['id']}/payments",
            {"provider": "test", "source": "4242424242424242"})
    say("""
Each line's `allocations` say where its units are reserved. The customer pays by card
at checkout (`POST /api/v1/orders/{id}/payments`): the `web` channel captures at order,
and nothing ships before the order is paid
([payments.md](payments.md#the-payment-gate-of-shipping-and-pickup)).

## 3. Why Berlin?

Every decision is kept with the candidates it compared and a sentence saying why the
winner won. The address has no coordinates, so the distance is measured to the centre
of Germany (`basis: country centroid`); Berlin is nearer than Munich and holds every
unit, so it ships everything, although Munich has the better priority (priority only
breaks ties after distance and stock in the default chain).
""")
    sourcing = rec.call("The sourcing decision", "GET", f"/api/v1/orders/{order['id']}/sourcing")
    [decision] = sourcing["decisions"]
    assert {c["location"] for c in decision["chosen"]} == {"ber"}
    fos = rec.call("The fulfilment order it released", "GET",
                   f"/api/v1/orders/{order['id']}/fulfilment")
    [fo] = fos["fulfilment_orders"]
    say(f"""
The promise was made now: handed to the carrier by `{fo['ship_by']}` (before the
service's 16:00 cut-off in the carrier's time zone), delivered by
`{fo['promised_date']}` (three delivery days of `sim-standard`, weekends skipped).

## 4. Picking

A pick list batches the released fulfilment orders of a location and walks the
warehouse in bin order. Confirming it without `lines` means everything was picked: the
fulfilment order becomes `picked`; a short pick would name the units found and the rest
would be sourced again elsewhere ([fulfilment.md](fulfilment.md)).
""")
    pick_list = rec.call("A pick list for Berlin", "POST", "/api/v1/pick-lists",
                         body={"location": "ber", "max_orders": 20})
    assert [i["bin"] for i in pick_list["items"]] == ["A-01-1", "C-04-2"]
    rec.call("Everything was found", "POST", f"/api/v1/pick-lists/{pick_list['id']}/confirm",
             body={})
    say("""
## 5. Packing

The proposal puts what may travel together in the cheapest packaging that fits and
satisfies its handling: the vase is fragile, so the parcel must be padded, and the
small box is rejected for that reason. The packer may accept it (an empty body) or
send packages of their own choosing; each package gets an SSCC-18 and its packaging
material leaves stock.
""")
    fo_path = f"/api/v1/fulfilment-orders/{fo['id']}"
    rec.call("The packing proposal", "GET", f"{fo_path}/packing-proposal")
    packed = rec.call("Pack as proposed", "POST", f"{fo_path}/packages", body={})
    [package] = packed["packages"]
    material = quietly(client, "GET", "/api/v1/inventory/BOX-PAD-M", None)["totals"]
    assert material["on_hand"] == 49
    say(f"""
`GET /api/v1/inventory/BOX-PAD-M` now shows `on_hand: {material['on_hand']}`: one padded
box was consumed (`packaging.consumed`), so the material is reordered like any other
stock before it runs out.

## 6. The carrier

Booking gives every package a tracking number and the shipment a pick-up window; the
fulfilment order becomes `label_created`. The parcel is still in Berlin and the order is
still `processing`: it ships when the parcel is handed to the carrier.
""")
    rec.call("The carrier's rates for this parcel", "GET", f"{fo_path}/rates")
    shipment = rec.call("Book the carrier", "POST", f"{fo_path}/ship", body={})
    [parcel] = shipment["parcels"]
    number = parcel["tracking_number"]
    label = client.get(f"/api/v1/packages/{package['id']}/label.pdf",
                       headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert label.status_code == 200
    say(f"""
The label, `GET /api/v1/packages/{package['id']}/label.pdf`, is a one-page 4 x 6 in PDF
({len(label.content):,} bytes) with the sender, the recipient, the service, the weight,
the handling marks, a Code 128 barcode of the tracking number and a GS1-128 barcode of
the SSCC (FNC1, application identifier 00). Rendered:

![The shipping label of this package](img/label-example.png)

`GET /api/v1/fulfilment-orders/{fo['id']}/packing-slip.pdf` is the packing slip.

## 7. Tracking

The carrier reports by webhook, signed with the account's secret (HMAC-SHA256 of the
raw body in `X-Ordermesh-Signature`); the worker's `tracking-poll` job asks the carrier
as well, and an event reported both ways is stored once. A request with a wrong
signature is refused with `401` and changes nothing. The driver's pick-up scan is the
hand-over: the fulfilment order becomes `shipped` and the order records the shipment
(stock leaves Berlin). A location may say so itself first with
`POST /api/v1/fulfilment-orders/{{id}}/handover`.
""")
    clock = client.app.state.container.clock  # events arrive after they happened
    clock.set(datetime(2026, 11, 26, 15, 5, tzinfo=UTC))
    raw, headers = signed([{"event_id": f"{number}-PCK", "tracking_number": number,
                            "status": "PCK", "occurred_at": "2026-11-26T15:00:00Z"}])
    rec.call("The carrier picked the parcel up", "POST", "/api/v1/tracking/sim", auth=None,
             raw=raw, headers=headers)
    raw, headers = signed([
        {"event_id": f"{number}-OFD", "tracking_number": number, "status": "OFD",
         "occurred_at": f"{fo['promised_date']}T07:10:00Z"},
        {"event_id": f"{number}-DLV", "tracking_number": number, "status": "DLV",
         "occurred_at": f"{fo['promised_date']}T12:40:00Z"}])
    clock.set(datetime.fromisoformat(f"{fo['promised_date']}T12:45:00+00:00"))
    rec.call("Out for delivery, then delivered", "POST", "/api/v1/tracking/sim", auth=None,
             raw=raw, headers=headers)
    say("""
## 8. Delivered, on time

The fulfilment order's timeline holds its status changes and every tracking event;
the shipment says whether the promise was kept; the order is `completed` because its
last fulfilment order was delivered.
""")
    done = rec.call("The fulfilment order and its timeline", "GET",
                    f"/api/v1/fulfilment-orders/{fo['id']}")
    assert done["status"] == "delivered"
    result = rec.call("The shipment against the promise", "GET",
                      f"/api/v1/fulfilment-orders/{fo['id']}/shipment")
    assert result["on_time"] is True
    assert quietly(client, "GET", f"/api/v1/orders/{order['id']}", None)["status"] == "completed"
    rec.call("On-time rate per carrier", "GET", "/api/v1/delivery-performance")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/walkthrough.db"
        with contextlib.redirect_stdout(io.StringIO()):
            upgrade(url)
        container = build_container(Settings(database_url=url, admin_api_key=ADMIN_KEY),
                                    clock=FixedClock(NOW))
        with TestClient(create_app(container)) as client:
            rec = Recorder(client)
            say("""
# From placement to the customer's door: one order, step by step

Every request below was sent to the API and every response is pasted as it came back
(by `scripts/capture_fulfilment_walkthrough.py`, on a fixed clock: Thursday
2026-11-26 09:00 UTC; only the ids differ from run to run). The same journey runs as a
test on SQLite and PostgreSQL (`tests/integration/test_order_journey.py`). Each step
links to the page that documents it in full: [sourcing](sourcing.md),
[fulfilment](fulfilment.md), [packing](packing.md), [shipping](shipping.md).

## 1. The shop

A Berlin warehouse (`ber`, priority 20, at 52.53 N 13.38 E) and a Munich store that
ships too; a glass vase (fragile) and a mug; a padded box whose material is a SKU with
stock; SSCC numbering; the built-in simulated carrier with a webhook secret. The
channel `web`, the products, the stock and the Berlin warehouse are created as in
[catalog.md](catalog.md); the other set-up calls are shown.
""")
            set_up(client, rec)
            journey(client, rec)
            say("""
## The other paths

* **Split shipments**, **backorders** (with a promise date from incoming supply, sourced
  by the worker when the stock arrives) and **re-sourcing** after a rejection or a short
  pick: [sourcing.md](sourcing.md).
* **Click-and-collect** (ready for pickup, pickup code, not collected in time) and
  **ship-from-store**: [fulfilment.md](fulfilment.md).
* **3PL**: the hand-off document and the calls a 3PL reports back with:
  [3pl-handoff.md](3pl-handoff.md). Parcels a 3PL ships with a carrier that has an
  account here are tracked to delivery like this one.
""")
        container.engine.dispose()


if __name__ == "__main__":
    main()
