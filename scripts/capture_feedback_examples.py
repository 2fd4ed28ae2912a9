"""Write docs/feedback.md: a delivered order leads to a feedback request (the worker job),
the customer answers on the public page, an agent and a marketplace add feedback, bad
input is refused, and the insights show it all; through the API.

Like the other capture scripts (it uses ``capture_examples.Recorder``): a fresh SQLite
database, the app as the server builds it, a fixed clock, every exchange printed as
Markdown with the prose around it. It checks what it shows and stops with an
AssertionError when the app answers differently.

    .venv/bin/python scripts/capture_feedback_examples.py > docs/feedback.md
"""

# ruff: noqa: E501  (the Markdown tables of the page cannot wrap)

from __future__ import annotations

import contextlib
import io
import re
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
from capture_delivery import CARRIER_SECRET, pay_ship_and_deliver
from capture_examples import ADMIN_KEY, Recorder
from capture_kit import quietly, say

from ordermesh.app import create_app
from ordermesh.bootstrap import build_container
from ordermesh.feedback.jobs import FeedbackRequests
from ordermesh.kit.clock import FixedClock
from ordermesh.migrations import upgrade
from ordermesh.settings import Settings

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SECRET = "capture-feedback-secret-0123456789abcdef"
ADDRESS = {"name": "Ada Lovelace", "line1": "Invalidenstr. 1", "city": "Berlin",
           "postal_code": "10115", "country": "DE"}


def set_up(client: TestClient) -> None:
    quietly(client, "POST", "/api/v1/channels", {"code": "web", "name": "Web shop",
                                                 "kind": "web", "currency": "EUR"})
    quietly(client, "POST", "/api/v1/channels", {"code": "amazon-de", "name": "Amazon DE",
                                                 "kind": "marketplace", "currency": "EUR"})
    quietly(client, "POST", "/api/v1/locations", {
        "code": "ber", "name": "Berlin", "kind": "warehouse", "address": {
            "line1": "Lagerweg 1", "city": "Berlin", "country": "DE", "postal_code": "10117"}})
    quietly(client, "PUT", "/api/v1/sscc-settings", {"company_prefix": "4012345"})
    quietly(client, "POST", "/api/v1/carriers", {
        "code": "sim", "name": "Simulated", "adapter": "simulated",
        "webhook_secret": CARRIER_SECRET, "settings": {}})
    for sku, name, category in (("TEE", "Linen T-shirt", "shirts"),
                                ("MUG", "Stoneware mug", "kitchen")):
        quietly(client, "POST", "/api/v1/products", {"sku": sku, "name": name,
                                                     "category": category,
                                                     "weight_grams": 400})
        quietly(client, "POST", "/api/v1/inventory/adjustments", {
            "sku": sku, "location": "ber", "quantity_delta": 50, "reason": "received"})


def delivered_order(client: TestClient, clock: FixedClock, email: str,
                    delivered: datetime, channel: str = "web") -> dict:
    """Placed, paid, picked, packed, booked, handed over and scanned delivered."""
    clock.set(delivered - timedelta(days=1))
    order = quietly(client, "POST", "/api/v1/orders", {
        "channel": channel, "shipping_address": ADDRESS,
        "customer": {"email": email, "name": email.split("@")[0].title()},
        "lines": [{"sku": "TEE", "quantity": 1, "unit_price": "39.00"},
                  {"sku": "MUG", "quantity": 2, "unit_price": "12.00"}]})
    pay_ship_and_deliver(client, clock, order, delivered)
    quietly(client, "POST", f"/api/v1/customers/{order['customer_id']}/consents", {
        "purpose": "feedback", "medium": "email", "granted": True, "level": "single",
        "source_channel": channel})
    return order


def page(client: TestClient, label: str, method: str, path: str,
         form: dict | None = None) -> str:
    """A request to the public page, printed with the status and the page's heading."""
    response = client.request(method, path, data=form)
    print(f"\n### {label}\n")
    print("```http")
    print(f"{method} {path} HTTP/1.1")
    if form:
        print("Content-Type: application/x-www-form-urlencoded")
        print()
        print("&".join(f"{k}={v}" for k, v in form.items()))
    print("```\n")
    heading = re.search(r"<h1>(.*?)</h1>", response.text).group(1)
    errors = re.findall(r'<p class="error"[^>]*>(.*?)</p>', response.text)
    print("```http")
    print(f"HTTP/1.1 {response.status_code}")
    print(f"content-type: {response.headers['content-type']}")
    print()
    print(f"(an HTML page headed \"{heading}\"" + (f"; errors: {errors}" if errors else "")
          + ")")
    print("```")
    return response.text


def main() -> int:
    url = f"sqlite:///{tempfile.mkdtemp(prefix='ordermesh-feedback-')}/ordermesh.db"
    upgrade(url)
    clock = FixedClock(NOW)
    settings = Settings(database_url=url, admin_api_key=ADMIN_KEY, feedback_secret=SECRET,
                        public_url="https://shop.example")
    container = build_container(settings, clock)
    job = FeedbackRequests()
    with contextlib.redirect_stderr(io.StringIO()), TestClient(create_app(container)) as client:
        rec = Recorder(client)
        set_up(client)
        body(client, rec, clock, container, job)
    return 0


def body(client, rec, clock, container, job) -> None:
    print(HEAD)
    delivered = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    order = delivered_order(client, clock, "ada@example.com", delivered)
    job.run_once(container)
    say(f"""
## Requests

Order `{order['number']}` (a linen T-shirt and two mugs) was scanned delivered by the
carrier at 13:00 on 27 November; its customer agreed to feedback e-mails
(`POST /api/v1/customers/{{id}}/consents`). On its next pass the worker job `feedback-requests`
sees the delivery in the outbox and schedules a request for three days later
(`ORDERMESH_FEEDBACK_DELAY_DAYS`):
""")
    rec.call("The scheduled request", "GET", "/api/v1/feedback-requests")
    clock.set(delivered + timedelta(days=3))
    job.run_once(container)
    say("""
When it falls due, the job checks every reason not to ask (all in one function,
`feedback/requests.py: _suppression_reason`): the order has no customer or the customer
no e-mail address, the customer has not agreed to feedback e-mails (consent purpose
`feedback`, medium `email`: [customers.md](customers.md)), a return is open on the
order, or the customer was asked in the last
`ORDERMESH_FEEDBACK_QUIET_DAYS` (30). None applies, so the request is sent: the event
`feedback.requested` carries the customer's e-mail and the single-use link, for the
mailer ([messaging](messaging.md), or any subscriber) to send:
""")
    sent = rec.call("The event with the link", "GET", "/api/v1/events?type=feedback.")
    link = sent["items"][-1]["payload"]["link"]
    path = link.removeprefix("https://shop.example")
    say("""
The link is `<public_url>/feedback/<request id>.<expiry>.<signature>`: an HMAC-SHA256 of
the request id and the expiry with `ORDERMESH_FEEDBACK_SECRET`. Nothing about the
customer is in it, nothing needs storing, and it works until it expires
(`ORDERMESH_FEEDBACK_LINK_DAYS`, 30) or is used once.

## The answer page

The customer opens the link: a plain page served by ordermesh (no login, no script, no
CDN), built for a phone. It asks how likely they are to recommend the shop (NPS, 0-10),
how satisfied they are with the delivery (CSAT, 1-5), stars and a review for each
product delivered, and anything else. Every question is optional.

![The answer page on a phone](img/feedback-phone.png)
""")
    page(client, "Open the link", "GET", path)
    say("""
A score off its scale (or a line that is not in the order) shows the form again with
the error, `422`, and stores nothing; the link stays usable:
""")
    page(client, "An NPS of 11", "POST", path, {"nps": "11", "csat": "4"})
    page(client, "The answer", "POST", path, {
        "nps": "6", "csat": "2", "rating_1": "4",
        "review_1": "Lovely linen, fits well", "rating_2": "2",
        "review_2": "One mug arrived cracked, the box was crushed",
        "comment": "Delivery was two days late"})
    say("""
The link is used up: opening it again answers `409`. A link whose signature does not
match answers `404`, an expired one `410`.
""")
    page(client, "The same link again", "POST", path, {"nps": "10"})
    page(client, "A forged link", "GET", re.sub(r"\.(\d+)\.", lambda m: f".{int(m.group(1)) + 1}.",
                                                path))
    say("""
Each answered question is a piece of feedback (`feedback.received`), tied to the
customer, the order, the shipment, its carrier, the shipping location and the channel;
a product's stars and review also to the order line, the product and its category. Its
text is collated as it is stored: `sentiment` is VADER's compound score (-1 to 1; the
lexicon ships with the `vaderSentiment` package, nothing is downloaded) and `topics` are
the topics of the taxonomy the text mentions, each with the words that matched (the
classifier's evidence).
""")
    rec.call("Feedback on the order", "GET",
             f"/api/v1/feedback?order={order['number']}&kind=product_rating")
    say("""
## Feedback entered by an agent, and imported ratings

`POST /api/v1/feedback` stores one piece an agent took down (`source: agent`) or a
channel's rating (`source: import`, with the `channel` and the channel's own
`external_ref`; a second import of the same rating is refused with `409`).
`received_at` says when the customer said it. An `Idempotency-Key` makes a retry safe.
""")
    clock.set(delivered + timedelta(days=4))
    rec.call("An agent takes down a call", "POST", "/api/v1/feedback", body={
        "source": "agent", "customer_id": order["customer_id"], "order": order["number"],
        "kind": "csat", "score": 1,
        "text": "Called: the courier left the parcel in the rain, the box was soaked"},
        idem="call-2026-12-01-ada")
    second = delivered_order(client, clock, "bob@example.com",
                             datetime(2026, 12, 1, 10, tzinfo=UTC), channel="amazon-de")
    clock.set(datetime(2026, 12, 2, 9, tzinfo=UTC))
    rec.call("A marketplace rating", "POST", "/api/v1/feedback", body={
        "source": "import", "customer_id": second["customer_id"], "order": second["id"],
        "channel": "amazon-de", "kind": "product_rating", "line_no": 2, "score": 1,
        "external_ref": "AMZ-R-88172", "received_at": "2026-12-02T08:12:00Z",
        "text": "Both mugs broken. Terrible packaging, just a thin bag"})
    say("""
### Bad input changes nothing

A score outside its kind's scale (NPS 0-10, CSAT and product ratings 1-5), an order the
customer does not own, a line that is not in the order: `422` with the field and a
`code`, and nothing is stored.
""")
    for label, extra in (
            ("A CSAT of 6", {"kind": "csat", "score": 6}),
            ("Someone else's order", {"kind": "nps", "score": 9, "order": second["number"]}),
            ("A line not in the order", {"kind": "product_rating", "score": 5,
                                         "order": order["number"], "line_no": 7})):
        refused = rec.call(label, "POST", "/api/v1/feedback", body={
            "source": "agent", "customer_id": order["customer_id"], **extra})
        assert refused["status"] == 422
    more(client, clock)
    say("""
## Alerts

After each piece is stored, its product, carrier and location are checked: when at
least 5 pieces about one of them arrived in the last 30 days and at least 40 % of them
are negative (an NPS of 0-6, a CSAT or rating of 1-2, or a text whose sentiment is
below -0.05), `feedback.alert_raised` is written in the same transaction, once per
subject and calendar month:
""")
    rec.call("Alerts raised", "GET", "/api/v1/events?type=feedback.alert&limit=2")
    say("""
## Insights

`GET /api/v1/feedback/insights` answers "what do customers think of X, what is the
hitch, and is it getting better". X is any of `sku`, `category`, `channel`, `carrier`,
`location` (none: everything), in a window (`since`, `until`; default the last 180 days)
with a `period` of `month` or `week`. The answer has:

| field | what it is |
| --- | --- |
| `summary` | the answer in one paragraph |
| `nps` | -100..100: % promoters (9-10) less % detractors (0-6); `ci95` from the variance of the +1/0/-1 values; `n` |
| `csat` | % of CSAT answers that are 4 or 5, with its Wilson interval; `n` |
| `rating` | average stars with a 95 % interval; `n` |
| `sentiment` | mean VADER score of the texts, and the share that is negative |
| `trend` | per period: the same three with their `n` and intervals |
| `getting_better` | the last period against the one before: `better` or `worse` when their intervals do not overlap, else `no clear change` (or `not enough data`) |
| `themes` | each topic mentioned: mentions, negative mentions, the words that matched, and up to three quotes (most negative first) |
| `detractors`, `detractor_themes` | answers with an NPS of 0-6 (or, without an NPS, a score of 1-2) and the topics in them, with quotes |
| `alerts` | alerts raised in the window about the product, carrier or location asked about (every alert when nothing is asked about; none for a channel or category) |
""")
    clock.set(datetime(2026, 12, 20, 9, tzinfo=UTC))
    found = rec.call("What do customers think of the mug?", "GET",
                     "/api/v1/feedback/insights?sku=MUG&since=2026-09-01T00:00:00Z")
    assert found["themes"][0]["topic"] == "damage"
    rec.call("And of the carrier, week by week?", "GET",
             "/api/v1/feedback/insights?carrier=sim&period=week"
             "&since=2026-11-23T00:00:00Z")
    print(TAIL)


def more(client, clock) -> None:
    """Two earlier months of ratings of the mug, entered quietly: a history to compare."""
    for month, score, text in ((9, 5, "Beautiful glaze, sturdy"), (10, 4, "Nice mug"),
                               (11, 2, "Arrived chipped"), (12, 1, "Cracked in the box")):
        for day in range(1, 6):
            when = datetime(2026, month, day, 12, tzinfo=UTC)
            clock.set(when)
            o = delivered_order(client, clock, f"m{month}d{day}@example.com", when)
            quietly(client, "POST", "/api/v1/feedback", {
                "source": "agent", "customer_id": o["customer_id"], "order": o["id"],
                "kind": "product_rating", "line_no": 2, "score": score, "text": text})


HEAD = """# Feedback

ordermesh asks customers what they thought a few days after the delivery scan (and after
a return is resolved), with a single-use signed link to a public page it serves itself;
agents add what customers tell them, and marketplace ratings are imported through the
API. Every piece is tied to the customer and, where it applies, the order, line,
product, shipment, carrier, location and channel. Texts are scored for sentiment and
matched against a topic taxonomy, and `GET /api/v1/feedback/insights` answers what
customers think of a product, carrier, location, channel or category, what the hitch is,
and whether it is getting better, with the quotes behind each theme.

The examples below were captured by `scripts/capture_feedback_examples.py` against a
fresh database with a fixed clock.

## Settings

| variable | default | meaning |
| --- | --- | --- |
| `ORDERMESH_FEEDBACK_SECRET` | unset | signs the links (32+ characters); unset: no requests are sent and every link is refused |
| `ORDERMESH_PUBLIC_URL` | `http://127.0.0.1:8000` | where customers reach this server; links start with it |
| `ORDERMESH_FEEDBACK_DELAY_DAYS` | 3 | days after the delivery scan (or a resolved return) a request is sent |
| `ORDERMESH_FEEDBACK_QUIET_DAYS` | 30 | a customer asked in the last this many days is not asked again |
| `ORDERMESH_FEEDBACK_LINK_DAYS` | 30 | how long a link may be used |

## Topics

The taxonomy is maintained in `src/ordermesh/feedback/model.py` (`TAXONOMY`), reviewed
like code: `delivery_speed`, `damage`, `packaging`, `size_fit`, `quality`, `price`,
`service`, each a list of word stems and phrases. A text mentions a topic when one of
them matches; the words that matched are kept with the piece as the evidence."""

TAIL = """
## Roles

Entering and importing feedback needs an operator key; reading feedback, requests and
insights any key. The answer page needs none: the link is the credential, and it can be
used once.

## Not built yet

* (The e-mail itself is now sent by [messaging](messaging.md): the `feedback.requested`
  event becomes a `feedback_request` message in the customer's language.)
* Editing the topic taxonomy through the API (it is code for now), languages other than
  English (VADER and the patterns are English), and a back-office screen for feedback.
* Alerts are raised, never cleared: a subject that recovers is simply not raised again
  until it turns negative in a later month.
"""


if __name__ == "__main__":
    main()
