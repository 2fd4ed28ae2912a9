"""Feedback writes exactly its declared events (tests/event_contract.py): the worker job
(scheduling writes none, sending writes requested or suppressed), the answer page, and
feedback entered through the API with its alerts; refused input writes none."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.event_checks import assert_writes, assert_writes_nothing, of_type
from tests.feedback_helpers import DELIVERED_AT, deliver, path_of, run_job, with_secret
from tests.helpers import ok
from tests.returns_helpers import ask


@pytest.fixture
def container(container):
    return with_secret(container)


def test_a_delivery_leads_to_a_feedback_request_and_its_answer_to_feedback(
        client, container):
    order = deliver(client, container)
    assert_writes(client, "feedback.schedule", lambda: run_job(container))
    container.clock.set(DELIVERED_AT + timedelta(days=3))
    _, written = assert_writes(client, "feedback.request", lambda: run_job(container))
    requested = of_type(written, "feedback.requested")
    assert requested["payload"]["email"] == "ada@example.com"
    assert requested["payload"]["order_number"] == order["number"]
    assert requested["actor"] == "worker:feedback-requests"
    link = path_of(requested["payload"]["link"])
    refused = assert_writes_nothing(client, lambda: client.post(link, data={"nps": "12"}))
    assert refused.status_code == 422
    _, written = assert_writes(client, "feedback.answer", lambda: client.post(link, data={
        "nps": "9", "comment": "Quick and friendly", "csat": "5", "rating_1": "4"}))
    kinds = sorted(e["payload"]["kind"] for e in written)
    assert kinds == ["csat", "nps", "product_rating"]
    assert all(e["payload"]["request_id"] == requested["aggregate_id"] for e in written)
    again = assert_writes_nothing(client, lambda: client.post(link, data={"nps": "1"}))
    assert again.status_code == 409


def test_a_request_due_while_a_return_is_open_writes_suppressed(client, container):
    order = deliver(client, container)
    run_job(container)
    ok(ask(client, order, [(1, 1, "defective")]), 201)
    container.clock.set(DELIVERED_AT + timedelta(days=3))
    _, written = assert_writes(client, "feedback.suppress", lambda: run_job(container))
    assert of_type(written, "feedback.suppressed")["payload"]["reason"].startswith(
        "a return is open on the order (R-")


def test_entered_feedback_writes_received_and_the_fifth_bad_one_raises_alerts(
        client, container):
    order = deliver(client, container)
    body = {"source": "agent", "customer_id": order["customer_id"], "order": order["id"],
            "line_no": 1, "kind": "product_rating", "score": 1, "text": "Torn seam"}
    _, written = assert_writes(client, "feedback.enter", lambda: ok(
        client.post("/api/v1/feedback", json=body), 201))
    assert of_type(written, "feedback.received")["payload"]["topics"] == ["damage"]
    assert_writes_nothing(client, lambda: client.post("/api/v1/feedback",
                                                      json={**body, "score": 9}))
    for _ in range(3):
        ok(client.post("/api/v1/feedback", json=body), 201)
    _, written = assert_writes(client, "feedback.alert", lambda: ok(
        client.post("/api/v1/feedback", json=body), 201))
    raised = {e["payload"]["subject_kind"]: e["payload"] for e in written
              if e["type"] == "feedback.alert_raised"}
    assert raised["product"]["sku"] == "TEE"
    assert (raised["carrier"]["subject"], raised["carrier"]["sample"]) == ("sim", 5)
    assert raised["location"]["negative_share"] == 1.0
