"""Checks shared by the stock and concurrency tests: refusals that change nothing, the
ledger, events, and many buyers at once."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select

from ordermesh.flows.placement import place_order
from ordermesh.inventory.ledger import ledger_drift
from ordermesh.inventory.tables import (
    expected_supply,
    inventory_movements,
    stock,
    transfer_lines,
    transfers,
)
from ordermesh.kit.errors import InsufficientStock
from ordermesh.kit.outbox import outbox
from ordermesh.orders.service import PlaceOrder
from tests.helpers import ok

_WATCHED = (stock, inventory_movements, expected_supply, transfers, transfer_lines, outbox)


def _everything(uow) -> dict[str, list]:
    with uow(write=False) as u:
        return {t.name: sorted((tuple(r) for r in u.execute(select(t))), key=repr)
                for t in _WATCHED}


def refused(client, uow, method: str, url: str, status: int, field: str | None = None,
            **request: Any) -> dict:
    """Send a request that must be refused with a problem+json naming ``field``, and
    prove no stock, ledger, supply, transfer or event row changed."""
    before = _everything(uow)
    response = client.request(method, url, **request)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["detail"], problem
    if field is not None:
        assert field in [e["field"] for e in problem.get("errors", [])], problem
    assert _everything(uow) == before, f"a refused {method} {url} changed something"
    return problem


def movements(uow, kind: str | None = None) -> list[dict]:
    """Ledger rows in booking order, without actor, time and ids."""
    m = inventory_movements.c
    query = select(m.kind, m.on_hand_delta, m.reserved_delta, m.damaged_delta,
                   m.in_transit_delta, m.reason, m.reference_type, m.reference_id
                   ).order_by(m.seq)
    if kind:
        query = query.where(m.kind == kind)
    with uow(write=False) as u:
        return [dict(r._mapping) for r in u.execute(query)]


def assert_no_drift(uow) -> None:
    with uow(write=False) as u:
        assert ledger_drift(u) == []


def event_types(client, prefix: str) -> list[str]:
    return [e["type"] for e in ok(client.get("/api/v1/events", params={"type": prefix}))["items"]]



def buy_concurrently(uow, commands: list[PlaceOrder], threads: int) -> Counter:
    barrier = threading.Barrier(threads)
    outcome: Counter = Counter()
    lock = threading.Lock()

    def buy(i: int) -> None:
        if i < threads:
            barrier.wait()
        try:
            with uow(actor=f"buyer-{i}") as u:
                place_order(u, commands[i])
            result = "placed"
        except InsufficientStock:
            result = "refused"
        with lock:
            outcome[result] += 1

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(buy, range(len(commands))))
    return outcome
