"""The rules before sending, end to end through a real SMTP server: a customer's night
defers their notices (the order confirmation excepted) to the morning in their time
zone, the seller may let transactional messages through, the frequency cap suppresses a
feedback request, and a recipient refused with a 5xx at RCPT bounces: the message is
``bounced``, the address undeliverable on the customer, and nothing goes to it again.
Every deferral and suppression is in ``GET /api/v1/messages`` with its reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.feedback_helpers import deliver
from tests.helpers import ok
from tests.messaging_helpers import (
    ask_for_feedback,
    messages,
    queue,
    run_jobs,
    send,
    with_smtp,
)
from tests.smtp_server import running_smtp_server

BERLIN_NIGHT = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
BERLIN_EIGHT = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)


@pytest.fixture
def box():
    with running_smtp_server() as mailbox:
        yield mailbox


def _in_berlin(client, customer_id: str) -> None:
    ok(client.patch(f"/api/v1/customers/{customer_id}", json={"locale": "de_DE"}))


def _by_type(client) -> dict[str, dict]:
    return {m["type"]: m for m in messages(client)}


def test_at_night_in_the_customers_time_zone_only_the_order_confirmation_goes(
        client, container, box):
    container = with_smtp(container, box)
    order = deliver(client, container)
    _in_berlin(client, order["customer_id"])
    container.clock.set(BERLIN_NIGHT)
    run_jobs(container)
    assert [m["Subject"] for m in box.mails()] == [
        f"Ihre Bestellung {order['number']} ist bestätigt"]
    waiting = _by_type(client)
    for kind in ("shipped", "delivered"):
        assert waiting[kind]["status"] == "queued"
        assert waiting[kind]["next_attempt_at"] == "2026-11-28T07:00:00Z"
        assert waiting[kind]["reason"] == (
            "deferred until 2026-11-28T07:00:00+00:00: quiet hours in the customer's time "
            "zone (Europe/Berlin)")
    history = ok(client.get(f"/api/v1/messages/{waiting['shipped']['id']}"))["history"]
    assert [h["status"] for h in history] == ["queued", "deferred"]

    assert send(container) == 0  # still night: deferred again, nothing claimed
    container.clock.set(BERLIN_EIGHT)
    assert send(container) == 2
    assert {m["status"] for m in messages(client)} == {"sent"}
    assert len(box.mails()) == 3


def test_a_seller_who_allows_it_sends_shipping_notices_at_night_too(client, container, box):
    lenient = with_smtp(container, box).settings.model_copy(
        update={"message_transactional_in_quiet_hours": True})
    container = with_smtp(container, box)
    container = type(container)(settings=lenient, engine=container.engine,
                                 clock=container.clock)
    order = deliver(client, container)
    _in_berlin(client, order["customer_id"])
    container.clock.set(BERLIN_NIGHT)
    run_jobs(container)
    assert {m["status"] for m in messages(client)} == {"sent"}
    assert len(box.mails()) == 3


def test_a_feedback_request_over_the_frequency_cap_is_suppressed_with_the_reason(
        client, container, box):
    container = with_smtp(container, box)
    weekly = container.settings.model_copy(update={"message_cap": 3,
                                                   "message_cap_hours": 24 * 7})
    container = type(container)(settings=weekly, engine=container.engine,
                                clock=container.clock)
    deliver(client, container)
    run_jobs(container)  # three transactional e-mails: never capped, all sent
    ask_for_feedback(container)
    run_jobs(container)
    request = _by_type(client)["feedback_request"]
    assert request["status"] == "suppressed"
    assert request["reason"] == ("frequency cap: 3 messages sent to the customer in the "
                                 "last 168 hours (at most 3)")
    assert len(box.mails()) == 3
    assert messages(client, status="suppressed") == [request]


def test_a_recipient_refused_at_rcpt_bounces_and_is_never_written_to_again(
        client, container, box):
    container = with_smtp(container, box, max_attempts=5)
    order = deliver(client, container)
    box.unknown.add("ada@example.com")
    run_jobs(container)
    assert box.mails() == []
    bounced = messages(client)
    assert {(m["status"], m["attempts"]) for m in bounced} == {("bounced", 1)}
    assert "550 5.1.1" in bounced[0]["last_error"]
    customer = ok(client.get(f"/api/v1/customers/{order['customer_id']}"))
    [email] = [i for i in customer["identities"] if i["kind"] == "email"]
    assert email["undeliverable_at"] is not None
    assert "550 5.1.1" in email["undeliverable_reason"]

    box.unknown.clear()  # even if the server would take it now: the address is marked
    ask_for_feedback(container)
    queue(container)
    request = _by_type(client)["feedback_request"]
    assert request["status"] == "suppressed"
    assert request["reason"].startswith(
        "the e-mail address bounced for good on 2026-11-27: ada@example.com: 550 5.1.1")
    send(container)
    assert box.mails() == []


def test_removing_and_adding_a_bounced_address_again_makes_it_deliverable(
        client, container, box):
    container = with_smtp(container, box)
    order = deliver(client, container)
    box.unknown.add("ada@example.com")
    run_jobs(container)
    customer_id = order["customer_id"]
    customer = ok(client.get(f"/api/v1/customers/{customer_id}"))
    [email] = [i for i in customer["identities"] if i["kind"] == "email"]
    assert client.delete(
        f"/api/v1/customers/{customer_id}/identities/{email['id']}").status_code == 204
    again = ok(client.post(f"/api/v1/customers/{customer_id}/identities",
                           json={"kind": "email", "value": "ada@example.com"}), 201)
    assert again["undeliverable_at"] is None
    box.unknown.clear()
    ask_for_feedback(container)
    run_jobs(container)
    assert _by_type(client)["feedback_request"]["status"] == "sent"
