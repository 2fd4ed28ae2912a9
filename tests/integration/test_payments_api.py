"""Payments through the API: authorise, capture, void, refund, declines, pending
payments, the order's ledger and its events."""

from __future__ import annotations

from datetime import timedelta

from ordermesh.payments.providers.test import SETTLE_AFTER
from ordermesh.payments.service import sync_pending_payments
from tests.helpers import capture_later, ok, order_body, shop

VISA = "4242424242424242"


def _order(client, lines=(("A", 2, "50.00"),)) -> dict:
    shop(client, {"A": {"ber": 100}})
    capture_later(client)
    return ok(client.post("/api/v1/orders", json=order_body(list(lines))), 201)


def _pay(client, order_id: str, status: int = 201, **body) -> dict:
    body = {"provider": "test", "source": VISA, **body}
    return ok(client.post(f"/api/v1/orders/{order_id}/payments", json=body), status)


def _money(value: str) -> dict:
    return {"amount": value, "currency": "EUR"}


def _events(client, prefix: str = "payment.") -> list[dict]:
    return ok(client.get("/api/v1/events", params={"type": prefix, "limit": 200}))["items"]


def test_a_card_payment_is_authorised_for_the_order_total_by_default(client):
    order = _order(client)
    payment = _pay(client, order["id"])
    assert payment["status"] == "authorised"
    assert payment["order_id"] == order["id"]
    assert payment["authorised"] == payment["capturable"] == order["totals"]["total"]
    assert payment["captured"] == _money("0.00")
    assert payment["card"] == {"last4": "4242", "brand": "visa"}
    assert payment["provider_reference"].startswith("tgch_")
    [tx] = payment["transactions"]
    assert (tx["kind"], tx["status"], tx["amount"]) == ("authorise", "approved",
                                                         _money("100.00"))
    assert ok(client.get(f"/api/v1/payments/{payment['id']}")) == payment


def test_an_order_is_found_by_its_number_too(client):
    order = _order(client)
    assert _pay(client, "OM-000001")["order_id"] == order["id"]


def test_partial_captures_then_a_capture_without_amount_takes_the_rest(client):
    payment = _pay(client, _order(client)["id"])
    url = f"/api/v1/payments/{payment['id']}/capture"
    first = ok(client.post(url, json={"amount": "30.00"}))
    assert first["status"] == "partially_captured"
    assert (first["captured"], first["capturable"], first["refundable"]) == (
        _money("30.00"), _money("70.00"), _money("30.00"))
    rest = ok(client.post(url))
    assert rest["status"] == "captured"
    assert rest["captured"] == _money("100.00") and rest["capturable"] == _money("0.00")
    assert [t["amount"]["amount"] for t in rest["transactions"] if t["kind"] == "capture"] \
        == ["30.00", "70.00"]


def test_capture_true_captures_the_authorisation_at_once(client):
    payment = _pay(client, _order(client)["id"], capture=True)
    assert payment["status"] == "captured"
    assert [t["kind"] for t in payment["transactions"]] == ["authorise", "capture"]


def test_a_bank_transfer_is_a_promise_until_a_person_marks_it_paid(client):
    order = _order(client)
    promise = _pay(client, order["id"], provider="manual", source=None)
    assert (promise["method"], promise["status"], promise["card"]) == (
        "bank_transfer", "authorised", None)
    paid = ok(client.post(f"/api/v1/payments/{promise['id']}/capture"))
    assert paid["status"] == "captured"
    assert paid["transactions"][-1]["actor"] == "apikey:env-admin"


def test_cash_on_delivery_can_be_taken_for_part_of_the_order(client):
    order = _order(client)
    cod = _pay(client, order["id"], provider="manual", method="cash_on_delivery",
               amount="40.00")
    assert cod["method"] == "cash_on_delivery" and cod["authorised"] == _money("40.00")
    card = _pay(client, order["id"])
    assert card["authorised"] == _money("60.00")  # what was left of the total


def test_void_releases_what_was_not_captured_for_good(client):
    payment = _pay(client, _order(client)["id"])
    base = f"/api/v1/payments/{payment['id']}"
    ok(client.post(f"{base}/capture", json={"amount": "25.00"}))
    voided = ok(client.post(f"{base}/void", json={"reason": "line cancelled"}))
    assert voided["status"] == "captured"  # all that will ever be captured is
    assert (voided["voided"], voided["capturable"]) == (_money("75.00"), _money("0.00"))
    assert voided["transactions"][-1]["reason"] == "line cancelled"
    assert ok(client.post(f"{base}/capture"), 409)["code"] == "illegal-transition"


def test_voiding_a_whole_authorisation_makes_the_payment_voided(client):
    payment = _pay(client, _order(client)["id"])
    voided = ok(client.post(f"/api/v1/payments/{payment['id']}/void"))
    assert voided["status"] == "voided" and voided["voided"] == _money("100.00")


def test_refunds_give_back_captured_money_with_their_reason(client):
    payment = _pay(client, _order(client)["id"], capture=True)
    url = f"/api/v1/payments/{payment['id']}/refund"
    part = ok(client.post(url, json={"amount": "10.00", "reason": "late delivery"}))
    assert part["status"] == "partially_refunded"
    assert (part["refunded"], part["refundable"]) == (_money("10.00"), _money("90.00"))
    assert part["transactions"][-1]["reason"] == "late delivery"
    rest = ok(client.post(url, json={"amount": "90.00", "reason": "returned"}))
    assert rest["status"] == "refunded" and rest["refundable"] == _money("0.00")


def test_a_declined_card_is_a_402_naming_the_decline_code_and_is_recorded(client):
    order = _order(client)
    response = client.post(f"/api/v1/orders/{order['id']}/payments",
                           json={"provider": "test", "source": "4000000000009995"})
    assert response.status_code == 402
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem["decline_code"]) == ("payment-declined",
                                                          "insufficient_funds")
    assert "insufficient funds" in problem["detail"]
    declined = ok(client.get(f"/api/v1/payments/{problem['payment_id']}"))
    assert declined["status"] == "declined" and declined["authorised"] == _money("0.00")
    assert declined["transactions"][0]["failure_code"] == "insufficient_funds"
    [event] = _events(client)
    assert event["type"] == "payment.declined"
    assert event["payload"]["failure_code"] == "insufficient_funds"
    # A declined attempt holds nothing: the customer pays the whole order with another card
    assert _pay(client, order["id"])["authorised"] == order["totals"]["total"]


def test_a_processing_error_is_a_402_that_says_the_payment_failed(client):
    problem = _pay(client, _order(client)["id"], 402, source="4000000000000119")
    assert (problem["code"], problem["decline_code"], problem["payment_status"]) == (
        "payment-failed", "processing_error", "failed")


def test_a_3d_secure_payment_is_pending_and_settles_after_the_delay(client, clock):
    order = _order(client)
    pending = _pay(client, order["id"], 202, source="4000000000003220")
    assert pending["status"] == "pending" and pending["authorised"] == _money("0.00")
    sync = f"/api/v1/payments/{pending['id']}/sync"
    assert ok(client.post(sync))["status"] == "pending"
    assert ok(client.post(f"/api/v1/payments/{pending['id']}/capture"), 409)
    # Pending money counts against the order total until it settles
    assert ok(client.post(f"/api/v1/orders/{order['id']}/payments",
                          json={"provider": "manual"}), 409)["code"] == "amount-not-available"
    clock.advance(SETTLE_AFTER + timedelta(seconds=1))
    settled = ok(client.post(sync))
    assert settled["status"] == "authorised" and settled["authorised"] == _money("100.00")
    assert [(t["kind"], t["status"]) for t in settled["transactions"]] == [
        ("authorise", "pending"), ("authorise", "approved")]
    assert ok(client.post(f"/api/v1/payments/{pending['id']}/capture"))["status"] == "captured"
    assert [e["type"] for e in _events(client)] == [
        "payment.pending", "payment.authorised", "payment.captured"]


def test_the_worker_settles_every_pending_payment_that_is_due(client, clock, uow):
    order = _order(client)
    ids = [_pay(client, order["id"], 202, source=card, amount="10.00")["id"]
           for card in ("4000000000003220", "4000008400001629")]
    with uow() as u:
        assert sync_pending_payments(u) == 0
    clock.advance(SETTLE_AFTER)
    with uow() as u:
        assert sync_pending_payments(u) == 2
    statuses = [ok(client.get(f"/api/v1/payments/{i}"))["status"] for i in ids]
    assert statuses == ["authorised", "declined"]


def test_a_3d_secure_payment_can_settle_as_declined(client, clock):
    pending = _pay(client, _order(client)["id"], 202, source="4000008400001629")
    clock.advance(SETTLE_AFTER)
    settled = ok(client.post(f"/api/v1/payments/{pending['id']}/sync"))
    assert settled["status"] == "declined"
    assert settled["transactions"][-1]["failure_code"] == "card_declined"


def test_an_earlier_charge_reference_charges_the_same_card_again(client):
    order = _order(client)
    first = _pay(client, order["id"], amount="60.00")
    again = _pay(client, order["id"], source=first["provider_reference"])
    assert again["card"] == {"last4": "4242", "brand": "visa"}
    assert again["authorised"] == _money("40.00")


def test_the_orders_payments_come_with_every_transaction_and_the_totals(client):
    order = _order(client)
    _pay(client, order["id"], 402, source="4000000000000002", amount="5.00")
    card = _pay(client, order["id"], amount="70.00", capture=True)
    ok(client.post(f"/api/v1/payments/{card['id']}/refund",
                   json={"amount": "20.00", "reason": "goodwill"}))
    _pay(client, order["id"], provider="manual", amount="30.00")
    listing = ok(client.get(f"/api/v1/orders/{order['id']}/payments"))
    assert listing["order_id"] == order["id"]
    assert [p["status"] for p in listing["items"]] == [
        "declined", "partially_refunded", "authorised"]
    assert listing["summary"] == {
        "order_total": _money("100.00"), "authorised": _money("100.00"),
        "captured": _money("70.00"), "refunded": _money("20.00"), "voided": _money("0.00"),
        "pending": _money("0.00"), "open_authorised": _money("30.00"),
        "refundable": _money("50.00"), "to_authorise": _money("20.00")}


def test_every_change_records_its_event_with_the_amounts(client):
    order = _order(client)
    payment = _pay(client, order["id"])
    base = f"/api/v1/payments/{payment['id']}"
    ok(client.post(f"{base}/capture", json={"amount": "60.00"}))
    ok(client.post(f"{base}/void"))
    ok(client.post(f"{base}/refund", json={"amount": "15.00", "reason": "scratch"}))
    events = _events(client)
    assert [e["type"] for e in events] == [
        "payment.authorised", "payment.captured", "payment.voided", "payment.refunded"]
    assert all(e["aggregate_id"] == payment["id"] for e in events)
    refunded = events[-1]["payload"]
    assert refunded["order_id"] == order["id"] and refunded["reason"] == "scratch"
    assert (refunded["amount"], refunded["captured"], refunded["refunded"],
            refunded["voided"]) == ("15.00", "60.00", "15.00", "40.00")


def test_amounts_follow_the_currency_minor_unit(client):
    shop(client, {"A": {"ber": 10}}, currency="JPY")
    capture_later(client)
    order = ok(client.post("/api/v1/orders", json=order_body([("A", 1, "1500")])), 201)
    payment = _pay(client, order["id"], currency="JPY", capture=True)
    assert payment["captured"] == {"amount": "1500", "currency": "JPY"}
    problem = ok(client.post(f"/api/v1/payments/{payment['id']}/refund",
                             json={"amount": "10.5", "reason": "x"}), 422)
    assert problem["errors"][0]["field"] == "amount"


def test_every_payment_route_is_documented(client):
    paths = ok(client.get("/openapi.json"))["paths"]
    routes = [("/api/v1/orders/{order_id}/payments", "post"),
              ("/api/v1/orders/{order_id}/payments", "get"),
              ("/api/v1/payments/{payment_id}", "get"),
              ("/api/v1/payments/{payment_id}/capture", "post"),
              ("/api/v1/payments/{payment_id}/void", "post"),
              ("/api/v1/payments/{payment_id}/refund", "post"),
              ("/api/v1/payments/{payment_id}/sync", "post")]
    for path, method in routes:
        operation = paths[path][method]
        assert operation["summary"] and operation["description"], (path, method)
    assert "402" in paths["/api/v1/payments/{payment_id}/capture"]["post"]["responses"]
