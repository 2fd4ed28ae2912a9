"""Write docs/messaging.md: orders placed, shipped, delivered and refunded become e-mails
to their customers, in their language, handed to a real SMTP server; a server that
refuses makes the worker retry; the record through the API.

Like the other capture scripts (it uses ``capture_examples.Recorder``): a fresh SQLite
database, the app as the server builds it, a fixed clock, every exchange printed as
Markdown with the prose around it. The SMTP server is the test suite's
(``tests/smtp_server.py``, aiosmtpd) on a free local port.
It checks what it shows and stops with an AssertionError when the app answers otherwise.

    .venv/bin/python scripts/capture_messaging_examples.py > docs/messaging.md
"""

# ruff: noqa: E501  (the Markdown tables of the page cannot wrap)

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from capture_delivery import CARRIER_SECRET, pay_ship_and_deliver
from capture_examples import ADMIN_KEY, Recorder
from capture_kit import quietly, say
from capture_messaging_campaigns import campaigns
from capture_messaging_coalescing import coalescing_and_delays
from tests.sms_provider import API_KEY as SMS_API_KEY
from tests.sms_provider import CALLBACK_SECRET, running_sms_provider
from tests.smtp_server import running_smtp_server

from ordermesh.app import create_app
from ordermesh.bootstrap import build_container
from ordermesh.kit.clock import FixedClock
from ordermesh.messaging.jobs import MessageQueueing, MessageSender
from ordermesh.messaging.status_reports import SIGNATURE_HEADER, sign
from ordermesh.migrations import upgrade
from ordermesh.settings import Settings

DELIVERED = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)


def set_up(client: TestClient) -> None:
    quietly(client, "POST", "/api/v1/channels", {"code": "web", "name": "Web shop",
                                                 "kind": "web", "currency": "EUR"})
    quietly(client, "POST", "/api/v1/locations", {
        "code": "ber", "name": "Berlin", "kind": "warehouse", "address": {
            "line1": "Lagerweg 1", "city": "Berlin", "country": "DE", "postal_code": "10117"}})
    quietly(client, "PUT", "/api/v1/sscc-settings", {"company_prefix": "4012345"})
    quietly(client, "POST", "/api/v1/carriers", {
        "code": "sim", "name": "Simulated", "adapter": "simulated",
        "webhook_secret": CARRIER_SECRET, "settings": {}})
    for sku, name in (("TEE", "Linen T-shirt"), ("MUG", "Stoneware mug")):
        quietly(client, "POST", "/api/v1/products", {"sku": sku, "name": name,
                                                     "weight_grams": 400})
        quietly(client, "POST", "/api/v1/inventory/adjustments", {
            "sku": sku, "location": "ber", "quantity_delta": 50, "reason": "received"})


def delivered_order(client: TestClient, clock: FixedClock, customer: dict,
                    language: str | None) -> dict:
    """Placed, paid, picked, packed, booked, handed over and scanned delivered."""
    clock.set(DELIVERED - timedelta(days=1))
    order = quietly(client, "POST", "/api/v1/orders", {
        "channel": "web", "customer": customer, "shipping_address": {
            "name": customer["name"], "line1": "Invalidenstr. 1", "city": "Berlin",
            "postal_code": "10115", "country": "DE"},
        "lines": [{"sku": "TEE", "quantity": 1, "unit_price": "39.00"},
                  {"sku": "MUG", "quantity": 2, "unit_price": "12.00"}]})
    if language:
        quietly(client, "PATCH", f"/api/v1/customers/{order['customer_id']}",
                {"language": language})
    pay_ship_and_deliver(client, clock, order, DELIVERED)
    return order


def show_mail(mail) -> None:
    print("\n```text")
    for name in ("From", "To", "Subject", "Message-ID", "Content-Language"):
        print(f"{name}: {mail[name]}")
    print()
    print(mail.get_body(("plain",)).get_content().replace("\r\n", "\n").rstrip("\n"))
    print("```")


def main() -> int:
    url = f"sqlite:///{tempfile.mkdtemp(prefix='ordermesh-messaging-')}/ordermesh.db"
    upgrade(url)
    clock = FixedClock(DELIVERED)
    with running_smtp_server() as box, running_sms_provider() as sms:
        settings = Settings(database_url=url, admin_api_key=ADMIN_KEY,
                            smtp_host="127.0.0.1", smtp_port=box.port,
                            smtp_from="Linen & Clay <shop@example.com>",
                            sms_provider_url=sms.url, sms_api_key=SMS_API_KEY,
                            sms_sender="LinenClay", sms_callback_secret=CALLBACK_SECRET,
                            public_url="https://oms.linen-clay.example")
        container = build_container(settings, clock)
        with contextlib.redirect_stderr(io.StringIO()), \
                TestClient(create_app(container)) as client:
            set_up(client)
            body(client, Recorder(client), clock, container, box)
            by_sms(client, Recorder(client), clock, container, sms)
            coalescing_and_delays(client, Recorder(client), clock, container, box)
            campaigns(client, Recorder(client), clock, container, box)
            print(TAIL)
    return 0


def run(container) -> None:
    MessageQueueing().run_once(container)
    MessageSender().run_once(container)


def body(client, rec, clock, container, box) -> None:
    print(HEAD)
    ada = delivered_order(client, clock, {"email": "ada@example.com",
                                          "name": "Ada Lovelace"}, None)
    bernd = delivered_order(client, clock, {"email": "bernd@example.de",
                                            "name": "Bernd Schulz"}, "de")
    run(container)
    say(f"""
## From events to e-mails

Two orders were placed, shipped with the simulated carrier and scanned delivered: Ada's
`{ada['number']}` (no language in her profile: English) and Bernd's `{bernd['number']}`
(his profile says `"language": "de"`). On its next pass the worker's `message-queueing`
job reads these events from the outbox and queues one message each, rendered in the
customer's language; `message-sender` hands them to the SMTP server. Bernd's
shipping notice, as the server received it:
""")
    mails = box.to("bernd@example.de")
    assert [m["Content-Language"] for m in mails] == ["de"] * 3
    show_mail(mails[1])
    say("""
Money and dates are formatted by Babel in the customer's locale (`39,00 €`,
`26. November 2026` in German; `€39.00`, `November 26, 2026` in English). Ada's
order confirmation:
""")
    show_mail(box.to("ada@example.com")[0])
    say("""
Every e-mail is plain text with an HTML alternative. Its `Message-ID` is made from the
message id, so when a crash makes the worker send an e-mail a second time (at least
once, never lost), the receiving side can tell it is the same one.

## The record

`GET /api/v1/messages` lists every message, newest first, filtered by `customer`,
`order` (id or number), `status` and `type`, paged with `cursor`:
""")
    listed = rec.call("Bernd's messages", "GET", f"/api/v1/messages?order={bernd['number']}")
    assert {m["status"] for m in listed["items"]} == {"sent"}
    shipped = next(m for m in listed["items"] if m["type"] == "shipped")
    say("""
`GET /api/v1/messages/{id}` adds what was sent (subject, plain text, HTML) and the
status history:
""")
    rec.call("One message", "GET", f"/api/v1/messages/{shipped['id']}")
    say("""
## A server that refuses, then accepts

The shop refunds Ada five euros as a goodwill gesture (`refund.issued`), while the SMTP
server answers every message with a temporary refusal. The attempt is recorded, the
message stays `queued` and is tried again after `ORDERMESH_MESSAGE_RETRY_BASE_S` (60 s),
then after twice that, and so on (at most a day), up to
`ORDERMESH_MESSAGE_MAX_ATTEMPTS` (6) attempts; after the last it is `failed`
(`message.failed`), never silently dropped. A permanent refusal (a `5xx` answer such as
`550 no such mailbox`) fails the message at once: asking again would be refused again.
""")
    clock.set(DELIVERED + timedelta(hours=2))
    quietly(client, "POST", f"/api/v1/orders/{ada['id']}/refunds",
            {"amount": "5.00", "reason": "goodwill: late delivery"})
    box.refuse = "451 4.3.0 mailbox busy, try again later"
    run(container)
    box.refuse = None
    clock.set(DELIVERED + timedelta(hours=2, minutes=1))
    run(container)
    [refund] = quietly(client, "GET", f"/api/v1/messages?order={ada['id']}&type=refund")["items"]
    message = rec.call("The refund notice: refused once, then sent", "GET",
                       f"/api/v1/messages/{refund['id']}")
    assert [h["status"] for h in message["history"]] == ["queued", "retry", "sent"]
    say("""
## Rules before sending

Each message is checked when it is queued (`messaging/queueing.py: _reason`) and again
right before every attempt (`messaging/checks.py: held`), so a customer who withdraws
consent, or whose address bounces, while a message waits (for a retry, for the morning,
for a worker) gets nothing. The pure decisions are in `messaging/rules.py`.

* **Consent**: `customers.consent.may_contact(customer, purpose, medium)`. Order
  messages (confirmation, shipped, delivered, refund) have the purpose `transactional`:
  sent unless the customer objected to it; the feedback request has the purpose
  `feedback`: sent only after an opt-in ([customers.md](customers.md)).
* **An address**: a customer without an e-mail address cannot be written to.
* **Hard bounces**: an SMTP server that refuses the recipient with a `5xx` answer to
  `RCPT TO` (`550 5.1.1 no such user`) makes the message `bounced` (`message.bounced`)
  and marks the address undeliverable on the customer (`undeliverable_at` and
  `undeliverable_reason` on the identity in `GET /api/v1/customers/{id}`, a
  `customer.updated` naming `undeliverable`). From then on every message to it is
  suppressed. Removing the identity and adding it again (once the customer gave a
  working address) clears the mark. A `5xx` to `MAIL FROM` or to the data is about the
  e-mail or our sender, not the address: the message fails, the address stays.
* **Frequency cap**: at most `ORDERMESH_MESSAGE_CAP` (3) messages to one customer in
  `ORDERMESH_MESSAGE_CAP_HOURS` (24); a message over the cap that is not transactional
  (a feedback request) is suppressed, not postponed: a late survey is worse than none.
  Transactional messages are never capped, and they count.
* **Quiet hours**: a customer who set contact hours on their profile
  (`"contact_hours": {"days": ["mon", …], "from": "09:00", "to": "18:00",
  "time_zone": "Europe/Berlin"}`) is written to only inside them; anyone else not during
  the seller's quiet hours, `ORDERMESH_MESSAGE_QUIET_HOURS` (`21:00-08:00`), in their
  time zone. The time zone is that of their contact hours, else that of their locale's
  country when the country keeps one time (`de_AT`: Europe/Vienna; `en_US`: unknown,
  several). With no known time zone nothing is deferred: there is no night to respect.
  A message that must wait stays `queued` with `next_attempt_at` set to the first
  moment it may go, the `reason` saying why, and a `deferred` entry in its history (no
  event: nothing happened to the customer yet).
* **Which messages may override quiet hours**: the order confirmation always goes at
  once: it answers what the customer has just done. Shipping, delivery and refund
  notices wait, unless the seller sets `ORDERMESH_MESSAGE_TRANSACTIONAL_IN_QUIET_HOURS`
  to `true`. Feedback requests always wait.

Clara (locale `de_AT`) ordered; her parcel was shipped and delivered during the day,
but the worker only gets to her messages at 23:30 in Vienna. Her confirmation goes,
the two notices wait for 08:00 Vienna time:
""")
    clara = delivered_order(client, clock, {"email": "clara@example.at",
                                            "name": "Clara Huber"}, None)
    quietly(client, "PATCH", f"/api/v1/customers/{clara['customer_id']}",
            {"locale": "de_AT"})
    clock.set(datetime(2026, 11, 27, 22, 30, tzinfo=UTC))
    run(container)
    waiting = rec.call("Deferred by quiet hours", "GET",
                       f"/api/v1/messages?customer={clara['customer_id']}&status=queued")
    assert [m["next_attempt_at"] for m in waiting["items"]] == ["2026-11-28T07:00:00Z"] * 2
    clock.set(datetime(2026, 11, 28, 7, 0, tzinfo=UTC))
    run(container)
    assert len(box.to("clara@example.at")) == 3
    say("""
Dora's address does not exist: the server refuses it at `RCPT TO`. Her messages
bounce, and her e-mail identity is marked undeliverable:
""")
    clock.set(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))
    box.unknown.add("dora@example.com")
    dora = delivered_order(client, clock, {"email": "dora@example.com",
                                           "name": "Dora Weiss"}, None)
    clock.set(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))
    run(container)
    bounced = rec.call("A hard bounce", "GET",
                       f"/api/v1/messages?customer={dora['customer_id']}&type=shipped")
    assert bounced["items"][0]["status"] == "bounced"
    identities = quietly(client, "GET", f"/api/v1/customers/{dora['customer_id']}")["identities"]
    [email] = [i for i in identities if i["kind"] == "email"]
    print("\nIn `GET /api/v1/customers/{id}`, her e-mail identity (abridged):\n")
    print("```json")
    print(json.dumps({k: email[k] for k in ("kind", "value", "undeliverable_at",
                                            "undeliverable_reason")}, indent=2))
    print("```")
    say("""
A refused message is kept with the status `suppressed` and the `reason`
(`message.suppressed`), and never sent. Bernd objects to order e-mails; the next
message about his order (a refund) is kept but not sent:
""")
    quietly(client, "POST", f"/api/v1/customers/{bernd['customer_id']}/consents", {
        "purpose": "transactional", "medium": "email", "granted": False,
        "source_channel": "direct"})
    quietly(client, "POST", f"/api/v1/orders/{bernd['id']}/refunds",
            {"amount": "3.00", "reason": "goodwill"})
    run(container)
    rec.call("A suppressed message", "GET",
             f"/api/v1/messages?customer={bernd['customer_id']}&status=suppressed")
    say("""
### Bad input

An unknown status or type is `422`, an unknown order or message `404`; both as
problem+json.
""")
    refused = rec.call("An unknown status", "GET", "/api/v1/messages?status=lost")
    assert refused["status"] == 422


def by_sms(client, rec, clock, container, sms) -> None:
    say("""
## SMS

A customer whose profile says `"preferred_contact": "sms"` gets their messages by SMS
when an SMS provider is configured (`ORDERMESH_SMS_PROVIDER_URL`), they have a phone
number (in E.164, from their profile or their phone identity) and there is an SMS
template for the message (all five types, in English and German:
`templates/<type>.<language>.sms.jinja`, one block `text`); otherwise by e-mail. Consent
is per medium: an SMS needs `may_contact(customer, purpose, "sms")` (transactional: no
objection on SMS; feedback: an opt-in for SMS), and every rule above holds for SMS too.

The provider is reached through an HTTP adapter (`messaging/sms.py`, httpx) behind the
same interface as e-mail (`messaging/sending.py: Medium`), with a timeout
(`ORDERMESH_SMS_TIMEOUT_S`), a refused connection retried twice by the transport, and the
sender's retries with backoff after that. The interface it speaks:

* `POST {ORDERMESH_SMS_PROVIDER_URL}/messages` with `Authorization: Bearer
  {ORDERMESH_SMS_API_KEY}`, `Idempotency-Key: <our message id>` (a resend after a crash
  or a timeout is the same request: the provider sends it once) and the JSON body
  `{"to", "from", "text", "reference", "status_callback"}`.
* A `2xx` answer with `{"id": ...}` is `sent`: the provider took it. `408`, `425`,
  `429`, `5xx`, a timeout or a lost connection are tried again later; any other `4xx` is
  permanent (`failed`), and one whose `error.code` is `invalid_number`,
  `unknown_number`, `not_mobile` or `unreachable_number` is a hard bounce: `bounced`,
  and the phone number is marked undeliverable like a bounced e-mail address.
* Delivery reports come to `status_callback`, `{public_url}/api/v1/sms/status` (below).

A provider with another interface needs an adapter of its own with the same `send`.
Emil prefers SMS and German:
""")
    clock.set(DELIVERED + timedelta(days=1, hours=3))
    emil = quietly(client, "POST", "/api/v1/orders", {
        "channel": "web", "customer": {"email": "emil@example.de", "name": "Emil Brandt",
                                       "phone": "+49 151 23456789"},
        "shipping_address": {"name": "Emil Brandt", "line1": "Torstr. 9", "city": "Berlin",
                             "postal_code": "10119", "country": "DE"},
        "lines": [{"sku": "MUG", "quantity": 1, "unit_price": "12.00"}]})
    quietly(client, "PATCH", f"/api/v1/customers/{emil['customer_id']}",
            {"preferred_contact": "sms", "language": "de"})
    run(container)
    [request] = sms.sent()
    print("\nWhat the provider received (`POST /messages`, "
          f"`Idempotency-Key: {request['reference']}`):\n")
    print("```json")
    print(json.dumps({k: v for k, v in request.items() if k != "id"}, indent=2,
                     ensure_ascii=False))
    print("```")
    listed = rec.call("Emil's confirmation, by SMS", "GET",
                      f"/api/v1/messages?customer={emil['customer_id']}")
    assert listed["items"][0]["status"] == "sent"
    say("""
### Delivery reports

The provider reports what became of each SMS with `POST /api/v1/sms/status`, without an
API key but signed with the shared secret `ORDERMESH_SMS_CALLBACK_SECRET`:
`X-Sms-Signature: sha256=<hex of HMAC-SHA256(secret, raw body)>`. The signature is
checked before anything is read or written; unsigned, tampered, or with no secret
configured: `401`. A `sent` SMS becomes `delivered` (`message.delivered`, with
`delivered_at`) or `failed` (`message.failed`); a report about an SMS we are still
handing over is a `409` (report again later); a repeated report, or one after the final
status, changes nothing (`"changed": false`).
""")
    report = json.dumps({"id": request["id"], "reference": request["reference"],
                         "status": "delivered", "error": None}).encode()
    signed = {"Content-Type": "application/json",
              SIGNATURE_HEADER: sign(CALLBACK_SECRET, report)}
    done = rec.call("Delivered", "POST", "/api/v1/sms/status", auth=None, raw=report,
                    headers=signed)
    assert done["status"] == "delivered" and done["changed"] is True
    forged = report.replace(b"delivered", b"failed")
    refused = rec.call("A tampered report", "POST", "/api/v1/sms/status", auth=None,
                       raw=forged, headers=signed)
    assert refused["status"] == 401
    one = quietly(client, "GET", f"/api/v1/messages/{request['reference']}")
    assert [h["status"] for h in one["history"]] == ["queued", "sent", "delivered"]


HEAD = """# Messaging customers

ordermesh writes to customers when something happens to their order: it confirms the
order, says when it ships (with the tracking numbers; the parcels of one order shipped
within minutes in one message), when the carrier expects it later than we promised, when
it was delivered, when money was refunded, and asks for [feedback](feedback.md) a few
days after delivery. Each message is caused by an event in the outbox, queued exactly
once, rendered from a template in the customer's language, checked against their
consent, and handed to an SMTP server (or, for customers who prefer it, as an SMS to an
HTTP provider) by the worker, at least once and with retries. Every message is recorded
with what it said and what happened to it. [Campaigns](#campaigns) send one message to
the members of a segment who opted in to marketing, scheduled and throttled.

The examples below were captured by `scripts/capture_messaging_examples.py` against a
fresh database with a fixed clock and a local SMTP server and a
simulated SMS provider (`tests/sms_provider.py`, a real HTTP server).

## Which events send what

| event | message `type` | consent purpose | what it says |
| --- | --- | --- | --- |
| `order.created` | `order_confirmation` | transactional | the lines, prices and total |
| `fulfilment.shipped` | `shipped` | transactional | the carrier and the tracking numbers; every shipment of the order within the [coalescing window](#coalescing) in one message |
| `fulfilment.delivery_delayed` | `delayed` | transactional | the carrier's new estimated delivery date and the date we promised ([delay notices](#delay-notices)) |
| `fulfilment.delivered` | `delivered` | transactional | the delivery date |
| `refund.issued` | `refund` | transactional | the amount refunded |
| `feedback.requested` | `feedback_request` | feedback | the single-use link of the [feedback request](feedback.md#requests) |

Marketplace orders are treated like the others for now: a marketplace that forbids
sellers to write to its buyers should be kept away from this with consent (see
"Not built yet").

## Settings

| variable | default | meaning |
| --- | --- | --- |
| `ORDERMESH_SMTP_HOST` | unset | the SMTP server e-mails are handed to. Unset: **no messages are queued** and none are sent; the job's cursor stays, so setting it later picks up the events of the last two days (older ones are skipped, so that a shop's history is not mailed at once) |
| `ORDERMESH_SMTP_PORT` | `25` | its port |
| `ORDERMESH_SMTP_FROM` | `shop@example.com` | the From address (`Shop <shop@example.com>` too) |
| `ORDERMESH_SMTP_TIMEOUT_S` | `10` | how long one SMTP conversation may take |
| `ORDERMESH_MESSAGE_MAX_ATTEMPTS` | `6` | attempts before a message is `failed` |
| `ORDERMESH_MESSAGE_RETRY_BASE_S` | `60` | the delay before the first retry; each next one waits twice as long, at most a day |
| `ORDERMESH_SMS_PROVIDER_URL` | unset | the HTTP SMS provider ([SMS](#sms)). Unset: no SMS; customers who prefer SMS get e-mail |
| `ORDERMESH_SMS_API_KEY` | unset | the bearer token the provider expects |
| `ORDERMESH_SMS_SENDER` | `Shop` | the sender id or number SMS come from |
| `ORDERMESH_SMS_TIMEOUT_S` | `10` | how long one request to the provider may take |
| `ORDERMESH_SMS_CALLBACK_SECRET` | unset | the shared secret the provider signs its delivery reports with; unset: every report is refused |
| `ORDERMESH_MESSAGE_QUIET_HOURS` | `21:00-08:00` | local hours in the customer's time zone when nothing but order confirmations goes out to a customer without contact hours of their own ([rules](#rules-before-sending)); empty: none |
| `ORDERMESH_MESSAGE_TRANSACTIONAL_IN_QUIET_HOURS` | `false` | shipping, delivery and refund notices go out in quiet hours (and outside contact hours) too |
| `ORDERMESH_MESSAGE_CAP` | `3` | at most this many messages to one customer per period; further ones that are not transactional are suppressed; `0`: no cap |
| `ORDERMESH_MESSAGE_CAP_HOURS` | `24` | the cap's period |
| `ORDERMESH_MESSAGE_COALESCE_S` | `{"shipped": 300}` | [coalescing windows](#coalescing) in seconds per message type (JSON, 0 to 3600); a type not named has none; `delayed` may not have one |

## How it works

* **Exactly one message per cause.** `message-queueing` follows the outbox with its own
  cursor (like the webhook fan-out), locking, reading and moving it in one transaction.
  A message is unique by (source event, recipient, type): an event read again (a replay,
  a second worker) queues nothing more.
* **Nothing is sent inside a transaction.** `message-sender` claims due messages
  (`FOR UPDATE SKIP LOCKED` on PostgreSQL; the claim is also conditional on the attempt
  count), marks them `sending` with a lease and commits; then speaks SMTP with a
  timeout; then records the outcome in a new transaction. A worker that dies after its
  claim loses nothing: when the lease runs out, another sends the message. The lease
  is long enough to send the whole claim one by one with every SMTP step taking the
  full timeout, and a sender that runs past it anyway sends no more of its claim, so two
  workers never send one message at the same time.
* **Statuses**: `queued` → `sending` → `sent`, or back to `queued` for a retry or a
  deferral, or `failed` after the last attempt; `bounced` when the recipient was
  refused for good; `suppressed` when a rule said no. Events: `message.queued`,
  `message.suppressed`, `message.sent`, `message.failed`, `message.bounced` (a retried
  or deferred attempt, and an event [coalesced](#coalescing) into a waiting message,
  write none; they are in the message's history).
* **Templates**: `src/ordermesh/messaging/templates/<type>.<language>.jinja`, rendered
  in Jinja2's sandbox with three blocks: `subject`, `text` and `html` (escaped). English
  and German are built in; a customer's `locale` or `language` of another language gets
  English. The filters `money(currency)` and `date` format with Babel in the customer's
  locale."""

TAIL = """
## Roles

Reading messages and campaigns needs any key (viewer, operator, admin); writing,
test-sending, scheduling and cancelling a campaign an operator's or an admin's. The SMS
provider's delivery reports (`POST /api/v1/sms/status`) need no key: the signature is
the credential; nor does an unsubscribe link (`/unsubscribe/{token}`): the link is.

## Not built yet

* WhatsApp, inbound replies (e-mail and SMS); adapters for named SMS providers (one
  generic HTTP interface is built, see [SMS](#sms)).
* Campaigns: cancelling cannot stop a message a sender is handing over at that moment;
  suppressing the queued messages of a cancelled campaign writes one
  `campaign.cancelled`, not a `message.suppressed` each. The audience is scanned by
  offset over the customers oldest first: a customer merged into another during the
  scan can shift the pages (nobody is messaged twice, but one member may be missed).
  A campaign's quiet hours defer, they do not skip; there is no send window or expiry.
  SMS campaigns carry the unsubscribe link in the text; there is no "STOP" reply
  handling (inbound SMS are not built). The `campaigns` job needs the campaign's
  medium configured on the worker; scheduling checks it on the API server.
* Tracking links: the shipping notice lists the carrier and the tracking numbers, not a
  link to the carrier's tracking page (carrier accounts have no link template yet).
* Delay notices come from estimates on the tracking webhook; the simulated carrier's
  polled tracking gives none. An estimate that moves back to the promised date is not
  announced ("on time again"), and coalescing windows are per type, not per channel.
* The rules' settings are the seller's, one for the whole shop (not per channel or
  message type); the frequency cap is one count over every medium.
* Editing templates through the API or the back office (they are package files), and
  languages beyond English and German.
* SMTP authentication and TLS (STARTTLS or implicit TLS): the worker talks to a relay
  on a trusted network (a local Postfix, a cloud provider's relay endpoint); and bounces
  that arrive later by e-mail (only the SMTP server's own answer is seen).
* Marketplace rules: some marketplaces forbid or relay e-mails to their buyers; that is
  not modelled yet (the channel's kind is not consulted).
* A back-office screen for messages, and resending a failed message by hand.
"""


if __name__ == "__main__":
    main()
