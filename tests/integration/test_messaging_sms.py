"""SMS through the HTTP provider adapter, against a simulated provider that is a real
HTTP server: a customer who prefers SMS gets their order's messages by SMS in their
language, at their E.164 number, with the consent SMS needs; the provider's signed
delivery reports, sent over HTTP to the app, move each SMS sent → delivered or failed;
a provider that fails or is too slow means retries with the same Idempotency-Key; a
number it refuses bounces; reports unsigned, tampered or early change nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from ordermesh.messaging.status_reports import SIGNATURE_HEADER, sign
from tests.feedback_helpers import deliver
from tests.helpers import ok
from tests.messaging_helpers import (
    ask_for_feedback,
    messages,
    prefers_sms,
    queue,
    run_jobs,
    send,
    with_sms,
)
from tests.sms_provider import BERND_BY_SMS, CALLBACK_SECRET
from tests.smtp_server import running_smtp_server

E164 = "+4915123456789"


@pytest.fixture
def box():
    with running_smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def sms(container, provider, served, box):
    return with_sms(container, provider, served, box)


def test_a_customer_who_prefers_sms_gets_the_order_messages_by_sms_in_german(
        client, sms, provider, box):
    order = deliver(client, sms, customer=BERND_BY_SMS)
    prefers_sms(client, order["customer_id"])
    run_jobs(sms)
    texts = provider.sent()
    assert [t["to"] for t in texts] == [E164] * 3
    assert {t["from"] for t in texts} == {"LinenClay"}
    assert texts[0]["text"] == (f"Bestellung {order['number']} bestätigt: 39,98\u00a0€. "
                                "Wir melden uns per SMS, sobald sie versandt ist.")
    assert texts[1]["text"].startswith(f"Bestellung {order['number']} ist unterwegs mit sim.")
    assert box.mails() == []  # not by e-mail as well
    sent = messages(client)
    assert {(m["medium"], m["status"], m["recipient"]) for m in sent} == {
        ("sms", "sent", E164)}
    assert {m["finished_at"] for m in sent} == {None}  # its delivery report is awaited
    assert provider.keys == [t["reference"] for t in texts]  # Idempotency-Key: our id


def test_the_providers_delivery_reports_move_each_sms_to_delivered_or_failed(
        client, sms, provider):
    order = deliver(client, sms, customer=BERND_BY_SMS)
    prefers_sms(client, order["customer_id"])
    run_jobs(sms)
    confirmation, shipped, _ = provider.sent()
    answer = provider.report(confirmation["id"], "delivered")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"id": confirmation["reference"], "status": "delivered",
                             "changed": True}
    failed = provider.report(shipped["id"], "failed", "handset switched off for 72 h")
    assert failed.json()["status"] == "failed"
    again = provider.report(confirmation["id"], "delivered")
    assert again.json()["changed"] is False  # a repeated report changes nothing
    late = provider.report(confirmation["id"], "failed")
    assert late.json() == {"id": confirmation["reference"], "status": "delivered",
                           "changed": False}
    one = ok(client.get(f"/api/v1/messages/{confirmation['reference']}"))
    assert [h["status"] for h in one["history"]] == ["queued", "sent", "delivered"]
    assert one["delivered_at"] is not None and one["provider_id"] == confirmation["id"]
    other = ok(client.get(f"/api/v1/messages/{shipped['reference']}"))
    assert (other["status"], other["last_error"]) == ("failed",
                                                      "handset switched off for 72 h")


def test_sms_needs_its_own_consent_per_purpose(client, sms, provider, box):
    order = deliver(client, sms, customer=BERND_BY_SMS)  # opted in to feedback by e-mail only
    prefers_sms(client, order["customer_id"])
    ok(client.post(f"/api/v1/customers/{order['customer_id']}/consents", json={
        "purpose": "transactional", "medium": "sms", "granted": False,
        "source_channel": "direct"}), 201)
    run_jobs(sms)
    assert provider.sent() == []
    assert {(m["status"], m["reason"]) for m in messages(client)} == {
        ("suppressed", "the customer's consent does not allow transactional SMS")}
    ask_for_feedback(sms)
    run_jobs(sms)
    request = messages(client, type="feedback_request")[0]
    assert (request["medium"], request["status"]) == ("sms", "suppressed")
    assert request["reason"] == "the customer's consent does not allow feedback SMS"


def test_a_customer_who_prefers_sms_but_has_no_phone_gets_e_mail(client, sms, provider, box):
    order = deliver(client, sms)
    prefers_sms(client, order["customer_id"], "en")
    run_jobs(sms)
    assert provider.requests == 0
    assert len(box.mails()) == 3
    assert {m["medium"] for m in messages(client)} == {"email"}


def test_a_failing_then_slow_provider_means_retries_with_the_same_idempotency_key(
        client, sms, provider):
    order = deliver(client, sms, customer=BERND_BY_SMS)
    prefers_sms(client, order["customer_id"])
    queue(sms)
    provider.fail_with = 503
    send(sms)
    [message] = messages(client, type="shipped")
    assert (message["status"], message["attempts"]) == ("queued", 1)
    assert message["last_error"].startswith("503 ")
    provider.fail_with, provider.slow_s = None, 2.0  # longer than the 1 s timeout
    sms.clock.advance(timedelta(minutes=1))
    send(sms)
    [message] = messages(client, type="shipped")
    assert message["attempts"] == 2 and message["last_error"].startswith("ReadTimeout")
    provider.slow_s = 0.0
    sms.clock.advance(timedelta(minutes=2))
    send(sms)
    assert {m["status"] for m in messages(client)} == {"sent"}
    ids = [k for k in provider.keys if k == message["id"]]
    assert len(ids) == 3  # three attempts, one key
    assert len([t for t in provider.sent() if t["reference"] == message["id"]]) == 1


def test_a_number_the_provider_refuses_bounces_and_is_marked_undeliverable(
        client, sms, provider):
    order = deliver(client, sms, customer=BERND_BY_SMS)
    prefers_sms(client, order["customer_id"])
    provider.invalid.add(E164)
    run_jobs(sms)
    assert {m["status"] for m in messages(client)} == {"bounced"}
    customer = ok(client.get(f"/api/v1/customers/{order['customer_id']}"))
    [phone] = [i for i in customer["identities"] if i["kind"] == "phone"]
    assert phone["value"] == E164 and "invalid_number" in phone["undeliverable_reason"]


def _post_report(url: str, body: dict, signature: str | None) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return httpx.post(f"{url}/api/v1/sms/status", content=raw, headers=headers, timeout=10)


def test_reports_unsigned_tampered_malformed_or_too_early_change_nothing(
        client, sms, provider, served):
    order = deliver(client, sms, customer=BERND_BY_SMS)
    prefers_sms(client, order["customer_id"])
    queue(sms)
    [message] = messages(client, type="shipped")
    early = {"id": "sim-1", "reference": message["id"], "status": "delivered"}
    raw = json.dumps(early).encode()
    assert _post_report(served, early, None).status_code == 401
    assert _post_report(served, early, sign("another secret", raw)).status_code == 401
    tampered = _post_report(served, {**early, "status": "failed"}, sign(CALLBACK_SECRET, raw))
    assert tampered.status_code == 401
    assert tampered.headers["content-type"].startswith("application/problem+json")
    bad = {"id": "sim-1", "reference": message["id"], "status": "read"}
    answer = _post_report(served, bad, sign(CALLBACK_SECRET, json.dumps(bad).encode()))
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "body.status"
    # queued, not yet handed to the provider: the provider should report again later
    assert _post_report(served, early, sign(CALLBACK_SECRET, raw)).status_code == 409
    unknown = {**early, "reference": "msg_nope"}
    assert _post_report(served, unknown, sign(CALLBACK_SECRET, json.dumps(unknown).encode())
                        ).status_code == 404
    assert {m["status"] for m in messages(client)} == {"queued"}
