"""Payments, refunds, paid edits and shipments recorded on an order write exactly their
declared events (tests/event_contract.py); refused ones write none."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from ordermesh.payments.providers.test import SETTLE_AFTER
from tests.event_checks import assert_writes, assert_writes_nothing, of_type
from tests.helpers import capture_later, ok, order_body, shop, stock_of

VISA = "4242424242424242"
DECLINED = "4000000000009995"
THREE_D_SECURE = "4000000000003220"
BERLIN = {"name": "Ada", "line1": "Main St 1", "city": "Berlin", "country": "DE"}


def _order(client, quantity: int = 2, capture_at_shipment: bool = True) -> dict:
    shop(client, {"TEE": {"ber": 10}})
    if capture_at_shipment:
        capture_later(client)
    return ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", quantity, "50.00")], shipping_address=BERLIN)), 201)


def _pay(client, order_id: str, source: str = VISA, **body):
    return client.post(f"/api/v1/orders/{order_id}/payments",
                       json={"provider": "test", "source": source, **body})


def _summary(client, order_id: str) -> dict:
    summary = ok(client.get(f"/api/v1/orders/{order_id}/payments"))["summary"]
    return {key: value["amount"] for key, value in summary.items() if isinstance(value, dict)}


def _events_of(client, type_: str) -> list[dict]:
    return ok(client.get("/api/v1/events", params={"type": type_, "limit": 200}))["items"]


def test_a_payment_writes_each_provider_outcome_as_its_own_event(client, clock):
    order = _order(client)
    declined, written = assert_writes(client, "payment.decline",
                                      lambda: _pay(client, order["id"], DECLINED))
    assert declined.status_code == 402
    assert of_type(written, "payment.declined")["payload"]["failure_code"] == \
        "insufficient_funds"
    pending, written = assert_writes(client, "payment.pending",
                                     lambda: _pay(client, order["id"], THREE_D_SECURE))
    assert pending.status_code == 202 and pending.json()["status"] == "pending"
    clock.advance(SETTLE_AFTER + timedelta(seconds=1))
    settled, written = assert_writes(client, "payment.sync", lambda: ok(client.post(
        f"/api/v1/payments/{pending.json()['id']}/sync")))
    assert settled["status"] == "authorised"
    assert of_type(written, "payment.authorised")["payload"]["amount"] == "100.00"
    ok(client.post(f"/api/v1/payments/{pending.json()['id']}/void"))
    authorised, written = assert_writes(client, "payment.authorise",
                                        lambda: _pay(client, order["id"]))
    assert authorised.status_code == 201
    assert of_type(written, "payment.authorised")["payload"]["status"] == "authorised"
    assert authorised.json()["authorised"]["amount"] == "100.00"


def test_paying_an_order_that_captures_at_once_writes_authorised_and_captured(client):
    order = _order(client, capture_at_shipment=False)
    payment, written = assert_writes(client, "payment.authorise_and_capture",
                                     lambda: ok(_pay(client, order["id"]), 201))
    assert payment["status"] == "captured"
    assert of_type(written, "payment.captured")["payload"]["captured"] == "100.00"


def test_capture_void_and_refund_of_a_payment_each_write_their_event(client):
    order = _order(client)
    payment = ok(_pay(client, order["id"]), 201)
    base = f"/api/v1/payments/{payment['id']}"
    captured, _ = assert_writes(client, "payment.capture", lambda: ok(client.post(
        f"{base}/capture", json={"amount": "60.00"})))
    assert captured["captured"]["amount"] == "60.00"
    voided, _ = assert_writes(client, "payment.void", lambda: ok(client.post(
        f"{base}/void", json={"reason": "line cancelled"})))
    assert voided["voided"]["amount"] == "40.00"
    refused = assert_writes_nothing(client, lambda: client.post(f"{base}/capture"))
    assert refused.status_code == 409
    refunded, written = assert_writes(client, "payment.refund", lambda: ok(client.post(
        f"{base}/refund", json={"amount": "10.00", "reason": "late delivery"})))
    assert refunded["refunded"]["amount"] == "10.00"
    assert of_type(written, "payment.refunded")["payload"]["reason"] == "late delivery"
    too_much = assert_writes_nothing(client, lambda: client.post(
        f"{base}/refund", json={"amount": "50.01"}))
    assert too_much.status_code in (409, 422)
    assert _summary(client, order["id"])["refunded"] == "10.00"


def test_refunding_an_order_writes_refund_issued_and_the_payment_refund(client):
    order = _order(client, capture_at_shipment=False)
    ok(_pay(client, order["id"]), 201)
    refund, written = assert_writes(client, "order.refund", lambda: ok(client.post(
        f"/api/v1/orders/{order['id']}/refunds",
        json={"amount": "15.00", "reason": "goodwill"}), 201))
    issued = of_type(written, "refund.issued")
    assert issued["aggregate_id"] == order["id"]
    assert (issued["payload"]["kind"], issued["payload"]["amount"]) == ("refund", "15.00")
    assert issued["payload"]["refund_id"] == refund["id"]
    assert _summary(client, order["id"])["refunded"] == "15.00"
    over = assert_writes_nothing(client, lambda: client.post(
        f"/api/v1/orders/{order['id']}/refunds", json={"amount": "85.01", "reason": "x"}))
    assert over.status_code == 422
    assert _summary(client, order["id"])["refunded"] == "15.00"


def test_an_unpaid_order_cannot_be_refunded_and_writes_no_event(client):
    order = _order(client)
    refused = assert_writes_nothing(client, lambda: client.post(
        f"/api/v1/orders/{order['id']}/refunds", json={"amount": "1.00", "reason": "x"}))
    assert refused.status_code in (409, 422)
    assert ok(client.get(f"/api/v1/orders/{order['id']}/refunds"))["items"] == []


def test_shrinking_a_paid_order_writes_order_edited_and_refund_issued(client):
    order = _order(client, 3, capture_at_shipment=False)
    ok(_pay(client, order["id"]), 201)
    edited, written = assert_writes(client, "order.edit.shrink_paid", lambda: ok(client.post(
        f"/api/v1/orders/{order['id']}/edits", json={
            "edits": [{"op": "set_quantity", "line_no": 1, "quantity": 1}]})))
    assert edited["version"] == 2
    issued = of_type(written, "refund.issued")
    assert (issued["payload"]["kind"], issued["payload"]["amount"]) == ("edit", "100.00")
    assert of_type(written, "order.edited")["payload"]["settlement"]["refunded"] == "100.00"
    assert Decimal(_summary(client, order["id"])["refunded"]) == Decimal("100.00")
    assert stock_of(client, "TEE")["totals"]["reserved"] == 1


def test_recording_a_shipment_writes_order_shipment_recorded(client):
    order = _order(client, capture_at_shipment=False)
    ok(_pay(client, order["id"]), 201)
    shipment, written = assert_writes(client, "order.record_shipment", lambda: ok(client.post(
        f"/api/v1/orders/{order['id']}/shipments", json={
            "lines": [{"line_no": 1, "quantity": 1}], "carrier": "sim",
            "tracking_number": "SIM1"}), 201))
    by_hand = of_type(written, "fulfilment.lines_shipped")
    assert by_hand["payload"]["lines"] == [{"line_no": 1, "quantity": 1}]
    assert by_hand["payload"]["shipment_id"] == shipment["id"]
    [fo] = ok(client.get(f"/api/v1/orders/{order['id']}/fulfilment"))["fulfilment_orders"]
    assert fo["id"] == by_hand["aggregate_id"]
    assert fo["status"] == "released"  # one unit is still to go through it
    event = of_type(written, "order.shipment_recorded")
    assert event["payload"]["shipment_id"] == shipment["id"]
    assert event["payload"]["status"] == "partially_shipped"
    assert event["payload"]["tracking_number"] == "SIM1"
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["status"] == "partially_shipped"
    too_many = assert_writes_nothing(client, lambda: client.post(
        f"/api/v1/orders/{order['id']}/shipments",
        json={"lines": [{"line_no": 1, "quantity": 2}]}))
    assert too_many.status_code == 422


def test_a_cancellation_whose_refund_the_provider_declines_stands_with_the_decline_recorded(
        client):
    # The refund is sent once the cancellation committed (never inside its transaction,
    # which a deadlock may rerun): a decline cannot undo the cancellation. The order is
    # cancelled, the declined refund is on the payment and `payment.declined` (kind
    # `refund`) tells a person to give the money back another way.
    order = _order(client, capture_at_shipment=False)
    payment = ok(_pay(client, order["id"], "4000000000005126"), 201)  # declines refunds
    response, written = assert_writes(
        client, "order.cancel.refund_declined", lambda: client.post(
            f"/api/v1/orders/{order['id']}/cancel", json={"reason": "customer asked"}))
    assert ok(response)["status"] == "cancelled"
    assert of_type(written, "payment.declined")["payload"]["kind"] == "refund"
    assert stock_of(client, "TEE")["totals"]["reserved"] == 0
    assert _summary(client, order["id"])["refunded"] == "0.00"
    declined = [e for e in _events_of(client, "payment.declined")
                if e["payload"]["kind"] == "refund"]
    assert [(e["payload"]["payment_id"], e["payload"]["failure_code"]) for e in declined] \
        == [(payment["id"], "expired_or_canceled_card")]
    assert [e["payload"]["kind"] for e in _events_of(client, "refund.issued")] == [
        "cancellation"]


def test_the_worker_settles_a_due_pending_payment_and_writes_its_outcome(
        client, container, clock):
    from ordermesh.worker import PaymentSync

    order = _order(client)
    pending = _pay(client, order["id"], THREE_D_SECURE)
    assert pending.status_code == 202
    assert_writes_nothing(client, lambda: PaymentSync().run_once(container))  # not due yet
    clock.advance(SETTLE_AFTER + timedelta(seconds=1))
    _, written = assert_writes(client, "payment.sync.worker",
                               lambda: PaymentSync().run_once(container))
    assert of_type(written, "payment.authorised")["actor"].startswith("worker")
    assert ok(client.get(f"/api/v1/payments/{pending.json()['id']}"))["status"] == \
        "authorised"


def test_releasing_an_unpaid_order_without_payment_writes_payment_override(client):
    order = _order(client, capture_at_shipment=False)
    ship_one = {"lines": [{"line_no": 1, "quantity": 1}], "carrier": "sim",
                "tracking_number": "SIM1"}
    unpaid = assert_writes_nothing(client, lambda: client.post(
        f"/api/v1/orders/{order['id']}/shipments", json=ship_one))
    assert (unpaid.status_code, unpaid.json()["code"]) == (409, "payment-required")
    url = f"/api/v1/orders/{order['id']}/payment-override"
    released, written = assert_writes(client, "order.payment_override", lambda: ok(
        client.post(url, json={"reason": "key account, pays monthly"}), 201))
    assert released["status"] == "unpaid"
    assert released["override"]["reason"] == "key account, pays monthly"
    event = of_type(written, "order.payment_override")
    assert event["aggregate_id"] == order["id"]
    assert (event["payload"]["reason"], event["payload"]["payment_status"]) == (
        "key account, pays monthly", "unpaid")
    assert _summary(client, order["id"])["captured"] == "0.00"  # no money moved
    again = assert_writes_nothing(client, lambda: client.post(url, json={"reason": "again"}))
    assert again.status_code == 409
    ok(client.post(f"/api/v1/orders/{order['id']}/shipments", json=ship_one), 201)
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["status"] == "partially_shipped"
