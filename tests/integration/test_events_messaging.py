"""Messaging writes exactly its declared events (tests/event_contract.py): queueing writes
queued or suppressed per message, sending writes sent, or failed after the last attempt;
a failed attempt that is retried writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ordermesh.messaging.jobs import MessageSender
from tests.event_checks import assert_writes, of_type, written_by
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


@pytest.fixture
def box():
    with running_smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def container(container, box):
    return with_smtp(container, box, max_attempts=2)


def test_queueing_and_sending_write_queued_then_sent_for_each_email(client, container):
    order = deliver(client, container)
    _, written = assert_writes(client, "messages.queue", lambda: queue(container))
    assert sorted(e["payload"]["type"] for e in written) == [
        "delivered", "order_confirmation", "shipped"]
    assert {e["payload"]["order_id"] for e in written} == {order["id"]}
    assert {e["actor"] for e in written} == {"worker:message-queueing"}
    _, sent = assert_writes(client, "messages.send", lambda: send(container))
    assert {e["aggregate_id"] for e in sent} == {e["aggregate_id"] for e in written}
    assert {e["payload"]["attempts"] for e in sent} == {1}


def test_a_message_a_rule_refuses_writes_suppressed(client, container):
    order = deliver(client, container)
    run_jobs(container)
    ask_for_feedback(container)
    ok(client.post(f"/api/v1/customers/{order['customer_id']}/consents", json={
        "purpose": "feedback", "medium": "email", "granted": False,
        "source_channel": "direct"}), 201)
    _, written = assert_writes(client, "messages.suppress", lambda: queue(container))
    suppressed = of_type(written, "message.suppressed")["payload"]
    assert (suppressed["type"], suppressed["reason"]) == (
        "feedback_request", "the customer's consent does not allow feedback e-mails")


def test_a_message_whose_last_attempt_fails_writes_failed(client, container, box):
    deliver(client, container)
    queue(container)
    box.refuse = "452 4.3.1 insufficient system storage"
    _, retried = written_by(client, lambda: send(container))
    assert retried == []  # the first of two attempts failed: queued again, no event
    container.clock.advance(timedelta(minutes=1))
    one_at_a_time = MessageSender(batch=1, max_batches=1)
    _, written = assert_writes(client, "messages.fail",
                               lambda: one_at_a_time.run_once(container))
    failed = of_type(written, "message.failed")["payload"]
    assert failed["attempts"] == 2 and failed["error"] == "452 4.3.1 insufficient system storage"


def test_a_consent_withdrawn_before_the_attempt_writes_suppressed_and_sends_nothing(
        client, container, box):
    order = deliver(client, container)
    queue(container)
    ok(client.post(f"/api/v1/customers/{order['customer_id']}/consents", json={
        "purpose": "transactional", "medium": "email", "granted": False,
        "source_channel": "direct"}), 201)
    one_at_a_time = MessageSender(batch=1, max_batches=1)
    _, written = assert_writes(client, "messages.suppress.at_send",
                               lambda: one_at_a_time.run_once(container))
    assert of_type(written, "message.suppressed")["payload"]["reason"] == \
        "the customer's consent does not allow transactional e-mails"
    send(container)
    assert box.mails() == []
    assert {m["status"] for m in messages(client)} == {"suppressed"}


def test_a_hard_bounce_writes_bounced_and_marks_the_customers_address(
        client, container, box):
    order = deliver(client, container)
    ok(client.patch(f"/api/v1/customers/{order['customer_id']}", json={"locale": "de_DE"}))
    container.clock.set(datetime(2026, 11, 27, 22, 30, tzinfo=UTC))  # night in Berlin
    queue(container)
    _, night = written_by(client, lambda: send(container))
    assert [e["type"] for e in night] == ["message.sent"]  # the two deferred: nothing
    box.unknown.add("ada@example.com")
    one_at_a_time = MessageSender(batch=1, max_batches=1)
    container.clock.set(datetime(2026, 11, 28, 7, tzinfo=UTC))
    _, written = assert_writes(client, "messages.bounce",
                               lambda: one_at_a_time.run_once(container))
    bounced = of_type(written, "message.bounced")["payload"]
    assert bounced["medium"] == "email" and bounced["error"].startswith("ada@example.com: 550")
    assert of_type(written, "customer.updated")["payload"] == {
        "changed": ["identities"], "undeliverable": ["email"]}


def test_coalesced_shipments_write_one_queued_and_a_delay_notice_its_own(client, container):
    from tests.messaging_helpers import ship, split_order
    from tests.shipping_helpers import post_webhook

    container.clock.set(datetime(2026, 11, 26, 10, tzinfo=UTC))
    order, fo_ids = split_order(client, container)
    queue(container)  # the order confirmation
    numbers = [ship(client, fo_id)[0] for fo_id in fo_ids]
    promised = ok(client.get(f"/api/v1/fulfilment-orders/{fo_ids[0]}"))["promised_date"]
    ok(post_webhook(client, "sim", [{
        "event_id": f"{numbers[0]}-ARR", "tracking_number": numbers[0], "status": "ARR",
        "occurred_at": "2026-11-26T10:00:00Z",
        "estimated_delivery": (datetime.fromisoformat(promised) + timedelta(days=1))
        .date().isoformat()}]))
    _, written = assert_writes(client, "messages.coalesce", lambda: queue(container))
    assert sorted(e["payload"]["type"] for e in written) == ["delayed", "shipped"]
    assert {e["payload"]["order_id"] for e in written} == {order["id"]}
