"""The whole journey of one order through the public API alone, as docs/fulfilment-walkthrough.md
tells it: placement, the sourcing explanation, a pick list in bin order, the packing
proposal and package, a label whose barcodes scan, the carrier booking, signed tracking
webhooks, delivery on time and the completed order."""

import hashlib
import hmac
import json
from datetime import UTC, datetime

from tests.barcodes import bars_in, decode_code128, page_content
from tests.helpers import ok, pay

SECRET = "whsec-0123456789abcdef"
HAMBURG = {"name": "Ada Lovelace", "line1": "Jungfernstieg 7", "city": "Hamburg",
           "postal_code": "20354", "country": "DE"}


def gs1_check_digit(digits: str) -> str:
    """GS1 mod 10: weights 3 and 1 alternating from the rightmost digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str(-total % 10)


def set_up_shop(client) -> None:
    ok(client.post("/api/v1/channels", json={"code": "web", "name": "Web shop", "kind": "web",
                                             "currency": "EUR"}), 201)
    ok(client.post("/api/v1/locations", json={
        "code": "ber", "name": "Berlin warehouse", "kind": "warehouse",
        "address": {"line1": "Lagerstr. 1", "city": "Berlin", "postal_code": "10115",
                    "country": "DE"},
        "latitude": 52.53, "longitude": 13.38, "fulfilment": {"priority": 20}}), 201)
    ok(client.post("/api/v1/locations", json={
        "code": "muc", "name": "Munich store", "kind": "store", "latitude": 48.137,
        "longitude": 11.575, "capabilities": ["ship", "pickup"],
        "fulfilment": {"priority": 10, "daily_capacity": 40}}), 201)
    for product in (
            {"sku": "VASE", "name": "Glass vase", "weight_grams": 1200, "handling": ["fragile"],
             "dimensions": {"length_mm": 200, "width_mm": 150, "height_mm": 300}},
            {"sku": "MUG", "name": "Stoneware mug", "weight_grams": 350,
             "dimensions": {"length_mm": 120, "width_mm": 90, "height_mm": 100}},
            {"sku": "BOX-PAD-M", "name": "Padded box M (packaging)"}):
        ok(client.post("/api/v1/products", json=product), 201)
    for sku, location, units in (("VASE", "ber", 10), ("MUG", "ber", 20), ("VASE", "muc", 2),
                                 ("BOX-PAD-M", "ber", 50)):
        ok(client.post("/api/v1/inventory/adjustments", json={
            "sku": sku, "location": location, "quantity_delta": units,
            "reason": "received"}), 201)
    ok(client.put("/api/v1/locations/ber/bins", json=[{"sku": "VASE", "bin": "C-04-2"},
                                                      {"sku": "MUG", "bin": "A-01-1"}]))
    for packaging in (
            {"code": "BOX-S", "name": "Box S", "length_mm": 250, "width_mm": 200,
             "height_mm": 150, "max_weight_g": 10000, "own_weight_g": 200,
             "cost": {"amount": "0.60", "currency": "EUR"}},
            {"code": "BOX-PAD-M", "name": "Padded box M", "length_mm": 400, "width_mm": 300,
             "height_mm": 300, "max_weight_g": 15000, "own_weight_g": 450,
             "cost": {"amount": "1.60", "currency": "EUR"}, "handling": ["padded"],
             "material_sku": "BOX-PAD-M"}):
        ok(client.post("/api/v1/packaging-types", json=packaging), 201)
    ok(client.put("/api/v1/sscc-settings", json={"company_prefix": "4012345"}))
    ok(client.post("/api/v1/carriers", json={
        "code": "sim", "name": "Simulated carrier", "adapter": "simulated",
        "webhook_secret": SECRET, "settings": {"timezone": "Europe/Berlin"}}), 201)


def tracking_webhook(client, events: list[dict]):
    raw = json.dumps({"events": events}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return client.post("/api/v1/tracking/sim", content=raw, headers={
        "X-Ordermesh-Signature": signature, "Content-Type": "application/json"})


def test_a_demo_order_goes_from_placement_to_delivered_on_time_through_the_api_alone(
        client, clock):
    set_up_shop(client)
    order = ok(client.post("/api/v1/orders", headers={"Idempotency-Key": "journey-1"}, json={
        "channel": "web", "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
        "shipping_address": HAMBURG,
        "lines": [{"sku": "VASE", "quantity": 1, "unit_price": "39.90"},
                  {"sku": "MUG", "quantity": 2, "unit_price": "12.50"}]}), 201)
    pay(client, order)  # by card at checkout: the channel captures at order

    # Sourcing: Berlin holds everything and is nearer than the Munich store.
    [decision] = ok(client.get(f"/api/v1/orders/{order['id']}/sourcing"))["decisions"]
    assert decision["trigger"] == "placement" and decision["unsourced"] == []
    assert {c["location"] for c in decision["chosen"]} == {"ber"}
    ber, muc = sorted(decision["candidates"], key=lambda c: c["location"])
    assert ber["chosen"] and not muc["chosen"]
    assert ber["scores"]["distance_km"] < muc["scores"]["distance_km"]
    assert "ber ranked first on distance" in decision["explanation"]

    [fo] = ok(client.get(f"/api/v1/orders/{order['id']}/fulfilment"))["fulfilment_orders"]
    assert (fo["location"], fo["status"], fo["carrier_service"]) == (
        "ber", "released", "sim-standard")
    promised = fo["promised_date"]

    # Picking: one list for the location, walked in bin order.
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": "ber"}), 201)
    assert [(i["bin"], i["sku"], i["quantity"]) for i in pick_list["items"]] == [
        ("A-01-1", "MUG", 2), ("C-04-2", "VASE", 1)]
    ok(client.post(f"/api/v1/pick-lists/{pick_list['id']}/confirm", json={}))

    # Packing: the fragile vase makes the whole parcel padded; the material is stock.
    proposal = ok(client.get(f"/api/v1/fulfilment-orders/{fo['id']}/packing-proposal"))
    [proposed] = proposal["packages"]
    assert proposed["packaging_code"] == "BOX-PAD-M"
    assert proposed["marks"] == ["FRAGILE", "THIS WAY UP"]
    assert "BOX-S: not padded" in proposed["why"]
    packed = ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/packages", json={}), 201)
    assert packed["fulfilment_order_status"] == "packed"
    [package] = packed["packages"]
    assert package["weight_g"] == 1200 + 2 * 350 + 450
    assert len(package["sscc"]) == 18 and package["sscc"][1:8] == "4012345"
    assert gs1_check_digit(package["sscc"][:17]) == package["sscc"][17]
    material = ok(client.get("/api/v1/inventory/BOX-PAD-M"))["totals"]
    assert material["on_hand"] == 49

    # Carrier booking: a tracking number per package and a pick-up.
    shipment = ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/ship", json={}), 201)
    [parcel] = shipment["parcels"]
    number = parcel["tracking_number"]
    assert shipment["promised_date"] == promised and shipment["status"] == "label_created"

    # The label: 4x6 in, both barcodes scan back to the SSCC and the tracking number.
    label = client.get(f"/api/v1/packages/{package['id']}/label.pdf")
    assert label.status_code == 200 and label.headers["content-type"] == "application/pdf"
    content = page_content(label.content)
    assert b"/MediaBox [ 0 0 288 432 ]" in content
    assert decode_code128(bars_in(content, 60))[1] == "\xf1" + "00" + package["sscc"]
    assert decode_code128(bars_in(content, 40))[1] == number
    slip = client.get(f"/api/v1/fulfilment-orders/{fo['id']}/packing-slip.pdf")
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")

    # Tracking: the carrier reports by signed webhook; a tampered one changes nothing.
    picked_up = {"event_id": f"{number}-PCK", "tracking_number": number, "status": "PCK",
                 "occurred_at": "2026-11-26T15:00:00Z"}
    clock.set(datetime(2026, 11, 26, 15, 5, tzinfo=UTC))  # reported as it happens
    assert ok(tracking_webhook(client, [picked_up]))["moved"] == 1  # the hand-over
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["status"] == "shipped"
    tampered = client.post("/api/v1/tracking/sim", content=b'{"events": []}', headers={
        "X-Ordermesh-Signature": "sha256=" + "0" * 64, "Content-Type": "application/json"})
    assert tampered.status_code == 401
    delivered_at = f"{promised}T12:10:00Z"  # on the promised day
    clock.set(datetime.fromisoformat(f"{promised}T12:15:00+00:00"))
    ok(tracking_webhook(client, [
        {"event_id": f"{number}-OFD", "tracking_number": number, "status": "OFD",
         "occurred_at": f"{promised}T07:00:00Z"},
        {"event_id": f"{number}-DLV", "tracking_number": number, "status": "DLV",
         "occurred_at": delivered_at}]))

    done = ok(client.get(f"/api/v1/fulfilment-orders/{fo['id']}"))
    assert done["status"] == "delivered"
    statuses = [t["status"] for t in done["timeline"] if t["type"] == "status"]
    # the driver's scan (PCK) is the hand-over; no hub scan came before out for delivery
    assert statuses == ["released", "picking", "picked", "packed", "label_created", "shipped",
                        "out_for_delivery", "delivered"]
    tracked = [(t["status"], t["details"]["carrier_status"])
               for t in done["timeline"] if t["type"] == "tracking"]
    assert tracked == [("picked_up", "PCK"), ("out_for_delivery", "OFD"), ("delivered", "DLV")]
    result = ok(client.get(f"/api/v1/fulfilment-orders/{fo['id']}/shipment"))
    assert (result["status"], result["on_time"], result["days_late"]) == ("delivered", True, 0)
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["status"] == "completed"
    [carrier] = ok(client.get("/api/v1/delivery-performance"))["items"]
    assert (carrier["key"], carrier["delivered"], carrier["on_time"]) == ("sim", 1, 1)

    types = {e["type"] for e in ok(client.get("/api/v1/events", params={"limit": 1000}))["items"]}
    assert types >= {
        "order.created", "order.sourced", "fulfilment.released", "fulfilment.picking",
        "fulfilment.picked", "fulfilment.packed", "package.created", "packaging.consumed",
        "shipment.booked", "fulfilment.label_created", "fulfilment.shipped",
        "order.shipment_recorded", "fulfilment.out_for_delivery",
        "fulfilment.delivered", "fulfilment.delivery_measured", "order.completed"}
