"""Who may call the tracking webhook: the signature is checked before any writing
transaction, and a carrier that does not exist looks exactly like a wrong signature."""

from __future__ import annotations

import json
import threading
import time

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from tests.helpers import ok
from tests.shipping_helpers import SECRET, make_carrier, post_webhook, sign

EVENT = {"event_id": "e1", "tracking_number": "NOPE", "status": "DEP",
         "occurred_at": "2026-11-26T19:00:00Z"}


def without_instance(answer) -> dict:
    body = answer.json()
    body.pop("instance")  # the path the caller sent, carrier code included
    return body


def test_an_unknown_carrier_is_answered_exactly_like_a_wrong_signature(client):
    make_carrier(client, "dhl")
    ok(client.post("/api/v1/carriers", json={"code": "ups", "name": "UPS",
                                             "adapter": "simulated"}), 201)
    wrong = post_webhook(client, "dhl", [EVENT], secret="not-the-secret-0123456789")
    answers = {
        "unknown carrier, signed with a guess": post_webhook(client, "nobody", [EVENT]),
        "unknown carrier, unsigned": post_webhook(client, "nobody", [EVENT], signature=None),
        "carrier without a secret": post_webhook(client, "ups", [EVENT]),
        "known carrier, unsigned": post_webhook(client, "dhl", [EVENT], signature=None),
    }
    assert wrong.status_code == 401
    for case, answer in answers.items():
        assert (answer.status_code, without_instance(answer)) == (
            401, without_instance(wrong)), case
        assert answer.headers["content-type"] == wrong.headers["content-type"], case


def test_a_signed_webhook_for_a_known_carrier_still_gets_through(client):
    make_carrier(client, "dhl")
    result = ok(post_webhook(client, "dhl", [EVENT]))
    assert result["ignored"] == 1  # a tracking number we never booked


def test_an_unsigned_webhook_is_refused_without_waiting_for_the_write_lock(client, db_url):
    make_carrier(client, "dhl")
    raw = json.dumps({"events": [EVENT]}).encode()
    answers: list = []
    engine = create_engine(db_url, poolclass=NullPool)
    with engine.connect() as other:
        if other.dialect.name == "sqlite":
            other.exec_driver_sql("BEGIN IMMEDIATE")  # the one write lock, held
        else:
            other.exec_driver_sql("LOCK TABLE carrier_accounts IN EXCLUSIVE MODE")
        began = time.monotonic()
        request = threading.Thread(target=lambda: answers.append(client.post(
            "/api/v1/tracking/dhl", content=raw, headers={
                "Content-Type": "application/json",
                "X-Ordermesh-Signature": sign(raw, "forged-secret-0123456789")})))
        request.start()
        request.join(5)
        waited = time.monotonic() - began
        other.rollback()
    request.join(10)
    engine.dispose()
    (answer,) = answers
    assert answer.status_code == 401
    assert waited < 2
    assert SECRET not in answer.text
