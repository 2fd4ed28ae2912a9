"""The section of docs/suppliers.md on carriers and 3PLs as suppliers: their carrier
accounts and locations linked to the supplier record, and the service section of the
scorecard, on a carrier's three parcels and a 3PL's short-picked order with feedback.
Called by ``capture_purchasing_examples.py suppliers``."""

# ruff: noqa: E501  (the Markdown tables of the page cannot wrap)
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date, timedelta

from capture_examples import Recorder
from capture_kit import quietly, say
from fastapi.testclient import TestClient

from ordermesh.kit.clock import FixedClock

SUPPLIERS = "/api/v1/suppliers"
FOS = "/api/v1/fulfilment-orders"
SECRET = "whsec-docs-0123456789abcdef"
CUSTOMER = {"email": "kim@example.com", "name": "Kim Weber"}
ADDRESS = {"name": "Kim Weber", "line1": "Torstr. 1", "city": "Berlin",
           "postal_code": "10119", "country": "DE"}


def _scan(client: TestClient, carrier: str, number: str, status: str, at: str) -> None:
    raw = json.dumps({"events": [{"event_id": f"{number}-{status}", "tracking_number": number,
                                  "status": status, "occurred_at": at}]}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
    response = client.post(f"/api/v1/tracking/{carrier}", content=raw, headers={
        "Content-Type": "application/json", "X-Ordermesh-Signature": signature})
    assert response.status_code == 200, response.text


def _order(client: TestClient, sku: str, quantity: int) -> dict:
    order = quietly(client, "POST", "/api/v1/orders", {
        "channel": "web", "customer": CUSTOMER, "shipping_address": ADDRESS,
        "lines": [{"sku": sku, "quantity": quantity, "unit_price": "19.90"}]})
    quietly(client, "POST", f"/api/v1/orders/{order['id']}/payments",
            {"provider": "test", "source": "4242424242424242"})
    return order


def _fo(client: TestClient, order: dict) -> dict:
    found = quietly(client, "GET", f"/api/v1/orders/{order['id']}/fulfilment")
    return found["fulfilment_orders"][0]


def _feedback(client: TestClient, order: dict, kind: str, score: int, text: str) -> None:
    quietly(client, "POST", "/api/v1/feedback", {
        "source": "agent", "customer_id": order["customer_id"], "kind": kind, "score": score,
        "text": text, "order": order["id"]})


def _world(client: TestClient) -> str:
    """Carrier swift: three parcels from ber handed over now, one delivered the next day,
    one two days after its promised date, one scanned damaged. The 3PL's location
    ham-3pl: 3 vases asked, 1 reported short, 2 shipped with carrier post and delivered.
    Feedback on each order. Returns the hand-over day."""
    clock: FixedClock = client.app.state.container.clock
    quietly(client, "PUT", "/api/v1/sscc-settings", {"company_prefix": "4012345"})
    for code in ("swift", "post"):
        quietly(client, "POST", "/api/v1/carriers", {
            "code": code, "name": code.title(), "adapter": "simulated",
            "webhook_secret": SECRET, "settings": {}})
    quietly(client, "POST", "/api/v1/locations", {
        "code": "ham-3pl", "name": "Hamburg fulfilment partner", "kind": "3pl",
        "fulfilment": {"priority": 1},
        "address": {"line1": "Hafenstr. 9", "city": "Hamburg", "country": "DE",
                    "postal_code": "20457"}})
    quietly(client, "POST", "/api/v1/products", {"sku": "VASE-GRN", "name": "Vase green",
                                                 "weight_grams": 900})
    quietly(client, "POST", "/api/v1/inventory/adjustments", {
        "sku": "VASE-GRN", "location": "ham-3pl", "quantity_delta": 10, "reason": "received"})
    orders = [_order(client, "TEE-WHT-M", 1) for _ in range(3)]
    pick_list = quietly(client, "POST", "/api/v1/pick-lists",
                        {"location": "ber", "max_orders": 10})
    quietly(client, "POST", f"/api/v1/pick-lists/{pick_list['id']}/confirm", {})
    numbers, promised = [], []
    for order in orders:
        fo = _fo(client, order)
        quietly(client, "POST", f"{FOS}/{fo['id']}/packages", {"packages": [
            {"packaging_code": None, "lines": [{"line_no": 1, "quantity": 1}]}]})
        shipment = quietly(client, "POST", f"{FOS}/{fo['id']}/ship", {"carrier": "swift"})
        numbers.append(shipment["parcels"][0]["tracking_number"])
        quietly(client, "POST", f"{FOS}/{fo['id']}/handover", {})
        promised.append(date.fromisoformat(fo["promised_date"]))
    vases = _order(client, "VASE-GRN", 3)
    tpl = f"{FOS}/{_fo(client, vases)['id']}/3pl"
    quietly(client, "POST", f"{tpl}/accepted", {})
    quietly(client, "POST", f"{tpl}/short", {"lines": [{"line_no": 1, "quantity": 1}]})
    quietly(client, "POST", f"{tpl}/shipped", {"packages": [
        {"tracking_number": "PST0001", "carrier": "post",
         "lines": [{"line_no": 1, "quantity": 2}]}]})
    handed = clock.now()
    clock.advance(timedelta(days=10))
    day = handed.date()
    _scan(client, "swift", numbers[0], "DLV", f"{day + timedelta(days=1)}T{handed:%H:%M}:00Z")
    _scan(client, "swift", numbers[1], "DLV", f"{promised[1] + timedelta(days=2)}T{handed:%H:%M}:00Z")
    _scan(client, "swift", numbers[2], "DMG", f"{day + timedelta(days=1)}T08:00:00Z")
    _scan(client, "post", "PST0001", "DLV", f"{day + timedelta(days=2)}T{handed:%H:%M}:00Z")
    _feedback(client, orders[0], "csat", 5, "Fast delivery, thank you")
    _feedback(client, orders[1], "csat", 2, "It came late and the courier was slow")
    _feedback(client, orders[2], "nps", 3, "The box arrived damaged")
    _feedback(client, vases, "csat", 4, "Nice packaging")
    return day.strftime("%Y-%m")


def service_suppliers_section(client: TestClient, rec: Recorder) -> None:
    month = _world(client)
    period = f"from={month}-01&to={month}-31"
    quietly(client, "POST", SUPPLIERS, {"code": "SWIFT-PARCEL", "name": "Swift Parcel GmbH",
                                        "kind": "carrier", "currency": "EUR"})
    quietly(client, "POST", SUPPLIERS, {"code": "HAFEN-LOG", "name": "Hafen Logistik",
                                        "kind": "3pl", "currency": "EUR"})
    say("""
## Carriers and 3PLs as suppliers

The carriers and fulfilment partners we already work with exist as **carrier accounts**
([shipping.md](shipping.md)) and as **locations of kind `3pl`**
([3pl-handoff.md](3pl-handoff.md)). `PUT /api/v1/suppliers/{supplier}/links` says which
of them a supplier stands behind: carrier accounts (by code) for a supplier of kind
`carrier`, 3PL locations (by id or code) for a supplier of kind `3pl`. The body replaces
the whole set (`{}` unlinks everything); `GET` on the same path lists it. A carrier
account or location belongs to at most one supplier. A change writes
`supplier.changed` with `changed: ["links"]` and the codes before and after; a `PUT`
that changes nothing writes nothing. A supplier that stands behind links keeps its kind:
a `PATCH` to another kind is refused (`409`) until they are unlinked.
""")
    rec.call("The parcel carrier behind the carrier account swift", "PUT",
             f"{SUPPLIERS}/SWIFT-PARCEL/links", body={"carrier_accounts": ["swift"]})
    quietly(client, "PUT", f"{SUPPLIERS}/HAFEN-LOG/links", {"locations": ["ham-3pl"]})
    quietly(client, "POST", SUPPLIERS, {"code": "QUICK-COURIER", "name": "Quick Courier",
                                        "kind": "carrier", "currency": "EUR"})
    taken = rec.call("A carrier account belongs to one supplier only", "PUT",
                     f"{SUPPLIERS}/QUICK-COURIER/links", body={"carrier_accounts": ["swift"]})
    assert taken["status"] == 409 and taken["linked_elsewhere"], taken
    wrong = rec.call("Only a carrier supplier stands behind carrier accounts", "PUT",
                     f"{SUPPLIERS}/LINEN-PT/links", body={"carrier_accounts": ["post"]})
    assert wrong["status"] == 422, wrong
    say("""
An unknown carrier account or location (`unknown`), a location that is not a 3PL's
(`not_a_3pl`) and a name given twice (`duplicate`) are `422`s on the field at fault too.
Nothing changes when a request is refused.

### The service section of the scorecard

For a supplier of kind `carrier` or `3pl`, the scorecard
(`GET /api/v1/suppliers/{supplier}/scorecard?from=…&to=…`, [purchasing.md](purchasing.md#scorecards))
carries a `service` section (`null` for the other kinds), counted from what shipping,
fulfilment and feedback record about the supplier's carrier accounts (a carrier) or
locations (a 3PL) in the period (UTC days):

| field | is |
| --- | --- |
| `shipments` | the shipments of the carrier accounts, or leaving the 3PL's locations, **handed over** in the period: `delivered`; `delivered_on_time`, `delivered_late` against the promised date (`on_time_rate` over those two) and `delivered_without_promise`; `with_exception` (shipments with a failed delivery, damaged or returned-to-sender scan; parked or discarded scans do not count) and `exceptions` per scan, `exception_rate` and `damage_rate` over `handed_over`; `mean_days_to_delivery` from the hand-over to the delivery scan |
| `fulfilment` | a 3PL only: the fulfilment orders **released** to its locations in the period: `units_requested`, `units_short` (reported short) with `short_rate` and `orders_with_shorts`; `handed_over` and of those `handed_over_by_ship_by` (on or before the ship-by day), `handed_over_late`, `without_ship_by`, and `ship_on_time_rate` |
| `feedback` | customer feedback about the carrier accounts or locations **received** in the period: `pieces`, `negative` (NPS 0-6, CSAT or rating 1-2, or text of negative sentiment) and `negative_share`; `scores`: per kind of question its count and mean on its scale (NPS and CSAT are never averaged together); `topics` from the feedback taxonomy with mentions and negative mentions, most negative first ([feedback.md](feedback.md)) |
| `not_measured` | what the records cannot tell, and why |

Here the carrier was handed three parcels on the same day: one was delivered a day
later, one two days after its promised date, and one was scanned damaged and never
delivered. The customers gave CSAT 5 ("Fast delivery"),
CSAT 2 ("late … slow") and NPS 3 ("The box arrived damaged").
""")
    carrier = rec.call("The carrier's month", "GET",
                       f"{SUPPLIERS}/SWIFT-PARCEL/scorecard?{period}")
    shipments = carrier["service"]["shipments"]
    assert (shipments["handed_over"], shipments["delivered_late"],
            shipments["with_exception"]) == (3, 1, 1), shipments
    say("""
The 3PL was asked for 3 vases, reported 1 short, and handed the other 2 to the carrier
`post` on the ship-by day; they were delivered two days later, and the customer gave
CSAT 4 ("Nice packaging").
""")
    tpl = rec.call("The 3PL's month", "GET", f"{SUPPLIERS}/HAFEN-LOG/scorecard?{period}")
    assert tpl["service"]["fulfilment"]["units_short"] == 1, tpl
    say("""
**Not measured.** Dock-to-stock time: a receipt makes its units available the moment it
is booked, and when goods reached the 3PL's dock is not recorded, so there is no time to
measure. Pick accuracy in the sense of wrong items or quantities sent: not recorded;
only units reported short are (`units_short`). Damage a carrier did not scan shows only
in customer feedback (the `damage` topic), not in `damage_rate`. Each scorecard names
these in `not_measured`. The service figures are not folded into a score: weights for
one are not built yet.
""")
