"""Fees a return policy keeps back from a refund: none for the seller's fault, none for a
returnless return, never more than the refund; bad fees refused. (The fees on the
preview, the refund and the credit note: tests/integration/test_events_returns_resolution.py.)"""

from __future__ import annotations

from tests.helpers import ok
from tests.returns_helpers import FEES, RETURNS, ask, receive_all, shipped_order


def test_units_returned_for_the_sellers_fault_bear_no_fee(client):
    order = shipped_order(client, lines=(("TEE", 2, "20.00"), ("CAP", 1, "10.00")))
    ok(client.put("/api/v1/return-policies/web", json=FEES))
    faulty = ok(ask(client, order, [(1, 1, "defective")]), 201)
    receive_all(client, faulty)
    assert ok(client.post(f"{RETURNS}/{faulty['id']}/refund"), 201)["refund"]["amount"] == \
        "20.00"
    # one line the seller's fault, one not: the restocking fee only on the second
    mixed = ok(ask(client, order, [(1, 1, "wrong_item"), (2, 1, "changed_mind")]), 201)
    receive_all(client, mixed)
    refund = ok(client.post(f"{RETURNS}/{mixed['id']}/refund"), 201)["refund"]
    assert refund["amount"] == "23.80"  # 30.00 less 1.25 and 4.95


def test_fees_never_pass_the_refund_and_a_returnless_return_bears_none(client):
    order = shipped_order(client, lines=(("TEE", 3, "4.00"),))
    ok(client.put("/api/v1/return-policies/web", json={
        "return_shipping_fee": "6.00", "returnless_below": "5.00"}))
    returnless = ok(ask(client, order, [(1, 1, "changed_mind")]), 201)
    assert returnless["returnless"] is True
    assert ok(client.post(f"{RETURNS}/{returnless['id']}/refund"), 201)["refund"][
        "amount"] == "4.00"
    shipped_back = ok(ask(client, order, [(1, 2, "changed_mind")]), 201)
    receive_all(client, shipped_back)
    resolved = ok(client.post(f"{RETURNS}/{shipped_back['id']}/refund"), 201)
    assert resolved["refund"]["amount"] == "2.00"  # 8.00 less a 6.00 fee


def test_a_policy_with_bad_fees_is_refused_and_changes_nothing(client):
    shipped_order(client)
    before = ok(client.get("/api/v1/return-policies/web"))
    for body, field in (({"return_shipping_fee": "4.999"}, "return_shipping_fee"),
                        ({"return_shipping_fee": "0"}, "return_shipping_fee"),
                        ({"restocking_fee_percent": "0"}, "restocking_fee_percent"),
                        ({"restocking_fee_percent": "100.5"}, "restocking_fee_percent"),
                        ({"restocking_fee_percent": "10.125"}, "restocking_fee_percent"),
                        ({"fee_free_reasons": ["nope"]}, "fee_free_reasons")):
        refused = client.put("/api/v1/return-policies/web", json=body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"].endswith(field), refused.text
    assert ok(client.get("/api/v1/return-policies/web")) == before
