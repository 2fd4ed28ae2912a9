"""Inspecting a received return: every unit received graded once, shown in the timeline;
bad inspections refused with nothing changed."""

from __future__ import annotations

from tests.helpers import ok
from tests.returns_helpers import RETURNS, ask, receive_all, shipped_order, stock_at


def _inspect(client, ret: dict, *lines, note=None):
    return client.post(f"{RETURNS}/{ret['id']}/inspection", json={"note": note, "lines": [
        {"line_no": no, "quantity": q, "grade": g} for no, q, g in lines]})


def test_the_inspection_is_told_in_the_timeline_and_changes_no_stock(client):
    order = shipped_order(client, lines=(("TEE", 2, "20.00"), ("CAP", 1, "10.00")))
    ret = ok(ask(client, order, [(1, 2, "defective"), (2, 1, "changed_mind")]), 201)
    receive_all(client, ret, grade="open_box", disposition="quarantine")
    before = stock_at(client, "TEE")
    done = ok(_inspect(client, ret, (1, 1, "defective"), (1, 1, "damaged"), (2, 1, "as_new"),
                       note="seam torn on one"), 201)
    step = done["timeline"][-1]
    assert (step["status"], step["reason"]) == ("inspected", "seam torn on one")
    assert [(ln["line_no"], ln["grade"]) for ln in step["inspection"]["lines"]] == [
        (1, "defective"), (1, "damaged"), (2, "as_new")]
    assert stock_at(client, "TEE") == before


def test_an_inspection_that_does_not_grade_each_received_unit_once_changes_nothing(client):
    order = shipped_order(client)
    ret = ok(ask(client, order, [(1, 3, "defective")]), 201)
    partly = ok(client.post(f"{RETURNS}/{ret['id']}/receipts", json={"location": "ber",
                "lines": [{"line_no": 1, "quantity": 1, "grade": "as_new",
                           "disposition": "restock"}]}), 201)
    not_yet = _inspect(client, ret, (1, 1, "as_new"))
    assert not_yet.status_code == 409, not_yet.text  # two units are still on their way
    receive_all(client, partly)
    for refused, code in ((_inspect(client, ret, (1, 2, "as_new")), "units_not_graded_once"),
                          (_inspect(client, ret, (1, 2, "as_new"), (1, 2, "damaged")),
                           "units_not_graded_once"),
                          (_inspect(client, ret, (2, 3, "as_new")), "unknown_line")):
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["code"] == code
    bad_grade = _inspect(client, ret, (1, 3, "like_new"))
    assert bad_grade.status_code == 422
    after = ok(client.get(f"{RETURNS}/{ret['id']}"))
    assert after["status"] == "received"
    assert ok(_inspect(client, ret, (1, 3, "as_new")), 201)["status"] == "inspected"


def test_a_returnless_return_is_never_inspected(client):
    order = shipped_order(client, lines=(("TEE", 1, "4.00"),))
    ok(client.put("/api/v1/return-policies/web", json={"returnless_below": "5.00",
                                                       "refund_release": "inspection"}))
    ret = ok(ask(client, order, [(1, 1, "damaged_in_transit")]), 201)
    assert _inspect(client, ret, (1, 1, "damaged")).status_code == 409
    resolved = ok(client.post(f"{RETURNS}/{ret['id']}/refund"), 201)
    assert resolved["refund"]["amount"] == "4.00"
