"""Input that no handler should ever see: NUL characters, numbers beyond any column."""

import base64

import pytest

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
