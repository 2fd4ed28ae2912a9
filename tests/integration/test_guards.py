"""Input that no handler should ever see: NUL characters, numbers beyond any column."""

import base64
import json

import pytest

from ordermesh.inventory.model import AdjustmentReason
from ordermesh.inventory.service import AdjustStock, adjust_stock
from tests.helpers import ok, order_body, shop


def _cursor(value: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{value}".encode()).decode().rstrip("=")


@pytest.mark.parametrize("body", [
    b'{"code": "w\\u0000", "name": "Web", "kind": "web", "currency": "EUR"}',
    b'{"code": "web", "name": "W\\\\\\u0000", "kind": "web", "currency": "EUR"}',
])
def test_a_nul_character_in_the_body_is_refused_before_anything_is_written(client, body):
    response = client.post("/api/v1/channels", content=body,
                           headers={"content-type": "application/json"})
    assert ok(response, 422)["code"] == "nul-character"
    assert ok(client.get("/api/v1/channels"))["items"] == []


def test_an_escaped_backslash_followed_by_u0000_text_is_not_a_nul(client):
    body = b'{"code": "web", "name": "W\\\\u0000", "kind": "web", "currency": "EUR"}'
    created = ok(client.post("/api/v1/channels", content=body,
                             headers={"content-type": "application/json"}), 201)
    assert created["name"] == "W\\u0000"


def test_a_nul_character_in_the_query_is_refused(client):
    assert ok(client.get("/api/v1/customers?email=a%00b"), 422)["code"] == "nul-character"


@pytest.mark.parametrize("path", [
    f"/api/v1/orders?cursor={_cursor(10**20)}",
    f"/api/v1/products?cursor={_cursor(-5)}",
    f"/api/v1/customers?cursor={_cursor(-5)}",
    "/api/v1/events?after=99999999999999999999",
])
def test_cursors_and_positions_beyond_any_column_are_bad_input(client, path):
    assert ok(client.get(path), 422)["status"] == 422


def test_an_order_number_too_long_to_exist_is_simply_not_found(client):
    assert ok(client.get("/api/v1/orders/OM-99999999999999999999999"), 404)["code"] == (
        "not-found")


def test_an_order_whose_total_would_overflow_is_refused(client):
    shop(client, {"TEE": {"ber": 100_000}})
    body = order_body([("TEE", 100_000, "999999999.99")])
    problem = ok(client.post("/api/v1/orders", json=body), 422)
    assert problem["errors"][0]["field"] == "lines"
    assert ok(client.get("/api/v1/orders"))["items"] == []


def test_a_body_that_is_not_utf8_is_refused_before_any_handler(client):
    shop(client, {"TEE": {"ber": 5}})
    body = json.dumps(order_body([("TEE", 1, "5")], note="a\u0000b")).encode("utf-16")
    response = client.post("/api/v1/orders", content=body,
                           headers={"content-type": "application/json"})
    assert ok(response, 400)["code"] == "malformed-json"
    assert ok(client.get("/api/v1/orders"))["items"] == []


def test_absurdly_nested_json_with_a_nul_is_a_400_not_a_500(client):
    body = b'{"note":' + b"[" * 3000 + b'"\\u0000"' + b"]" * 3000 + b"}"
    response = client.post("/api/v1/orders", content=body,
                           headers={"content-type": "application/json"})
    problem = ok(response, 400)
    assert (problem["code"], problem["detail"]) == (
        "bad-request", "There was an error parsing the body")
    assert response.headers["content-type"] == "application/problem+json"
    assert ok(client.get("/api/v1/orders"))["items"] == []


def test_a_very_long_path_with_an_idempotency_key_is_not_found(client):
    response = client.post(f"/api/v1/orders/{'x' * 250}/hold", json={"reason": "r"},
                           headers={"Idempotency-Key": "k-long"})
    assert ok(response, 404)["code"] == "not-found"


def test_a_long_sku_can_be_adjusted_idempotently(client):
    sku = "S" * 64
    shop(client, {sku: {"ber": 0}})
    body = {"sku": sku, "location": "ber", "quantity_delta": 4, "reason": "received"}
    for _ in range(2):
        stock = ok(client.post("/api/v1/inventory/adjustments", json=body,
                               headers={"Idempotency-Key": "long-sku"}), 201)
    assert stock["totals"]["on_hand"] == 4


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00"])
def test_a_date_filter_beyond_the_calendar_is_bad_input(client, value):
    problem = ok(client.get("/api/v1/orders", params={"created_from": value}), 422)
    assert problem["errors"][0]["field"] == "query.created_from"


@pytest.mark.parametrize("price", ["0.99999999999999999999999999999",
                                   "1.000000000000000000000000000001"])
def test_a_price_more_precise_than_the_currency_is_refused_not_rounded(client, price):
    shop(client, {"TEE": {"ber": 5}})
    problem = ok(client.post("/api/v1/orders", json=order_body([("TEE", 1, price)])), 422)
    assert problem["errors"][0]["field"] == "lines.0.unit_price"


def test_serbian_dinars_have_two_decimals_as_iso_4217_says(client):
    shop(client, {"TEE": {"ber": 5}}, currency="RSD")
    order = ok(client.post("/api/v1/orders", json=order_body([("TEE", 1, "10.50")])), 201)
    assert order["totals"]["total"]["amount"] == "10.50"


def test_stock_beyond_what_a_row_holds_is_refused(client, uow):
    shop(client, {"TEE": {"ber": 0}})
    with uow() as u:
        adjust_stock(u, AdjustStock("TEE", "ber", 999_999_999, AdjustmentReason.RECEIVED))
        u.commit()
    problem = ok(client.post("/api/v1/inventory/adjustments", json={
        "sku": "TEE", "location": "ber", "quantity_delta": 2, "reason": "received"}), 409)
    assert "1000000000" in problem["detail"]


def test_retrying_an_api_key_creation_does_not_make_a_second_key(client):
    body = {"name": "shopify", "role": "operator"}
    first = ok(client.post("/api/v1/api-keys", json=body, headers={"Idempotency-Key": "a"}),
               201)
    again = ok(client.post("/api/v1/api-keys", json=body, headers={"Idempotency-Key": "a"}),
               409)
    assert again["existing_key_id"] == first["id"]
    assert len(ok(client.get("/api/v1/api-keys"))["items"]) == 1


def test_a_customer_who_gains_a_phone_is_recorded_as_an_event(client):
    shop(client, {"TEE": {"ber": 5}})
    for customer in ({"email": "a@example.com"},
                     {"email": "a@example.com", "phone": "+49 30 1234567"}):
        ok(client.post("/api/v1/orders",
                       json=order_body([("TEE", 1, "5")], customer=customer)), 201)
    events = ok(client.get("/api/v1/events", params={"type": "customer."}))["items"]
    assert [e["type"] for e in events] == ["customer.created", "customer.updated"]
    assert events[1]["payload"] == {"added": ["phone"]}
