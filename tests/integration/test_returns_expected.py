"""Authorised returns are expected back in stock ("returns expected" in availability,
never promised) until their units arrive or the return is cancelled or resolved."""

from __future__ import annotations

from tests.helpers import make_location, ok, shop
from tests.returns_helpers import RETURNS, ask, ledger_agrees, shipped_order

REVIEW = {"window_days": 30, "auto_authorise": False}


def _expected(client, sku: str = "TEE") -> tuple[int, int]:
    """(returns expected, available) of the SKU for the channel 'web'."""
    found = ok(client.get("/api/v1/availability", params={"sku": sku, "channel": "web"}))
    return found["breakdown"]["returns_expected"], found["available"]


def _supplies(client, ret: dict) -> list[dict]:
    items = ok(client.get("/api/v1/inventory/supply", params={"kind": "return"}))["items"]
    return [s for s in items if s["reference"] == ret["id"]]


def _receive(client, ret: dict, quantity: int, location: str = "ber"):
    return client.post(f"{RETURNS}/{ret['id']}/receipts", json={"location": location, "lines": [
        {"line_no": 1, "quantity": quantity, "grade": "as_new", "disposition": "restock"}]})


def test_an_authorised_return_is_expected_where_it_shipped_from_and_never_promised(client):
    order = shipped_order(client, stock=10)  # 3 of 10 shipped from ber: 7 left
    assert _expected(client) == (0, 7)
    ret = ok(ask(client, order, [(1, 2, "size_or_fit")]), 201)
    assert ret["status"] == "authorised"
    assert _expected(client) == (2, 7)
    [supply] = _supplies(client, ret)
    assert (supply["location"], supply["sku"], supply["quantity"], supply["status"]) == (
        "ber", "TEE", 2, "open")


def test_a_return_waiting_for_review_is_expected_only_once_authorised(client):
    order = shipped_order(client)
    ok(client.put("/api/v1/return-policies/web", json=REVIEW))
    ret = ok(ask(client, order, [(1, 2, "size_or_fit")]), 201)
    assert (ret["status"], _expected(client)[0]) == ("requested", 0)
    ok(client.post(f"{RETURNS}/{ret['id']}/authorise", json={}))
    assert _expected(client)[0] == 2
    rejected = ok(ask(client, order, [(1, 1, "size_or_fit")]), 201)
    ok(client.post(f"{RETURNS}/{rejected['id']}/reject", json={"reason": "worn"}))
    assert _expected(client)[0] == 2
    assert _supplies(client, rejected) == []


def test_a_partial_receipt_leaves_the_rest_expected_and_the_last_unit_settles_it(
        client, container):
    order = shipped_order(client)
    ret = ok(ask(client, order, [(1, 3, "size_or_fit")]), 201)
    ok(_receive(client, ret, 1), 201)
    assert _expected(client) == (2, 8)  # 7 left + 1 restocked; 2 still on their way
    [supply] = _supplies(client, ret)
    assert (supply["received"], supply["status"]) == (1, "open")
    ok(_receive(client, ret, 2), 201)
    assert _expected(client) == (0, 10)
    [supply] = _supplies(client, ret)
    assert (supply["received"], supply["status"]) == (3, "received")
    assert ledger_agrees(container)


def test_cancelling_an_authorised_return_withdraws_what_was_expected(client, container):
    order = shipped_order(client)
    ret = ok(ask(client, order, [(1, 2, "changed_mind")]), 201)
    ok(client.post(f"{RETURNS}/{ret['id']}/cancel", json={"reason": "kept it"}))
    assert _expected(client) == (0, 7)
    [supply] = _supplies(client, ret)
    assert (supply["status"], supply["received"]) == ("cancelled", 0)
    assert ledger_agrees(container)


def test_resolving_a_partly_received_return_stops_expecting_the_rest(client, container):
    order = shipped_order(client)
    ret = ok(ask(client, order, [(1, 3, "size_or_fit")]), 201)
    ok(_receive(client, ret, 1), 201)
    resolved = ok(client.post(f"{RETURNS}/{ret['id']}/refund"), 201)
    assert resolved["status"] == "resolved"
    assert _expected(client) == (0, 8)
    [supply] = _supplies(client, ret)
    assert (supply["status"], supply["received"]) == ("cancelled", 1)
    assert ledger_agrees(container)


def test_units_received_at_another_location_are_no_longer_expected_where_they_shipped_from(
        client, container):
    order = shipped_order(client)
    make_location(client, "muc")
    ret = ok(ask(client, order, [(1, 2, "size_or_fit")]), 201)
    ok(_receive(client, ret, 2, location="muc"), 201)
    assert _expected(client) == (0, 9)  # 7 at ber, 2 restocked at muc
    [supply] = _supplies(client, ret)
    assert (supply["location"], supply["status"]) == ("ber", "received")
    assert ledger_agrees(container)


def test_a_returnless_return_expects_nothing_back(client):
    order = shipped_order(client, lines=(("TEE", 3, "4.00"),))
    ok(client.put("/api/v1/return-policies/web", json={"returnless_below": "10"}))
    ret = ok(ask(client, order, [(1, 2, "damaged_in_transit")]), 201)
    assert ret["returnless"] is True
    assert _expected(client)[0] == 0
    assert _supplies(client, ret) == []


def test_a_refused_request_expects_nothing(client):
    order = shipped_order(client)
    refused = ask(client, order, [(1, 4, "size_or_fit")])  # 3 shipped
    assert refused.status_code == 422
    assert _expected(client)[0] == 0
    assert ok(client.get("/api/v1/inventory/supply", params={"kind": "return"}))["items"] == []


def test_each_line_is_expected_at_the_location_that_shipped_it(client):
    shop(client, {"TEE": {"ber": 10}, "MUG": {"muc": 10}})
    order = shipped_order(client, lines=(("TEE", 2, "20.00"), ("MUG", 1, "9.00")),
                          ship={1: 2}, new_shop=False)
    ok(client.post(f"/api/v1/orders/{order['id']}/shipments", json={  # one per location
        "lines": [{"line_no": 2, "quantity": 1}], "carrier": "dhl",
        "tracking_number": "JD0002"}), 201)
    ret = ok(ask(client, order, [(1, 1, "size_or_fit"), (2, 1, "defective")]), 201)
    where = {s["sku"]: (s["location"], s["quantity"]) for s in _supplies(client, ret)}
    assert where == {"TEE": ("ber", 1), "MUG": ("muc", 1)}
    assert (_expected(client, "TEE")[0], _expected(client, "MUG")[0]) == (1, 1)


def test_a_retried_request_expects_its_units_once(client):
    order = shipped_order(client)
    body = {"order": order["number"], "lines": [
        {"line_no": 1, "quantity": 2, "reason": "size_or_fit"}]}
    headers = {"Idempotency-Key": "rma-once"}
    first = ok(client.post(RETURNS, json=body, headers=headers), 201)
    again = ok(client.post(RETURNS, json=body, headers=headers), 201)
    assert again["id"] == first["id"]
    assert [s["quantity"] for s in _supplies(client, first)] == [2]
    assert _expected(client)[0] == 2
