"""Write docs/store-credit.md: credit issued by a return, spent as a payment, put back
by a refund, adjusted by an admin and expiring, through the API.

Like the other capture scripts: a fresh SQLite database, the app as the server builds
it, a fixed clock, every exchange printed as Markdown with the prose around it; it stops
with an AssertionError when the app answers differently.

    .venv/bin/python scripts/capture_store_credit_examples.py > docs/store-credit.md
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from capture_examples import Recorder
from capture_kit import app_on_fresh_database, quietly, say
from capture_returns_examples import BERLIN, set_up
from fastapi.testclient import TestClient

from ordermesh.kit.clock import FixedClock

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ADA = {"email": "ada@example.com", "name": "Ada Lovelace"}
GRACE = {"email": "grace@example.com", "name": "Grace Hopper"}


def order(client: TestClient, total: str, customer: dict = ADA, ship: bool = False,
          pay: bool = False) -> dict:
    placed = quietly(client, "POST", "/api/v1/orders", {
        "channel": "web", "shipping_address": BERLIN, "customer": customer,
        "lines": [{"sku": "TEE", "quantity": 2, "unit_price": total}]})
    if pay:
        quietly(client, "POST", f"/api/v1/orders/{placed['id']}/payments",
                {"provider": "test", "source": "4242424242424242"})
    if ship:
        quietly(client, "POST", f"/api/v1/orders/{placed['id']}/shipments", {
            "lines": [{"line_no": 1, "quantity": 2}], "carrier": "dhl",
            "tracking_number": "JD014600006281"})
    return placed


def from_a_return(client: TestClient, rec: Recorder) -> dict:
    bought = order(client, "25.00", ship=True, pay=True)
    say(f"""
## Issued by a return

A channel offers store credit in its [return policy](returns.md#policy)
(`resolutions`); a return line asks for it with `resolution: store_credit`. The return
is received (and inspected) as any other, and resolved the same way, by
`POST /api/v1/returns/{{id}}/refund` or by the receipt or inspection its policy releases
the refund at: the money is exactly what the refund would give back (each unit's share
of what was paid for its line, less the policy's fees), but it is issued as the
customer's store credit instead of going back to the card. The order still records the
refund of the units, the tax booked back and the credit note. One return's money goes
one way: a request mixing `refund` and `store_credit` lines is refused
(`mixed_refund_and_store_credit`). The order needs a customer.

Order `{bought['number']}` of Ada: two T-shirts at 25.00, paid by card, invoiced and
shipped. The policy offers store credit; both T-shirts come back and arrive:
""")
    rec.call("Offer store credit", "PUT", "/api/v1/return-policies/web", body={
        "resolutions": ["refund", "store_credit"]})
    ret = rec.call("Return both for store credit", "POST", "/api/v1/returns", body={
        "order": bought["number"], "lines": [
            {"line_no": 1, "quantity": 2, "reason": "changed_mind",
             "resolution": "store_credit"}]})
    quietly(client, "POST", f"/api/v1/returns/{ret['id']}/receipts", {
        "location": "ber", "lines": [{"line_no": 1, "quantity": 2, "grade": "as_new",
                                      "disposition": "restock"}]}, status=(201,))
    resolved = rec.call("Resolve it", "POST", f"/api/v1/returns/{ret['id']}/refund")
    assert resolved["status"] == "resolved"
    assert resolved["refund"]["amount"] == "50.00"
    say("""
`return.resolved` says `resolution: store_credit`; `store_credit.issued` carries the
entry. The card payment is untouched (`refunded` stays 0.00). Ada's credit:
""")
    account = rec.call("Ada's store credit", "GET",
                       f"/api/v1/customers/{bought['customer_id']}/store-credit")
    assert account["accounts"][0]["balance"] == "50.00"
    return bought


def as_payment(client: TestClient, rec: Recorder, customer_id: str) -> None:
    say("""
## Spent as a payment

Store credit pays through the payments API like a card: provider `store_credit`
(method `store_credit`), in part or in whole, next to other payments of the order.
Authorising **holds** the amount of the order's customer's credit in the order's
currency; capturing **redeems** it (a `redeemed` entry); voiding **releases** what is
held; refunding puts redeemed credit **back** (a `refunded` entry). `source` is
optional: the customer whose credit pays, which must be the order's customer.

Ada orders two more T-shirts at 20.00 and pays 30.00 of the 40.00 with her credit,
captured at once, and the rest by card:
""")
    second = order(client, "20.00")
    paid = rec.call("Pay 30.00 with store credit", "POST",
                    f"/api/v1/orders/{second['id']}/payments",
                    body={"provider": "store_credit", "amount": "30.00", "capture": True},
                    idem="credit-pay-1")
    assert paid["status"] == "captured"
    quietly(client, "POST", f"/api/v1/orders/{second['id']}/payments",
            {"provider": "test", "source": "4242424242424242", "capture": True})
    say("""
A short balance is declined like a card: `402`, `decline_code`
`insufficient_store_credit`, the attempt recorded as a declined payment, nothing held.
Another customer's credit is declined with `customer_mismatch`.
""")
    third = order(client, "15.00")
    declined = rec.call("More than is available", "POST",
                        f"/api/v1/orders/{third['id']}/payments",
                        body={"provider": "store_credit", "capture": True})
    assert declined["decline_code"] == "insufficient_store_credit"
    graces = order(client, "5.00", customer=GRACE)
    mismatch = rec.call("Ada's credit for Grace's order", "POST",
                        f"/api/v1/orders/{graces['id']}/payments",
                        body={"provider": "store_credit", "source": customer_id})
    assert mismatch["decline_code"] == "customer_mismatch"
    say("""
## Refunds put it back

A refund of a payment made with store credit (`POST /api/v1/payments/{id}/refund`, an
order refund, a cancellation) goes back to the customer's credit, as a `refunded`
entry that does not expire:
""")
    rec.call("Refund 12.50 of it", "POST", f"/api/v1/payments/{paid['id']}/refund",
             body={"amount": "12.50", "reason": "one T-shirt arrived stained"})
    account = rec.call("Ada's store credit after it", "GET",
                       f"/api/v1/customers/{customer_id}/store-credit")
    assert account["accounts"][0]["balance"] == "32.50"


def adjustments(client: TestClient, rec: Recorder, clock: FixedClock,
                customer_id: str) -> None:
    say("""
## Adjustments (admin)

An admin corrects the ledger with a new entry, never an edit: a positive `amount` adds
credit (it may carry `expires_at`), a negative one takes credit away (no more than is
available: `409` `amount-not-available`, with `available`). A reason is required.
Retries are safe with an `Idempotency-Key`.
""")
    soon = (clock.now() + timedelta(days=30)).isoformat()
    added = rec.call("Add 10.00 expiring in 30 days", "POST",
                     f"/api/v1/customers/{customer_id}/store-credit/adjustments",
                     body={"amount": "10.00", "currency": "EUR",
                           "reason": "goodwill: late delivery", "expires_at": soon},
                     idem="adj-late-delivery")
    assert added["account"]["balance"] == "42.50"
    rec.call("Take away more than is available", "POST",
             f"/api/v1/customers/{customer_id}/store-credit/adjustments",
             body={"amount": "-50.00", "currency": "EUR", "reason": "issued twice"})
    say("""
## Expiry

Credit that expires is spent first (soonest expiry first). What is left of it when its
`expires_at` passes is no longer available: it shows as `expired` and leaves the
balance, without any entry being written. Thirty-one days later Ada has spent none of
the goodwill credit:
""")
    clock.advance(timedelta(days=31))
    later = rec.call("Ada's store credit a month later", "GET",
                     f"/api/v1/customers/{customer_id}/store-credit")
    assert (later["accounts"][0]["balance"], later["accounts"][0]["expired"]) == (
        "32.50", "10.00")


def main() -> None:
    clock = FixedClock(NOW)
    with app_on_fresh_database("store_credit", clock) as client:
        rec = Recorder(client)
        set_up(client)
        say("""
# Store credit

Store credit is money a customer holds with the shop, per currency: issued when a
return is resolved as store credit, spent as a payment on later orders (provider
`store_credit`), put back when such a payment is refunded, and adjusted by an admin.

Every request below was sent to the API and every response is pasted as it came back
(by `scripts/capture_store_credit_examples.py`, on a fixed clock; only the ids differ
from run to run). The set-up is that of [returns.md](returns.md).

## The ledger

Each customer has one account per currency, and each account an append-only ledger:

| kind | amount | written when |
| --- | --- | --- |
| `issued` | + | a return is resolved as store credit (`source_type: return`); may expire |
| `adjusted` | + or - | an admin adds or takes away credit, with a reason; a + one may expire |
| `redeemed` | - | a payment made with store credit is captured (`hold_reference`: its hold) |
| `refunded` | + | such a payment is refunded: the credit comes back, never expiring |

The account is computed from it, exact to the cent:

* `available`: what a new payment may use;
* `held`: held by payments authorised and not yet captured or voided (`holds`);
* `balance` = `available` + `held`;
* `expired`: what was left of credit when its expiry passed; gone for good.

`GET /api/v1/customers/{id}/store-credit` (viewer) shows each account with its open
holds and every entry, newest first.
""")
        bought = from_a_return(client, rec)
        as_payment(client, rec, bought["customer_id"])
        adjustments(client, rec, clock, bought["customer_id"])
        say("""
## Exactly once

The payments API calls the provider outside its own transaction, through an intent
([payments.md](payments.md#calls-to-the-gateway-intents)). The store-credit provider
keeps its ledger in the same database and works like a gateway with its own: each call
runs in a short transaction of its own and is keyed by the provider key the intent
gives it. A call repeated with the same key (a retried request, the worker resuming an
intent nobody finished) gets the first answer and never debits twice; the same key
asking for another amount is refused (`idempotency_error`). To hold, the provider locks
the customer's account row: two payments racing for the last credit are served one
after the other, and the second is declined (`insufficient_store_credit`), on SQLite
and PostgreSQL alike. Capture, void and refund lock the hold and never move more than
it has.

## Events

| event | when |
| --- | --- |
| `store_credit.issued` | a return resolved as store credit issues its refund as credit |
| `store_credit.adjusted` | an admin adjusts an account |
| `store_credit.redeemed` | a store-credit payment is captured |
| `store_credit.refunded` | a store-credit payment is refunded |

Each carries the customer, the account, the entry, the signed amount and the account's
`balance` and `available` after it ([events.md](events.md#event-types)). Holding and
releasing credit write the payment's own events (`payment.authorised`,
`payment.voided`, `payment.declined`).

## Not built yet

* An expiry for credit issued by a return (a policy setting); credit issued by a
  return does not expire, only an admin's credit may.
* Store credit in another currency than the order's; gift cards and codes a customer
  types in; credit shown in the back office.
* Per-entry `remaining` (what is left of each issue); the account shows the totals.
""")


if __name__ == "__main__":
    main()
