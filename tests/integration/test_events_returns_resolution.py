"""Inspecting and resolving returns write exactly their declared events
(tests/event_contract.py): a refund less the policy's fees, an inspection, a refund the
policy releases at receipt or after inspection, an exchange and its refund of nothing;
refused steps write none."""

from __future__ import annotations

from decimal import Decimal

from tests.event_checks import assert_writes, assert_writes_nothing, of_type
from tests.helpers import add_stock, make_product, ok
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


def _inspect(client, ret: dict, *lines):
    return client.post(f"{RETURNS}/{ret['id']}/inspection", json={"lines": [
        {"line_no": no, "quantity": q, "grade": g} for no, q, g in lines]})


def test_an_inspection_writes_inspected_and_counts_the_defects(client):
    order = shipped_order(client)
    ret = ok(ask(client, order, [(1, 3, "defective")]), 201)
    receive_all(client, ret)
    inspected, written = assert_writes(client, "return.inspect", lambda: ok(_inspect(
        client, ret, (1, 2, "defective"), (1, 1, "as_new")), 201))
    assert inspected["status"] == "inspected"
    assert of_type(written, "return.inspected")["payload"]["defective"] == [
        {"sku": "TEE", "quantity": 2}]
    twice = assert_writes_nothing(client, lambda: _inspect(client, ret, (1, 3, "as_new")))
    assert twice.status_code == 409
    resolved = ok(client.post(f"{RETURNS}/{ret['id']}/refund"), 201)  # released by hand
    assert (resolved["status"], resolved["refund"]["amount"]) == ("resolved", "60.00")


def test_a_policy_that_releases_refunds_after_inspection_refunds_with_the_inspection(client):
    order = shipped_order(client)
    ok(client.put("/api/v1/return-policies/web", json={"refund_release": "inspection"}))
    ret = ok(ask(client, order, [(1, 2, "size_or_fit")]), 201)
    assert ret["refund_release"] == "inspection"
    receive_all(client, ret)
    early = assert_writes_nothing(client, lambda: client.post(f"{RETURNS}/{ret['id']}/refund"))
    assert early.status_code == 409
    assert "inspected" in early.json()["detail"]
    resolved, written = assert_writes(client, "return.inspect.released", lambda: ok(
        _inspect(client, ret, (1, 2, "open_box")), 201))
    assert (resolved["status"], resolved["refund"]["amount"]) == ("resolved", "40.00")
    assert [s["status"] for s in resolved["timeline"]][-2:] == ["inspected", "resolved"]
    assert of_type(written, "payment.refunded")["payload"]["amount"] == "40.00"


def test_a_policy_that_releases_refunds_at_receipt_refunds_with_the_last_unit(client):
    order = shipped_order(client)
    ok(client.put("/api/v1/return-policies/web", json={"refund_release": "receipt"}))
    ret = ok(ask(client, order, [(1, 2, "size_or_fit")]), 201)
    one = {"location": "ber", "lines": [
        {"line_no": 1, "quantity": 1, "grade": "as_new", "disposition": "restock"}]}
    partly, _ = assert_writes(client, "return.receive", lambda: ok(client.post(
        f"{RETURNS}/{ret['id']}/receipts", json=one), 201))
    assert (partly["status"], partly["refund"]) == ("partially_received", None)
    resolved, written = assert_writes(client, "return.receive.released", lambda: ok(
        client.post(f"{RETURNS}/{ret['id']}/receipts", json=one), 201))
    assert (resolved["status"], resolved["refund"]["amount"]) == ("resolved", "40.00")
    assert of_type(written, "return.resolved")["payload"]["refund"] == "40.00"


def test_an_exchange_places_its_replacement_and_an_even_one_refunds_nothing(client):
    order = shipped_order(client, lines=(("TEE", 2, "20.00"),), invoiced=True)
    make_product(client, "TEE-L", price={"amount": "20.00", "currency": "EUR"})
    add_stock(client, "TEE-L", "ber", 5)
    ok(client.put("/api/v1/return-policies/web", json={"resolutions": ["refund", "exchange"]}))
    ret = ok(client.post(RETURNS, json={"order": order["number"], "lines": [
        {"line_no": 1, "quantity": 1, "reason": "size_or_fit", "resolution": "exchange",
         "exchange_for": "TEE-L"}]}), 201)
    exchanged, written = assert_writes(client, "return.exchange", lambda: ok(
        client.post(f"{RETURNS}/{ret['id']}/exchange"), 201))
    payload = of_type(written, "return.exchanged")["payload"]
    assert (payload["value"], payload["exchange_credit"]) == ("20.00", "20.00")
    assert of_type(written, "order.created")["aggregate_id"] == exchanged["exchange_order_id"]
    again = assert_writes_nothing(client, lambda: client.post(
        f"{RETURNS}/{ret['id']}/exchange"))
    assert again.status_code == 409
    receive_all(client, exchanged)
    resolved, written = assert_writes(client, "return.refund.exchange.even", lambda: ok(
        client.post(f"{RETURNS}/{ret['id']}/refund"), 201))
    assert of_type(written, "return.resolved")["payload"]["resolution"] == "exchange"
    assert resolved["refund"]["amount"] == "0.00"
