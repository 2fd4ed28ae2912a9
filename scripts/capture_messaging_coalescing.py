"""The coalescing and delay-notice sections of docs/messaging.md, captured by
``capture_messaging_examples.py`` (which calls ``coalescing_and_delays``): an order split
over two warehouses ships two parcels minutes apart and gets one e-mail; the carrier's
estimate passes the promise and the customer gets the new date, once."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, date, datetime, timedelta

from capture_delivery import CARRIER_SECRET
from capture_kit import quietly, say

from ordermesh.messaging.jobs import MessageQueueing, MessageSender

SHIPPED_AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _run(container) -> None:
    MessageQueueing().run_once(container)
    MessageSender().run_once(container)


def _split_order(client, clock) -> tuple[dict, list[str]]:
    """Erik orders a T-shirt (kept in Berlin) and a vase (kept only in Hamburg): two
    fulfilment orders, both packed."""
    quietly(client, "POST", "/api/v1/locations", {
        "code": "ham", "name": "Hamburg", "kind": "warehouse", "address": {
            "line1": "Kaiweg 2", "city": "Hamburg", "country": "DE", "postal_code": "20457"}})
    quietly(client, "POST", "/api/v1/products", {"sku": "VASE", "name": "Linen vase",
                                                   "weight_grams": 900})
    quietly(client, "POST", "/api/v1/inventory/adjustments", {
        "sku": "VASE", "location": "ham", "quantity_delta": 10, "reason": "received"})
    clock.set(SHIPPED_AT - timedelta(hours=2))
    order = quietly(client, "POST", "/api/v1/orders", {
        "channel": "web", "customer": {"email": "erik@example.com", "name": "Erik Berg"},
        "shipping_address": {"name": "Erik Berg", "line1": "Invalidenstr. 9",
                             "city": "Berlin", "postal_code": "10115", "country": "DE"},
        "lines": [{"sku": "TEE", "quantity": 1, "unit_price": "39.00"},
                  {"sku": "VASE", "quantity": 1, "unit_price": "29.00"}]})
    quietly(client, "POST", f"/api/v1/orders/{order['id']}/payments",
             {"provider": "test", "source": "4242424242424242"})
    fos = quietly(client, "GET", f"/api/v1/orders/{order['id']}/fulfilment")[
        "fulfilment_orders"]
    fo_ids = [fo["id"] for fo in sorted(fos, key=lambda fo: fo["location"])]
    assert len(fo_ids) == 2
    for location, fo_id in zip(("ber", "ham"), fo_ids, strict=True):
        picks = quietly(client, "POST", "/api/v1/pick-lists", {"location": location})
        quietly(client, "POST", f"/api/v1/pick-lists/{picks['id']}/confirm", {})
        quietly(client, "POST", f"/api/v1/fulfilment-orders/{fo_id}/packages", {})
    return order, fo_ids


def _ship(client, fo_id: str) -> str:
    shipment = quietly(client, "POST", f"/api/v1/fulfilment-orders/{fo_id}/ship")
    quietly(client, "POST", f"/api/v1/fulfilment-orders/{fo_id}/handover", {})
    return shipment["parcels"][0]["tracking_number"]


def _show_mail(mail) -> None:
    from capture_messaging_examples import show_mail

    show_mail(mail)


def coalescing_and_delays(client, rec, clock, container, box) -> None:
    order, (berlin, hamburg) = _split_order(client, clock)
    _run(container)  # the order confirmation
    clock.set(SHIPPED_AT)
    _ship(client, berlin)
    clock.set(SHIPPED_AT + timedelta(minutes=3))
    hamburg_number = _ship(client, hamburg)
    _run(container)
    say(f"""
## Coalescing

Messages that belong together go out as one. A message type can have a **coalescing
window** (`ORDERMESH_MESSAGE_COALESCE_S`, JSON seconds per type; by default
`{{"shipped": 300}}`, no window for the other types): the first event of an order opens
a message that is held (`queued`, `next_attempt_at` at the end of the window) while
later events of the same order, type and recipient that happened within the window
join it; `message-sender` sends it when the window closes, listing them all.

Erik's order `{order['number']}` was split between the Berlin and the Hamburg warehouse.
Berlin handed its parcel to the carrier at 09:00, Hamburg at 09:03. At 09:03 the worker
has queued one `shipped` message, held until 09:05:
""")
    held = rec.call("The shipping notice, collecting", "GET",
                    f"/api/v1/messages?order={order['number']}&type=shipped")
    [message] = held["items"]
    assert (message["status"], message["next_attempt_at"]) == ("queued",
                                                               "2026-11-30T09:05:00Z")
    clock.set(SHIPPED_AT + timedelta(minutes=5))
    _run(container)
    say("""
At 09:05 the window is closed and the e-mail goes, with both parcels:
""")
    shipped = [m for m in box.to("erik@example.com") if "on its way" in m["Subject"]]
    assert len(shipped) == 1 and hamburg_number in shipped[0].get_body(("plain",)).get_content()
    _show_mail(shipped[0])
    say("""
The message names every event it tells of (`source_events`) and its history says when
one joined (`coalesced`):
""")
    detail = rec.call("The coalesced message", "GET", f"/api/v1/messages/{message['id']}")
    assert [h["status"] for h in detail["history"]] == ["queued", "coalesced", "sent"]
    say("""
* **When an event joins**: it happened (by the event's time, not the time the worker
  reads it) before the message's `coalesce_until`, the first event's time plus the
  window, and the message has not been tried yet. A worker that reads the outbox late
  still puts events together that happened together, and sends at once a message whose
  window is long over.
* **Exactly once.** The events a message tells of are kept with it, unique by (event,
  recipient, type): an event read again joins nothing and queues nothing. Joining is
  conditional on the message being untried, and a sender claims a message only as it
  read it (its number of events is part of the claim's condition), so an event that
  arrives while a sender takes the message starts a message of its own, held for its
  own window, instead of being lost or told twice. Joining writes no event (the
  message's `message.queued` was written when it opened); it is in the history.
* A message that a rule refuses (`suppressed`) is not a window: each such event is
  recorded on its own. Quiet hours still apply after the window: a message collected
  at night waits for the morning like any other.
* **Never coalesced**: delay notices (below). A window for `delayed` is refused at start.
""")
    delays(client, rec, clock, container, box, order, berlin)


def _signed_scan(client, event: dict) -> None:
    raw = json.dumps({"events": [event]}).encode()
    signature = "sha256=" + hmac.new(CARRIER_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    response = client.post("/api/v1/tracking/sim", content=raw, headers={
        "Content-Type": "application/json", "X-Ordermesh-Signature": signature})
    assert response.status_code == 200, response.text


def delays(client, rec, clock, container, box, order: dict, fo_id: str) -> None:
    shipment = quietly(client, "GET", f"/api/v1/fulfilment-orders/{fo_id}/shipment")
    promised = date.fromisoformat(shipment["promised_date"])
    number = shipment["parcels"][0]["tracking_number"]
    later = promised + timedelta(days=2)
    clock.set(SHIPPED_AT + timedelta(hours=5))
    scan = {"event_id": f"{number}-ARR1", "tracking_number": number, "status": "ARR",
            "occurred_at": (SHIPPED_AT + timedelta(hours=4)).isoformat(),
            "description": "arrived at the hub, delayed by weather", "location": "Hannover",
            "estimated_delivery": later.isoformat()}
    say(f"""
## Delay notices

A carrier's tracking event may carry its estimate of the delivery day
(`estimated_delivery`, a date, on the [tracking webhook](shipping.md)). The shipment
keeps the estimate of its newest believed event (`estimated_delivery` in
`GET /api/v1/fulfilment-orders/{{id}}/shipment`; an older event arriving late, or a
parked one, changes nothing). When the estimate changes to a day after the promised date
of a shipment not yet delivered, `fulfilment.delivery_delayed` is written, and the
worker queues a `delayed` message with the new date:

* **Once per order and estimate**: the carrier repeating the same date, or the other
  parcel of the order reporting it too, queues nothing more; a later estimate again is a
  new notice.
* **By itself**: never coalesced, never held by another message's window; a `shipped`
  message still collecting parcels does not hold it back.
* **Like any other message**: transactional consent, quiet hours (it waits for the
  morning unless `ORDERMESH_MESSAGE_TRANSACTIONAL_IN_QUIET_HOURS`), SMS for customers
  who prefer it.
* **Not after the parcel**: a notice still waiting (for the morning, a retry) when its
  shipment is scanned delivered is `suppressed` ("the parcel was delivered before the
  delay notice went out").

The Berlin parcel of Erik's order (promised for {promised.isoformat()}) is held up at the
hub; the carrier now expects it on {later.isoformat()}. Its webhook event (signed as
usual):

```json
{json.dumps({"events": [scan]}, indent=2)}
```
""")
    _signed_scan(client, scan)
    _signed_scan(client, {**scan, "event_id": f"{number}-ARR2", "description": "still at the hub",
                          "occurred_at": (SHIPPED_AT + timedelta(hours=4, minutes=30)).isoformat()})
    _run(container)
    [delayed] = [m for m in box.to("erik@example.com") if "delayed" in m["Subject"]]
    say("""
The event it writes, and the e-mail Erik gets (once, though the carrier said it twice):
""")
    events = quietly(client, "GET", "/api/v1/events?type=fulfilment.delivery_delayed")["items"]
    [event] = [e for e in events if e["aggregate_id"] == fo_id]
    print("\n```json")
    print(json.dumps({k: event[k] for k in ("type", "aggregate_type", "aggregate_id",
                                             "payload")}, indent=2))
    print("```")
    _show_mail(delayed)
    assert len(quietly(client, "GET",
                        f"/api/v1/messages?order={order['number']}&type=delayed")["items"]) == 1
