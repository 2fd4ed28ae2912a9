"""A query parameter a route does not take is refused (422), on every route: a typo such
as ?skus= must not answer the unfiltered list as if it were filtered."""

from __future__ import annotations

import re

from tests.helpers import make_product, ok

PATH_PARAM = re.compile(r"\{[^}]+\}")


def test_an_unknown_query_parameter_is_refused_naming_it_and_what_the_route_takes(client):
    make_product(client, "MUG")
    response = client.get("/api/v1/products?skus=MUG")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"] == [{
        "field": "query.skus", "code": "unknown_query_parameter",
        "message": "Unknown query parameter 'skus'; this route takes: category, cursor, "
                   "limit, sku"}]


def test_declared_query_parameters_still_work(client):
    make_product(client, "MUG", category="kitchen")
    page = ok(client.get("/api/v1/products?limit=5&category=kitchen&sku=MUG"))
    assert [p["sku"] for p in page["items"]] == ["MUG"]
    assert ok(client.get("/health"))["status"] == "ok"


def test_an_unknown_query_parameter_changes_nothing(client):
    response = client.post("/api/v1/products?dry_run=1", json={"sku": "MUG", "name": "Mug"})
    assert response.status_code == 422
    assert ok(client.get("/api/v1/products"))["items"] == []
    assert ok(client.get("/api/v1/events"))["items"] == []


def test_every_operation_in_the_openapi_document_refuses_unknown_query_parameters(client):
    doc = ok(client.get("/openapi.json"))
    checked = 0
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            url = PATH_PARAM.sub("x", path)
            response = client.request(method.upper(), url, params={"zz_typo": "1"})
            assert response.status_code == 422, (method, path, response.text)
            error = response.json()["errors"][0]
            assert error["field"] == "query.zz_typo", (method, path)
            declared = sorted(p["name"] for p in operation.get("parameters", [])
                              if p["in"] == "query")
            takes = ", ".join(declared) if declared else "no query parameters"
            assert error["message"].endswith(f"this route takes: {takes}"), (method, path)
            checked += 1
    assert checked > 100
