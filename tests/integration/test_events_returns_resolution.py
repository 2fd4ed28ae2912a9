"""Resolving returns writes exactly its declared events (tests/event_contract.py): a
refund less the policy's fees, ..."""

from __future__ import annotations

from decimal import Decimal

from tests.event_checks import assert_writes, of_type
from tests.helpers import ok
from tests.returns_helpers import FEES, RETURNS, ask, receive_all, shipped_order


def test_the_policy_fees_are_kept_back_from_the_refund_and_shown_on_the_credit_note(client):
    order = shipped_order(client, lines=(("TEE", 3, "19.99"),), invoiced=True)
    policy = ok(client.put("/api/v1/return-policies/web", json=FEES))
    assert (policy["restocking_fee_percent"], policy["return_shipping_fee"]) == ("12.5", "4.95")
    preview = ok(client.post(f"{RETURNS}/preview", json={"order": order["number"], "lines": [
        {"line_no": 1, "quantity": 2, "reason": "size_or_fit"}]}))["money"]
    # 2 x 19.99 = 39.98; 12.5 % of it is 4.9975, 5.00 to the cent; and 4.95 shipping
    assert preview["value"] == "39.98"
    assert [(d["kind"], d["amount"]) for d in preview["deductions"]] == [
        ("restocking_fee", "5.00"), ("return_shipping_fee", "4.95")]
    assert preview["refund"] == "30.03"
    ret = ok(ask(client, order, [(1, 2, "size_or_fit")]), 201)
    assert ret["fees"]["restocking_percent"] == "12.5"
    receive_all(client, ret)
    resolved, written = assert_writes(client, "return.refund.fees", lambda: ok(
        client.post(f"{RETURNS}/{ret['id']}/refund"), 201))
    refund = resolved["refund"]
    assert refund["amount"] == "30.03"
    kept = [ln for ln in refund["lines"] if "deduction" in ln]
    assert [(ln["deduction"], ln["amount"]) for ln in kept] == [
        ("restocking_fee", "-5.00"), ("return_shipping_fee", "-4.95")]
    assert of_type(written, "payment.refunded")["payload"]["amount"] == "30.03"
    assert of_type(written, "return.resolved")["payload"]["deductions"] == preview["deductions"]
    note_id = of_type(written, "credit_note.issued")["aggregate_id"]
    note = ok(client.get(f"/api/v1/invoices/{note_id}"))
    assert Decimal(note["gross"]) == Decimal("30.03")
    assert Decimal(note["tax"]) == Decimal(refund["tax"])
    # a credit note has no negative lines: the fees are shown on the line they come from
    [line] = note["lines"]
    assert line["description"].endswith(
        ", less restocking fee (12.5%) 5.00, return shipping fee 4.95")
    assert (line["quantity"], line["gross"]) == (2, "30.03")
