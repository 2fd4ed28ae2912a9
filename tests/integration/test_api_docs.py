"""First contact: the interactive docs work offline, "Authorize" works, and the OpenAPI
document tells which operations honour an Idempotency-Key."""

from __future__ import annotations

import re

import pytest

from tests.helpers import ok

ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")
EXPECTED_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_every_asset_from_this_server_without_internet(client, page):
    response = client.get(page, headers={"Authorization": ""})
    assert response.status_code == 200
    html = response.text
    assert "http://" not in html and "https://" not in html
    assets = ASSET.findall(html)
    assert any(a.endswith(".js") for a in assets)
    for url in assets:
        assert url.startswith("/"), url
        asset = client.get(url, headers={"Authorization": ""})
        assert asset.status_code == 200, url
        assert len(asset.content) > 1000, url
        kind = EXPECTED_TYPES[url[url.rindex("."):]]
        assert kind in asset.headers["content-type"], (url, asset.headers["content-type"])


def test_swagger_ui_keeps_the_api_key_entered_in_authorize(client):
    assert '"persistAuthorization": true' in client.get("/docs").text


def _operations(doc):
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_api_operation_requires_the_bearer_api_key_and_health_does_not(client):
    doc = ok(client.get("/openapi.json"))
    scheme = doc["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    unsecured = [(m, p) for p, m, op in _operations(doc)
                 if p.startswith("/api/v1") and op.get("security") != [{"apiKey": []}]]
    # Carriers and shop platforms sign their webhooks, the SMS provider its delivery
    # reports (HMAC), instead of holding an API key.
    assert sorted(unsecured) == [("post", "/api/v1/connectors/{code}/webhooks"),
                                 ("post", "/api/v1/sms/status"),
                                 ("post", "/api/v1/tracking/{carrier}")]
    assert "security" not in doc["paths"]["/health"]["get"]


def test_authorize_with_the_bearer_key_is_what_lets_try_it_out_through(client):
    assert client.get("/api/v1/channels", headers={"Authorization": ""}).status_code == 401
    assert client.get("/api/v1/channels").status_code == 200


def _documents_idempotency(operation) -> bool:
    return any(p["in"] == "header" and p["name"] == "Idempotency-Key"
               for p in operation.get("parameters", []))


def test_idempotency_key_is_documented_only_on_operations_that_honour_it(client):
    doc = ok(client.get("/openapi.json"))
    documented = {(m, p) for p, m, op in _operations(doc) if _documents_idempotency(op)}
    assert {("post", "/api/v1/products"), ("post", "/api/v1/orders"),
            ("post", "/api/v1/orders/{order_id}/refunds"),
            ("post", "/api/v1/inventory/adjustments")} <= documented
    assert not any(m in ("get", "delete") for m, _ in documented)
    for not_honoured in [("post", "/api/v1/tax/quote"), ("post", "/api/v1/availability/batch"),
                         ("patch", "/api/v1/products/{product_id}")]:
        assert not_honoured not in documented


def test_a_documented_idempotency_key_replays_the_first_answer(client):
    key = {"Idempotency-Key": "first-contact-1"}
    first = ok(client.post("/api/v1/products", json={"sku": "MUG", "name": "Mug"},
                           headers=key), 201)
    again = ok(client.post("/api/v1/products", json={"sku": "MUG", "name": "Mug"},
                           headers=key), 201)
    assert again["id"] == first["id"]
    assert len(ok(client.get("/api/v1/products"))["items"]) == 1
