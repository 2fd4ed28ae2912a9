"""Store credit writes exactly its declared events (tests/event_contract.py): issued by
a return resolved as store credit, adjusted by an admin, redeemed by a payment's
capture and given back by its refund; refused changes write none."""

from __future__ import annotations

from tests.event_checks import assert_writes, assert_writes_nothing, of_type
from tests.helpers import ok
from tests.returns_helpers import RETURNS, shipped_order
from tests.store_credit_helpers import (
    ADA,
    credit_policy,
    customer_with_credit,
    new_order,
    pay_with_credit,
    return_for_credit,
)


def test_a_return_resolved_as_store_credit_writes_store_credit_issued(client):
    order = shipped_order(client, lines=(("TEE", 2, "20.00"),), customer=ADA, invoiced=True)
    credit_policy(client)
    ret = return_for_credit(client, order, 2)
    _, written = assert_writes(client, "return.refund.store_credit", lambda: ok(
        client.post(f"{RETURNS}/{ret['id']}/refund"), 201))
    assert of_type(written, "return.resolved")["payload"]["resolution"] == "store_credit"
    issued = of_type(written, "store_credit.issued")
    assert (issued["aggregate_id"], issued["payload"]["amount"],
            issued["payload"]["balance"], issued["payload"]["source_id"]) == (
        order["customer_id"], "40.00", "40.00", ret["id"])


def test_an_adjustment_writes_store_credit_adjusted_and_a_refused_one_nothing(client):
    order = shipped_order(client, customer=ADA)
    url = f"/api/v1/customers/{order['customer_id']}/store-credit/adjustments"
    _, written = assert_writes(client, "store_credit.adjust", lambda: ok(client.post(
        url, json={"amount": "5.00", "currency": "EUR", "reason": "goodwill"}), 201))
    payload = of_type(written, "store_credit.adjusted")["payload"]
    assert (payload["amount"], payload["reason"], payload["balance"]) == (
        "5.00", "goodwill", "5.00")
    refused = assert_writes_nothing(client, lambda: client.post(url, json={
        "amount": "-5.01", "currency": "EUR", "reason": "too much"}))
    assert refused.status_code == 409


def test_paying_with_credit_writes_redeemed_and_a_refund_writes_refunded(client):
    _, ada = customer_with_credit(client)
    order = new_order(client, "25.00")
    paid, written = assert_writes(client, "payment.store_credit.capture", lambda: ok(
        pay_with_credit(client, order, capture=True), 201))
    redeemed = of_type(written, "store_credit.redeemed")["payload"]
    assert (redeemed["amount"], redeemed["order_id"], redeemed["balance"]) == (
        "-25.00", order["id"], "15.00")
    _, written = assert_writes(client, "payment.store_credit.refund", lambda: ok(
        client.post(f"/api/v1/payments/{paid['id']}/refund", json={
            "amount": "25.00", "reason": "returned"})))
    assert of_type(written, "store_credit.refunded")["payload"]["balance"] == "40.00"
    short = new_order(client, "40.01")
    _, written = assert_writes(client, "payment.store_credit.declined", lambda: pay_with_credit(
        client, short))
    assert of_type(written, "payment.declined")["payload"]["failure_code"] == \
        "insufficient_store_credit"
    assert ada
