"""The orders list downloads as CSV: every order the search finds, across pages, with
cells a spreadsheet cannot run as formulas; signed-in people only."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from ordermesh.app import create_app
from ordermesh.backoffice import order_pages
from tests.backoffice_helpers import paid_order, signed_in
from tests.helpers import ok, order_body


@pytest.fixture
def app(container):
    return create_app(container)


def _rows(answer) -> list[dict]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="orders.csv"' in answer.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_every_order_is_exported_newest_first_across_pages(app, client, container,
                                                           monkeypatch):
    monkeypatch.setattr(order_pages, "CSV_PAGE", 2)
    first = paid_order(client, email="ada@example.com", external_id="W-1")
    others = [ok(client.post("/api/v1/orders", json=order_body(
        [("MUG", 1, "1.00")], external_id=f"X-{i}")), 201) for i in range(4)]
    rows = _rows(signed_in(app, container, "viewer").get("/app/orders.csv"))
    assert [r["order"] for r in rows] == [o["number"] for o in [*reversed(others), first]]
    assert rows[-1] == {
        "order": first["number"], "external_id": "W-1", "channel": "web",
        "customer_email": "ada@example.com", "status": first["status"],
        "total": first["totals"]["total"]["amount"], "currency": "EUR",
        "placed_at": rows[-1]["placed_at"]}
    assert rows[-1]["placed_at"].endswith("Z")


def test_the_export_keeps_the_search_and_a_formula_stays_text(app, client, container):
    first = paid_order(client, email="ada@example.com", external_id="W-1")
    sneaky = ok(client.post("/api/v1/orders", json=order_body(
        [("MUG", 1, "1.00")], external_id='=HYPERLINK("http://x")')), 201)
    browser = signed_in(app, container, "viewer")
    both = _rows(browser.get("/app/orders.csv", params={"q": "MUG"}))
    assert [r["order"] for r in both] == [sneaky["number"], first["number"]]
    assert both[0]["external_id"] == "'=HYPERLINK(\"http://x\")"
    only = _rows(browser.get("/app/orders.csv", params={"q": "W-1"}))
    assert [r["order"] for r in only] == [first["number"]]


def test_the_export_needs_a_signed_in_person(app, client):
    answer = TestClient(app).get("/app/orders.csv", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/app/login")
