"""200 buyers over real HTTP against a running server with two worker processes."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from ordermesh.inventory.ledger import ledger_drift
from tests.helpers import ok, shop, stock_of, with_address

pytestmark = pytest.mark.e2e

BUYERS = 200


async def _storm(server, bodies: list[dict]) -> Counter:
    limits = httpx.Limits(max_connections=BUYERS, max_keepalive_connections=BUYERS)
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers, limits=limits,
                                 timeout=60) as http:
        responses = await asyncio.gather(*(http.post("/api/v1/orders", json=b) for b in bodies))
    return Counter(r.status_code for r in responses)


def test_two_hundred_http_buyers_for_ten_units_get_ten_orders_and_190_conflicts(
        client, live_server, uow):
    shop(client, {"HOT": {"ber": 6, "ham": 4}})
    body = with_address(
        {"channel": "web", "lines": [{"sku": "HOT", "quantity": 1, "unit_price": "9.99"}]})
    statuses = asyncio.run(_storm(live_server, [body] * BUYERS))
    assert statuses == Counter({201: 10, 409: 190})
    assert stock_of(client, "HOT")["totals"] == {"on_hand": 10, "reserved": 10, "available": 0}
    with uow(write=False) as u:
        assert ledger_drift(u) == []


def test_opposite_line_orders_over_http_all_succeed_without_deadlock(client, live_server):
    shop(client, {"A": {"ber": 1000}, "B": {"ber": 1000}})
    ab = with_address({"channel": "web", "lines": [
        {"sku": "A", "quantity": 1, "unit_price": "1"},
        {"sku": "B", "quantity": 1, "unit_price": "1"}]})
    ba = {**ab, "lines": list(reversed(ab["lines"]))}
    statuses = asyncio.run(_storm(live_server, [ab, ba] * 50))
    assert statuses == Counter({201: 100})
    assert stock_of(client, "A")["totals"]["reserved"] == 100


def test_the_server_answers_health_and_docs_without_a_key(live_server):
    # Generous timeouts: the first /openapi.json builds the document (seconds on a busy
    # machine); this test is about what the server answers, not how fast.
    assert ok(httpx.get(f"{live_server.url}/health", timeout=60))["status"] == "ok"
    assert httpx.get(f"{live_server.url}/openapi.json", timeout=60).status_code == 200
    assert httpx.get(f"{live_server.url}/api/v1/orders", timeout=60).status_code == 401
