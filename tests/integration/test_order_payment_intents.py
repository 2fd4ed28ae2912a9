"""The money other use cases move (a shipment's capture, an order refund, a cancellation's
void) goes through payment intents too: recorded in the use case's transaction, sent to a
card gateway served over real HTTP once it committed, answered in a transaction of its
own; a gateway that does not answer leaves the intent to the worker, a deadlock rerun of
the use case never calls the gateway twice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from ordermesh.orders.refunds import RefundRequest, refund_order
from ordermesh.payments import intents
from ordermesh.payments.tables import payment_intents
from ordermesh.worker import PaymentIntentResume
from tests.helpers import capture_later, ok, order_body, shop
from tests.payment_gateway import APPROVED_CARD, DeadlockingFirstCommits, running_gateway


@pytest.fixture
def gateway():
    with running_gateway() as running:
        yield running


def _paid_order(client, *, capture_at_shipment: bool) -> tuple[str, dict]:
    shop(client, {"A": {"ber": 10}})
    if capture_at_shipment:
        capture_later(client)
    order_id = ok(client.post("/api/v1/orders", json=order_body([("A", 1, "100.00")])),
                  201)["id"]
    payment = ok(client.post(f"/api/v1/orders/{order_id}/payments", json={
        "provider": "gateway", "source": APPROVED_CARD}), 201)
    return order_id, payment


def _payment(client, payment_id: str) -> dict:
    return ok(client.get(f"/api/v1/payments/{payment_id}"))


def _intents(uow, operation: str) -> list:
    with uow(write=False) as u:
        return list(u.execute(select(payment_intents).where(
            payment_intents.c.operation == operation).order_by(payment_intents.c.seq)))


def _events(client, type_: str) -> list[dict]:
    return ok(client.get("/api/v1/events", params={"type": type_, "limit": 200}))["items"]


def test_a_capture_at_shipment_whose_gateway_charges_then_hangs_is_captured_once_by_the_worker(
        client, uow, container, clock, gateway):
    order_id, payment = _paid_order(client, capture_at_shipment=True)
    gateway.faults.append("charge_then_hang")
    shipment = ok(client.post(f"/api/v1/orders/{order_id}/shipments",
                              json={"lines": [{"line_no": 1, "quantity": 1}]}), 201)
    # the shipment is recorded and answered; its capture is asked, not yet answered
    assert shipment["captured"] == "100.00"
    assert ok(client.get(f"/api/v1/orders/{order_id}"))["status"] == "shipped"
    charge = gateway.charges[payment["provider_reference"]]
    assert charge.captured == Decimal("100.00")  # the gateway captured; we never heard it
    assert _payment(client, payment["id"])["status"] == "authorised"
    [intent] = _intents(uow, "capture")
    assert (intent.status, intent.provider_key) == (
        "unknown", f"{payment['id']}:capture:{shipment['id']}:capture")

    job = PaymentIntentResume()
    clock.advance(intents.backoff(1))
    assert job.run_once(container) == 1
    assert _payment(client, payment["id"])["status"] == "captured"
    assert charge.captured == Decimal("100.00")
    assert gateway.keys_sent("/captures") == [intent.provider_key] * 2
    assert len(_events(client, "payment.captured")) == 1
    assert _intents(uow, "capture")[0].status == "succeeded"


def test_an_order_refund_whose_transaction_is_rerun_after_a_deadlock_calls_the_gateway_once(
        client, uow, gateway):
    order_id, payment = _paid_order(client, capture_at_shipment=False)
    assert _payment(client, payment["id"])["status"] == "captured"
    runner = DeadlockingFirstCommits(lambda: uow(actor="api:shop"))
    refund = runner.run(lambda u: refund_order(
        u, order_id, RefundRequest(reason="damaged", amount=Decimal("30.00"))))
    assert refund["amount"] == "30.00"
    assert len(gateway.keys_sent("/refunds")) == 1
    assert gateway.charges[payment["provider_reference"]].refunded == Decimal("30.00")
    assert _payment(client, payment["id"])["refunded"]["amount"] == "30.00"
    assert len(ok(client.get(f"/api/v1/orders/{order_id}/refunds"))["items"]) == 1
    assert len(_events(client, "payment.refunded")) == 1
    [intent] = _intents(uow, "refund")
    assert (intent.status, intent.attempts) == ("succeeded", 1)


def test_a_cancellation_with_the_gateway_down_is_cancelled_and_its_void_done_by_the_worker(
        client, uow, container, clock, gateway):
    order_id, payment = _paid_order(client, capture_at_shipment=True)
    gateway.faults.append("error")
    cancelled = ok(client.post(f"/api/v1/orders/{order_id}/cancel",
                               json={"reason": "customer asked"}))
    assert cancelled["status"] == "cancelled"
    assert _payment(client, payment["id"])["status"] == "authorised"  # void pending
    [intent] = _intents(uow, "void")
    assert (intent.status, intent.attempts) == ("unknown", 1)
    summary = ok(client.get(f"/api/v1/orders/{order_id}/payments"))["summary"]
    assert summary["open_authorised"]["amount"] == "100.00"
    # the release under way is taken: nobody can capture that money meanwhile
    refused = client.post(f"/api/v1/payments/{payment['id']}/capture", json={})
    assert refused.status_code == 409

    clock.advance(intents.backoff(1))
    assert PaymentIntentResume().run_once(container) == 1
    assert _payment(client, payment["id"])["status"] == "voided"
    charge = gateway.charges[payment["provider_reference"]]
    assert (charge.captured, charge.voided) == (Decimal(0), Decimal("100.00"))
    assert len(set(gateway.keys_sent("/voids"))) == 1
    assert len(_events(client, "payment.voided")) == 1


def test_a_refund_of_a_cancellation_sent_once_it_committed_is_answered_in_the_response(
        client, gateway):
    order_id, payment = _paid_order(client, capture_at_shipment=False)
    cancelled = ok(client.post(f"/api/v1/orders/{order_id}/cancel", json={}))
    # the request sends the refund after its commit and reads the order after that
    assert cancelled["status"] == "cancelled"
    assert cancelled["payment_status"] == "refunded"
    assert gateway.charges[payment["provider_reference"]].refunded == Decimal("100.00")
    assert _payment(client, payment["id"])["status"] == "refunded"
