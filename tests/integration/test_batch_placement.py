"""Placing a batch of orders in one transaction: every order gets the answer it would get
if placed alone at its position in the batch (flows/placement.py)."""

from __future__ import annotations

from collections import Counter

import orjson
from sqlalchemy.exc import DBAPIError

from ordermesh.flows import placement
from ordermesh.flows.importing import BATCH, import_orders
from ordermesh.flows.placement import Placement, place_order, place_orders, run_batch
from ordermesh.kit.errors import (
    Conflict,
    IdempotencyKeyReused,
    InsufficientStock,
    InvalidInput,
)
from ordermesh.kit.idempotency import IdempotencyKey
from ordermesh.orders.service import CustomerDetails, Placed, PlaceLine, PlaceOrder
from tests.event_checks import events_after
from tests.helpers import DEFAULT_ADDRESS, SHIP_TO, add_stock, ok, shop, stock_of
from tests.stock_checks import assert_no_drift


def _key(key: str, content: str) -> IdempotencyKey:
    return IdempotencyKey("tester", key, "POST /api/v1/orders", content)


def _order(sku: str, quantity: int, **extra) -> PlaceOrder:
    return PlaceOrder(channel="web", lines=[PlaceLine(sku, quantity, 5)],
                      **{"shipping_address": SHIP_TO, **extra})


def _created(client) -> Counter:
    """order.created events per order, read through the event log."""
    return Counter(e["aggregate_id"] for e in events_after(client, 0)
                   if e["type"] == "order.created")


def _orders(client) -> list[dict]:
    return ok(client.get("/api/v1/orders", params={"limit": 200}))["items"]


def test_a_batch_answers_placed_short_replayed_duplicate_and_refused_orders_each_their_own(
        client, uow):
    shop(client, {"A": {"ber": 10}})
    with uow() as u:
        old = place_order(u, _order("A", 2, external_id="ext-old"), _key("k-old", "old"))
    batch = [
        Placement(_order("A", 2), _key("k1", "first")),  # 0 placed: 6 left after
        Placement(_order("A", 10, customer=CustomerDetails(email="short@example.com")),
                  _key("k-short", "short")),  # 1 short: writes nothing
        Placement(_order("A", 2, external_id="ext-old"), _key("k-old", "old")),  # 2 replay
        Placement(_order("A", 2), _key("k1", "first")),  # 3 retry of 0 inside the batch
        Placement(_order("A", 2, external_id="ext-old")),  # 4 same external id, same content
        Placement(_order("A", 3, external_id="ext-old")),  # 5 same external id, other content
        Placement(_order("A", 6, external_id="ext-new")),  # 6 placed: the last 6 units
        Placement(_order("A", 6, external_id="ext-new")),  # 7 duplicate of 6 in the batch
        Placement(_order("A", 1)),  # 8 short: nothing left
        Placement(_order("NOPE", 1)),  # 9 unknown SKU
        Placement(_order("A", 1), _key("k1", "other content")),  # 10 key reused
    ]
    with uow() as u:
        results = place_orders(u, batch)

    placed = [r for r in results if isinstance(r, Placed) and not r.replayed]
    assert [results.index(r) for r in placed] == [0, 6]
    assert isinstance(results[1], InsufficientStock)
    assert [s.sku for s in results[1].shortages] == ["A"]
    assert results[2].replayed and results[2].order.id == old.order.id
    assert results[3].replayed and results[3].order.id == results[0].order.id
    assert results[4].replayed and results[4].order.id == old.order.id
    assert isinstance(results[5], Conflict) and "ext-old" in results[5].detail
    assert results[7].replayed and results[7].order.id == results[6].order.id
    assert isinstance(results[8], InsufficientStock)
    assert isinstance(results[9], InvalidInput) and "NOPE" in results[9].detail
    assert isinstance(results[10], IdempotencyKeyReused)

    assert stock_of(client, "A")["totals"] == {"on_hand": 10, "reserved": 10, "available": 0}
    ids = {old.order.id, results[0].order.id, results[6].order.id}
    assert {o["id"] for o in _orders(client)} == ids
    assert _created(client) == Counter({order_id: 1 for order_id in ids})
    assert ok(client.get("/api/v1/customers"))["items"] == []  # the short order's customer
    assert_no_drift(uow)

    # the short order's key was given back: retried once stock arrived, it is placed
    add_stock(client, "A", "ber", 10)
    with uow() as u:
        retried = place_order(u, batch[1].command, batch[1].idem)
    assert not retried.replayed and retried.order.customer_id is not None


def test_first_come_first_served_on_a_contested_sku_inside_a_batch(client, uow):
    shop(client, {"HOT": {"ber": 2, "ham": 1}, "COLD": {"ber": 50}})
    batch = [Placement(PlaceOrder(channel="web", lines=[PlaceLine("COLD", 1, 5),
                                                        PlaceLine("HOT", 1, 5)],
                                  shipping_address=SHIP_TO))
             for _ in range(5)]
    with uow() as u:
        results = place_orders(u, batch)
    assert [isinstance(r, Placed) for r in results] == [True, True, True, False, False]
    numbers = [r.order.number for r in results[:3]]
    assert numbers == sorted(numbers)  # placed in arrival order
    assert stock_of(client, "HOT")["totals"]["available"] == 0
    assert stock_of(client, "COLD")["totals"]["reserved"] == 3  # the short ones took none
    assert sum(_created(client).values()) == 3
    assert_no_drift(uow)


def _poison(monkeypatch, email: str, *, retryable_once: bool = False) -> list[str]:
    """The customer step fails with a database error for orders of ``email``."""
    real, calls = placement._customer, []

    class Deadlock(Exception):
        sqlstate = "40P01"

    def failing(u, cmd):
        if cmd.customer is not None and cmd.customer.email == email:
            calls.append(email)
            if not retryable_once:
                raise DBAPIError("INSERT INTO customers ...", {}, Exception("value too long"))
            if len(calls) == 1:
                raise DBAPIError("INSERT INTO customers ...", {}, Deadlock("deadlock"))
        return real(u, cmd)

    monkeypatch.setattr(placement, "_customer", failing)
    return calls


def test_an_order_whose_data_breaks_the_batch_is_answered_alone_and_the_others_are_placed(
        client, uow, container, monkeypatch):
    shop(client, {"A": {"ber": 10}})
    _poison(monkeypatch, "poison@example.com")
    batch = [Placement(_order("A", 1, customer=CustomerDetails(email=f"{who}@example.com")))
             for who in ("ann", "poison", "bob")]
    results = run_batch(lambda: uow(), batch)
    assert isinstance(results[0], Placed) and isinstance(results[2], Placed)
    assert isinstance(results[1], DBAPIError)
    assert stock_of(client, "A")["totals"]["reserved"] == 2
    assert len(_orders(client)) == 2
    assert sum(_created(client).values()) == 2
    assert_no_drift(uow)


def test_a_batch_that_deadlocks_is_run_again_and_places_every_order_once(
        client, uow, monkeypatch):
    shop(client, {"A": {"ber": 10}})
    calls = _poison(monkeypatch, "late@example.com", retryable_once=True)
    batch = [Placement(_order("A", 1, customer=CustomerDetails(email=f"{who}@example.com")),
                       _key(f"k-{who}", who)) for who in ("ann", "late", "bob")]
    results = run_batch(lambda: uow(), batch)
    assert calls == ["late@example.com", "late@example.com"]  # the second run went through
    assert all(isinstance(r, Placed) and not r.replayed for r in results)
    assert stock_of(client, "A")["totals"]["reserved"] == 3
    assert _created(client) == Counter({r.order.id: 1 for r in results})
    assert_no_drift(uow)


def test_an_import_larger_than_a_batch_is_placed_in_file_order_and_resumes_without_duplicates(
        client, container, uow):
    shop(client, {"A": {"ber": BATCH + 10}})
    lines = [orjson.dumps({"channel": "web", "external_id": f"ext-{i}",
                           "shipping_address": DEFAULT_ADDRESS,
                           "lines": [{"sku": "A", "quantity": 1, "unit_price": "5"}]})
             for i in range(BATCH + 20)]
    first = import_orders(container, lines[: BATCH // 2])
    assert (first.placed, first.duplicates, first.refusals) == (BATCH // 2, 0, [])
    report = import_orders(container, lines)  # resumed: the first half is there already
    assert (report.placed, report.duplicates) == (BATCH // 2 + 10, BATCH // 2)
    assert [r.line for r in report.refusals] == list(range(BATCH + 11, BATCH + 21))
    assert {r.code for r in report.refusals} == {"insufficient-stock"}
    assert stock_of(client, "A")["totals"]["available"] == 0
    assert sum(_created(client).values()) == BATCH + 10
    assert_no_drift(uow)


def test_with_natural_batching_concurrent_requests_each_get_their_own_answer_over_http(
        container, uow):
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient

    from ordermesh.app import create_app
    from ordermesh.flows.batcher import batcher_for
    from tests.conftest import ADMIN_KEY

    container.settings = container.settings.model_copy(update={"placement_batching": True})
    with TestClient(create_app(container),
                    headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as client:
        shop(client, {"HOT": {"ber": 10}})
        body = {"channel": "web", "shipping_address": DEFAULT_ADDRESS,
                "lines": [{"sku": "HOT", "quantity": 1, "unit_price": "5"}]}

        def post(i: int):
            return client.post("/api/v1/orders", json=body,
                               headers={"Idempotency-Key": f"k-{i % 20}"})

        with ThreadPoolExecutor(max_workers=16) as pool:
            responses = list(pool.map(post, range(30)))  # keys k-0 to k-9 sent twice
        by_key: dict[str, list] = {}
        for i, response in enumerate(responses):
            by_key.setdefault(f"k-{i % 20}", []).append(response)
        placed = [r for r in responses if r.status_code == 201
                  and r.headers.get("Idempotent-Replayed") != "true"]
        short = [r for r in responses if r.status_code == 409]
        assert len(placed) == 10
        assert all(r.headers["content-type"] == "application/problem+json"
                   and "HOT" in r.json()["detail"] for r in short)
        for responses_of_key in by_key.values():  # a key places at most one order
            assert len({r.json()["id"] for r in responses_of_key if r.status_code == 201}) <= 1
        ids = {r.json()["id"] for r in responses if r.status_code == 201}
        assert len(ids) == 10 == len(_orders(client))
        assert stock_of(client, "HOT")["totals"]["available"] == 0
        assert _created(client) == Counter({order_id: 1 for order_id in ids})
        assert batcher_for(container.engine, container.clock, 256).batches >= 1
    assert_no_drift(uow)
