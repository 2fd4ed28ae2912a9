"""Inputs that look almost right and must not pass: digits from another script, absurd
exponents and years, direction controls hidden in identifiers, bodies in another charset.
Each is a 4xx problem+json and nothing changes."""

from __future__ import annotations

import json

import pytest

from tests.helpers import make_channel, make_location, make_product, ok, order_body, shop

PROBLEM = "application/problem+json"
SUPPLY = "/api/v1/inventory/supply"
RLO, LRI = "\u202e", "\u2066"


def refused(answer, status: int = 422) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    return answer.json()


def price_list(client) -> None:
    make_channel(client, "web")
    make_product(client, "MUG")
    ok(client.post("/api/v1/price-lists", json={"code": "eu", "name": "EU",
                                                "channel": "web"}), 201)


FULL_WIDTH = "\uff11\uff12.\uff15\uff10"  # 12.50 in full-width digits
ARABIC_INDIC = "\u0661\u0662\u066b\u0665\u0660"  # 12.50 in Arabic-Indic digits


@pytest.mark.parametrize("amount", [FULL_WIDTH, ARABIC_INDIC, "0E-1000000000", "1e3", "12.5e0"])
def test_a_price_in_other_digits_or_with_an_exponent_is_refused(client, amount):
    price_list(client)
    problem = refused(client.put("/api/v1/price-lists/eu/prices",
                                 json={"prices": [{"sku": "MUG", "amount": amount}]}))
    assert problem["errors"][0]["field"] == "prices.0.amount"
    assert ok(client.get("/api/v1/price-lists/eu"))["price_count"] == 0


@pytest.mark.parametrize("number", ["0E-1000000000", "1E+400", "12.5e-101"])
def test_a_price_as_a_json_number_with_an_absurd_exponent_is_refused(client, number):
    price_list(client)
    raw = '{"prices": [{"sku": "MUG", "amount": NUMBER}]}'.replace("NUMBER", number)
    problem = refused(client.put("/api/v1/price-lists/eu/prices", content=raw.encode(),
                                 headers={"Content-Type": "application/json"}))
    assert problem["errors"][0]["code"] == "number_exponent"
    assert ok(client.get("/api/v1/price-lists/eu"))["price_count"] == 0


def test_a_json_number_with_a_modest_exponent_and_text_that_looks_like_one_pass(client):
    price_list(client)
    raw = '{"prices": [{"sku": "MUG", "amount": 1.25e1}]}'
    ok(client.put("/api/v1/price-lists/eu/prices", content=raw.encode(),
                  headers={"Content-Type": "application/json"}))
    ok(client.patch("/api/v1/price-lists/eu", json={"name": "EU 1e999 list"}))


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
def test_expected_supply_dated_in_an_absurd_year_is_refused(client, day):
    make_location(client, "ber")
    make_product(client, "MUG")
    problem = refused(client.post(SUPPLY, json={
        "sku": "MUG", "location": "ber", "quantity": 3, "expected_date": day,
        "kind": "purchase_order"}))
    assert problem["errors"][0]["field"] == "expected_date"
    assert ok(client.get(SUPPLY))["items"] == []


def test_expected_supply_within_the_window_is_accepted(client):
    make_location(client, "ber")
    make_product(client, "MUG")
    for day in ("1900-01-01", "2999-12-31"):
        ok(client.post(SUPPLY, json={"sku": "MUG", "location": "ber", "quantity": 3,
                                     "expected_date": day, "kind": "purchase_order"}), 201)


@pytest.mark.parametrize("control", [RLO, LRI, "\u202a", "\u2069"])
def test_direction_controls_in_a_code_or_sku_are_refused(client, control):
    refused(client.post("/api/v1/channels", json={
        "code": f"web{control}1", "name": "Web", "kind": "web", "currency": "EUR"}))
    refused(client.post("/api/v1/products", json={"sku": f"MUG{control}", "name": "Mug"}))
    refused(client.post("/api/v1/suppliers", json={
        "code": f"L{control}N", "name": "Linen", "currency": "EUR", "lead_time_days": 1}))
    assert ok(client.get("/api/v1/channels"))["items"] == []
    assert ok(client.get("/api/v1/products"))["items"] == []


@pytest.mark.parametrize("control", [RLO, LRI])
def test_direction_controls_in_an_outside_identifier_are_refused(client, control):
    shop(client, {"MUG": {"ber": 5}})
    problem = refused(client.post(SUPPLY, json={
        "sku": "MUG", "location": "ber", "quantity": 3, "expected_date": "2026-12-20",
        "kind": "purchase_order", "reference": f"PO-1{control}7"}))
    assert problem["errors"][0]["field"] == "reference"
    assert "direction controls" in problem["errors"][0]["message"]
    problem = refused(client.post("/api/v1/orders", json=order_body(
        [("MUG", 1, "9.99")], external_id=f"AMZ-{control}123")))
    assert problem["errors"][0]["field"] == "external_id"
    assert ok(client.get(SUPPLY))["items"] == []
    assert ok(client.get("/api/v1/orders"))["items"] == []


def test_right_to_left_text_without_controls_is_still_an_identifier(client):
    shop(client, {"MUG": {"ber": 5}})
    order = ok(client.post("/api/v1/orders", json=order_body(
        [("MUG", 1, "9.99")], external_id="طلب-42")), 201)
    assert order["external_id"] == "طلب-42"


@pytest.mark.parametrize("charset", ["latin-1", "ISO-8859-1", "utf-16", "windows-1252"])
def test_a_body_declared_in_another_charset_is_refused_with_415(client, charset):
    raw = json.dumps({"code": "web", "name": "Web", "kind": "web", "currency": "EUR"})
    answer = client.post("/api/v1/channels", content=raw.encode(),
                         headers={"Content-Type": f"application/json; charset={charset}"})
    assert refused(answer, 415)["code"] == "unsupported-charset"
    assert ok(client.get("/api/v1/channels"))["items"] == []


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", '"utf-8"', "utf8"])
def test_a_body_declared_as_utf8_is_accepted(client, charset):
    raw = json.dumps({"code": "web", "name": "Café", "kind": "web", "currency": "EUR"},
                     ensure_ascii=False)
    answer = client.post("/api/v1/channels", content=raw.encode(),
                         headers={"Content-Type": f"application/json; charset={charset}"})
    assert ok(answer, 201)["name"] == "Café"
