"""Write docs/customers.md: identities across channels, merges, the profile, consent,
the customer seen whole, export and erasure, through the API.

Like the other capture scripts (it uses ``capture_examples.Recorder``): a fresh SQLite
database, the app as the server builds it, a fixed clock, every exchange printed as
Markdown with the prose around it. It checks what it shows and stops with an
AssertionError when the app answers differently.

    .venv/bin/python scripts/capture_customer_examples.py > docs/customers.md
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
from capture_examples import Recorder
from capture_kit import app_on_fresh_database, quietly, say
from customer_prose import ERASURE, INTRO, MATCHING, NOT_BUILT, PRIVACY, SEGMENTS, WHOLE

from ordermesh.kit.clock import FixedClock

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
BERLIN = {"name": "Ada Lovelace", "line1": "Invalidenstr. 1", "city": "Berlin",
          "postal_code": "10115", "country": "DE"}


def set_up(client: TestClient) -> None:
    for code, kind in (("web", "web"), ("amazon-de", "marketplace")):
        quietly(client, "POST", "/api/v1/channels", {"code": code, "name": code.title(),
                                                     "kind": kind, "currency": "EUR"})
    quietly(client, "POST", "/api/v1/locations", {"code": "ber", "name": "Berlin",
                                                  "kind": "warehouse"})
    quietly(client, "POST", "/api/v1/products", {"sku": "TEE", "name": "T-shirt"})
    quietly(client, "POST", "/api/v1/inventory/adjustments", {
        "sku": "TEE", "location": "ber", "quantity_delta": 50, "reason": "received"})


def place(client: TestClient, customer: dict, channel: str = "web", quantity: int = 1
          ) -> dict:
    body = {"channel": channel, "customer": customer, "shipping_address": BERLIN,
            "lines": [{"sku": "TEE", "quantity": quantity, "unit_price": "20.00"}]}
    order = quietly(client, "POST", "/api/v1/orders", body)
    say(f"```json\n{json.dumps({'channel': channel, 'customer': customer})}\n```\n\n"
        f"→ order `{order['number']}`, `customer_id` `{order['customer_id']}`")
    return order


def matching(client: TestClient, rec: Recorder) -> tuple[str, str]:
    say(MATCHING)
    say("Three orders, shown by their channel and `customer` object only (the lines and "
        "the Berlin shipping address are the same):")
    first = place(client, {"email": "Ada.Lovelace@example.com", "name": "Ada Lovelace",
                           "phone": "030 1234567"}, quantity=2)
    second = place(client, {"phone": "+49 30 123 45 67", "name": "A. Lovelace"})
    assert second["customer_id"] == first["customer_id"]
    third = place(client, {"account_id": "A2X7BUYER", "email": "k3j9x@marketplace.example",
                           "name": "Ada L."}, channel="amazon-de")
    assert third["customer_id"] != first["customer_id"]
    say("The second order found Ada by her phone, given differently; the Amazon order "
        "names an account and a relay address nobody had, so it made a new customer. An "
        "order whose phone cannot be a phone number is refused before anything is "
        "written:")
    rec.call("A phone number that is too short", "POST", "/api/v1/orders", body={
        "channel": "web", "customer": {"email": "grace@example.com", "phone": "+44 20 12"},
        "shipping_address": BERLIN,
        "lines": [{"sku": "TEE", "quantity": 1, "unit_price": "20.00"}]})
    return first["customer_id"], third["customer_id"]


def merges(rec: Recorder, ada: str, amazon: str) -> None:
    say("""
## Merging duplicates

A merge links a duplicate to the customer it is the same person as (the survivor).
Nothing is copied or overwritten: the duplicate keeps its identities, addresses, consents
and orders and points at the survivor (`merged_into`). Reads of either id show the
person; orders keep finding the record that owns their identity, so undoing the merge
gives back exactly the two customers there were. Every merge and undo is in
`customer_merges` (who, when, why) and the audit trail, and writes `customer.merged` /
`customer.unmerged`.
""")
    quietly(rec.client, "POST", "/api/v1/orders", {
        "channel": "web", "customer": {"email": "ada.l@oldmail.example", "name": "Ada Lovelace"},
        "shipping_address": BERLIN,
        "lines": [{"sku": "TEE", "quantity": 1, "unit_price": "20.00"}]})
    say("""
`GET /api/v1/customers/{id}/duplicates` proposes candidates for review: customers (not
merged, not erased, outside the person's merge group) whose name (word order ignored)
or e-mail local part is at least 85 of 100 close by rapidfuzz, or who share the phone;
at most 10, best first, among at most 500 that share a name word or the start of the
e-mail. Nothing is merged by similarity. After an order from `ada.l@oldmail.example`
named Ada Lovelace:
""")
    found = rec.call("Likely duplicates of Ada", "GET", f"/api/v1/customers/{ada}/duplicates",
                     auth="<viewer key>")
    assert found and found[0]["score"] == 100
    merge = rec.call("Merge the Amazon record into Ada", "POST",
                     f"/api/v1/customers/{ada}/merges", auth="<operator key>",
                     body={"customer_id": amazon,
                           "reason": "same person: confirmed by phone, ticket 4711"})
    rec.call("Undo it", "POST", f"/api/v1/customer-merges/{merge['id']}/undo",
             auth="<operator key>")
    rec.call("A customer merged into itself", "POST", f"/api/v1/customers/{ada}/merges",
             auth="<operator key>", body={"customer_id": ada, "reason": "oops"})
    say("""
Also refused, with `409`: merging a customer that is already merged, merging into a
customer that is itself merged (merge into its survivor), undoing a merge twice; `404`
for an unknown customer or merge. (The merge is made again, quietly, for the examples
below.)
""")
    quietly(rec.client, "POST", f"/api/v1/customers/{ada}/merges",
            {"customer_id": amazon, "reason": "same person: confirmed by phone, ticket 4711"})


def profile(rec: Recorder, ada: str) -> None:
    say("""
## The profile

`PATCH /api/v1/customers/{id}` changes the fields sent (`null` clears one): `name`,
`language` (an ISO 639 code), `locale` (`de_AT` or `de-AT`, checked with Babel),
`preferred_channel` (a channel code), `preferred_contact` (`email`, `sms`, `whatsapp`,
`push`), `contact_hours` (`days`, `from`, `to`, an IANA `time_zone`), `notes`, `tags`
(lower case, digits, `-`, `_`; at most 30) and `preferences`, how they want to be
treated: `gift_wrap`, `no_calls`, `no_doorbell`, `accessibility_needs` (any of
`step_free_delivery`, `large_print`, `screen_reader`, `hearing_impaired`,
`extra_delivery_time`, `carry_to_room`), `packaging` (`standard`, `minimal`,
`plastic_free`) and `delivery_instructions`. Unknown fields, locales, channels and time
zones are `422` naming the field. Writes `customer.updated` with the fields that
changed; sending the same values again writes nothing.
""")
    rec.call("Set Ada's profile", "PATCH", f"/api/v1/customers/{ada}", auth="<operator key>",
             body={"language": "en", "locale": "en-GB", "preferred_channel": "web",
                   "preferred_contact": "email",
                   "contact_hours": {"days": ["mon", "tue", "wed", "thu", "fri"],
                                     "from": "10:00", "to": "16:00",
                                     "time_zone": "Europe/Berlin"},
                   "notes": "Leave parcels with the neighbour at no. 3",
                   "tags": ["vip", "early-adopter"],
                   "preferences": {"gift_wrap": True, "no_calls": True,
                                   "accessibility_needs": ["large_print"]}})
    say("""
The address book (`POST /api/v1/customers/{id}/addresses`, `DELETE …/addresses/{id}`)
holds addresses with an optional `label`; `default: true` makes one the default.
Identities are added and removed the same way (`POST …/identities` with `kind` `email`,
`phone` or `account` (+ `channel`), `DELETE …/identities/{id}`); one that belongs to
another customer is a `409` naming that customer: merge them instead.
""")
    rec.call("Add an address", "POST", f"/api/v1/customers/{ada}/addresses",
             auth="<operator key>", body={"label": "home", "default": True, "address": {
                 "line1": "Invalidenstr. 1", "city": "Berlin", "postal_code": "10115",
                 "country": "de"}})
    other = quietly(rec.client, "POST", "/api/v1/orders", {
        "channel": "web", "customer": {"email": "grace@example.com", "name": "Grace Hopper"},
        "shipping_address": BERLIN,
        "lines": [{"sku": "TEE", "quantity": 1, "unit_price": "20.00"}]})
    rec.call("An e-mail that belongs to another customer", "POST",
             f"/api/v1/customers/{ada}/identities", auth="<operator key>",
             body={"kind": "email", "value": "Grace@example.com"})
    assert other["customer_id"]


def consents(rec: Recorder, ada: str) -> None:
    say("""
## Consent

Consent is recorded per purpose (`transactional`, `marketing`, `feedback`, `profiling`)
and medium (`email`, `sms`, `whatsapp`, `push`) in an append-only ledger: each entry is
an opt-in (`granted: true`, with its `level`: `single`, or `confirmed` with its `proof`)
or a withdrawal (`granted: false`), with its `source_channel` (a channel code, or
`direct` for a form, a call, a confirmation link), time and who recorded it. Nothing in
the ledger is ever changed (an erasure removes the proofs only). The current state is
the newest entry per purpose and medium, over every record of the person (a merge
group).

**The rule** (`ordermesh.customers.consent.may_contact(conn, customer_id, purpose,
medium)`, which everything that contacts a customer asks first):

* `transactional` (order confirmations, shipping and return messages) is allowed without
  an opt-in, **unless the customer objected** on that medium (a withdrawal);
* `marketing`, `feedback` and `profiling` need a **current opt-in** on that medium;
* an erased or unknown customer may not be contacted at all; an unknown purpose or
  medium is an error (`422`).

Every customer starts without any opt-in, so a customer who came through a marketplace
starts without marketing consent; and a marketing opt-in cannot be recorded with a
marketplace as its source (its buyers are the marketplace's customers), only one given
to us directly or on our own channels.
""")
    rec.call("A confirmed marketing opt-in on the web shop", "POST",
             f"/api/v1/customers/{ada}/consents", auth="<operator key>",
             idem="newsletter-confirmation-7f3a", body={
                 "purpose": "marketing", "medium": "email", "granted": True,
                 "level": "confirmed", "source_channel": "web",
                 "proof": {"form": "checkout newsletter box",
                           "confirmation_link_clicked_at": "2026-11-26T09:12:00Z",
                           "ip": "192.0.2.10"}})
    rec.call("Marketing consent through a marketplace", "POST",
             f"/api/v1/customers/{ada}/consents", auth="<operator key>", body={
                 "purpose": "marketing", "medium": "sms", "granted": True,
                 "level": "single", "source_channel": "amazon-de"})
    rec.call("No calls, no texts about orders either", "POST",
             f"/api/v1/customers/{ada}/consents", auth="<operator key>", body={
                 "purpose": "transactional", "medium": "sms", "granted": False,
                 "source_channel": "direct", "proof": {"call": "hotline, agent 12"}})
    state = quietly(rec.client, "GET", f"/api/v1/customers/{ada}/consents")
    allowed = sorted(f"{c['purpose']}/{c['medium']}" for c in state["current"]
                     if c["allowed"])
    say(f"""
`GET /api/v1/customers/{{id}}/consents` answers `current` (all 16 pairs of purpose and medium
with `allowed`, `level` and `since`) and the `ledger`. For Ada now, allowed:
{", ".join(f"`{a}`" for a in allowed)}; everything else is not.
""")
    assert "marketing/email" in allowed and "transactional/sms" not in allowed


def whole(rec: Recorder, clock: FixedClock, ada: str) -> None:
    say(WHOLE)
    orders = quietly(rec.client, "GET", f"/api/v1/orders?customer={ada}")["items"]
    first = orders[-1]
    quietly(rec.client, "POST", f"/api/v1/orders/{first['id']}/payments",
            {"provider": "test", "source": "4242424242424242"})
    quietly(rec.client, "POST", f"/api/v1/orders/{first['id']}/refunds",
            {"amount": "5.00", "reason": "arrived a week late"})
    clock.advance(timedelta(days=3))
    rec.call("Ada, seen whole", "GET", f"/api/v1/customers/{ada}", auth="<viewer key>")


def segments(rec: Recorder, ada: str) -> None:
    say(SEGMENTS)
    segment = rec.call("Marketable German customers", "POST", "/api/v1/segments",
                       auth="<operator key>", body={
                           "name": "Marketable in Germany", "rules": {
                               "countries": ["DE"], "channels": ["web", "amazon-de"],
                               "lifetime_spend": {"currency": "EUR", "min": "30.00"},
                               "last_order_after": "2026-11-01",
                               "consent": {"purpose": "marketing", "medium": "email"}}})
    members = rec.call("Who is in it now", "GET",
                       f"/api/v1/segments/{segment['id']}/customers?limit=20",
                       auth="<viewer key>")
    assert [m["customer_id"] for m in members["items"]] == [ada]
    refused = rec.call("Rules that cannot be evaluated", "POST", "/api/v1/segments",
                       auth="<operator key>", body={
                           "name": "Big mug buyers", "rules": {
                               "bought": ["MUG-XL"],
                               "lifetime_spend": {"currency": "EUR", "min": "500"}}})
    assert refused["status"] == 422


def privacy(rec: Recorder, ada: str) -> None:
    say(PRIVACY)
    data = quietly(rec.client, "POST", f"/api/v1/customers/{ada}/export")
    shown = {k: (f"[{len(v)} entries]" if isinstance(v, list) else v) for k, v in data.items()}
    say("```http\nPOST /api/v1/customers/" + ada + "/export HTTP/1.1\n"
        "Authorization: Bearer <admin key>\n```\n\n```http\nHTTP/1.1 200 OK\n"
        "content-type: application/json\ncontent-disposition: attachment; "
        f'filename="customer-{ada}.json"\n\n' + json.dumps(shown, indent=2) + "\n```\n\n"
        "(Abridged: each list is shown by its length.)")
    say(ERASURE)
    rec.call("Erasure while orders are open", "POST", f"/api/v1/customers/{ada}/erasure",
             body={"reason": "GDPR art. 17 request by e-mail of 2026-11-28"})
    for order in quietly(rec.client, "GET", f"/api/v1/orders?customer={ada}")["items"]:
        quietly(rec.client, "POST", f"/api/v1/orders/{order['id']}/cancel",
                {"reason": "customer cancelled"})
    for order in quietly(rec.client, "GET", "/api/v1/orders?channel=amazon-de")["items"]:
        quietly(rec.client, "POST", f"/api/v1/orders/{order['id']}/cancel",
                {"reason": "customer cancelled"})
    say("Once every order is cancelled (or shipped):")
    rec.call("Erasure", "POST", f"/api/v1/customers/{ada}/erasure",
             body={"reason": "GDPR art. 17 request by e-mail of 2026-11-28"})
    after = quietly(rec.client, "GET", f"/api/v1/customers/{ada}")
    assert after["email"] is None and after["identities"] == []
    say(f"""
Afterwards `GET /api/v1/customers/{{id}}` shows `email`, `phone`, `name` and the profile
empty, `erased_at` set (`{after['erased_at']}`), no identities, addresses or consent;
its orders ({after['orders_count']}) and their invoices are still there, and so is its
value. Changing an erased customer is `409`; a new order with Ada's e-mail makes a new
customer.
""")


def main() -> None:
    clock = FixedClock(NOW)
    with app_on_fresh_database("customers", clock) as client:
        rec = Recorder(client)
        for role in ("viewer", "operator"):
            key = quietly(client, "POST", "/api/v1/api-keys",
                          {"name": f"docs {role}", "role": role})
            rec.key(f"<{role} key>", key["key"])
        set_up(client)
        say(INTRO)
        ada, amazon = matching(client, rec)
        merges(rec, ada, amazon)
        profile(rec, ada)
        consents(rec, ada)
        whole(rec, clock, ada)
        segments(rec, ada)
        privacy(rec, ada)
        say(NOT_BUILT)


if __name__ == "__main__":
    main()
