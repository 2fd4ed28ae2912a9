"""Write docs/suppliers.md or docs/purchasing.md: suppliers, purchase orders, receipts,
scorecards and replenishment, through the API.

Like the other capture scripts (``capture_examples.Recorder``): a fresh SQLite database,
the app as the server builds it, a fixed clock (Thursday 2026-11-26 09:00 UTC), every
exchange printed as Markdown with the prose around it. It checks what it shows and stops
with an AssertionError when the app answers differently.

    .venv/bin/python scripts/capture_purchasing_examples.py suppliers > docs/suppliers.md
    .venv/bin/python scripts/capture_purchasing_examples.py purchasing > docs/purchasing.md
"""

# ruff: noqa: E501  (the Markdown tables of the pages cannot wrap)
from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
from capture_examples import ADMIN_KEY, Recorder
from capture_kit import app_on_fresh_database, quietly, say
from capture_service_suppliers import service_suppliers_section
from tests.smtp_server import Mailbox, running_smtp_server

from ordermesh.flows.purchase_order_mail import PurchaseOrderMailer
from ordermesh.kit.clock import FixedClock

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SUPPLIERS = "/api/v1/suppliers"
POS = "/api/v1/purchase-orders"


def shop(client: TestClient) -> None:
    quietly(client, "POST", "/api/v1/channels", {"code": "web", "name": "Web shop",
                                                 "kind": "web", "currency": "EUR"})
    quietly(client, "POST", "/api/v1/locations", {"code": "ber", "name": "Berlin warehouse",
                                                  "kind": "warehouse"})
    for sku, name, units in (("TEE-WHT-M", "T-shirt white M", 40), ("MUG-BLK", "Mug", 0)):
        quietly(client, "POST", "/api/v1/products", {"sku": sku, "name": name})
        if units:
            quietly(client, "POST", "/api/v1/inventory/adjustments", {
                "sku": sku, "location": "ber", "quantity_delta": units, "reason": "received"})


LINEN = {
    "code": "LINEN-PT", "name": "Linen Works Porto", "kind": "goods", "currency": "EUR",
    "payment_terms": "30 days net", "incoterm": "FCA", "lead_time_days": 10,
    "lead_time_variability_days": 3,
    "minimum_order": {"amount": "50.00", "currency": "EUR"},
    "tags": ["organic-cotton", "Screen-printing"],
    "contacts": [{"name": "Ana Silva", "role": "sales", "email": "ana@linen.example"}],
    "addresses": [{"line1": "Rua das Flores 12", "city": "Porto", "postal_code": "4050-262",
                   "country": "PT"}],
    "certifications": [{"name": "GOTS", "expires_on": "2027-06-30"},
                       {"name": "OEKO-TEX 100", "expires_on": "2026-10-31"}],
    "terms": "Deliveries Monday to Thursday, 8:00-14:00, dock 3.",
}


def suppliers_page(client: TestClient, rec: Recorder) -> None:
    say("""
# Suppliers

The supplier master: who we buy from, on what terms, and what each supplier sells us at
what cost. Purchase orders, receipts, scorecards and replenishment build on it
([purchasing.md](purchasing.md)).

Every request below was sent to the API and every response is pasted as it came back (by
`scripts/capture_purchasing_examples.py suppliers`, on a fixed clock: 2026-11-26 09:00
UTC; only the ids differ from run to run). Reading needs a viewer key, every change an
operator key ([roles](api-conventions.md#api-keys-and-roles)).

## A supplier

A supplier has a `code` (unique, usable wherever an id is), a `kind` (`goods`,
`packaging`, `3pl`, `carrier`, `services`), a `status`, the `currency` it invoices in
(every cost of the supplier is in it), payment terms, an incoterm, a promised lead time
with its usual variability, a minimum order value, `tags` for its specialisations and
strengths (searched case-insensitively; stored lower case), contacts, addresses (the
first is the one searched by country), certifications with expiry dates (`valid` says
whether one is still valid today) and free terms text.

| status | means |
| --- | --- |
| `active` | purchase orders may be drafted and sent |
| `on_hold` | drafts only: sending a purchase order is refused (`409`) |
| `blocked` | no purchase order at all: drafting or sending one is refused (`422`, field `supplier`) |
""")
    rec.call("Create a supplier", "POST", SUPPLIERS, body=LINEN)
    quietly(client, "POST", SUPPLIERS, {"code": "BOXES-DE", "name": "Kartonage Nord",
                                        "kind": "packaging", "currency": "EUR",
                                        "tags": ["cartons"], "lead_time_days": 3,
                                        "addresses": [{"line1": "Hafenweg 2",
                                                       "city": "Bremen", "country": "DE"}]})
    quietly(client, "POST", SUPPLIERS, {"code": "TEX-TR", "name": "Ege Tekstil",
                                        "currency": "EUR", "lead_time_days": 21,
                                        "tags": ["organic-cotton", "knitwear"],
                                        "addresses": [{"line1": "Liman Cd. 5",
                                                       "city": "Izmir", "country": "TR"}]})
    say("""
## Searching

`GET /api/v1/suppliers` lists suppliers by code; `tag`, `sku` (sells this product),
`country` (of the first address), `status` and `kind` filter and combine. Two more
suppliers exist here: `BOXES-DE` (packaging, Germany) and `TEX-TR` (organic cotton,
Turkey).
""")
    found = rec.call("Suppliers of organic cotton outside Portugal? By tag and country",
                     "GET", f"{SUPPLIERS}?tag=Organic-Cotton&country=TR")
    assert [s["code"] for s in found["items"]] == ["TEX-TR"]
    say("""
## Changing and blocking a supplier

`PATCH` changes only the fields sent; `null` clears an optional field. Blocking a
supplier is `status: blocked` (operators may do it). A change writes `supplier.changed`
with the names of the fields that changed; a `PATCH` that changes nothing writes
nothing.
""")
    rec.call("Put a supplier on hold", "PATCH", f"{SUPPLIERS}/TEX-TR",
             body={"status": "on_hold", "payment_terms": "prepayment"})
    say("""
## What a supplier sells us

`PUT /api/v1/suppliers/{supplier}/products/{sku}` sets the terms for one product: the
supplier's own SKU, the pack size (orders are whole packs), the minimum order quantity,
the promised lead time of this product (else the supplier's) and unit costs. Costs are
quantity breaks with optional validity periods, always in the supplier's currency: the
cost of an order is the break with the highest `min_quantity` the quantity reaches that
is valid on the day. `preferred: true` makes the supplier the product's one preferred
supplier (another supplier loses the mark). It writes `supplier.changed` with
`changed: ["products"]`.
""")
    rec.call("Terms for one product, with a quantity break", "PUT",
             f"{SUPPLIERS}/LINEN-PT/products/TEE-WHT-M", body={
                 "supplier_sku": "LW-T-100-M", "pack_size": 10, "moq": 20,
                 "lead_time_days": 8, "preferred": True,
                 "prices": [{"cost": {"amount": "4.20", "currency": "EUR"}},
                            {"cost": {"amount": "3.80", "currency": "EUR"},
                             "min_quantity": 100},
                            {"cost": {"amount": "4.50", "currency": "EUR"},
                             "valid_from": "2027-01-01"}]})
    quietly(client, "PUT", f"{SUPPLIERS}/TEX-TR/products/TEE-WHT-M", {
        "pack_size": 25, "lead_time_days": 21,
        "prices": [{"cost": {"amount": "3.10", "currency": "EUR"}}]})
    quietly(client, "PUT", f"{SUPPLIERS}/LINEN-PT/products/MUG-BLK", {
        "prices": [{"cost": {"amount": "2.00", "currency": "EUR"}}]})
    problem = rec.call("A price in another currency than the supplier's is refused", "PUT",
                       f"{SUPPLIERS}/LINEN-PT/products/MUG-BLK", body={
                           "prices": [{"cost": {"amount": "2.10", "currency": "USD"}}]})
    assert problem["status"] == 422
    say("""
A negative cost is refused the same way (`422`), and so is an unknown SKU (field
`sku`). Nothing changes when a request is refused.

## A product's suppliers side by side

`GET /api/v1/products/{sku}/suppliers` shows every supplier of a product, the preferred
one first, then by cost: the `quantity` costed (what was asked, rounded up to whole
packs and at least the MOQ), its `unit_cost` today, the promised lead time, the lead
time **learned** from receipts (days from sending the order to the first units accepted:
median and 90th percentile over the lines received so far) and the supplier's `score`
(on time in full over the lines due in the last year). `TEX-TR` here has sold us 25 and
delivered them, late; `LINEN-PT` has no history yet.
""")
    po = quietly(client, "POST", POS, {"supplier": "TEX-TR", "location": "ber",
                                       "lines": [{"sku": "TEE-WHT-M", "quantity": 25}]})
    quietly(client, "PATCH", f"{SUPPLIERS}/TEX-TR", {"status": "active"})
    quietly(client, "POST", f"{POS}/{po['id']}/send")
    clock: FixedClock = client.app.state.container.clock
    clock.advance(timedelta(days=24))
    quietly(client, "POST", f"{POS}/{po['id']}/receipts",
            {"lines": [{"sku": "TEE-WHT-M", "accepted": 25}]})
    view = rec.call("Who sells TEE-WHT-M, for 30 units?", "GET",
                    "/api/v1/products/TEE-WHT-M/suppliers?quantity=30", auth="<admin key>")
    assert [o["supplier"] for o in view["suppliers"]] == ["LINEN-PT", "TEX-TR"]
    service_suppliers_section(client, rec)
    say("""
## Events

| event | when |
| --- | --- |
| `supplier.created` | a supplier is created |
| `supplier.changed` | its fields, status, the terms of one of its products, or the carrier accounts and locations it stands behind change |

## Not there yet

Deleting a supplier, certification expiry alerts, and a supplier's own addresses per
purpose (ordering, returns, invoices) are not built. Changing a supplier's currency does
not convert the prices already set for its products; set them again.
""")


def purchasing_page(client: TestClient, rec: Recorder) -> None:
    clock: FixedClock = client.app.state.container.clock
    quietly(client, "POST", SUPPLIERS, LINEN)
    quietly(client, "PUT", f"{SUPPLIERS}/LINEN-PT/products/TEE-WHT-M", {
        "pack_size": 10, "moq": 20, "preferred": True,
        "prices": [{"cost": {"amount": "4.20", "currency": "EUR"}},
                   {"cost": {"amount": "3.80", "currency": "EUR"}, "min_quantity": 100}]})
    quietly(client, "PUT", f"{SUPPLIERS}/LINEN-PT/products/MUG-BLK", {
        "prices": [{"cost": {"amount": "2.00", "currency": "EUR"}}]})
    say("""
# Purchasing

Purchase orders to [suppliers](suppliers.md), the goods arriving against them, what that
teaches about each supplier (scorecards), and what to buy next (replenishment).

Every request below was sent to the API and every response is pasted as it came back (by
`scripts/capture_purchasing_examples.py purchasing`, on a fixed clock starting
2026-11-26 09:00 UTC; only the ids differ from run to run). The shop has a Berlin
warehouse `ber`, `TEE-WHT-M` (40 on hand) and `MUG-BLK` (none), and the supplier
`LINEN-PT` (EUR, 10 days lead time, minimum order 50.00 EUR) selling both.

## The life of a purchase order

```
draft ──send──▶ sent ──confirm──▶ confirmed ──receipt──▶ partly_received ──receipt──▶ received ──close──▶ closed
  │               │  └──────────────receipt────────────────┘        │                              ▲
  └──cancel──┬────┘                                                  └──close (short)──────────────┘
             ▼
         cancelled      (draft, sent or confirmed, nothing received)
```

| call | from | does |
| --- | --- | --- |
| `POST /api/v1/purchase-orders` | | a `draft` in the supplier's currency; a line without `unit_cost` takes the supplier's price for its quantity |
| `POST …/{id}/send` | `draft` | each line becomes open [expected supply](inventory-movements.md) of kind `purchase_order` at the order's location: availability and [inventory health](inventory-health.md) count it as incoming |
| `POST …/{id}/confirm` | `sent` | the supplier's quantities and dates per line; a changed line has its expected supply replaced |
| `POST …/{id}/receipts` | `sent`, `confirmed`, `partly_received` | goods arriving: accepted units are booked into stock with the `receipt` movement against the line's expected supply; rejected (damaged) units are recorded, not stocked |
| `POST …/{id}/close` | `sent` … `received` | `closed`; with units still open it closes short and their expected supply is cancelled |
| `POST …/{id}/cancel` | `draft`, `sent`, `confirmed` | `cancelled`; its expected supply is cancelled |
| `POST …/{id}/notifications` | `sent`, `confirmed`, `partly_received` | e-mail the order (its PDF) to the supplier again |
| `GET …/{id}/pdf` | any | the order as a PDF for the supplier |
""")
    po = rec.call("Draft a purchase order: costs from the supplier's prices", "POST", POS,
                  idem="po-2026-11-26-1", body={
                      "supplier": "LINEN-PT", "location": "ber", "reference": "PO-1001",
                      "lines": [{"sku": "TEE-WHT-M", "quantity": 100},
                                {"sku": "MUG-BLK", "quantity": 12,
                                 "unit_cost": {"amount": "1.95", "currency": "EUR"}}]})
    assert po["total"]["amount"] == "403.40"
    sent = rec.call("Send it: the lines become expected supply", "POST",
                    f"{POS}/{po['id']}/send")
    assert [n["status"] for n in sent["notifications"]] == ["queued"]
    rec.call("The expected supply the first line announced", "GET",
             f"/api/v1/inventory/supply/{sent['lines'][0]['supply_id']}")
    mailed_section(client, rec, po)
    rec.call("The supplier confirms 10 mugs instead of 12, two days later", "POST",
             f"{POS}/{po['id']}/confirm", body={"lines": [
                 {"line_no": 2, "quantity": 10, "date": "2026-12-08"}]})
    say("""
## Receipts

A receipt names each SKU arriving with the units `accepted` into stock and the units
`rejected` on arrival (damaged, wrong): rejected units count on the line and the
supplier's scorecard but never reach stock, and the line stays open for them. A line may
receive more than is due by up to the order's `tolerance_percent` (5 unless set when
drafting): units within the line's expected supply are received against it, the extra
is a plain receipt. The order is `received` once no line has units open.

The order and then its lines are locked (`SELECT … FOR UPDATE`) before anything is
booked, so two receipts racing for a line's last open units run one after the other: the
second sees the first and is refused. Both databases are tested with six concurrent
receipts.
""")
    clock.advance(timedelta(days=9))
    rec.call("The first delivery: 60 shirts and 10 mugs, one of them broken", "POST",
             f"{POS}/{po['id']}/receipts", idem="receipt-po-1001-1", body={
                 "lines": [{"sku": "TEE-WHT-M", "accepted": 60},
                           {"sku": "MUG-BLK", "accepted": 9, "rejected": 1}],
                 "note": "pallet 1 of 2"})
    problem = rec.call("More than the tolerance allows is refused, nothing booked", "POST",
                       f"{POS}/{po['id']}/receipts",
                       body={"lines": [{"sku": "TEE-WHT-M", "accepted": 46}]})
    assert problem["status"] == 409
    clock.advance(timedelta(days=2))
    rec.call("The rest of the shirts, with 2 extra (within 5%)", "POST",
             f"{POS}/{po['id']}/receipts",
             body={"lines": [{"sku": "TEE-WHT-M", "accepted": 42}]})
    closed = rec.call("The broken mug will not be replaced: close short", "POST",
                      f"{POS}/{po['id']}/close", body={"reason": "supplier credits the mug"})
    assert closed["status"] == "closed"
    other = quietly(client, "POST", POS, {"supplier": "LINEN-PT", "location": "ber",
                                          "lines": [{"sku": "TEE-WHT-M", "quantity": 20}]})
    quietly(client, "POST", f"{POS}/{other['id']}/cancel", {"reason": "ordered twice"})
    say("""
Refused, with nothing changed: a receipt for a cancelled or closed order (`409`,
`illegal-transition`), a SKU not on the order (`422`), a purchase order for a blocked
supplier (`422`, field `supplier`), a cost in another currency than the supplier's
(`422`, field `lines.N.unit_cost.currency`) or a negative one (`422`), sending to a
supplier on hold or below its minimum order (`409`).
""")
    rec.call("A receipt for a cancelled order", "POST", f"{POS}/{other['id']}/receipts",
             body={"lines": [{"sku": "TEE-WHT-M", "accepted": 5}]})
    pdf = client.get(f"{POS}/{po['id']}/pdf", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    say(f"""
## The PDF

`GET /api/v1/purchase-orders/{{id}}/pdf` answers `application/pdf` as an attachment named
after the reference (`PO-1001.pdf`, {len(pdf.content):,} bytes here): the supplier and its
address, where to deliver, the expected date, payment terms and incoterm, each line with
the quantity due (confirmed, else ordered), unit cost and line total, the total, the
order's note and the supplier's terms text. Like the invoices it is rendered with
reportlab in invariant mode: the same order gives the same bytes. It is the attachment of
the [e-mail to the supplier](#the-supplier-gets-the-order-by-e-mail).

## Scorecards

`GET /api/v1/suppliers/{{supplier}}/scorecard?from=…&to=…` looks at the sent lines whose
due date (confirmed, else expected) is in the period, with the receipts booked so far:

| field | is |
| --- | --- |
| `on_time_in_full` | share of lines with everything due accepted by the due date |
| `on_time_against_confirmed` | share of confirmed lines whose first units came by the confirmed date |
| `fill_rate` | units accepted (at most what was due) over units due |
| `lead_time_actual_days`, `lead_time_promised_days` | mean days from sending to the line being complete, and to its due date |
| `units_rejected` | damaged or refused on arrival |
| `price_variance`, `price_variance_percent` | what we paid minus the supplier's list price on the day sent (for lines that have one); positive means we paid more |
| `dropship` | the drop-ship orders requested from the supplier in the period: `requested`, `accepted` (or shipped without an acceptance), `rejected`, `acceptance_rate` (accepted over accepted + rejected) and `median_hours_to_ship` (requested to the first parcel) — [dropship.md](dropship.md) |
| `service` | carriers and 3PLs only (`null` for the others): the shipments, fulfilment orders and customer feedback of the carrier accounts and locations the supplier stands behind — [suppliers.md](suppliers.md#carriers-and-3pls-as-suppliers) |
""")
    card = rec.call("The supplier's December", "GET",
                    f"{SUPPLIERS}/LINEN-PT/scorecard?from=2026-12-01&to=2026-12-31")
    assert card["lines_due"] == 2
    say("""
## Replenishment

`GET /api/v1/replenishment/suggestions` (filters `location`, `supplier`, `sku`) lists
every SKU and location whose [inventory health](inventory-health.md) suggests ordering:
the order-up-to quantity over lead time plus a 14-day review period, from the demand
forecast, minus available and incoming stock (purchase orders sent count). For each it
picks the supplier (the preferred one when it is active and has a price, else the
cheapest active one), rounds up to whole packs and the MOQ, prices the line and says
why. `POST /api/v1/replenishment/purchase-orders` turns the suggestions for one supplier
and location (all, or the `skus` named) into one draft purchase order.

Here the shop sold 6 mugs a day for the last two weeks, with nothing left.
""")
    quietly(client, "POST", "/api/v1/inventory/adjustments", {
        "sku": "MUG-BLK", "location": "ber", "quantity_delta": 75, "reason": "received"})
    today = clock.now()
    for back in range(14, 0, -1):
        clock.set(today - timedelta(days=back))
        quietly(client, "POST", "/api/v1/orders", {"channel": "web", "lines": [
            {"sku": "MUG-BLK", "quantity": 6, "unit_price": "9.90"}],
            "shipping_address": {"name": "Kim Weber", "line1": "Torstr. 1", "city": "Berlin",
                                 "postal_code": "10119", "country": "DE"}})
    clock.set(today)
    found = rec.call("What to buy", "GET", "/api/v1/replenishment/suggestions?location=ber")
    assert any(s["sku"] == "MUG-BLK" for s in found["items"])
    rec.call("Order it", "POST", "/api/v1/replenishment/purchase-orders",
             body={"supplier": "LINEN-PT", "location": "ber", "skus": ["MUG-BLK"]})
    say("""
## Events

| event | when |
| --- | --- |
| `purchase_order.created` | drafted (also from suggestions) |
| `purchase_order.sent` | sent; each line's `supply.created` comes with it |
| `purchase_order.confirmed` | the supplier's confirmation is recorded |
| `purchase_order.received` | per receipt, with `inventory.received` for each booking |
| `purchase_order.closed` | closed, `short: true` when units were missing |
| `purchase_order.cancelled` | cancelled |
| `purchase_order.notification_queued` | with `sent` (or a resend): the e-mail to the supplier waits for the worker |
| `purchase_order.notification_skipped` | with `sent`: no contact of the supplier has an e-mail address |
| `purchase_order.notification_sent`, `purchase_order.notification_failed` | the worker's outcome: accepted by the mail server, or failed (`error`) after the last attempt or a permanent refusal |

## Not there yet

Mail about a confirmation or a cancellation to the supplier (only the order itself is
e-mailed), reading the supplier's answers from its e-mails, supplier invoices and three-way matching, landed costs, purchase
orders in another currency than the supplier's, and editing a draft's lines (cancel it
and draft again) are not built.
Replenishment suggests only for SKUs that have a stock row at the location.
""")


def mailed_section(client: TestClient, rec: Recorder, po: dict) -> None:
    container = client.app.state.container
    box: Mailbox = client.app.state.mailbox
    assert PurchaseOrderMailer().run_once(container) == 1
    [mail] = box.to("ana@linen.example")
    [pdf] = list(mail.iter_attachments())
    text = mail.get_body(("plain",)).get_content().rstrip()
    say(f"""
## The supplier gets the order by e-mail

Sending the order writes, in the same transaction, an e-mail to the supplier's **ordering
contact**: the contact with role `ordering` that has an e-mail address, else the first
contact with one (here Ana Silva, role `sales`). Nothing remote happens in that
transaction: the worker's `purchase-order-mailer` job sends it afterwards over the SMTP
server the [customer messages](messaging.md) use (`ORDERMESH_SMTP_HOST`, `…_PORT`,
`…_FROM`, `…_TIMEOUT_S`), with their retry settings: an attempt that fails is tried
again after `ORDERMESH_MESSAGE_RETRY_BASE_S` seconds, doubling, up to
`ORDERMESH_MESSAGE_MAX_ATTEMPTS` attempts; a permanent refusal (a `5xx` answer) fails at
once. Each e-mail is a row of the order's `notifications`: `queued` (with `attempts`,
`next_attempt_at` and the server's `last_error` while it is retried), `sent`, `failed`,
or `skipped` with its `reason` when no contact has an e-mail address; the order is sent
all the same. Without `ORDERMESH_SMTP_HOST` the e-mails wait, `queued`.

The send above answered with one `queued` notification. The worker ran, and the mail
server (a local test server) received:

```
From: {mail["From"]}
To: {mail["To"]}
Subject: {mail["Subject"]}
Message-ID: <the notification's id@example.com>
Attachment: {pdf.get_filename()} ({pdf.get_content_type()}, {len(pdf.get_content()):,} bytes)

{text}
```
""")
    read = rec.call("The order shows the e-mail sent", "GET", f"{POS}/{po['id']}")
    assert [n["status"] for n in read["notifications"]] == ["sent"]
    again = rec.call("E-mail it again (the supplier lost it)", "POST",
                     f"{POS}/{po['id']}/notifications")
    assert [n["status"] for n in again["notifications"]] == ["sent", "queued"]
    PurchaseOrderMailer().run_once(container)
    say("""
A draft, a finished order (`received`, `closed`, `cancelled`) or a supplier without any
e-mail address is refused with `409` and nothing queued.
""")


def main() -> None:
    page = sys.argv[1] if len(sys.argv) > 1 else "purchasing"
    with running_smtp_server() as box, app_on_fresh_database(
            "purchasing", FixedClock(NOW), smtp_host="127.0.0.1", smtp_port=box.port,
            smtp_from="Linen & Clay <buying@example.com>") as client:
        client.app.state.mailbox = box
        rec = Recorder(client)
        shop(client)
        (suppliers_page if page == "suppliers" else purchasing_page)(client, rec)


if __name__ == "__main__":
    main()
