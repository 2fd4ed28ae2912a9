"""Write docs/dropship.md: drop-ship rules, a drop-ship order from placement to delivery
through the merchant's and the supplier's API, rejections, shorts and bad input.

Like the other capture scripts (``capture_examples.Recorder``): a fresh SQLite database,
the app as the server builds it, a fixed clock (Thursday 2026-11-26 09:00 UTC), every
exchange printed as Markdown with the prose around it. It checks what it shows and stops
with an AssertionError when the app answers differently.

    .venv/bin/python scripts/capture_dropship_examples.py > docs/dropship.md
"""

# ruff: noqa: E501  (the Markdown tables of the page cannot wrap)
from __future__ import annotations

import hashlib
import hmac
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
from capture_examples import Recorder
from capture_kit import app_on_fresh_database
from capture_purchasing_examples import quietly, say

from ordermesh.dropship.jobs import DropshipCancellations
from ordermesh.kit.clock import FixedClock

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
WEBHOOK_SECRET = "whsec-ups-0123456789abcdef"
RULES = "/api/v1/dropship-rules"
DS = "/api/v1/dropship-orders"
PARTNER = "/api/v1/partner/dropship-orders"
CUSTOMER = {"name": "Ada Lovelace", "line1": "12 St James's Square", "city": "London",
            "postal_code": "SW1Y 4JH", "country": "GB"}


def shop(client: TestClient) -> None:
    for path, body in (
            ("/api/v1/channels", {"code": "web", "name": "Web shop", "kind": "web",
                                  "currency": "GBP"}),
            ("/api/v1/locations", {"code": "lon", "name": "London warehouse",
                                   "kind": "warehouse"})):
        quietly(client, "POST", path, body)
    for sku, name, units in (("VASE-TALL", "Tall stoneware vase", 5),
                             ("LAMP-OAK", "Oak table lamp", 10)):
        quietly(client, "POST", "/api/v1/products", {"sku": sku, "name": name,
                                                     "weight_grams": 1500})
        quietly(client, "POST", "/api/v1/inventory/adjustments", {
            "sku": sku, "location": "lon", "quantity_delta": units, "reason": "received"})
    for code, name in (("POTTERY-LEEDS", "Leeds Pottery Works"), ("OAKCRAFT", "Oakcraft")):
        quietly(client, "POST", "/api/v1/suppliers", {
            "code": code, "name": name, "kind": "goods", "currency": "GBP",
            "lead_time_days": 3, "addresses": [{"line1": "1 Kiln Lane", "city": "Leeds",
                                                "postal_code": "LS1 1AA", "country": "GB"}]})
    quietly(client, "PUT", "/api/v1/suppliers/POTTERY-LEEDS/products/VASE-TALL", {
        "supplier_sku": "LPW-V-310", "prices": [{"cost": {"amount": "11.50",
                                                          "currency": "GBP"}}]})
    quietly(client, "PUT", "/api/v1/suppliers/POTTERY-LEEDS/products/LAMP-OAK", {
        "prices": [{"cost": {"amount": "24.00", "currency": "GBP"}}]})
    quietly(client, "PUT", "/api/v1/suppliers/OAKCRAFT/products/LAMP-OAK", {
        "prices": [{"cost": {"amount": "22.00", "currency": "GBP"}}]})
    quietly(client, "POST", "/api/v1/carriers", {
        "code": "ups", "name": "UPS", "adapter": "simulated",
        "webhook_secret": WEBHOOK_SECRET, "settings": {}})


def place(client: TestClient, lines: list[tuple[str, int, str]], external_id: str) -> dict:
    return {"channel": "web", "external_id": external_id, "shipping_address": CUSTOMER,
            "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
            "lines": [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines]}


def signed(events: list[dict]) -> tuple[bytes, dict]:
    raw = json.dumps({"events": events}).encode()
    signature = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-Ordermesh-Signature": signature}


def page(client: TestClient, rec: Recorder, clock: FixedClock) -> None:
    say("""
# Drop-ship

A supplier can ship our customer's order from its own stock. A **drop-ship rule** sends
order lines to a supplier — by product, by channel, or both — either `always` or only
`when_short` (the units our own locations cannot supply). Placement then writes a
**drop-ship purchase order** (`DS-…`) that carries the **customer's** address (never
ours), the supplier's cost per unit in the supplier's currency and our price to the
customer in the order's currency, kept apart. The supplier works from its own **partner
API** with a key of role `supplier`: it lists its open drop-ship orders, accepts, rejects,
ships parcels (carrier, tracking number, lines and quantities) or reports units short.
The customer's order follows the supplier's parcels to delivery exactly as it follows
ours.

The examples below were produced by running the code
(`scripts/capture_dropship_examples.py`) on a fresh database, clock fixed at Thursday
2026-11-26 09:00 UTC. The shop sells in GBP from one warehouse, `lon` (5 `VASE-TALL`,
10 `LAMP-OAK`); Leeds Pottery Works (`POTTERY-LEEDS`) sells us the vase (supplier SKU
`LPW-V-310`, £11.50) and the lamp (£24.00); Oakcraft sells the lamp (£22.00). The carrier
`ups` has an account here (the simulated adapter) so its tracking webhook is accepted.

## How it is built

- **Sourcing and fulfilment see the supplier as a location.** The first rule of a
  supplier creates a location of kind `supplier`, code `DS-<supplier code>`. The units a
  line routes to the supplier are booked in there and reserved for the order in the same
  transaction (a receipt and a reservation in the ledger; the product's free stock does
  not move, so no stock-level event and no channel ever sees them). From then on
  everything is the machinery our own locations use: a fulfilment order at `DS-…` (its
  promise date counts the supplier's lead time as handling time), the
  order's `reserved` units, and a shipment that leaves through `record_shipment` (order
  status, capture per shipment, invoice per shipment) and through the carrier's tracking
  to `delivered`. Stock and ledger always agree (`ordermesh inventory verify`).
- **Which rule decides.** The most specific rule that matches a line: product and
  channel, then product, then channel, then a rule for everything the supplier carries;
  the oldest among equals. A rule only routes a line when the supplier is `active`
  (not on hold, not blocked) and carries the product (it has a supplier-product entry).
  Pick-up and counter orders are never drop-shipped.
- **`always` and `when_short`.** `always` lines never touch our stock. `when_short`
  lines are sourced from our locations first (with the channel's sourcing rules); only
  what they cannot supply goes to the supplier, and nothing is backordered.
- **Rejected or short** units go back to our sourcing (never to that supplier again for
  that line): our own stock if any location has it, else backordered. We chose that over
  "the merchant decides" so that the order keeps moving without anybody looking; the
  merchant sees `dropship.rejected` / `dropship.shorted` and the new sourcing decision
  (`order.sourced`). The units booked in at `DS-…` for them are booked out.
- **Cancelled by the merchant.** Units the customer's order gives up (cancelled,
  edited or refunded before shipping) leave its fulfilment order at `DS-…` as at any
  location, and the drop-ship order shows them as `cancelled` (read from that fulfilment
  order): a ship call for them is refused at once. The supplier is told
  (`dropship.cancel_requested`) and answers: it accepts, or refuses because they had
  shipped already ([below](#cancelled-by-the-merchant-the-supplier-answers)). Units given
  back at a supplier's location are booked out, never freed.
- **A document of its own.** A drop-ship purchase order is not a row of
  `/api/v1/purchase-orders`: nothing arrives at our locations, so it has no expected
  supply, receipt, tolerance or landed cost. It is one per supplier and customer order,
  numbered after the order (`DS-000001-1`).
- **Money kept apart.** Our price to the customer is the order's (its lines, payments,
  invoices). The drop-ship order carries the supplier's `unit_cost` (from its price list
  on the day, quantity breaks applied; `null` when it has no price) and, for the merchant
  only, our `unit_price`. The supplier's view leaves our price out.
- **Concurrency.** Every answer locks the drop-ship order's row (`SELECT … FOR UPDATE`;
  SQLite holds its one write lock), and each booked unit is a conditional `UPDATE` that
  re-checks the open quantity, under a `CHECK` constraint: two shipments racing for the
  last open units book them once (tested on SQLite and PostgreSQL).
""")
    say("## Set up: a rule and the supplier's key")
    rec.call("Route the tall vase to Leeds Pottery Works, always", "POST", RULES,
             body={"supplier": "POTTERY-LEEDS", "sku": "VASE-TALL", "mode": "always"})
    rec.call("Lamps: Oakcraft ships what our warehouse cannot", "POST", RULES,
             body={"supplier": "OAKCRAFT", "sku": "LAMP-OAK", "mode": "when_short"})
    key = rec.call("A partner key for Leeds Pottery Works (admin)", "POST", "/api/v1/api-keys",
                   body={"name": "Leeds Pottery portal", "role": "supplier",
                         "supplier": "POTTERY-LEEDS"})
    rec.key("<Leeds Pottery key>", key["key"])
    oak = quietly(client, "POST", "/api/v1/api-keys", {"name": "Oakcraft portal",
                                                        "role": "supplier",
                                                        "supplier": "OAKCRAFT"})
    rec.key("<Oakcraft key>", oak["key"])
    say("""
The secret is shown once. The key may call the partner routes only (every other route
answers it `403`), and it sees only its own supplier's drop-ship orders.

## A drop-ship order from placement to delivery
""")
    order = rec.call("The customer orders two tall vases", "POST", "/api/v1/orders",
                     body=place(client, [("VASE-TALL", 2, "39.00")], "WEB-5001"))
    quietly(client, "POST", f"/api/v1/orders/{order['id']}/payments",
            {"provider": "test", "source": "4242424242424242"})
    say("""
The order is placed, priced and paid as any other (payment not shown). Placement wrote
`dropship.requested` with the drop-ship purchase order; the fulfilment order is at the
supplier's location `DS-POTTERY-LEEDS`:
""")
    rec.call("The order's fulfilment", "GET", f"/api/v1/orders/{order['id']}/fulfilment")
    [ds] = rec.call("The merchant's view: the supplier's cost beside our price", "GET",
                    f"{DS}?order_id={order['id']}")["items"]
    assert ds["ship_to"]["line1"] == CUSTOMER["line1"] and ds["cost_total"] == "23.00"
    say("""
The supplier polls its open drop-ship orders (or follows `dropship.requested` through a
webhook subscription). Its view has the customer's address and its own cost, not our
price:
""")
    seen = rec.call("The supplier lists its open drop-ship orders", "GET", PARTNER,
                    auth="<Leeds Pottery key>")["items"]
    assert [d["id"] for d in seen] == [ds["id"]] and "unit_price" not in seen[0]["lines"][0]
    rec.call("It accepts, with its own reference", "POST", f"{PARTNER}/{ds['number']}/accept",
             auth="<Leeds Pottery key>", body={"reference": "LPW-SO-88213"})
    clock.set(NOW + timedelta(hours=5))
    first = rec.call("It ships one vase (a partial shipment)", "POST",
                     f"{PARTNER}/{ds['id']}/ship", auth="<Leeds Pottery key>",
                     idem="lpw-ship-88213-1",
                     body={"carrier": "ups", "tracking_number": "1Z8E41W70300000001",
                           "lines": [{"line_no": 1, "quantity": 1}]})
    assert first["status"] == "partly_shipped"
    say("""
The order records the shipment (`order.shipment_recorded`) and is `partially_shipped`;
the other vase stays open on the drop-ship order. The next parcel ships it:
""")
    clock.set(NOW + timedelta(hours=7))
    rest = rec.call("It ships the second vase", "POST", f"{PARTNER}/{ds['id']}/ship",
                    auth="<Leeds Pottery key>", idem="lpw-ship-88213-2",
                    body={"carrier": "ups", "tracking_number": "1Z8E41W70300000002",
                          "lines": [{"line_no": 1, "quantity": 1}]})
    assert rest["status"] == "shipped"
    say("""
Nothing is open now: the fulfilment order is `shipped` and, since `ups` has a carrier
account here, both parcels are tracked like our own. The carrier reports delivery:
""")
    clock.set(NOW + timedelta(days=1, hours=3))
    raw, headers = signed([
        {"event_id": "ups-77001", "tracking_number": "1Z8E41W70300000001", "status": "DLV",
         "occurred_at": "2026-11-27T10:12:00Z", "description": "Delivered, front door"},
        {"event_id": "ups-77002", "tracking_number": "1Z8E41W70300000002", "status": "DLV",
         "occurred_at": "2026-11-27T10:12:00Z", "description": "Delivered, front door"}])
    rec.call("The carrier's tracking webhook", "POST", "/api/v1/tracking/ups", auth=None,
             raw=raw, headers=headers)
    final = rec.call("The customer's order", "GET", f"/api/v1/orders/{order['id']}")
    assert final["status"] == "completed", final["status"]
    say("""
The fulfilment order went `shipped` → `delivered` (delivery measured against the promise,
`fulfilment.delivery_measured`) and the order is `completed`. The supplier's scorecard
counts the drop-ship order: accepted, first parcel five hours after the request.
""")
    card = rec.call("The supplier's scorecard", "GET",
                    "/api/v1/suppliers/POTTERY-LEEDS/scorecard?from=2026-11-01&to=2026-11-30")
    assert card["dropship"]["median_hours_to_ship"] == 5.0

    say("""
## When our own stock is short

`LAMP-OAK` routes to Oakcraft `when_short`: our warehouse has 10, the customer orders 12.
""")
    clock.set(NOW + timedelta(days=1, hours=4))
    lamps = rec.call("Twelve lamps", "POST", "/api/v1/orders",
                     body=place(client, [("LAMP-OAK", 12, "59.00")], "WEB-5002"))
    fos = rec.call("Ten from our warehouse, two from Oakcraft", "GET",
                   f"/api/v1/orders/{lamps['id']}/fulfilment")["fulfilment_orders"]
    assert {f["location"]: f["lines"][0]["quantity"] for f in fos} == {"lon": 10,
                                                                       "DS-OAKCRAFT": 2}
    [lamp_ds] = quietly(client, "GET", f"{DS}?order_id={lamps['id']}")["items"]
    say("""
## The supplier rejects or is short

A rejection is for the whole drop-ship order, before anything shipped. Its units go back
to our sourcing, never to the same supplier for that line: here our warehouse has none
left, so they are backordered (`order.backordered`) until supply arrives.
""")
    rejected = rec.call("Oakcraft rejects", "POST", f"{PARTNER}/{lamp_ds['id']}/reject",
                        auth="<Oakcraft key>", body={"reason": "out of oak until January"})
    assert rejected["status"] == "rejected"
    line = quietly(client, "GET", f"/api/v1/orders/{lamps['id']}")["lines"][0]
    assert line["backordered_quantity"] == 2, line
    say("""
`short` names lines and units the supplier does not have; they leave the drop-ship order
the same way and the rest stays open. After a partial shipment, a short for the last open
units leaves the drop-ship order `shipped` (its fulfilment order too: what shipped is in
the carrier's hands).
""")
    cancellation_section(client, rec)
    say("""

## Bad input changes nothing

Each of these is answered with `application/problem+json` and changes nothing.
""")
    vases = quietly(client, "POST", "/api/v1/orders",
                    place(client, [("VASE-TALL", 1, "39.00")], "WEB-5003"))
    [vase_ds] = quietly(client, "GET", f"{DS}?order_id={vases['id']}")["items"]
    rec.call("Shipping more than is open", "POST", f"{PARTNER}/{vase_ds['id']}/ship",
             auth="<Leeds Pottery key>",
             body={"carrier": "ups", "tracking_number": "1Z8E41W70300000003",
                   "lines": [{"line_no": 1, "quantity": 2}]})
    rec.call("Another supplier's drop-ship order", "POST", f"{PARTNER}/{vase_ds['id']}/accept",
             auth="<Oakcraft key>")
    rec.call("Shipping a rejected drop-ship order", "POST", f"{PARTNER}/{lamp_ds['id']}/ship",
             auth="<Oakcraft key>",
             body={"carrier": "ups", "tracking_number": "1Z8E41W70300000004",
                   "lines": [{"line_no": 1, "quantity": 1}]})
    rec.call("A rule for a product the supplier does not carry", "POST", RULES,
             body={"supplier": "OAKCRAFT", "sku": "VASE-TALL"})
    quietly(client, "PATCH", "/api/v1/suppliers/OAKCRAFT", {"status": "blocked"})
    rec.call("A rule for a blocked supplier", "POST", RULES,
             body={"supplier": "OAKCRAFT", "sku": "LAMP-OAK"})
    rec.call("A partner key on a merchant route", "GET", DS, auth="<Leeds Pottery key>")
    say("""
A rule whose supplier is later blocked or put on hold routes nothing: its lines are
sourced from our own locations as if it did not exist.

## Events

| event | when | payload besides `id`, `number`, `supplier`, `order_id`, `order_number`, `status` |
| --- | --- | --- |
| `dropship.rule_created`, `dropship.rule_deleted` | a rule is added or removed (the first rule of a supplier also writes `location.created`) | `supplier`, `sku`, `channel_id`, `mode` |
| `dropship.requested` | placement routed lines to the supplier | `ship_to`, `fulfilment_order_id`, `lines` (`sku`, `supplier_sku`, `quantity`, `unit_cost`, `unit_price`) |
| `dropship.accepted` | the supplier accepts | `from_status`, `supplier_reference` |
| `dropship.rejected` | the supplier rejects (its units are sourced again: `order.sourced`) | `from_status`, `reason`, `lines` |
| `dropship.shipped` | a parcel left (the order writes `order.shipment_recorded`) | `shipment_id`, `carrier`, `tracking_number`, `lines`, `order_shipment_id`, `open_units` |
| `dropship.shorted` | units the supplier does not have (sourced again) | `reason`, `lines`, `open_units` |
| `dropship.cancel_requested` | the merchant cancelled units: written by the worker's `dropship-cancellations` job (or first thing when the supplier answers before it ran) | `lines`, `pending_units`, `open_units` |
| `dropship.cancel_accepted` | the supplier will not ship the cancelled units | `from_status`, `lines`, `open_units` |
| `dropship.cancel_refused` | the cancelled units had shipped | `from_status`, `lines`, `reason`, `carrier`, `tracking_number` |

## Routes

| route | who | what |
| --- | --- | --- |
| `POST /api/v1/dropship-rules`, `DELETE /api/v1/dropship-rules/{rule_id}` | operator, admin | add or remove a rule |
| `GET /api/v1/dropship-rules`, `GET /api/v1/dropship-orders[/{id}]` | viewer, operator, admin | rules; drop-ship orders with cost and price (`supplier`, `status`, `order_id` filters) |
| `GET /api/v1/partner/dropship-orders[/{id}]` | the supplier's key | its drop-ship orders (`open=false`: all of them) |
| `POST /api/v1/partner/dropship-orders/{id}/accept`, `/reject`, `/ship`, `/short` | the supplier's key | its answers (`ship` honours `Idempotency-Key`) |
| `POST /api/v1/partner/dropship-orders/{id}/cancellation/accept`, `/cancellation/refuse` | the supplier's key | its answer to the merchant's cancellation |

## Not built yet

- The supplier is not told by e-mail: it polls the partner API or subscribes to the
  `dropship.*` events through a webhook the merchant sets up.
- Tracking events of a partial shipment's parcels are followed once the drop-ship order
  has nothing open (its fulfilment order is then `shipped`); events the carrier sent for
  them before that are not stored, and only the parcels of the first carrier (by code)
  that has an account here are followed.
- `when_short` covers placement. Units that come back to sourcing later (a short pick at
  our warehouse, a rejection) are sourced from our locations or backordered, not sent to
  a drop-ship supplier.
- Drop-shipped units count towards the channel's reserved units, so a channel with a
  quota of our stock sees them in its `reserved` while they wait for the supplier.
- A cancellation does not wait for the supplier: the customer's order gives the units
  up (and its money back) at once, and a refusal afterwards is for the merchant to settle
  with the customer (the units are not put back on the order). The supplier is told by
  the worker, so `dropship.cancel_requested` follows the cancellation by one worker
  pass. No supplier invoice matching for drop-ship orders, no per-line unit
  price after discounts (`unit_price` is the line's unit price before discounts and
  tax), and no back-office screen for drop-ship yet (the API only).
""")


def cancellation_section(client: TestClient, rec: Recorder) -> None:
    order = quietly(client, "POST", "/api/v1/orders",
                    place(client, [("VASE-TALL", 2, "39.00")], "WEB-5004"))
    [ds] = quietly(client, "GET", f"{DS}?order_id={order['id']}")["items"]
    key = {"Authorization": f"Bearer {rec.secrets['<Leeds Pottery key>']}"}
    assert client.post(f"{PARTNER}/{ds['id']}/accept", headers=key).status_code == 200
    say("""
## Cancelled by the merchant: the supplier answers

The customer cancels `WEB-5004` (two tall vases Leeds Pottery had accepted) and the
merchant cancels the order (`POST /api/v1/orders/{id}/cancel`, or some lines of it). The
order gives the units up at once, as at any location: they leave the fulfilment order at
`DS-POTTERY-LEEDS`, the money goes back, and a ship call for them is refused. The
worker's `dropship-cancellations` job follows the outbox (`fulfilment.lines_cancelled`)
and tells the supplier: `dropship.cancel_requested`, once per cancellation (if the
supplier answers first, the answer writes it first). Until the supplier answers, its
lines show the units as `cancel_requested` and the order stays on its open list; a
drop-ship order with nothing else open is `cancel_requested`.
""")
    quietly(client, "POST", f"/api/v1/orders/{order['id']}/cancel",
            {"reason": "the customer changed her mind"})
    assert DropshipCancellations().run_once(client.app.state.container) == 1
    told = rec.call("The supplier sees the cancellation", "GET", f"{PARTNER}/{ds['id']}",
                    auth="<Leeds Pottery key>")
    assert (told["status"], told["lines"][0]["cancel_requested"]) == ("cancel_requested", 2)
    say("""
`POST …/cancellation/accept` confirms it: nothing ships, the order is `cancelled`
(`cancellation: accepted`) and the supplier charges nothing for those units. Here the
parcel had left the supplier's dock already, so it refuses, saying why and with which
parcel:
""")
    rec.call("The supplier refuses: the vases had shipped", "POST",
             f"{PARTNER}/{ds['id']}/cancellation/refuse", auth="<Leeds Pottery key>",
             body={"reason": "collected by UPS this morning", "carrier": "ups",
                   "tracking_number": "1Z8E41W70300000009"})
    say("""
The merchant sees it in the drop-ship order: `cancel_refused`, the supplier's reason and
parcel, and the cost of those units in `cost_total` (they were shipped and are owed). The
customer's order stays cancelled (its money was returned): what to do with the parcel
(let it go, ask for a return) is the merchant's call.
""")
    merchant = rec.call("The merchant's view of the refused cancellation", "GET",
                        f"{DS}/{ds['id']}")
    assert (merchant["status"], merchant["cost_total"]) == ("cancel_refused", "23.00")
    rec.call("Nothing left to answer", "POST", f"{PARTNER}/{ds['id']}/cancellation/accept",
             auth="<Leeds Pottery key>")


def main() -> None:
    clock = FixedClock(NOW)
    with app_on_fresh_database("dropship", clock) as client:
        rec = Recorder(client)
        shop(client)
        page(client, rec, clock)


if __name__ == "__main__":
    main()
