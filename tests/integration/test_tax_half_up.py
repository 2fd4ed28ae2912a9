"""Tax that lands exactly on half a minor unit is rounded half up, through the API."""

from __future__ import annotations

import pytest

from tests.helpers import ok, order_body, shop

BERLIN = {"name": "Ada", "line1": "Main St 1", "city": "Berlin", "country": "DE"}


@pytest.mark.parametrize(("currency", "net", "tax", "total"), [
    # 19 % of the net is exactly half a minor unit past an even digit, so rounding half
    # to even (or a float, 1.50 * 0.19 = 0.28499...) would answer one unit less
    pytest.param("EUR", "1.50", "0.29", "1.79", id="EUR-0.285"),
    pytest.param("JPY", "150", "29", "179", id="JPY-28.5"),
    pytest.param("KWD", "0.150", "0.029", "0.179", id="KWD-0.0285"),
])
def test_tax_on_exactly_half_a_minor_unit_rounds_up(client, currency, net, tax, total):
    shop(client, {"PEN": {"ber": 5}}, currency=currency)
    [channel] = ok(client.get("/api/v1/channels"))["items"]
    ok(client.patch(f"/api/v1/channels/{channel['id']}", json={"pricing_mode": "exclusive"}))
    order = ok(client.post("/api/v1/orders", json=order_body(
        [("PEN", 1, net)], shipping_address=BERLIN)), 201)
    money = {"amount": tax, "currency": currency}
    assert order["lines"][0]["tax"] == money
    assert order["totals"]["tax"] == money
    assert order["totals"]["total"] == {"amount": total, "currency": currency}
    assert [(b["rate_percent"], b["tax"]) for b in order["tax"]["breakdown"]] == [
        ("19", tax)]
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["totals"] == order["totals"]
