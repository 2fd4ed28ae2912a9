"""Transactional e-mails end to end: an order placed, shipped and delivered (and the
feedback request after it) reach a real SMTP server once each, in the customer's language,
and the record shows what was sent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.feedback_helpers import deliver
from tests.helpers import ok
from tests.messaging_helpers import (
    ask_for_feedback,
    messages,
    run_jobs,
    send,
    set_language,
    tracking_numbers,
    with_smtp,
)
from tests.smtp_server import running_smtp_server


@pytest.fixture
def box():
    with running_smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def container(container, box):
    return with_smtp(container, box)


def test_an_order_placed_shipped_and_delivered_mails_the_customer_once_each_in_english(
        client, container, box):
    order = deliver(client, container)
    run_jobs(container)
    mails = box.to("ada@example.com")
    subjects = [m["Subject"] for m in mails]
    assert subjects == [f"Your order {order['number']} is confirmed",
                        f"Your order {order['number']} is on its way",
                        f"Your order {order['number']} was delivered"]
    [tracking] = tracking_numbers(client)
    shipped = mails[1]
    assert tracking in shipped.get_body(("plain",)).get_content()
    assert tracking in shipped.get_body(("html",)).get_content()
    assert shipped["From"] == "Shop <shop@example.com>"
    assert shipped["Content-Language"] == "en"
    assert shipped["Date"].datetime.utcoffset() == timedelta(0)  # when it was queued, UTC
    assert shipped["Message-ID"].endswith("@example.com>")
    confirmation = mails[0].get_body(("plain",)).get_content()
    assert "Total: €39.98" in confirmation  # Babel, English: the symbol before the amount
    assert [e for e in box.envelopes if e[1] == ["ada@example.com"]] == \
        [("shop@example.com", ["ada@example.com"])] * 3

    ask_for_feedback(container)
    run_jobs(container)
    feedback = box.to("ada@example.com")[3]
    assert feedback["Subject"] == f"How was your order {order['number']}?"
    assert "/feedback/" in feedback.get_body(("plain",)).get_content()

    run_jobs(container)  # nothing new: nothing sent again
    assert len(box.to("ada@example.com")) == 4
    listed = messages(client, order=order["number"])
    assert sorted(m["type"] for m in listed) == [
        "delivered", "feedback_request", "order_confirmation", "shipped"]
    assert {m["status"] for m in listed} == {"sent"}


def test_a_customer_who_speaks_german_gets_german_mails_with_german_money_and_dates(
        client, container, box):
    order = deliver(client, container)
    set_language(client, order["customer_id"], "de")
    run_jobs(container)
    mails = box.to("ada@example.com")
    assert [m["Subject"] for m in mails] == [
        f"Ihre Bestellung {order['number']} ist bestätigt",
        f"Ihre Bestellung {order['number']} ist unterwegs",
        f"Ihre Bestellung {order['number']} wurde zugestellt"]
    assert mails[0]["Content-Language"] == "de"
    text = mails[0].get_body(("plain",)).get_content()
    assert "vom 26. November 2026" in text
    assert "2 x Product TEE (TEE)  19,99\u00a0€" in text  # Babel, German: 19,99 €
    assert "Gesamt: 39,98\u00a0€" in text
    assert tracking_numbers(client)[0] in mails[1].get_body(("plain",)).get_content()


def test_a_language_without_templates_falls_back_to_english(client, container, box):
    order = deliver(client, container)
    set_language(client, order["customer_id"], "fr")
    run_jobs(container)
    [first, *_] = box.to("ada@example.com")
    assert first["Subject"] == f"Your order {order['number']} is confirmed"
    [message] = messages(client, order=order["id"], type="order_confirmation")
    assert (message["language"], message["locale"]) == ("en", "en")


def test_one_message_shows_its_rendered_content_and_history(client, container, box):
    order = deliver(client, container)
    run_jobs(container)
    [summary] = messages(client, order=order["id"], type="shipped")
    message = ok(client.get(f"/api/v1/messages/{summary['id']}"))
    assert message["recipient"] == "ada@example.com"
    assert message["subject"] == f"Your order {order['number']} is on its way"
    assert tracking_numbers(client)[0] in message["body_text"]
    assert message["body_html"].startswith("<p>Hello Ada Lovelace,</p>")
    assert [(h["status"], h["attempt"]) for h in message["history"]] == [
        ("queued", None), ("sent", 1)]
    assert message["source_event_type"] == "fulfilment.shipped"
    assert message["sent_at"] is not None


def test_a_customer_without_feedback_consent_gets_no_feedback_email(client, container, box):
    deliver(client, container, consent=False)
    run_jobs(container)
    ask_for_feedback(container)
    run_jobs(container)
    assert all("How was" not in m["Subject"] for m in box.mails())
    assert len(box.to("ada@example.com")) == 3  # the order's own mails still go
    assert messages(client, type="feedback_request") == []  # feedback never asked


def test_a_customer_who_objected_to_order_emails_gets_a_suppressed_record_and_no_mail(
        client, container, box):
    order = deliver(client, container)
    ok(client.post(f"/api/v1/customers/{order['customer_id']}/consents", json={
        "purpose": "transactional", "medium": "email", "granted": False,
        "source_channel": "direct"}), 201)
    run_jobs(container)
    assert box.mails() == []
    listed = messages(client, customer=order["customer_id"], status="suppressed")
    assert len(listed) == 3
    assert {m["reason"] for m in listed} == {
        "the customer's consent does not allow transactional e-mails"}
    assert send(container) == 0


def test_unknown_filters_and_messages_are_refused_clearly(client, container):
    assert client.get("/api/v1/messages", params={"status": "lost"}).status_code == 422
    assert client.get("/api/v1/messages", params={"type": "sms"}).status_code == 422
    assert client.get("/api/v1/messages", params={"cursor": "nope!"}).status_code == 422
    assert client.get("/api/v1/messages", params={"order": "OM-999999"}).status_code == 404
    missing = client.get("/api/v1/messages/msg_missing")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_a_feedback_consent_withdrawn_after_the_request_suppresses_its_email(
        client, container, box):
    order = deliver(client, container)
    ask_for_feedback(container)  # feedback.requested: the customer had agreed
    ok(client.post(f"/api/v1/customers/{order['customer_id']}/consents", json={
        "purpose": "feedback", "medium": "email", "granted": False,
        "source_channel": "direct"}), 201)
    run_jobs(container)
    assert all("How was" not in m["Subject"] for m in box.mails())
    [suppressed] = messages(client, type="feedback_request")
    assert suppressed["status"] == "suppressed"
    assert suppressed["reason"] == "the customer's consent does not allow feedback e-mails"


def test_a_refund_mails_the_amount_in_the_customers_money_format(client, container, box):
    order = deliver(client, container)
    set_language(client, order["customer_id"], "de")
    run_jobs(container)
    ok(client.post(f"/api/v1/orders/{order['id']}/refunds",
                   json={"amount": "5.00", "reason": "goodwill"}), 201)
    run_jobs(container)
    refund = box.to("ada@example.com")[-1]
    assert refund["Subject"] == f"Erstattung von 5,00\u00a0€ zu Bestellung {order['number']}"
    [message] = messages(client, order=order["id"], type="refund")
    assert message["source_event_type"] == "refund.issued"
    assert message["status"] == "sent"
