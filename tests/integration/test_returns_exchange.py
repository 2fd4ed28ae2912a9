"""Exchanges: the returned units pay for a replacement order placed through the placement
flow; the difference is paid on the replacement or refunded on the return, an even
exchange moves no money; refusals change nothing."""

from __future__ import annotations

from tests.helpers import add_stock, make_product, ok
from tests.returns_helpers import RETURNS, receive_all, shipped_order

EXCHANGES = {"resolutions": ["refund", "exchange"]}


def _product(client, sku: str, price: str, stock: int = 5) -> None:
    make_product(client, sku, price={"amount": price, "currency": "EUR"})
    if stock:
        add_stock(client, sku, "ber", stock)


def _ask(client, order: dict, exchange_for: str | None, quantity: int = 1, **extra):
    return client.post(RETURNS, json={"order": order["number"], "lines": [
        {"line_no": 1, "quantity": quantity, "reason": "size_or_fit",
         "resolution": "exchange", "exchange_for": exchange_for}], **extra})


def _one_tee_exchanged_for_another_size(client) -> tuple[dict, dict, dict]:
    """A shipped T-shirt at 20.00, its return for TEE-L (also 20.00) and the return as
    answered once the replacement was placed."""
    order = shipped_order(client, lines=(("TEE", 1, "20.00"),))
    _product(client, "TEE-L", "20.00")
    ok(client.put("/api/v1/return-policies/web", json=EXCHANGES))
    ret = ok(_ask(client, order, "TEE-L"), 201)
    return order, ret, ok(client.post(f"{RETURNS}/{ret['id']}/exchange"), 201)


def _orders(client) -> list[dict]:
    return ok(client.get("/api/v1/orders"))["items"]


def test_a_dearer_replacement_is_paid_for_by_the_units_and_the_rest_owed_on_it(client):
    order = shipped_order(client, lines=(("TEE", 2, "20.00"),))
    _product(client, "HOODIE", "30.00")
    ok(client.put("/api/v1/return-policies/web", json=EXCHANGES))
    ret = ok(_ask(client, order, "HOODIE"), 201)
    assert ret["lines"][0]["exchange_sku"] == "HOODIE"
    exchanged = ok(client.post(f"{RETURNS}/{ret['id']}/exchange"), 201)
    assert exchanged["exchange_credit"] == "20.00"
    replacement = ok(client.get(f"/api/v1/orders/{exchanged['exchange_order_id']}"))
    assert [(ln["sku"], ln["quantity"]) for ln in replacement["lines"]] == [("HOODIE", 1)]
    assert replacement["totals"]["total"]["amount"] == "10.00"  # 30.00 less the 20.00
    assert replacement["customer_id"] == ok(client.get(
        f"/api/v1/orders/{order['id']}"))["customer_id"]
    receive_all(client, exchanged)
    resolved = ok(client.post(f"{RETURNS}/{ret['id']}/refund"), 201)
    assert resolved["status"] == "resolved"
    assert resolved["refund"]["amount"] == "0.00"
    assert [ln["deduction"] for ln in resolved["refund"]["lines"] if "deduction" in ln] == [
        "exchange"]
    original = ok(client.get(f"/api/v1/orders/{order['id']}"))
    assert original["lines"][0]["refunded_quantity"] == 1
    assert original["totals"]["refunded"]["amount"] == "0.00"


def test_a_cheaper_replacement_costs_nothing_and_the_difference_is_refunded(client):
    order = shipped_order(client, lines=(("TEE", 2, "20.00"),))
    _product(client, "CAP", "15.00")
    ok(client.put("/api/v1/return-policies/web", json=EXCHANGES))
    ret = ok(_ask(client, order, "CAP", quantity=2), 201)
    exchanged = ok(client.post(f"{RETURNS}/{ret['id']}/exchange"), 201)
    assert exchanged["exchange_credit"] == "30.00"
    replacement = ok(client.get(f"/api/v1/orders/{exchanged['exchange_order_id']}"))
    assert replacement["totals"]["total"]["amount"] == "0.00"
    receive_all(client, exchanged)
    resolved = ok(client.post(f"{RETURNS}/{ret['id']}/refund"), 201)
    assert resolved["refund"]["amount"] == "10.00"  # 40.00 returned, 30.00 taken


def test_an_even_exchange_moves_no_money(client):
    order, ret, exchanged = _one_tee_exchanged_for_another_size(client)
    replacement = ok(client.get(f"/api/v1/orders/{exchanged['exchange_order_id']}"))
    assert replacement["totals"]["total"]["amount"] == "0.00"
    receive_all(client, exchanged)
    resolved = ok(client.post(f"{RETURNS}/{ret['id']}/refund"), 201)
    assert resolved["refund"]["amount"] == "0.00"
    payments = ok(client.get(f"/api/v1/orders/{order['id']}"))["totals"]
    assert payments["refunded"]["amount"] == "0.00"


def test_exchanges_that_cannot_be_made_are_refused_and_change_nothing(client):
    order = shipped_order(client, lines=(("TEE", 3, "20.00"),))
    _product(client, "GONE", "20.00", stock=0)
    _product(client, "TEE-L", "20.00")
    offered = _ask(client, order, "TEE-L")
    assert [e["code"] for e in offered.json()["errors"]] == ["resolution_not_offered"]
    ok(client.put("/api/v1/return-policies/web", json={**EXCHANGES,
                                                       "exchange_reserve": "at_receipt"}))
    for body, code in ((None, "exchange_sku"), ("NOPE", "unknown_sku")):
        refused = _ask(client, order, body)
        assert [e["code"] for e in refused.json()["errors"]] == [code], refused.text
    orders_before = len(_orders(client))
    short = ok(_ask(client, order, "GONE"), 201)
    assert short["exchange_reserve"] == "at_receipt"
    early = client.post(f"{RETURNS}/{short['id']}/exchange")
    assert early.status_code == 409 and "came back" in early.json()["detail"]
    not_placed = client.post(f"{RETURNS}/{short['id']}/refund")
    assert not_placed.status_code == 409
    receive_all(client, short)
    unreserved = client.post(f"{RETURNS}/{short['id']}/exchange")
    assert unreserved.status_code == 409, unreserved.text
    after = ok(client.get(f"{RETURNS}/{short['id']}"))
    assert (after["exchange_order_id"], after["status"]) == (None, "received")
    assert len(_orders(client)) == orders_before
    fine = ok(_ask(client, order, "TEE-L"), 201)
    receive_all(client, fine)
    ok(client.post(f"{RETURNS}/{fine['id']}/exchange"), 201)
    assert client.post(f"{RETURNS}/{fine['id']}/exchange").status_code == 409
    assert len(_orders(client)) == orders_before + 1


def test_a_return_exchanged_before_its_units_came_back_cannot_be_cancelled(client):
    _, ret, exchanged = _one_tee_exchanged_for_another_size(client)
    assert exchanged["status"] == "authorised"  # at once: the unit is still on its way
    refused = client.post(f"{RETURNS}/{ret['id']}/cancel", json={"reason": "kept it"})
    assert refused.status_code == 409, refused.text
    assert ok(client.get(f"{RETURNS}/{ret['id']}"))["status"] == "authorised"
