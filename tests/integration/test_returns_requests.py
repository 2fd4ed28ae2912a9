"""Requesting a return: only shipped units, once each, within the window and not final
sale (unless an operator overrides), each refused line naming its rule; policies,
reasons, preview, review, cancellation, idempotency, lists and the race for the last
unit."""

from __future__ import annotations

import threading
from datetime import timedelta

from tests.helpers import ok
from tests.returns_helpers import RETURNS, ask, shipped_order


def _count(client) -> int:
    return len(ok(client.get(RETURNS))["items"])


def test_a_channel_without_a_policy_gets_the_default_and_a_stored_one_replaces_it(client):
    shipped_order(client)
    default = ok(client.get("/api/v1/return-policies/web"))
    assert (default["stored"], default["window_days"], default["resolutions"],
            default["auto_authorise"], default["returnless_below"]) == (
        False, 30, ["refund"], True, None)
    stored = ok(client.put("/api/v1/return-policies/web", json={
        "window_days": 14, "final_sale_categories": ["underwear"], "auto_authorise": False}))
    assert (stored["stored"], stored["window_days"], stored["final_sale_categories"]) == (
        True, 14, ["underwear"])
    bad = client.put("/api/v1/return-policies/web", json={"returnless_below": "0.001"})
    assert bad.status_code == 422
    unknown = client.put("/api/v1/return-policies/web", json={
        "resolutions": ["refund", "gift_card"]})
    assert unknown.status_code == 422
    assert ok(client.get("/api/v1/return-policies/web"))["window_days"] == 14
    credit = ok(client.put("/api/v1/return-policies/web", json={
        "window_days": 14, "resolutions": ["refund", "store_credit"]}))
    assert credit["resolutions"] == ["refund", "store_credit"]


def test_the_reasons_are_data_installed_with_the_usual_ones(client):
    codes = [r["code"] for r in ok(client.get("/api/v1/return-reasons"))["items"]]
    assert codes == ["damaged_in_transit", "defective", "wrong_item", "not_as_described",
                     "size_or_fit", "changed_mind", "arrived_late", "other"]
    ok(client.post("/api/v1/return-reasons", json={"code": "gift", "label": "Unwanted gift"}),
       201)
    assert ok(client.get("/api/v1/return-reasons"))["items"][-1]["code"] == "gift"


def test_shipped_units_are_returned_authorised_at_once_with_a_number_and_a_timeline(client):
    order = shipped_order(client)
    ret = ok(client.post(RETURNS, json={"order": order["id"], "lines": [
        {"line_no": 1, "quantity": 2, "reason": "defective", "comment": "seam split",
         "resolution": "refund"}]}), 201)
    assert ret["number"] == "R-000001-1"
    assert ret["status"] == "authorised"
    assert [(s["from_status"], s["status"]) for s in ret["timeline"]] == [
        (None, "requested"), ("requested", "authorised")]
    assert ret["lines"][0]["comment"] == "seam split"
    assert ok(client.get(f"{RETURNS}/{ret['number']}"))["id"] == ret["id"]
    returnable = ok(client.get(f"/api/v1/orders/{order['number']}/returnable"))
    assert (returnable["lines"][0]["in_returns"], returnable["lines"][0]["returnable"]) == (2, 1)


def test_every_refused_line_names_its_rule_and_nothing_is_created(client):
    order = shipped_order(client, lines=(("TEE", 3, "20.00"), ("CAP", 2, "10.00")),
                          ship={1: 3})
    refused = ask(client, order, [(1, 4, "defective"), (2, 1, "defective"),
                                  (1, 1, "defective"), (9, 1, "defective"),
                                  (1, 1, "because")])
    assert refused.status_code == 422
    rules = [(e["field"], e["code"]) for e in refused.json()["errors"]]
    assert rules == [("lines[0]", "exceeds_returnable"), ("lines[1]", "not_shipped"),
                     ("lines[2]", "line_twice"), ("lines[3]", "unknown_line"),
                     ("lines[4]", "line_twice")]
    unknown = ask(client, order, [(1, 1, "because")])
    assert [e["code"] for e in unknown.json()["errors"]] == ["unknown_reason"]
    offered = client.post(RETURNS, json={"order": order["id"], "lines": [
        {"line_no": 1, "quantity": 1, "reason": "defective", "resolution": "exchange",
         "exchange_for": "TEE"}]})
    assert [e["code"] for e in offered.json()["errors"]] == ["resolution_not_offered"]
    assert _count(client) == 0


def test_after_the_window_a_return_needs_an_operator_override_with_a_reason(client, clock):
    order = shipped_order(client)
    clock.advance(timedelta(days=31))
    late = ask(client, order, [(1, 1, "changed_mind")])
    assert [e["code"] for e in late.json()["errors"]] == ["outside_window"]
    assert "2026-12-26" in late.json()["errors"][0]["message"]
    blank = ask(client, order, [(1, 1, "changed_mind")], override_reason=" ")
    assert blank.status_code == 422
    waived = ok(ask(client, order, [(1, 1, "changed_mind")],
                    override_reason="loyal customer"), 201)
    assert waived["override_reason"] == "loyal customer"
    assert [o["rule"] for o in waived["overridden"]] == ["outside_window"]


def test_final_sale_products_are_refused_unless_overridden(client):
    order = shipped_order(client, category="underwear")
    ok(client.put("/api/v1/return-policies/web", json={"final_sale_categories": ["underwear"]}))
    refused = ask(client, order, [(1, 1, "size_or_fit")])
    assert [e["code"] for e in refused.json()["errors"]] == ["final_sale"]
    assert ok(ask(client, order, [(1, 1, "size_or_fit")], override_reason="sealed"), 201)


def test_the_preview_judges_and_prices_what_was_paid_without_creating_anything(client):
    order = shipped_order(client, lines=(("TEE", 3, "20.00"),), discount="6.00")
    body = {"order": order["number"], "lines": [
        {"line_no": 1, "quantity": 1, "reason": "defective"}]}
    preview = ok(client.post(f"{RETURNS}/preview", json=body))
    assert (preview["accepted"], preview["would_be"]) == (True, "authorised")
    assert preview["money"]["refund"] == "18.00"  # its share of the 54.00 paid
    too_many = ok(client.post(f"{RETURNS}/preview", json={**body, "lines": [
        {"line_no": 1, "quantity": 5, "reason": "defective"}]}))
    assert (too_many["accepted"], too_many["refusals"][0]["rule"]) == (
        False, "exceeds_returnable")
    assert _count(client) == 0


def test_a_reviewed_return_waits_and_a_rejected_or_cancelled_one_frees_its_units(client):
    order = shipped_order(client)
    ok(client.put("/api/v1/return-policies/web", json={"auto_authorise": False}))
    first = ok(ask(client, order, [(1, 3, "defective")]), 201)
    assert first["status"] == "requested"
    assert ask(client, order, [(1, 1, "defective")]).status_code == 422
    assert client.post(f"{RETURNS}/{first['id']}/reject", json={}).status_code == 422
    rejected = ok(client.post(f"{RETURNS}/{first['id']}/reject", json={"reason": "worn"}))
    assert (rejected["status"], rejected["status_reason"]) == ("rejected", "worn")
    second = ok(ask(client, order, [(1, 3, "defective")]), 201)
    ok(client.post(f"{RETURNS}/{second['id']}/authorise", json={}))
    cancelled = ok(client.post(f"{RETURNS}/{second['id']}/cancel", json={}))
    assert cancelled["status"] == "cancelled"
    assert client.post(f"{RETURNS}/{second['id']}/cancel", json={}).status_code == 409
    assert ok(ask(client, order, [(1, 3, "defective")]), 201)["number"] == "R-000001-3"


def test_an_idempotency_key_replays_the_first_return(client):
    order = shipped_order(client)
    body = {"order": order["id"], "lines": [{"line_no": 1, "quantity": 1,
                                             "reason": "defective"}]}
    key = {"Idempotency-Key": "rma-1"}
    first = ok(client.post(RETURNS, json=body, headers=key), 201)
    again = ok(client.post(RETURNS, json=body, headers=key), 201)
    assert again["id"] == first["id"]
    assert _count(client) == 1


def test_returns_are_listed_with_filters_and_pages(client):
    order = shipped_order(client)
    ok(client.put("/api/v1/return-policies/web", json={"auto_authorise": False}))
    ids = [ok(ask(client, order, [(1, 1, "other")]), 201)["id"] for _ in range(3)]
    ok(client.post(f"{RETURNS}/{ids[0]}/authorise", json={}))
    page = ok(client.get(RETURNS, params={"limit": 2}))
    assert [r["id"] for r in page["items"]] == ids[:2]
    rest = ok(client.get(RETURNS, params={"limit": 2, "cursor": page["next_cursor"]}))
    assert ([r["id"] for r in rest["items"]], rest["next_cursor"]) == (ids[2:], None)
    assert [r["id"] for r in ok(client.get(RETURNS, params={"status": "requested"}))[
        "items"]] == ids[1:]
    assert len(ok(client.get(RETURNS, params={"order": order["number"],
                                              "channel": "web"}))["items"]) == 3
    assert client.get(RETURNS, params={"cursor": "nonsense"}).status_code == 422
    assert client.get(f"{RETURNS}/ret_nothing").status_code == 404


def test_two_requests_racing_for_the_last_unit_leave_exactly_one_return(client):
    order = shipped_order(client, lines=(("TEE", 1, "20.00"),))
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def request() -> None:
        barrier.wait()
        answers.append(ask(client, order, [(1, 1, "defective")]).status_code)

    threads = [threading.Thread(target=request) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [201, 422]
    assert _count(client) == 1
