"""Country codes are case-insensitive and normalised; an amount is plain decimal
notation, never "1e3", "NaN", "Infinity" or "1_000"."""

from __future__ import annotations

import pytest

from tests.helpers import make_channel, make_product, ok, order_body, shop

ADDRESS = {"line1": "Invalidenstr. 1", "city": "Berlin", "postal_code": "10115"}


def test_a_lower_case_country_is_accepted_and_stored_upper_case(client):
    location = ok(client.post("/api/v1/locations", json={
        "code": "ber", "name": "Berlin", "kind": "warehouse",
        "address": {**ADDRESS, "country": "de"}}), 201)
    assert location["address"]["country"] == "DE"
    assert ok(client.get("/api/v1/locations/ber"))["address"]["country"] == "DE"


def test_an_order_shipped_to_a_lower_case_country_ships_to_that_country(client):
    shop(client, {"MUG": {"ber": 5}})
    order = ok(client.post("/api/v1/orders", json=order_body(
        [("MUG", 1, "11.90")], external_id="x-1",
        shipping_address={**ADDRESS, "name": "Ada", "country": "de"})), 201)
    assert order["shipping_address"]["country"] == "DE"


def test_a_lower_case_country_filters_the_tax_rates(client):
    lower = ok(client.get("/api/v1/tax/rates?country=de"))
    assert lower == ok(client.get("/api/v1/tax/rates?country=DE"))


def test_an_unknown_country_is_still_refused_whatever_its_case(client):
    response = client.post("/api/v1/locations", json={
        "code": "x", "name": "X", "kind": "warehouse", "address": {**ADDRESS, "country": "zz"}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "address.country"
    assert ok(client.get("/api/v1/locations"))["items"] == []


@pytest.mark.parametrize("amount", ["1e3", "NaN", "Infinity", "-Infinity", "1_000", " 5",
                                    "0x10", "5."])
def test_an_amount_that_is_not_plain_decimal_is_not_a_price(client, amount):
    response = client.post("/api/v1/products", json={
        "sku": "MUG", "name": "Mug", "price": {"amount": amount, "currency": "EUR"}})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "price.amount"
    assert ok(client.get("/api/v1/products"))["items"] == []


def test_a_price_list_refuses_an_amount_in_exponent_notation(client):
    make_channel(client, "web")
    make_product(client, "MUG")
    ok(client.post("/api/v1/price-lists", json={"code": "eu", "name": "EU",
                                                "channel": "web"}), 201)
    response = client.put("/api/v1/price-lists/eu/prices",
                          json={"prices": [{"sku": "MUG", "amount": "1e3"}]})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "prices.0.amount"
    assert ok(client.get("/api/v1/price-lists/eu"))["prices"] == []


def test_plain_decimal_strings_and_json_numbers_are_prices(client):
    product = ok(client.post("/api/v1/products", json={
        "sku": "MUG", "name": "Mug", "price": {"amount": "1000.50", "currency": "EUR"}}), 201)
    assert product["price"] == {"amount": "1000.50", "currency": "EUR"}
    other = ok(client.post("/api/v1/products", json={
        "sku": "CAP", "name": "Cap", "price": {"amount": 12, "currency": "EUR"}}), 201)
    assert other["price"]["amount"] == "12.00"
