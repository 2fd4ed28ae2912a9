"""Returns write exactly their declared events (tests/event_contract.py); refused steps
write none."""

from __future__ import annotations

from tests.event_checks import assert_writes, assert_writes_nothing, of_type
from tests.helpers import ok
from tests.returns_helpers import RETURNS, ask, shipped_order

REVIEW = {"window_days": 30, "auto_authorise": False}


def test_setting_a_policy_and_a_reason_write_their_events(client):
    shipped_order(client)
    policy, written = assert_writes(client, "return.policy", lambda: ok(client.put(
        "/api/v1/return-policies/web", json={"window_days": 14, "returnless_below": "5"})))
    assert of_type(written, "return.policy_set")["payload"]["window_days"] == 14
    assert policy["returnless_below"] == "5.00"
    _, written = assert_writes(client, "return.reason", lambda: ok(client.post(
        "/api/v1/return-reasons", json={"code": "gift", "label": "Unwanted gift"}), 201))
    assert of_type(written, "return.reason_added")["aggregate_id"] == "gift"
    again = assert_writes_nothing(client, lambda: client.post(
        "/api/v1/return-reasons", json={"code": "gift", "label": "Twice"}))
    assert again.status_code == 409


def test_a_return_from_request_to_refund_writes_each_step(client):
    order = shipped_order(client, invoiced=True)
    ret, written = assert_writes(client, "return.request.auto", lambda: ok(ask(
        client, order, [(1, 2, "defective")]), 201))
    assert of_type(written, "return.requested")["payload"]["number"] == ret["number"]
    refused = assert_writes_nothing(client, lambda: client.post(f"{RETURNS}/{ret['id']}/refund"))
    assert refused.status_code == 409
    received, written = assert_writes(client, "return.receive", lambda: ok(client.post(
        f"{RETURNS}/{ret['id']}/receipts", json={"location": "ber", "lines": [
            {"line_no": 1, "quantity": 2, "grade": "as_new", "disposition": "restock"}]}),
        201))
    assert of_type(written, "return.received")["payload"]["status"] == "received"
    assert received["lines"][0]["received_quantity"] == 2
    twice = assert_writes_nothing(client, lambda: client.post(
        f"{RETURNS}/{ret['id']}/receipts", json={"location": "ber", "lines": [
            {"line_no": 1, "quantity": 1, "grade": "as_new", "disposition": "restock"}]}))
    assert twice.status_code == 409
    resolved, written = assert_writes(client, "return.refund.invoiced", lambda: ok(
        client.post(f"{RETURNS}/{ret['id']}/refund"), 201))
    assert of_type(written, "return.resolved")["payload"]["refund_id"] == resolved["refund_id"]
    assert of_type(written, "credit_note.issued")["payload"]["gross"] == "40.00"
    assert resolved["refund"]["amount"] == "40.00"


def test_a_reviewed_return_writes_authorised_rejected_and_cancelled(client):
    order = shipped_order(client)
    ok(client.put("/api/v1/return-policies/web", json=REVIEW))
    first, written = assert_writes(client, "return.request.review", lambda: ok(ask(
        client, order, [(1, 1, "size_or_fit")]), 201))
    assert first["status"] == "requested"
    _, written = assert_writes(client, "return.reject", lambda: ok(client.post(
        f"{RETURNS}/{first['id']}/reject", json={"reason": "worn"})))
    assert of_type(written, "return.rejected")["payload"]["reason"] == "worn"
    second = ok(ask(client, order, [(1, 1, "size_or_fit")]), 201)
    _, written = assert_writes(client, "return.authorise", lambda: ok(client.post(
        f"{RETURNS}/{second['id']}/authorise", json={})))
    _, written = assert_writes(client, "return.cancel", lambda: ok(client.post(
        f"{RETURNS}/{second['id']}/cancel", json={"reason": "kept it"})))
    assert of_type(written, "return.cancelled")["aggregate_id"] == second["id"]
    refused = assert_writes_nothing(client, lambda: client.post(
        f"{RETURNS}/{second['id']}/authorise", json={}))
    assert refused.status_code == 409


def test_a_returnless_refund_writes_resolved_and_the_refund(client):
    order = shipped_order(client, lines=(("TEE", 3, "4.00"),))
    ok(client.put("/api/v1/return-policies/web", json={"returnless_below": "10"}))
    ret = ok(ask(client, order, [(1, 2, "damaged_in_transit")]), 201)
    assert (ret["status"], ret["returnless"]) == ("authorised", True)
    no_units = assert_writes_nothing(client, lambda: client.post(
        f"{RETURNS}/{ret['id']}/receipts", json={"location": "ber", "lines": [
            {"line_no": 1, "quantity": 2, "grade": "damaged", "disposition": "scrap"}]}))
    assert no_units.status_code == 409
    resolved, written = assert_writes(client, "return.refund.returnless", lambda: ok(
        client.post(f"{RETURNS}/{ret['id']}/refund"), 201))
    assert resolved["status"] == "resolved"
    assert of_type(written, "refund.issued")["payload"]["amount"] == "8.00"
