"""Every refund limit at its exact edge, through the API: the refundable amount itself
is accepted and shows in the ledger and the order, one minor unit (or one unit of a
line) more is refused naming the limit and changes nothing. In a currency with two
decimals (EUR), none (JPY) and three (KWD)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.helpers import ok, order_body, shop

BERLIN = {"name": "Ada", "line1": "Main St 1", "city": "Berlin", "country": "DE"}
CURRENCIES = [
    # currency, unit price, shipping charge, smallest unit
    pytest.param("EUR", "19.99", "4.95", Decimal("0.01"), id="EUR-2-decimals"),
    pytest.param("JPY", "1999", "495", Decimal("1"), id="JPY-0-decimals"),
    pytest.param("KWD", "6.125", "1.495", Decimal("0.001"), id="KWD-3-decimals"),
]


def text(amount: Decimal, unit: Decimal) -> str:
    return str(amount.quantize(unit))


def D(money: dict | str) -> Decimal:
    return Decimal(money["amount"] if isinstance(money, dict) else money)


def paid_order(client, currency: str, price: str, shipping: str) -> dict:
    """Two units of one line, shipping to Berlin (19 % VAT), captured in full."""
    shop(client, {"TEE": {"ber": 10}}, currency=currency)
    order = ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 2, price)], shipping_address=BERLIN, shipping_price=shipping)), 201)
    payment = ok(client.post(f"/api/v1/orders/{order['id']}/payments",
                             json={"provider": "test", "source": "4242424242424242"}), 201)
    assert payment["status"] == "captured"
    assert payment["captured"] == order["totals"]["total"]
    return order


def seen(client, order_id: str) -> dict:
    """Everything a refusal must leave as it was."""
    order = ok(client.get(f"/api/v1/orders/{order_id}"))
    return {"totals": order["totals"], "version": order["version"],
            "lines": [(ln["refunded_quantity"], ln["refunded"]) for ln in order["lines"]],
            "payments": ok(client.get(f"/api/v1/orders/{order_id}/payments")),
            "refunds": ok(client.get(f"/api/v1/orders/{order_id}/refunds")),
            "events": [e["id"] for e in ok(client.get("/api/v1/events",
                                                      params={"limit": 500}))["items"]]}


def refused(client, order_id: str, url: str, body: dict, status: int) -> dict:
    before = seen(client, order_id)
    response = client.post(url, json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert seen(client, order_id) == before
    return response.json()


def refund_url(order: dict) -> str:
    return f"/api/v1/orders/{order['id']}/refunds"


def the_error(problem: dict) -> tuple[str, str]:
    [error] = problem["errors"]
    return error["field"], error["code"]


@pytest.mark.parametrize(("currency", "price", "shipping", "unit"), CURRENCIES)
def test_the_whole_order_can_be_refunded_but_not_one_minor_unit_more(
        client, currency, price, shipping, unit):
    order = paid_order(client, currency, price, shipping)
    total = D(order["totals"]["total"])
    everything = {"lines": [{"line_no": 1, "quantity": 2}], "shipping": shipping,
                  "reason": "all back"}
    problem = refused(client, order["id"], refund_url(order),
                      {**everything, "amount": text(unit, unit)}, 422)
    assert the_error(problem) == ("amount", "exceeds_refundable")
    assert text(total, unit) in problem["detail"]

    refund = ok(client.post(refund_url(order), json=everything), 201)
    assert D(refund["amount"]) == total
    after = ok(client.get(f"/api/v1/orders/{order['id']}"))
    assert D(after["totals"]["refunded"]) == total
    summary = ok(client.get(f"/api/v1/orders/{order['id']}/payments"))["summary"]
    assert (D(summary["refunded"]), D(summary["refundable"])) == (total, 0)
    problem = refused(client, order["id"], refund_url(order),
                      {"amount": text(unit, unit), "reason": "one more"}, 422)
    assert the_error(problem) == ("amount", "exceeds_refundable")


@pytest.mark.parametrize(("currency", "price", "shipping", "unit"), CURRENCIES)
def test_a_payment_refunds_exactly_what_it_captured_and_not_one_minor_unit_more(
        client, currency, price, shipping, unit):
    order = paid_order(client, currency, price, shipping)
    [payment] = ok(client.get(f"/api/v1/orders/{order['id']}/payments"))["items"]
    url = f"/api/v1/payments/{payment['id']}/refund"
    refundable = D(payment["refundable"])
    assert refundable == D(order["totals"]["total"])

    problem = refused(client, order["id"], url,
                      {"amount": text(refundable + unit, unit), "reason": "too much"}, 409)
    assert problem["code"] == "amount-not-available"

    done = ok(client.post(url, json={"amount": text(refundable, unit), "reason": "all"}))
    assert done["status"] == "refunded"
    assert (D(done["refunded"]), D(done["refundable"])) == (refundable, 0)
    assert done["refunded"]["currency"] == currency
    problem = refused(client, order["id"], url,
                      {"amount": text(unit, unit), "reason": "one more"}, 409)
    assert problem["code"] == "amount-not-available"


@pytest.mark.parametrize(("currency", "price", "shipping", "unit"), CURRENCIES)
def test_a_line_refunds_its_units_exactly_and_not_one_unit_more(
        client, currency, price, shipping, unit):
    order = paid_order(client, currency, price, shipping)
    line = order["lines"][0]
    problem = refused(client, order["id"], refund_url(order),
                      {"lines": [{"line_no": 1, "quantity": 3}], "reason": "three"}, 422)
    assert the_error(problem) == ("lines.0.quantity", "exceeds_refundable_quantity")

    ok(client.post(refund_url(order), json={"lines": [{"line_no": 1, "quantity": 1}],
                                            "reason": "one"}), 201)
    ok(client.post(refund_url(order), json={"lines": [{"line_no": 1, "quantity": 1}],
                                            "reason": "the other"}), 201)
    after = ok(client.get(f"/api/v1/orders/{order['id']}"))
    assert after["lines"][0]["refunded_quantity"] == 2
    # unit by unit gives back the line's gross exactly, to the minor unit
    assert D(after["lines"][0]["refunded"]) == D(line["gross"])
    assert D(after["totals"]["refunded"]) == D(line["gross"])
    problem = refused(client, order["id"], refund_url(order),
                      {"lines": [{"line_no": 1, "quantity": 1}], "reason": "again"}, 422)
    assert the_error(problem) == ("lines.0.quantity", "exceeds_refundable_quantity")


@pytest.mark.parametrize(("currency", "price", "shipping", "unit"), CURRENCIES)
def test_shipping_refunds_exactly_what_was_charged_and_not_one_minor_unit_more(
        client, currency, price, shipping, unit):
    order = paid_order(client, currency, price, shipping)
    charged = Decimal(shipping)
    problem = refused(client, order["id"], refund_url(order),
                      {"shipping": text(charged + unit, unit), "reason": "late"}, 422)
    assert the_error(problem) == ("shipping", "exceeds_refundable")
    assert text(charged, unit) in problem["detail"]

    refund = ok(client.post(refund_url(order), json={"shipping": shipping,
                                                     "reason": "late"}), 201)
    assert D(refund["amount"]) == charged
    after = ok(client.get(f"/api/v1/orders/{order['id']}"))
    assert D(after["totals"]["refunded"]) == charged
    summary = ok(client.get(f"/api/v1/orders/{order['id']}/payments"))["summary"]
    assert D(summary["refunded"]) == charged
    problem = refused(client, order["id"], refund_url(order),
                      {"shipping": text(unit, unit), "reason": "again"}, 422)
    assert the_error(problem) == ("shipping", "exceeds_refundable")


@pytest.mark.parametrize(("currency", "price", "shipping", "unit"), CURRENCIES)
def test_goodwill_gives_back_exactly_what_is_left_and_not_one_minor_unit_more(
        client, currency, price, shipping, unit):
    order = paid_order(client, currency, price, shipping)
    ok(client.post(refund_url(order), json={"lines": [{"line_no": 1, "quantity": 1}],
                                            "reason": "returned"}), 201)
    order = ok(client.get(f"/api/v1/orders/{order['id']}"))
    left = D(order["totals"]["total"]) - D(order["totals"]["refunded"])
    assert 0 < left < D(order["totals"]["total"])

    problem = refused(client, order["id"], refund_url(order),
                      {"amount": text(left + unit, unit), "reason": "sorry"}, 422)
    assert the_error(problem) == ("amount", "exceeds_refundable")
    assert text(left, unit) in problem["detail"]

    refund = ok(client.post(refund_url(order), json={"amount": text(left, unit),
                                                     "reason": "sorry"}), 201)
    assert D(refund["amount"]) == left
    after = ok(client.get(f"/api/v1/orders/{order['id']}"))
    assert after["totals"]["refunded"] == after["totals"]["total"]
    summary = ok(client.get(f"/api/v1/orders/{order['id']}/payments"))["summary"]
    assert D(summary["refundable"]) == 0
