"""Store credit as a payment (provider ``store_credit``): authorise holds, capture
redeems, void releases, refund puts it back; a short balance or another customer's
credit is declined (402); a repeated provider call moves credit once."""

from __future__ import annotations

from sqlalchemy import func, select

from ordermesh.credit.tables import store_credit_entries, store_credit_holds
from ordermesh.kit.money import Money
from ordermesh.payments.model import AuthoriseCall, PaymentMethod
from ordermesh.payments.providers.store_credit import StoreCreditProvider
from tests.helpers import capture_later, ok
from tests.store_credit_helpers import (
    GRACE,
    credit_of,
    customer_with_credit,
    new_order,
    pay_with_credit,
)


def test_an_order_paid_with_store_credit_redeems_it_once_captured(client):
    _, ada = customer_with_credit(client)  # 40.00 of credit
    order = new_order(client, "25.00")
    paid = ok(pay_with_credit(client, order, capture=True), 201)
    assert (paid["provider"], paid["method"], paid["status"]) == (
        "store_credit", "store_credit", "captured")
    account = credit_of(client, ada)
    assert (account["balance"], account["available"], account["held"]) == (
        "15.00", "15.00", "0.00")
    redeemed = account["entries"][0]
    assert (redeemed["kind"], redeemed["amount"], redeemed["order_id"]) == (
        "redeemed", "-25.00", order["id"])
    assert redeemed["hold_reference"] == paid["provider_reference"]


def test_store_credit_pays_part_of_an_order_and_a_card_the_rest(client):
    _, ada = customer_with_credit(client)
    order = new_order(client, "55.00")
    ok(pay_with_credit(client, order, amount="40.00", capture=True), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/payments", json={
        "provider": "test", "source": "4242424242424242", "capture": True}), 201)
    summary = ok(client.get(f"/api/v1/orders/{order['id']}/payments"))["summary"]
    assert (summary["captured"]["amount"], summary["to_authorise"]["amount"]) == (
        "55.00", "0.00")
    assert credit_of(client, ada)["balance"] == "0.00"


def test_a_short_balance_is_declined_with_402_and_holds_nothing(client):
    _, ada = customer_with_credit(client)
    order = new_order(client, "40.01")
    declined = pay_with_credit(client, order)
    assert declined.status_code == 402
    assert declined.json()["decline_code"] == "insufficient_store_credit"
    assert "40.00" in declined.json()["detail"]
    assert credit_of(client, ada)["available"] == "40.00"


def test_credit_of_another_customer_is_declined(client):
    _, ada = customer_with_credit(client)
    graces = new_order(client, "10.00", customer=GRACE)
    declined = pay_with_credit(client, graces, source=ada)
    assert declined.status_code == 402
    assert declined.json()["decline_code"] == "customer_mismatch"
    # nor does Grace's order take Ada's credit by default: Grace has none
    assert pay_with_credit(client, graces).json()["decline_code"] == \
        "insufficient_store_credit"
    assert credit_of(client, ada)["available"] == "40.00"


def test_authorising_holds_credit_and_a_void_releases_it(client):
    _, ada = customer_with_credit(client)
    capture_later(client)
    order = new_order(client, "30.00")
    held = ok(pay_with_credit(client, order), 201)
    assert held["status"] == "authorised"
    account = credit_of(client, ada)
    assert (account["balance"], account["available"], account["held"]) == (
        "40.00", "10.00", "30.00")
    assert account["holds"] == [{"reference": held["provider_reference"],
                                 "order_id": order["id"], "open": "30.00"}]
    ok(client.post(f"/api/v1/payments/{held['id']}/void", json={"reason": "changed mind"}))
    account = credit_of(client, ada)
    assert (account["available"], account["held"], account["holds"]) == ("40.00", "0.00", [])
    assert [e["kind"] for e in account["entries"]] == ["issued"]  # nothing was redeemed


def test_a_refund_of_a_credit_paid_order_puts_the_credit_back(client):
    _, ada = customer_with_credit(client)
    order = new_order(client, "25.00")
    paid = ok(pay_with_credit(client, order, capture=True), 201)
    ok(client.post(f"/api/v1/payments/{paid['id']}/refund", json={
        "amount": "10.00", "reason": "damaged in transit"}))
    account = credit_of(client, ada)
    assert account["balance"] == "25.00"  # 40 - 25 + 10
    assert (account["entries"][0]["kind"], account["entries"][0]["amount"]) == (
        "refunded", "10.00")
    # the order's own refund of a line goes back to the credit too
    ok(client.post(f"/api/v1/orders/{order['id']}/refunds", json={
        "amount": "15.00", "reason": "goodwill"}), 201)
    assert credit_of(client, ada)["balance"] == "40.00"


def _counts(uow) -> tuple[int, int]:
    with uow(write=False) as u:
        return (u.execute(select(func.count()).select_from(store_credit_holds)).scalar_one(),
                u.execute(select(func.count()).select_from(store_credit_entries)).scalar_one())


def test_a_repeated_provider_call_with_the_same_key_returns_the_first_answer(client, uow):
    _, ada = customer_with_credit(client)
    order = new_order(client, "25.00")
    provider = StoreCreditProvider()
    call = AuthoriseCall(Money.of("25.00", "EUR"), PaymentMethod.STORE_CREDIT,
                         f"{order['id']}:authorise:k1", None, order["number"], order["id"])
    answers = []
    for _ in range(3):  # e.g. the request, its retry and the worker
        with uow() as u:
            answers.append(provider.authorise(u, call))
            u.commit()
    assert len({a.reference for a in answers}) == 1 and answers[0].approved
    assert credit_of(client, ada)["available"] == "15.00"
    captures = []
    for _ in range(2):
        with uow() as u:
            captures.append(provider.capture(u, answers[0].reference,
                                             Money.of("25.00", "EUR"), "cap-1"))
            u.commit()
    assert captures[0] == captures[1] and captures[0].approved
    assert _counts(uow) == (1, 2)  # one hold; the issue and one redemption
    assert credit_of(client, ada)["balance"] == "15.00"
    # the same key asking for something else is not served
    with uow() as u:
        other = provider.capture(u, answers[0].reference, Money.of("1.00", "EUR"), "cap-1")
    assert other.code == "idempotency_error"


def test_a_retried_payment_request_with_the_same_idempotency_key_holds_once(client):
    _, ada = customer_with_credit(client)
    order = new_order(client, "25.00")
    headers = {"Idempotency-Key": "pay-once"}
    first = ok(client.post(f"/api/v1/orders/{order['id']}/payments", headers=headers,
                           json={"provider": "store_credit", "capture": True}), 201)
    again = client.post(f"/api/v1/orders/{order['id']}/payments", headers=headers,
                        json={"provider": "store_credit", "capture": True})
    assert again.json()["id"] == first["id"]
    assert credit_of(client, ada)["balance"] == "15.00"


def test_an_order_captured_per_shipment_redeems_the_held_credit_when_it_ships(client):
    _, ada = customer_with_credit(client)
    capture_later(client)
    order = new_order(client, "25.00")
    held = ok(pay_with_credit(client, order), 201)
    assert credit_of(client, ada)["held"] == "25.00"
    ok(client.post(f"/api/v1/orders/{order['id']}/shipments", json={
        "lines": [{"line_no": 1, "quantity": 1}], "carrier": "dhl",
        "tracking_number": "JD0002"}), 201)
    assert ok(client.get(f"/api/v1/payments/{held['id']}"))["status"] == "captured"
    account = credit_of(client, ada)
    assert (account["balance"], account["held"], account["entries"][0]["kind"]) == (
        "15.00", "0.00", "redeemed")
