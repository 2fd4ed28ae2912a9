"""Work queues beyond orders: backordered units no stock or supply covers (they leave the
queue once supply is expected), and return requests waiting for a decision (linked to
the return's page)."""

from __future__ import annotations

import re

import pytest

from ordermesh.app import create_app
from tests.backoffice_helpers import signed_in
from tests.helpers import ok, shop
from tests.integration.test_backorders import allow_backorders, backorderable, expect, place
from tests.returns_helpers import ask, shipped_order


@pytest.fixture
def app(container):
    return create_app(container)


def _queue(html: str, name: str) -> str:
    found = re.search(rf"<h2>{name} \(\d+\)</h2>(.*?)</section>", html, re.S)
    assert found, name
    return found[0]


def test_backorders_without_supply_wait_in_a_queue_until_supply_is_expected(
        app, client, container):
    shop(client, {"TEE": {"ber": 2}})
    backorderable(client, "TEE")
    allow_backorders(client)
    order = place(client, [("TEE", 5)])
    browser = signed_in(app, container, "viewer")
    queue = _queue(browser.get("/app/queues").text, "Backorders with no date")
    assert "(1)" in queue and order["number"] in queue
    assert "line 1: 3 x TEE, no supply due" in queue
    assert 'data-queue="Backorders with no date">1<' in browser.get("/app/").text
    expect(client, "TEE", 3, "2026-12-20")
    queue = _queue(browser.get("/app/queues").text, "Backorders with no date")
    assert "(0)" in queue and order["number"] not in queue


def test_a_return_request_waiting_for_a_decision_links_to_its_page(app, client, container):
    order = shipped_order(client)
    ok(client.put("/api/v1/return-policies/web", json={"auto_authorise": False}))
    ret = ok(ask(client, order, [(1, 1, "changed_mind")]), 201)
    browser = signed_in(app, container, "viewer")
    queue = _queue(browser.get("/app/queues").text, "Returns waiting for a decision")
    assert f'href="/app/returns/{ret["number"]}"' in queue
    ok(client.post(f"/api/v1/returns/{ret['id']}/authorise", json={}))
    queue = _queue(browser.get("/app/queues").text, "Returns waiting for a decision")
    assert ret["number"] not in queue
