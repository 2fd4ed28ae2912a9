"""Receiving a return (count, grade, disposition as stock movements) and resolving it
with a refund of what was paid for the units; returnless refunds; and a property: no
unit is returned twice, stock agrees with its ledger, refunds never pass the capture."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import ok
from tests.returns_helpers import RETURNS, ask, ledger_agrees, shipped_order, stock_at


def _receive(client, ret: dict, *lines, location="ber"):
    return client.post(f"{RETURNS}/{ret['id']}/receipts", json={"location": location, "lines": [
        {"line_no": no, "quantity": q, "grade": g, "disposition": d} for no, q, g, d in lines]})


def test_each_disposition_is_a_stock_movement_at_the_receiving_location(client, container):
    order = shipped_order(client, lines=(("TEE", 4, "20.00"),))
    assert stock_at(client, "TEE") == {"on_hand": 6, "reserved": 0, "damaged": 0}
    ret = ok(ask(client, order, [(1, 4, "defective")]), 201)
    partly = ok(_receive(client, ret, (1, 1, "as_new", "restock"),), 201)
    assert partly["status"] == "partially_received"
    assert stock_at(client, "TEE") == {"on_hand": 7, "reserved": 0, "damaged": 0}
    ok(_receive(client, ret, (1, 1, "open_box", "refurbish")), 201)
    ok(_receive(client, ret, (1, 1, "damaged", "quarantine")), 201)
    done = ok(_receive(client, ret, (1, 1, "defective", "scrap")), 201)
    assert done["status"] == "received"
    assert stock_at(client, "TEE") == {"on_hand": 7, "reserved": 0, "damaged": 2}
    assert [s["receipt"]["lines"][0]["disposition"] for s in done["timeline"]
            if s["receipt"]] == ["restock", "refurbish", "quarantine", "scrap"]
    assert ledger_agrees(container)


def test_receiving_more_than_expected_twice_or_before_authorisation_changes_nothing(client):
    order = shipped_order(client)
    ok(client.put("/api/v1/return-policies/web", json={"auto_authorise": False}))
    ret = ok(ask(client, order, [(1, 2, "defective")]), 201)
    early = _receive(client, ret, (1, 1, "as_new", "restock"))
    assert early.status_code == 409
    ok(client.post(f"{RETURNS}/{ret['id']}/authorise", json={}))
    ok(_receive(client, ret, (1, 1, "as_new", "restock")), 201)
    before = stock_at(client, "TEE")
    for refused in (_receive(client, ret, (1, 2, "as_new", "restock")),
                    _receive(client, ret, (1, 1, "as_new", "restock"),
                             (1, 1, "as_new", "restock")),
                    _receive(client, ret, (2, 1, "as_new", "restock")),
                    _receive(client, ret, (1, 1, "as_new", "restock"), location="nowhere")):
        assert refused.status_code == 422, refused.text
    codes = [e["code"] for e in _receive(client, ret, (1, 2, "as_new", "restock")).json()[
        "errors"]]
    assert codes == ["exceeds_expected"]
    assert stock_at(client, "TEE") == before
    after = ok(client.get(f"{RETURNS}/{ret['id']}"))
    assert (after["status"], after["lines"][0]["received_quantity"]) == (
        "partially_received", 1)
    assert client.post(f"{RETURNS}/{ret['id']}/cancel", json={}).status_code == 409


def test_receiving_never_refunds_and_the_refund_gives_back_the_share_paid(client):
    order = shipped_order(client, lines=(("TEE", 3, "20.00"), ("CAP", 1, "10.00")),
                          discount="7.00")  # 70.00 less 7.00: 54.00 for TEE, 9.00 for CAP
    ret = ok(ask(client, order, [(1, 2, "defective"), (2, 1, "wrong_item")]), 201)
    ok(_receive(client, ret, (1, 2, "as_new", "restock"), (2, 1, "as_new", "restock")), 201)
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["totals"]["refunded"][
        "amount"] == "0.00"
    resolved = ok(client.post(f"{RETURNS}/{ret['id']}/refund"), 201)
    assert resolved["status"] == "resolved"
    assert resolved["refund"]["amount"] == "45.00"  # 2/3 of 54.00, and 9.00
    assert resolved["timeline"][-1]["status"] == "resolved"
    again = client.post(f"{RETURNS}/{ret['id']}/refund")
    assert again.status_code == 409
    lines = ok(client.get(f"/api/v1/orders/{order['id']}"))["lines"]
    assert [ln["refunded_quantity"] for ln in lines] == [2, 1]


def test_a_partly_received_return_refunds_only_what_arrived_and_frees_the_rest(client):
    order = shipped_order(client)
    ret = ok(ask(client, order, [(1, 3, "size_or_fit")]), 201)
    ok(_receive(client, ret, (1, 1, "as_new", "restock")), 201)
    resolved = ok(client.post(f"{RETURNS}/{ret['id']}/refund"), 201)
    assert resolved["refund"]["amount"] == "20.00"
    returnable = ok(client.get(f"/api/v1/orders/{order['id']}/returnable"))["lines"][0]
    assert (returnable["refunded"], returnable["in_returns"], returnable["returnable"]) == (
        1, 0, 2)


def test_a_returnless_return_is_refunded_without_a_shipment_or_stock_change(client):
    order = shipped_order(client, lines=(("TEE", 3, "4.00"),))
    ok(client.put("/api/v1/return-policies/web", json={"returnless_below": "10.00"}))
    big = ok(client.post(f"{RETURNS}/preview", json={"order": order["id"], "lines": [
        {"line_no": 1, "quantity": 3, "reason": "damaged_in_transit"}]}))
    assert big["returnless"] is False  # 12.00 is not below 10.00
    ret = ok(ask(client, order, [(1, 2, "damaged_in_transit")]), 201)
    assert ret["returnless"] is True
    before = stock_at(client, "TEE")
    resolved = ok(client.post(f"{RETURNS}/{ret['id']}/refund"), 201)
    assert (resolved["status"], resolved["refund"]["amount"]) == ("resolved", "8.00")
    assert stock_at(client, "TEE") == before


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.integers(1, 3), st.sampled_from(
    ["restock", "quarantine", "scrap", "cancel", "none"]), st.booleans()),
    min_size=1, max_size=5))
def test_no_unit_is_returned_twice_stock_agrees_with_its_ledger_and_refunds_stay_captured(
        client, container, steps):
    existing = ok(client.get("/api/v1/channels"))["items"]
    order = shipped_order(client, lines=(("TEE", 3, "10.00"),), stock=1000,
                          new_shop=not existing)
    for quantity, what, refund in steps:
        answer = ask(client, order, [(1, quantity, "other")])
        if answer.status_code != 201:
            assert answer.json()["errors"][0]["code"] == "exceeds_returnable"
            continue
        ret = answer.json()
        if what == "cancel":
            ok(client.post(f"{RETURNS}/{ret['id']}/cancel", json={}))
        elif what != "none":
            ok(_receive(client, ret, (1, quantity, "as_new", what)), 201)
            if refund:
                ok(client.post(f"{RETURNS}/{ret['id']}/refund"), 201)
    returns = ok(client.get(RETURNS, params={"order": order["id"], "limit": 200}))["items"]
    holding = sum(ln["quantity"] for r in returns if r["status"] not in ("cancelled",)
                  for ln in r["lines"])
    assert holding <= 3  # every unit in at most one return
    placed = ok(client.get(f"/api/v1/orders/{order['id']}"))
    assert Decimal(placed["totals"]["refunded"]["amount"]) <= Decimal("30.00")
    assert ledger_agrees(container)
