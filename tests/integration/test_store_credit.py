"""Store credit issued by a return resolved as store credit, adjusted by an admin, and
expiring: the balance is computed from the ledger, exact to the cent."""

from __future__ import annotations

from datetime import timedelta

from tests.helpers import ok
from tests.returns_helpers import FEES, RETURNS, shipped_order
from tests.store_credit_helpers import ADA, credit_of, credit_policy, return_for_credit


def test_a_return_resolved_as_store_credit_credits_what_the_refund_would_give_back(client):
    order = shipped_order(client, lines=(("TEE", 3, "19.99"),), customer=ADA, invoiced=True)
    credit_policy(client, **FEES)
    ret = return_for_credit(client, order, 2)
    preview = ok(client.get(f"{RETURNS}/{ret['id']}"))
    resolved = ok(client.post(f"{RETURNS}/{ret['id']}/refund"), 201)
    # 39.98 less 5.00 restocking and 4.95 return shipping, as a refund would give back
    assert (resolved["status"], resolved["refund"]["amount"]) == ("resolved", "30.03")
    account = credit_of(client, order["customer_id"])
    assert (account["balance"], account["available"], account["held"]) == (
        "30.03", "30.03", "0.00")
    [entry] = account["entries"]
    assert (entry["kind"], entry["amount"], entry["source_type"], entry["source_id"]) == (
        "issued", "30.03", "return", ret["id"])
    # nothing went back to the card
    payments = ok(client.get(f"/api/v1/orders/{order['id']}/payments"))
    assert payments["summary"]["refunded"]["amount"] == "0.00"
    assert preview["status"] == "received"


def test_refund_and_store_credit_lines_in_one_return_are_refused(client):
    order = shipped_order(client, lines=(("TEE", 1, "10.00"), ("CAP", 1, "5.00")),
                          customer=ADA)
    credit_policy(client)
    refused = client.post(RETURNS, json={"order": order["number"], "lines": [
        {"line_no": 1, "quantity": 1, "reason": "size_or_fit", "resolution": "refund"},
        {"line_no": 2, "quantity": 1, "reason": "size_or_fit",
         "resolution": "store_credit"}]})
    assert refused.status_code == 422
    assert [e["code"] for e in refused.json()["errors"]] == ["mixed_refund_and_store_credit"]


def test_an_admin_adjusts_credit_with_a_reason_and_cannot_take_more_than_is_available(
        client):
    order = shipped_order(client, customer=ADA)
    url = f"/api/v1/customers/{order['customer_id']}/store-credit/adjustments"
    added = ok(client.post(url, json={"amount": "15.00", "currency": "EUR",
                                      "reason": "goodwill: late delivery"}), 201)
    assert (added["entry"]["kind"], added["entry"]["amount"]) == ("adjusted", "15.00")
    assert added["account"]["available"] == "15.00"
    too_much = client.post(url, json={"amount": "-15.01", "currency": "EUR",
                                      "reason": "typo"})
    assert too_much.status_code == 409
    assert too_much.json()["available"] == "15.00"
    for bad in ({"amount": "1.001", "currency": "EUR", "reason": "x"},
                {"amount": "0", "currency": "EUR", "reason": "x"},
                {"amount": "1.00", "currency": "EUR", "reason": " "},
                {"amount": "-1.00", "currency": "EUR", "reason": "x",
                 "expires_at": "2030-01-01T00:00:00Z"}):
        assert client.post(url, json=bad).status_code == 422, bad
    taken = ok(client.post(url, json={"amount": "-15.00", "currency": "EUR",
                                      "reason": "issued by mistake"}), 201)
    assert taken["account"]["balance"] == "0.00"
    assert [e["amount"] for e in credit_of(client, order["customer_id"])["entries"]] == [
        "-15.00", "15.00"]
    assert client.post("/api/v1/customers/cus_nobody/store-credit/adjustments", json={
        "amount": "1.00", "currency": "EUR", "reason": "x"}).status_code == 404


def test_credit_past_its_expiry_is_not_available_and_expiring_credit_is_spent_first(
        client, clock):
    order = shipped_order(client, customer=ADA)
    url = f"/api/v1/customers/{order['customer_id']}/store-credit/adjustments"
    soon = (clock.now() + timedelta(days=1)).isoformat()
    ok(client.post(url, json={"amount": "10.00", "currency": "EUR", "reason": "promo",
                              "expires_at": soon}), 201)
    ok(client.post(url, json={"amount": "10.00", "currency": "EUR", "reason": "goodwill"}),
       201)
    ok(client.post(url, json={"amount": "-4.00", "currency": "EUR", "reason": "fix"}), 201)
    account = credit_of(client, order["customer_id"])
    assert (account["balance"], account["expired"]) == ("16.00", "0.00")
    clock.advance(timedelta(days=2))
    account = credit_of(client, order["customer_id"])
    # the 4.00 came off the promo credit, which expired with 6.00 left
    assert (account["balance"], account["available"], account["expired"]) == (
        "10.00", "10.00", "6.00")
    past = client.post(url, json={"amount": "1.00", "currency": "EUR", "reason": "x",
                                  "expires_at": soon})
    assert past.status_code == 422


def test_a_customer_without_credit_has_no_account_and_an_unknown_one_is_404(client):
    order = shipped_order(client, customer=ADA)
    assert ok(client.get(f"/api/v1/customers/{order['customer_id']}/store-credit")) == {
        "customer_id": order["customer_id"], "accounts": []}
    assert client.get("/api/v1/customers/cus_nobody/store-credit").status_code == 404


def test_a_policy_releasing_at_receipt_issues_the_credit_with_the_last_unit(client):
    order = shipped_order(client, lines=(("TEE", 2, "20.00"),), customer=ADA)
    credit_policy(client, refund_release="receipt")
    resolved = return_for_credit(client, order, 2)
    assert resolved["status"] == "resolved"
    assert credit_of(client, order["customer_id"])["balance"] == "40.00"


def test_store_credit_for_an_order_without_a_customer_is_refused_and_changes_nothing(
        client):
    order = shipped_order(client)
    credit_policy(client)
    ret = return_for_credit(client, order)
    refused = client.post(f"{RETURNS}/{ret['id']}/refund")
    assert refused.status_code == 409
    assert ok(client.get(f"{RETURNS}/{ret['id']}"))["status"] == "received"
