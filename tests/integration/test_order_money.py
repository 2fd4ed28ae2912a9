"""Prices, taxes, discounts and reverse charge on placed orders, through the API."""

from __future__ import annotations

from decimal import Decimal

from tests.helpers import make_channel, ok, order_body, shop

BERLIN = {"name": "Ada", "line1": "Main St 1", "city": "Berlin", "country": "DE"}
PARIS = {"name": "Bea", "line1": "Rue 1", "city": "Paris", "country": "FR"}


def place(client, lines, **extra):
    return client.post("/api/v1/orders", json=order_body(lines, **extra))


def amount(money: dict) -> Decimal:
    return Decimal(money["amount"])


def assert_adds_up(order: dict) -> None:
    """Every total is exactly the sum of its lines (and shipping)."""
    lines = order["lines"]
    t = order["totals"]
    shipping_tax = amount(order["tax"]["shipping_tax"])
    assert amount(t["tax"]) == sum(amount(ln["tax"]) for ln in lines) + shipping_tax
    for ln in lines:
        assert amount(ln["net"]) + amount(ln["tax"]) == amount(ln["gross"])
        assert sum(Decimal(c["tax"]) for c in ln["tax_components"]) == amount(ln["tax"])
    gross_lines = sum(amount(ln["gross"]) for ln in lines)
    if order["tax"]["pricing_mode"] == "inclusive":
        assert amount(t["total"]) == gross_lines + amount(t["shipping"])
    else:
        assert amount(t["total"]) == gross_lines + amount(t["shipping"]) + shipping_tax
    assert sum(Decimal(c["tax"]) for c in order["tax"]["breakdown"]) == amount(t["tax"])


def test_german_prices_include_19_percent_vat_per_line(client):
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 5}})
    order = ok(place(client, [("TEE", 2, "19.99"), ("MUG", 1, "8.50")],
                     shipping_address=BERLIN, shipping_price="4.90"), 201)
    assert order["tax"]["country"] == "DE"
    assert [ln["tax"]["amount"] for ln in order["lines"]] == ["6.38", "1.36"]
    assert order["tax"]["shipping_tax"]["amount"] == "0.78"
    assert order["totals"]["tax"]["amount"] == "8.52"
    assert order["totals"]["total"]["amount"] == "53.38"
    assert_adds_up(order)


def test_a_tax_exclusive_channel_adds_state_sales_tax_in_the_us(client):
    channel = make_channel(client, "us-b2b", currency="USD")
    ok(client.patch(f"/api/v1/channels/{channel['id']}", json={"pricing_mode": "exclusive"}))
    shop(client, {"TEE": {"ber": 10}}, currency="USD")
    california = {"name": "Cy", "line1": "1 Main", "city": "Fresno", "region": "CA",
                  "country": "US"}
    order = ok(place(client, [("TEE", 2, "10.00")], channel="us-b2b",
                     shipping_address=california), 201)
    assert order["tax"]["pricing_mode"] == "exclusive"
    assert order["lines"][0]["net"]["amount"] == "20.00"
    assert order["lines"][0]["tax"]["amount"] == "1.45"  # California's 7.25 % state rate
    assert order["totals"]["total"]["amount"] == "21.45"
    assert_adds_up(order)


def test_line_and_order_discounts_are_taxed_after_they_are_taken_off(client):
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 5}})
    body = order_body([("TEE", 3, "10.00"), ("MUG", 1, "10.00")], shipping_address=BERLIN,
                      discount="4.00", discount_reason="WELCOME")
    body["lines"][0]["discount"] = "3.00"
    body["lines"][0]["discount_reason"] = "damaged box"
    order = ok(client.post("/api/v1/orders", json=body), 201)
    tee, mug = order["lines"]
    # the order discount is shared 27 : 10 over what is left of the lines
    assert tee["discount"]["amount"] == "5.92" and mug["discount"]["amount"] == "1.08"
    assert tee["gross"]["amount"] == "24.08" and mug["gross"]["amount"] == "8.92"
    assert order["totals"]["discount"]["amount"] == "7.00"
    assert order["totals"]["total"]["amount"] == "33.00"
    assert order["discount_reason"] == "WELCOME"
    assert_adds_up(order)


def test_a_discount_larger_than_the_line_is_refused_and_nothing_is_written(client):
    shop(client, {"TEE": {"ber": 10}})
    body = order_body([("TEE", 1, "10.00")])
    body["lines"][0]["discount"] = "10.01"
    response = client.post("/api/v1/orders", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lines.0.discount"
    assert ok(client.get("/api/v1/orders"))["items"] == []


def test_a_line_without_a_price_takes_the_channels_price_list(client):
    shop(client, {"TEE": {"ber": 10}})
    ok(client.post("/api/v1/price-lists", json={"code": "web-eur", "name": "Web",
                                                 "channel": "web"}), 201)
    ok(client.put("/api/v1/price-lists/web-eur/prices",
                  json={"prices": [{"sku": "TEE", "amount": "12.50"}]}))
    body = order_body([("TEE", 2, "0")])
    del body["lines"][0]["unit_price"]
    order = ok(client.post("/api/v1/orders", json=body), 201)
    line = order["lines"][0]
    assert line["unit_price"]["amount"] == "12.50" and line["list_price"]["amount"] == "12.50"
    assert line["price_difference"]["amount"] == "0.00"
    # a marketplace sends its own price: kept, and the difference to ours is shown
    sold = ok(place(client, [("TEE", 1, "11.90")]), 201)["lines"][0]
    assert sold["unit_price"]["amount"] == "11.90"
    assert sold["price_difference"]["amount"] == "-0.60"


def test_a_line_without_a_price_and_no_price_list_is_refused(client):
    shop(client, {"TEE": {"ber": 10}})
    body = order_body([("TEE", 2, "0")])
    del body["lines"][0]["unit_price"]
    response = client.post("/api/v1/orders", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "no_price"


def test_a_country_without_tax_data_or_a_us_address_without_a_state_is_refused(client):
    shop(client, {"TEE": {"ber": 10}})
    brazil = {**BERLIN, "country": "BR"}
    assert place(client, [("TEE", 1, "5")], shipping_address=brazil).status_code == 422
    no_state = {**BERLIN, "country": "US"}
    assert place(client, [("TEE", 1, "5")], shipping_address=no_state).status_code == 422
    assert ok(client.get("/api/v1/orders"))["items"] == []
    assert ok(client.get("/api/v1/inventory/TEE"))["totals"]["reserved"] == 0


def test_another_rate_applies_when_the_order_goes_to_france(client):
    shop(client, {"TEE": {"ber": 10}})
    order = ok(place(client, [("TEE", 1, "12.00")], shipping_address=PARIS), 201)
    assert order["tax"]["breakdown"][0]["rate_percent"].startswith("20")
    assert order["lines"][0]["tax"]["amount"] == "2.00"


def test_the_placed_order_answer_is_exactly_what_reading_it_back_gives(client):
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 10}})
    body = order_body([("TEE", 3, "10.00"), ("MUG", 1, "7.77")], shipping_address=BERLIN,
                      shipping_price="4.90", discount="1.11", discount_reason="WELCOME")
    body["lines"][1]["discount"] = "0.50"
    placed = ok(client.post("/api/v1/orders", json=body), 201)
    assert ok(client.get(f"/api/v1/orders/{placed['id']}")) == placed
