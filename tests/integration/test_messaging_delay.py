"""Delay notices: a carrier estimate past the promised date, reported on the tracking
webhook, tells the customer the new date: once per order and estimate, by itself (never
coalesced, never held by another message's window), under the same rules as any other
message (consent, quiet hours)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.event_checks import events_after
from tests.helpers import ok
from tests.messaging_helpers import messages, run_jobs, ship, split_order, with_smtp
from tests.shipping_helpers import post_webhook
from tests.smtp_server import running_smtp_server

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ADA = "ada@example.com"


@pytest.fixture
def box():
    with running_smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def container(container, box):
    container.clock.set(T0)
    return with_smtp(container, box)


def _scan(client, number: str, n: int, at: datetime, estimate: date | str | None) -> dict:
    """An 'arrived at the depot' scan of parcel ``number`` carrying the carrier's
    estimate."""
    event = {"event_id": f"{number}-ARR{n}", "tracking_number": number, "status": "ARR",
             "occurred_at": at.isoformat(), "location": "Hannover"}
    if estimate is not None:
        event["estimated_delivery"] = str(estimate)
    return post_webhook(client, "sim", [event])


def _shipped_split_order(client, container):
    order, fo_ids = split_order(client, container)
    numbers = [ship(client, fo_id)[0] for fo_id in fo_ids]
    promised = date.fromisoformat(ok(client.get(
        f"/api/v1/fulfilment-orders/{fo_ids[0]}"))["promised_date"])
    return order, fo_ids, numbers, promised


def _delays(client) -> list[dict]:
    return [e["payload"] for e in events_after(client, 0)
            if e["type"] == "fulfilment.delivery_delayed"]


def test_an_estimate_past_the_promise_mails_the_new_date_once_per_estimate(
        client, container, box):
    order, fo_ids, numbers, promised = _shipped_split_order(client, container)
    later = promised + timedelta(days=2)
    container.clock.set(T0 + timedelta(hours=1))
    ok(_scan(client, numbers[0], 1, T0 + timedelta(minutes=50), later))
    ok(_scan(client, numbers[0], 2, T0 + timedelta(minutes=55), later))  # the same again
    ok(_scan(client, numbers[1], 1, T0 + timedelta(minutes=56), later))  # other parcel
    run_jobs(container)

    delays = _delays(client)
    assert [(d["fulfilment_order_id"], d["estimated_delivery"]) for d in delays] == [
        (fo_ids[0], later.isoformat()), (fo_ids[1], later.isoformat())]
    assert delays[0]["promised_date"] == promised.isoformat() and \
        delays[0]["days_late"] == 2 and delays[0]["previous_estimate"] is None
    shipment = ok(client.get(f"/api/v1/fulfilment-orders/{fo_ids[0]}/shipment"))
    assert shipment["estimated_delivery"] == later.isoformat()

    [delayed] = [m for m in box.to(ADA) if "delayed" in m["Subject"]]  # one per order
    assert delayed["Subject"] == f"Your order {order['number']} is delayed"
    text = delayed.get_body(("plain",)).get_content()
    assert f"on {later:%B} {later.day}, {later.year} instead of {promised:%B} " \
           f"{promised.day}, {promised.year}" in text
    [message] = messages(client, type="delayed")
    assert message["source_event_type"] == "fulfilment.delivery_delayed"

    even_later = later + timedelta(days=1)
    ok(_scan(client, numbers[0], 3, T0 + timedelta(minutes=58), even_later))
    run_jobs(container)
    assert len([m for m in box.to(ADA) if "delayed" in m["Subject"]]) == 2
    assert _delays(client)[-1]["previous_estimate"] == later.isoformat()


def test_an_estimate_within_the_promise_or_an_older_scan_tells_nobody(client, container, box):
    _, fo_ids, numbers, promised = _shipped_split_order(client, container)
    container.clock.set(T0 + timedelta(hours=1))
    ok(_scan(client, numbers[0], 1, T0 + timedelta(minutes=50), promised))
    ok(_scan(client, numbers[0], 2, T0 + timedelta(minutes=20),  # older than what we know
             promised + timedelta(days=4)))
    run_jobs(container)
    assert _delays(client) == [] and messages(client, type="delayed") == []
    shipment = ok(client.get(f"/api/v1/fulfilment-orders/{fo_ids[0]}/shipment"))
    assert shipment["estimated_delivery"] == promised.isoformat()


def test_a_delay_notice_is_not_held_by_the_shipping_notices_window(client, container, box):
    order, _, numbers, promised = _shipped_split_order(client, container)
    container.clock.set(T0 + timedelta(minutes=1))
    ok(_scan(client, numbers[0], 1, T0 + timedelta(minutes=1), promised + timedelta(days=1)))
    run_jobs(container)
    subjects = [m["Subject"] for m in box.to(ADA)]
    assert subjects == [f"Your order {order['number']} is confirmed",
                        f"Your order {order['number']} is delayed"]
    [shipped] = messages(client, type="shipped")
    assert shipped["status"] == "queued"  # still collecting the order's parcels


def test_a_delay_notice_waits_for_the_end_of_the_customers_quiet_hours(
        client, container, box):
    order, _, numbers, promised = _shipped_split_order(client, container)
    ok(client.patch(f"/api/v1/customers/{order['customer_id']}", json={"locale": "de_DE"}))
    night = datetime(2026, 11, 26, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    container.clock.set(night)
    ok(_scan(client, numbers[0], 1, night, promised + timedelta(days=1)))
    run_jobs(container)
    [delayed] = messages(client, type="delayed")
    assert (delayed["status"], delayed["next_attempt_at"]) == ("queued", "2026-11-27T07:00:00Z")
    assert delayed["subject"] == f"Ihre Bestellung {order['number']} verspätet sich"
    container.clock.set(datetime(2026, 11, 27, 7, 0, tzinfo=UTC))
    run_jobs(container)
    assert [m["Subject"] for m in box.to(ADA)][-1] == delayed["subject"]


def test_a_customer_who_objected_to_order_messages_gets_no_delay_notice(
        client, container, box):
    order, _, numbers, promised = _shipped_split_order(client, container)
    ok(client.post(f"/api/v1/customers/{order['customer_id']}/consents", json={
        "purpose": "transactional", "medium": "email", "granted": False,
        "source_channel": "direct"}), 201)
    ok(_scan(client, numbers[0], 1, T0, promised + timedelta(days=1)))
    run_jobs(container)
    [delayed] = messages(client, type="delayed")
    assert delayed["status"] == "suppressed"
    assert box.mails() == []


def test_an_estimate_that_is_not_a_date_is_refused(client, container):
    _, _, numbers, _ = _shipped_split_order(client, container)
    refused = _scan(client, numbers[0], 1, T0, "next tuesday")
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"][0]["field"] == "events.0.estimated_delivery"


def test_a_delay_notice_still_waiting_when_the_parcel_is_delivered_is_not_sent(
        client, container, box):
    order, _, numbers, promised = _shipped_split_order(client, container)
    ok(client.patch(f"/api/v1/customers/{order['customer_id']}", json={"locale": "de_DE"}))
    night = datetime(2026, 11, 26, 22, 30, tzinfo=UTC)
    container.clock.set(night)
    ok(_scan(client, numbers[0], 1, night, promised + timedelta(days=1)))
    run_jobs(container)  # waits for 08:00 in Berlin
    morning = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
    container.clock.set(morning)
    ok(post_webhook(client, "sim", [{
        "event_id": f"{numbers[0]}-DLV", "tracking_number": numbers[0], "status": "DLV",
        "occurred_at": (morning - timedelta(minutes=30)).isoformat()}]))
    run_jobs(container)
    [delayed] = messages(client, type="delayed")
    assert (delayed["status"], delayed["reason"]) == (
        "suppressed", "the parcel was delivered before the delay notice went out")
    assert all("verspätet" not in m["Subject"] for m in box.to(ADA))
