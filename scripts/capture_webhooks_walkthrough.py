"""Write docs/webhooks.md: webhook endpoints, signed deliveries, retries and replays,
captured by running them.

Like the other capture scripts (it uses ``capture_examples.Recorder``): a fresh SQLite
database, the app as the server builds it, every exchange printed as Markdown with the
prose around it. The clock is fixed at the time the script runs (receivers refuse
signatures more than five minutes old) and moved by hand to show a retry. A small HTTP
server in a thread receives the deliveries, and the script checks each signature with
the verification snippet the page shows; it stops with an AssertionError when the app
behaves otherwise.

    .venv/bin/python scripts/capture_webhooks_walkthrough.py > docs/webhooks.md
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
from capture_examples import ADMIN_KEY, Recorder
from capture_kit import say

from ordermesh.app import create_app
from ordermesh.bootstrap import build_container
from ordermesh.kit.clock import FixedClock
from ordermesh.migrations import upgrade
from ordermesh.settings import Settings
from ordermesh.webhooks.jobs import WebhookFanOut, WebhookSender

EP = "/api/v1/webhook-endpoints"
VERIFY = '''
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET = "whsec_..."  # from the answer of POST /api/v1/webhook-endpoints


def handle(body: bytes, headers: dict[str, str]) -> int:
    """body: the raw request body, exactly as received; headers: the request's headers."""
    try:
        event = Webhook(SECRET).verify(body, headers)
    except WebhookVerificationError:
        return 400  # not from ordermesh, altered, or older than five minutes
    if already_handled(event["id"]):  # at least once: the same event may come again
        return 204
    process(event["type"], event["data"])
    remember(event["id"])
    return 204
'''


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 204


def serve(inbox: Inbox) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            inbox.received.append((dict(self.headers.items()), body))
            self.send_response(inbox.status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def verify(secret: str, headers: dict[str, str], body: bytes) -> dict:
    """Runs the snippet of the page."""
    namespace: dict = {}
    exec(VERIFY.replace('"whsec_..."', repr(secret)), namespace)  # the code as shown
    handled: set[str] = set()
    namespace.update(already_handled=handled.__contains__, remember=handled.add,
                     process=lambda *_: None)
    assert namespace["handle"](body, headers) == 204
    return json.loads(body)


def show_delivery(headers: dict[str, str], body: bytes) -> None:
    print("\n```http")
    print("POST /ordermesh-hook HTTP/1.1")
    for name in ("content-type", "user-agent", "webhook-id", "webhook-timestamp",
                 "webhook-signature"):
        print(f"{name}: {headers[name.title()] if name.title() in headers else headers[name]}")
    print()
    print(json.dumps(json.loads(body), indent=2))
    print("```")


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="ordermesh-webhooks-"))
    url = f"sqlite:///{workdir / 'ordermesh.db'}"
    upgrade(url)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    container = build_container(Settings(database_url=url, admin_api_key=ADMIN_KEY,
                                         webhook_disable_after=5), clock)
    inbox = Inbox()
    server = serve(inbox)
    hook = f"http://127.0.0.1:{server.server_address[1]}/ordermesh-hook"
    sender = WebhookSender(rng=random.Random(19))

    def relay() -> None:
        WebhookFanOut().run_once(container)
        sender.run_once(container)

    out = io.StringIO()
    with TestClient(create_app(container)) as client, contextlib.redirect_stdout(out):
        rec = Recorder(client)
        page(rec, client, hook, inbox, relay, clock)
    server.shutdown()
    print(out.getvalue().replace(hook, "https://erp.example.com/ordermesh-hook"), end="")
    return 0


def page(rec: Recorder, client: TestClient, hook: str, inbox: Inbox, relay, clock) -> None:
    print(INTRO.strip("\n"))
    say("## Subscribing\n\nAn endpoint is a URL and the event types it wants: exact types, "
        "a prefix with `.*`, or `*` for all. The answer holds the signing secret, a "
        "Standard Webhooks `whsec_` secret (give your own in `secret`, or let ordermesh "
        "make one); it is shown only here and when the secret is rotated.")
    endpoint = rec.call("Subscribe", "POST", EP, idem="erp-hook-1", body={
        "url": hook, "event_types": ["location.*", "order.*"],
        "description": "ERP: new locations and every order change"})
    assert endpoint["enabled"] and endpoint["secret"].startswith("whsec_")
    secret = endpoint["secret"]
    ep = f"{EP}/{endpoint['id']}"

    say("## A delivery\n\nA location is created (any change that writes an event of a "
        "subscribed type would do). The worker's relay turns the event into a delivery and "
        "POSTs it; this is what the endpoint received:")
    client.post("/api/v1/locations", json={"code": "ber", "name": "Berlin", "kind":
                                           "warehouse"},
                headers={"Authorization": f"Bearer {ADMIN_KEY}"}).raise_for_status()
    relay()
    [(headers, body)] = inbox.received
    show_delivery(headers, body)
    verify(secret, headers, body)
    say(DELIVERY_NOTES)
    say("## Verifying a delivery\n\nWith the `standardwebhooks` package (Python; the "
        "specification lists libraries for other languages), in the handler of your "
        "endpoint:\n\n```python" + VERIFY + "```\n\n" + VERIFY_NOTES)

    say("## The delivery log\n\nEvery delivery, newest first, with its latest attempts: "
        "the status code the endpoint answered and how long it took. `status` filters "
        "(`pending`, `succeeded`, `dead`); `cursor` pages.")
    rec.call("The deliveries of an endpoint", "GET", f"{ep}/deliveries")

    say(RETRIES)
    inbox.status = 500
    client.post("/api/v1/locations", json={"code": "muc", "name": "Munich", "kind":
                                           "warehouse"},
                headers={"Authorization": f"Bearer {ADMIN_KEY}"}).raise_for_status()
    relay()
    failed = rec.call("A delivery the endpoint answered with 500", "GET",
                      f"{ep}/deliveries?status=pending")
    [pending] = failed["items"]
    assert pending["last_status_code"] == 500
    inbox.status = 204
    clock.set(datetime.fromisoformat(pending["next_attempt_at"]))
    relay()
    say("When `next_attempt_at` has come, the worker tries again; this time the endpoint "
        "answers 204:")
    after = rec.call("The same delivery after its retry", "GET",
                     f"{ep}/deliveries?limit=1")
    assert after["items"][0]["status"] == "succeeded"

    say(REPLAY)
    rec.call("Send one delivery again", "POST",
             f"/api/v1/webhook-deliveries/{pending['id']}/replay")
    frm = (clock.now() - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    to = (clock.now() + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    rec.call("Send the events of a time range again", "POST",
             f"{ep}/replay?from={frm}&to={to}")
    relay()

    say("## Changing an endpoint\n\nOnly the fields sent change. `enabled: false` stops "
        "deliveries (they wait); `enabled: true` starts them again and resets the failure "
        "count.")
    rec.call("Subscribe to more types", "PATCH", ep,
             body={"event_types": ["location.*", "order.*", "refund.issued"]})
    say(ROTATION)
    rotated = rec.call("Rotate the secret", "POST", f"{ep}/rotate-secret",
                       body={"keep_previous_hours": 24})
    client.post("/api/v1/locations", json={"code": "ham", "name": "Hamburg", "kind":
                                           "warehouse"},
                headers={"Authorization": f"Bearer {ADMIN_KEY}"}).raise_for_status()
    relay()
    headers, body = inbox.received[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    verify(secret, headers, body)
    verify(rotated["secret"], headers, body)
    say("The next delivery carries two signatures, and verifies with either secret:")
    show_delivery(headers, body)

    say("## Bad input\n\nRefused with `422` and the field; nothing is changed.")
    rec.call("An event type pattern that is not one", "POST", EP,
             body={"url": hook, "event_types": ["Order created"]})
    say("## Removing an endpoint\n\nIts delivery log goes with it.")
    rec.call("Remove", "DELETE", ep)
    say(NATS)


INTRO = """
# Webhooks and NATS JetStream

Besides reading the event log (`GET /api/v1/events`, see [events.md](events.md)), other
systems can have ordermesh **push** its events:

- to **webhook endpoints**: HTTPS URLs subscribed to event types, each delivery signed as
  the [Standard Webhooks](https://www.standardwebhooks.com/) specification says, retried
  with exponential backoff for three days, logged with every attempt;
- to **NATS JetStream** ([below](#nats-jetstream)).

Both are done by the **worker** (`ordermesh worker`), after the change has committed:
nothing is sent while a database transaction is open. Both deliver **at least once**:
the same event can arrive twice (after a crash or a timeout), always with the same event
id, which the receiver dedupes on. Any number of workers can run side by side: each
event is handed on once per endpoint.

Every route on this page needs an **admin** API key. The examples below were captured
by `scripts/capture_webhooks_walkthrough.py` (the endpoint URL is shown as
`https://erp.example.com/ordermesh-hook`; ids, secrets and times differ on every run).
"""

DELIVERY_NOTES = """
- `webhook-id` is the **event id**: the same for every retry or replay of the event.
  Dedupe on it.
- `webhook-timestamp` is when this attempt was sent (Unix seconds), and
  `webhook-signature` is `v1,` and the base64 HMAC-SHA256, keyed with the secret, of
  `<webhook-id>.<webhook-timestamp>.<body>`. During a secret rotation it holds two
  signatures separated by a space.
- The body has the event's `id`, `type` and `timestamp` (when the change happened) and,
  in `data`, its `position` in the event log, the `aggregate_type` and `aggregate_id`,
  the `actor` and the `payload` as listed in [events.md](events.md#event-types).
- Any `2xx` answer counts as delivered; anything else, or no answer within
  `ORDERMESH_WEBHOOK_TIMEOUT_S` (10 s), is a failed attempt. Redirects are not followed.
- An endpoint receives the events that occur after it was created; for earlier ones,
  [replay a time range](#replays). Events are sent in order, but a retried delivery can
  arrive after later ones: order by `data.position` when order matters.
"""

VERIFY_NOTES = """
`verify` checks the signature against the raw body (parse the JSON only afterwards) and
refuses a timestamp more than five minutes from now, so a captured delivery cannot be
replayed against you later. Accept any of the signatures in the header: during a
rotation one of them is made with your old secret, one with the new one.
"""

RETRIES = """
## Retries, the dead letter and disabling

A failed attempt is tried again after a delay that grows four times each time, from
about 10 seconds up to 8 hours, each with a random ±25 % so that endpoints that failed
together do not all come back at once. A delivery still failing three days
(`ORDERMESH_WEBHOOK_RETRY_HOURS`, 72) after it was queued is **dead**: it is not tried
again unless you replay it. An endpoint whose last `ORDERMESH_WEBHOOK_DISABLE_AFTER`
(20) attempts all failed is **disabled** (`enabled: false`, with `disabled_reason`) and
the event `webhook.endpoint_disabled` is written; its deliveries wait until it is
enabled again with `PATCH`.

Here the endpoint answers `500` once:
"""

REPLAY = """
## Replays

`POST /api/v1/webhook-deliveries/{id}/replay` sends one delivery again at once, whatever
became of it (a dead one too), with a fresh retry period.
`POST /api/v1/webhook-endpoints/{id}/replay?from=&to=` does that for every event of the
endpoint's types that occurred in `[from, to)` (times with an offset; at most 31 days and
10000 events per call), and also sends the events of that range it never received: from
before it was created, or while it was disabled. The receiver gets the same `webhook-id`
again for an event it has already had.
"""

ROTATION = """
## Rotating the secret

`POST /api/v1/webhook-endpoints/{id}/rotate-secret` makes a new secret (or takes yours in
`secret`). For `keep_previous_hours` (0 to 168, default 24) every delivery carries two
signatures, one per secret, so the receiver can switch to the new secret whenever it
likes within that time.
"""

NATS = """
## NATS JetStream

With `ORDERMESH_NATS_URL` set (e.g. `nats://127.0.0.1:4222`) the worker publishes every
event, in log order, to JetStream:

- **stream** `ORDERMESH` (`ORDERMESH_NATS_STREAM`), created with the subjects
  `ordermesh.events.>` when it does not exist; create it yourself beforehand for other
  limits or replicas;
- **subject** `ordermesh.events.<event type>` (`ORDERMESH_NATS_SUBJECT_PREFIX`), e.g.
  `ordermesh.events.order.created`: subscribe to `ordermesh.events.order.>` for every
  order event;
- **header `Nats-Msg-Id`**: the event id; JetStream drops a message it has already
  stored within its duplicate window (2 minutes by default);
- **body**: the event as JSON: `id`, `type`, `position`, `aggregate_type`,
  `aggregate_id`, `payload`, `actor`, `occurred_at`.

A consumer reads it like any JetStream stream, for example with `nats-py`:

```python
js = (await nats.connect("nats://127.0.0.1:4222")).jetstream()
sub = await js.pull_subscribe("ordermesh.events.order.>", durable="erp", stream="ORDERMESH")
for msg in await sub.fetch(100, timeout=5):
    event = json.loads(msg.data)  # dedupe on event["id"]
    ...
    await msg.ack()
```

The worker keeps its place in the log in the database (the cursor `nats`) and moves it
only after the server has acknowledged each message. One worker publishes at a time: it
holds a lease on the cursor while it publishes, and another worker takes over when the
lease has run out (a crashed worker). Events published again after a crash are dropped
by JetStream's de-duplication, or deduped by id beyond its window. Every wait on the
server is limited by `ORDERMESH_NATS_TIMEOUT_S` (5 s). When the server cannot be reached
the worker logs it and tries again on its next pass; nothing is lost.
"""


if __name__ == "__main__":
    raise SystemExit(main())
