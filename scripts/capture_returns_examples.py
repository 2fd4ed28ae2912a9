"""Write docs/returns.md: the return policy, one return from request to refund, one
returnless refund, and refused requests, through the API.

Like the other capture scripts (it uses ``capture_examples.Recorder``): a fresh SQLite
database, the app as the server builds it, a fixed clock, every exchange printed as
Markdown with the prose around it. It checks what it shows and stops with an
AssertionError when the app answers differently.

    .venv/bin/python scripts/capture_returns_examples.py > docs/returns.md
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
from capture_examples import Recorder
from capture_kit import app_on_fresh_database, quietly, say
from capture_returns_resolution import exchange, fees, inspection

from ordermesh.kit.clock import FixedClock

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
BERLIN = {"name": "Ada Lovelace", "line1": "Invalidenstr. 1", "city": "Berlin",
          "postal_code": "10115", "country": "DE"}


STORE_CREDIT = """
## Store credit

A line may ask for `resolution: store_credit` when the channel's policy offers it. Such
a return is resolved like a refund, with the same money (each unit's share of what was
paid, less the policy's fees), but the money is issued as the customer's store credit
(`store_credit.issued`) instead of going back to the original payment; the order still
records the refund, the tax booked back and the credit note, and `return.resolved` says
`resolution: store_credit`. A return mixing `refund` and `store_credit` lines is refused
(`mixed_refund_and_store_credit`). The credit, its ledger and paying with it:
[store-credit.md](store-credit.md).
"""


def set_up(client: TestClient) -> None:
    quietly(client, "POST", "/api/v1/channels", {"code": "web", "name": "Web shop",
                                                 "kind": "web", "currency": "EUR"})
    quietly(client, "POST", "/api/v1/locations", {"code": "ber", "name": "Berlin",
                                                  "kind": "warehouse"})
    quietly(client, "POST", "/api/v1/legal-entities", {
        "code": "acme-de", "name": "Acme GmbH", "locale": "de_DE", "vat_id": "DE136695976",
        "address": {"lines": ["Friedrichstr. 1"], "postal_code": "10117", "city": "Berlin",
                    "country": "DE"}})
    channel = quietly(client, "GET", "/api/v1/channels")["items"][0]
    quietly(client, "PATCH", f"/api/v1/channels/{channel['id']}", {"legal_entity": "acme-de"})
    for sku, name, category in (("TEE", "T-shirt", "shirts"), ("SOCKS", "Socks", "underwear"),
                                ("PIN", "Enamel pin", "accessories")):
        quietly(client, "POST", "/api/v1/products", {"sku": sku, "name": name,
                                                     "category": category})
        quietly(client, "POST", "/api/v1/inventory/adjustments", {
            "sku": sku, "location": "ber", "quantity_delta": 20, "reason": "received"})


def shipped_order(client: TestClient, lines: list[tuple[str, int, str]], **extra) -> dict:
    order = quietly(client, "POST", "/api/v1/orders", {
        "channel": "web", "shipping_address": BERLIN, **extra,
        "lines": [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in lines]})
    quietly(client, "POST", f"/api/v1/orders/{order['id']}/payments",
            {"provider": "test", "source": "4242424242424242"})
    quietly(client, "POST", f"/api/v1/orders/{order['id']}/shipments", {
        "lines": [{"line_no": i + 1, "quantity": q} for i, (_, q, _) in enumerate(lines)],
        "carrier": "dhl", "tracking_number": "JD014600006281"})
    return order


def policy(rec: Recorder) -> None:
    say("""
## Policy

Each channel has one return policy; a channel without one stored gets the default
(`stored: false`): 30 days, refunds to the original payment, authorised automatically,
no final-sale categories, no returnless refunds.

| field | meaning |
| --- | --- |
| `window_days` | days after the last delivery (or shipment, when none is known) |
| `final_sale_categories` | product categories that cannot be returned (an operator may override) |
| `resolutions` | what a line may ask for: `refund`, `exchange`, `store_credit` |
| `auto_authorise` | `true`: authorised at once; `false`: waits in `requested` |
| `returnless_below` | a return worth less than this is refunded without the units coming back |
| `return_shipping_fee` | kept back from the refund, once per return whose units ship back |
| `restocking_fee_percent` | percent of the value refunded, kept back |
| `fee_free_reasons` | units returned for these reasons bear no fee (default: the seller's fault) |
| `refund_release` | `manual`, `receipt` or `inspection`: [when it is refunded](#inspection) |
| `exchange_reserve` | `at_once` or `at_receipt`: [when a replacement is placed](#an-exchange) |
""")
    rec.call("The default policy", "GET", "/api/v1/return-policies/web")
    stored = rec.call("Set the policy (admin)", "PUT", "/api/v1/return-policies/web", body={
        "window_days": 30, "final_sale_categories": ["underwear"], "resolutions": ["refund"],
        "auto_authorise": True, "returnless_below": "5.00", "return_shipping_fee": "4.95",
        "restocking_fee_percent": "10"})
    assert stored["stored"] is True
    say("""
## Reasons

The reason taxonomy is data: a new database has the usual eight, and an admin may add
more (`POST /api/v1/return-reasons` with `code` and `label`). A line naming a code that
is not in the list is refused (`unknown_reason`).
""")
    rec.call("The reasons", "GET", "/api/v1/return-reasons")


def request_to_refund(client: TestClient, rec: Recorder) -> None:
    order = shipped_order(client, [("TEE", 3, "25.00"), ("SOCKS", 2, "6.00")],
                          discount="8.60")
    say(f"""
## One return, from request to refund

Order `{order['number']}`: three T-shirts at 25.00 and two pairs of socks at 6.00, less
an order discount of 8.60, paid by card, invoiced (German VAT included in the prices)
and shipped. What may be returned, and until when:
""")
    rec.call("What is returnable", "GET", f"/api/v1/orders/{order['number']}/returnable")
    say("""
### Refused lines name their rule

Every line is judged; one refused line refuses the whole request (`422`, nothing is
created), with one error per refused line whose `code` is the rule: `unknown_line`,
`line_twice`, `unknown_reason`, `resolution_not_offered`, `not_shipped`,
`exceeds_returnable` (more than shipped, less units already in a return or refunded),
`final_sale`, `outside_window`. `POST /api/v1/returns/preview` takes the same body and
lists the refusals in a `200` instead, with the money the units would give back.
""")
    body = {"order": order["number"], "lines": [
        {"line_no": 1, "quantity": 4, "reason": "defective"},
        {"line_no": 2, "quantity": 1, "reason": "size_or_fit"}]}
    refused = rec.call("Four T-shirts (three shipped) and final-sale socks", "POST",
                       "/api/v1/returns", body=body)
    assert [e["code"] for e in refused["errors"]] == ["exceeds_returnable", "final_sale"]
    body = {"order": order["number"], "lines": [
        {"line_no": 1, "quantity": 2, "reason": "defective", "comment": "seam split on both",
         "resolution": "refund"}]}
    preview = rec.call("Preview: two T-shirts", "POST", "/api/v1/returns/preview", body=body)
    assert preview["money"]["refund"] == "45.06"
    say("""
Each unit gives back its share of what was paid for its line: 75.00 for three T-shirts
less their share of the order discount (7.41 of 8.60) is 67.59, so two give back 45.06.
The tax in it is the line's, in proportion.

### Request it
""")
    ret = rec.call("Request the return", "POST", "/api/v1/returns", body=body,
                   idem="rma-7f3a")
    assert ret["status"] == "authorised"
    say("""
The policy authorised it at once. Sent again with the same `Idempotency-Key`, the
request returns this return again instead of a second one.

### Expected back in stock

An authorised return expects its units back: each line becomes expected supply of kind
`return` (its `reference` is the return's id) at the location its units shipped from
(the fulfilment location that shipped most of the order line), dated the day it was
authorised. Availability counts it in `breakdown.returns_expected` and never promises it:
it is not in `available`, `incoming` or `by_date`, since the units' condition is unknown
until they are graded. A returnless return expects nothing; a return waiting for review
is expected only once an operator authorises it.
""")
    atp = rec.call("Availability of the T-shirt", "GET",
                   "/api/v1/availability?sku=TEE&channel=web")
    assert atp["breakdown"]["returns_expected"] == 2
    rec.call("The return's expected supply", "GET", "/api/v1/inventory/supply?kind=return")
    say("""
Each receipt counts its units as received on that supply (wherever they arrive, the
location where they were expected first), with the event `supply.return_received`; the
last unit makes it `received`. Cancelling the return, or resolving it before every unit
came back, cancels what is still expected (`supply.cancelled`).

### Receive it

The parcel arrives at the Berlin warehouse. Each line is counted, graded (`as_new`,
`open_box`, `damaged`, `defective`) and given a disposition, each a stock movement at
the receiving location with reason `returned` and the return as reference:

| disposition | stock |
| --- | --- |
| `restock` | `on_hand` up: sellable again |
| `refurbish`, `quarantine` | `damaged` up: held aside, never sold |
| `scrap` | booked in as `damaged` and written off at once: two movements, counters unchanged |

A return may arrive in several parcels (`partially_received`); more units than still
expected on a line (receiving twice) is `422` and changes nothing. Receiving refunds
only when the policy releases refunds at receipt (`refund_release: receipt`); this one
releases them by hand.
""")
    first = rec.call("Receive the first T-shirt (as new, back to stock)", "POST",
                     f"/api/v1/returns/{ret['id']}/receipts", body={
                         "location": "ber", "lines": [
                             {"line_no": 1, "quantity": 1, "grade": "as_new",
                              "disposition": "restock"}]})
    assert first["status"] == "partially_received"
    still = rec.call("One T-shirt still expected", "GET",
                     "/api/v1/inventory/supply?kind=return")
    assert still["items"][0]["received"] == 1
    say("""
The second parcel: a line may be given more than once in a receipt, one grade each.
Asking for more than is still expected is refused:
""")
    rec.call("Two more than expected", "POST", f"/api/v1/returns/{ret['id']}/receipts",
             body={"location": "ber", "lines": [
                 {"line_no": 1, "quantity": 2, "grade": "defective",
                  "disposition": "quarantine"}]})
    done = rec.call("Receive the second (defective, quarantined)", "POST",
                    f"/api/v1/returns/{ret['id']}/receipts", body={
                        "location": "ber", "note": "seam open", "lines": [
                            {"line_no": 1, "quantity": 1, "grade": "defective",
                             "disposition": "quarantine"}]})
    assert done["status"] == "received"
    say("""
### Refund it

The refund is the order's own refund (see [an order's money](order-money.md#refunding)):
the units received, at their share of what was paid, to the original payment; the
payments ledger refuses more than was captured, and the order being invoiced, a credit
note is issued. The return is `resolved` in the same transaction. Defective units bear
no fee ([fees](#fees-kept-back-from-a-refund)).
""")
    resolved = rec.call("Refund the return", "POST", f"/api/v1/returns/{ret['id']}/refund")
    assert resolved["refund"]["amount"] == "45.06"


def returnless(client: TestClient, rec: Recorder) -> None:
    order = shipped_order(client, [("PIN", 1, "4.50")])
    say(f"""
## A returnless refund

Order `{order['number']}`: one enamel pin at 4.50, shipped. Worth less than the policy's
`returnless_below` (5.00), its return is marked `returnless`: nothing is sent back,
receiving it is refused, and it is refunded straight away.
""")
    ret = rec.call("Request the return", "POST", "/api/v1/returns", body={
        "order": order["number"], "lines": [
            {"line_no": 1, "quantity": 1, "reason": "damaged_in_transit",
             "comment": "arrived bent"}]})
    assert ret["returnless"] is True
    resolved = rec.call("Refund it", "POST", f"/api/v1/returns/{ret['id']}/refund")
    assert resolved["status"] == "resolved"


def late(client: TestClient, rec: Recorder, clock: FixedClock) -> None:
    order = shipped_order(client, [("TEE", 1, "25.00")])
    clock.advance(timedelta(days=45))
    say(f"""
## Outside the window: an operator override

Order `{order['number']}` shipped 45 days ago. The request is refused
(`outside_window`) unless an operator waives the rule with `override_reason`; a
waived rule is kept on the return (`overridden`). Quantity rules are never waived.
""")
    body = {"order": order["number"], "lines": [
        {"line_no": 1, "quantity": 1, "reason": "changed_mind"}]}
    rec.call("Too late", "POST", "/api/v1/returns", body=body)
    waived = rec.call("With an override", "POST", "/api/v1/returns",
                      body={**body, "override_reason": "customer was abroad; agreed by phone"})
    assert waived["overridden"][0]["rule"] == "outside_window"
    rec.call("Cancel it (before any unit arrived)", "POST",
             f"/api/v1/returns/{waived['id']}/cancel", body={"reason": "customer kept it"})


def analytics(rec: Recorder) -> None:
    say("""
## Analytics

`GET /api/v1/returns/analytics?from=&to=` answers which way returns go, by cohort: of
the units shipped for the orders placed in the period (days in UTC, both included, at
most ten years), how many are in a return that was not rejected or cancelled, whether
it has arrived yet or not. `group_by` is `sku` (the default), `category`, `channel` or
`reason` (a reason has no units shipped: `share_of_returned` says its part of what came
back); `channel` limits it to one channel; `limit` (1 to 500, default 50) caps the
groups, most returned first. `totals` adds the refunds of those returns per currency
and the units each disposition took. `customers_above_norm` names the customers with
at least 3 orders and 2 returned units whose return rate is at least twice the
period's, highest first (at most 20). Everything above, on the day of these examples:
""")
    rec.call("Return rates by SKU", "GET",
             "/api/v1/returns/analytics?from=2026-11-26&to=2026-11-26")
    rec.call("By reason", "GET",
             "/api/v1/returns/analytics?from=2026-11-26&to=2026-11-26&group_by=reason")


def main() -> None:
    clock = FixedClock(NOW)
    with app_on_fresh_database("returns", clock) as client:
        rec = Recorder(client)
        set_up(client)
        say("""
# Returns (RMA)

A return asks for shipped units of an order back. It is judged by the channel's return
policy, authorised (at once, or by an operator) or rejected, received at a location
with a grade and a disposition per line, inspected, and resolved with a refund less the
fees the policy keeps back. Every step writes its event (`return.requested`,
`return.authorised`, `return.rejected`, `return.cancelled`, `return.received`,
`return.inspected`, `return.resolved`: [events.md](events.md)).

Every request below was sent to the API and every response is pasted as it came back
(by `scripts/capture_returns_examples.py`, on a fixed clock; only the ids differ from
run to run). The set-up (a channel `web` invoicing from a German legal entity, a
warehouse `ber`, three products with stock) is as in [catalog.md](catalog.md).

## States

```
requested ──> authorised ──> partially_received ──> received ──> inspected ──> resolved
    │             │  └──────────────────┴──────────────┴─────────────────────────┘ (refund)
    │             └──> cancelled (before any unit arrived)
    ├──> rejected (with a reason)
    └──> cancelled
```

A returnless return goes from `authorised` straight to `resolved`. A rejected or
cancelled return frees its units: they may be asked for again. Two requests racing for
the last returnable unit cannot both win: the order's row is locked while a request is
judged.
""")
        policy(rec)
        request_to_refund(client, rec)
        fees(client, rec, shipped_order, say)
        inspection(client, rec, shipped_order, say, quietly)
        exchange(client, rec, shipped_order, say, quietly)
        say(STORE_CREDIT)
        returnless(client, rec)
        late(client, rec, clock)
        analytics(rec)
        say("""
## Reading returns

`GET /api/v1/returns` lists returns oldest first, filtered by `status`, `order` (id or
number) and `channel`, `limit` at most 200 and the `cursor` of the page before.
`GET /api/v1/returns/{id}` (id or number) gives the lines and the timeline: each
status change, with the receipt or the inspection that made it.

## Not built yet

* An exchange's replacement
  placed automatically at authorisation (`at_once` allows it then, an operator or the
  shop places it with `POST /returns/{id}/exchange`).
* Return labels booked with the carrier (the simulated carrier, a Code 128 label PDF)
  and tracking the return parcel; the states `label_created` and `in_transit`.
* Destination rules for a return (a returns centre, the nearest location that accepts
  returns): its units are expected where they shipped from, and may be received
  anywhere.
* `closed` after `resolved`; an inspection that changes a disposition (it grades only;
  the stock stays where the receipt put it); inspecting a partly received return.
* A return-risk score per request deciding auto-authorise, review or refuse.
* Policy overrides per product category.
""")


if __name__ == "__main__":
    main()
