"""Many buyers at once, through the service layer with one transaction per thread."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from ordermesh.flows.placement import place_order
from ordermesh.inventory.ledger import ledger_drift
from ordermesh.orders.service import PlaceLine, PlaceOrder
from tests.helpers import SHIP_TO, ok, shop, stock_of
from tests.stock_checks import buy_concurrently

BUYERS = 200


def test_the_last_ten_units_go_to_exactly_ten_of_two_hundred_buyers(client, uow):
    shop(client, {"HOT": {"ber": 10}})
    command = PlaceOrder(channel="web", lines=[PlaceLine("HOT", 1, 5)], shipping_address=SHIP_TO)
    outcome = buy_concurrently(uow, [command] * BUYERS, threads=50)
    assert outcome == Counter(placed=10, refused=190)
    assert stock_of(client, "HOT")["totals"] == {"on_hand": 10, "reserved": 10, "available": 0}
    assert len(ok(client.get("/api/v1/orders", params={"limit": 200}))["items"]) == 10
    with uow(write=False) as u:
        assert ledger_drift(u) == []


def test_stock_split_over_locations_is_never_oversold_under_contention(client, uow):
    shop(client, {"HOT": {"ber": 4, "ham": 3, "muc": 3}})
    commands = [PlaceOrder(channel="web", lines=[PlaceLine("HOT", 1 + i % 3, 5)],
                           shipping_address=SHIP_TO)
                for i in range(60)]
    buy_concurrently(uow, commands, threads=30)
    stock = stock_of(client, "HOT")
    placed = ok(client.get("/api/v1/orders", params={"limit": 200}))["items"]
    units = sum(
        ln["quantity"] for o in placed
        for ln in ok(client.get(f"/api/v1/orders/{o['id']}"))["lines"])
    assert stock["totals"]["reserved"] == units <= 10
    assert all(level["reserved"] <= level["on_hand"] for level in stock["locations"])
    assert stock["totals"]["available"] < 3  # nobody was refused while 3 units were free
    with uow(write=False) as u:
        assert ledger_drift(u) == []


def test_orders_locking_two_skus_in_opposite_line_order_never_deadlock(client, uow):
    shop(client, {"A": {"ber": 500, "ham": 500}, "B": {"ber": 500, "ham": 500}})
    ab = PlaceOrder(channel="web", lines=[PlaceLine("A", 1, 1), PlaceLine("B", 1, 1)],
                    shipping_address=SHIP_TO)
    ba = PlaceOrder(channel="web", lines=[PlaceLine("B", 1, 1), PlaceLine("A", 1, 1)],
                    shipping_address=SHIP_TO)
    outcome = buy_concurrently(uow, [ab, ba] * 60, threads=20)
    assert outcome == Counter(placed=120)
    assert stock_of(client, "A")["totals"]["reserved"] == 120
    assert stock_of(client, "B")["totals"]["reserved"] == 120


def test_a_reader_following_the_event_log_during_a_rush_sees_every_event_once(
        client, uow, container):
    from ordermesh.kit.outbox import assign_positions, read_events

    shop(client, {"A": {"ber": 1000}})
    seen: list[str] = []
    done = threading.Event()

    def follow() -> None:
        after = 0
        while True:
            finished = done.is_set()
            with uow(actor="follower") as u:
                assign_positions(u)
                events = read_events(u, after=after, limit=50)
            seen.extend(e.id for e in events)
            after = events[-1].position if events else after
            if finished and not events:
                return

    follower = threading.Thread(target=follow)
    follower.start()
    command = PlaceOrder(channel="web", lines=[PlaceLine("A", 1, 1)], shipping_address=SHIP_TO)
    buy_concurrently(uow, [command] * 120, threads=20)
    done.set()
    follower.join(timeout=60)
    with uow(write=False) as u:
        everything = read_events(u, after=0, limit=10_000)
    assert len(seen) == len(set(seen)) == len(everything)
    assert seen == [e.id for e in everything]


def test_concurrent_retries_with_one_key_or_one_external_id_place_one_order(client, uow):
    from ordermesh.kit.idempotency import IdempotencyKey

    shop(client, {"A": {"ber": 100}})
    command = PlaceOrder(channel="web", lines=[PlaceLine("A", 1, 1)], shipping_address=SHIP_TO)
    by_external_id = PlaceOrder(channel="web", lines=[PlaceLine("A", 2, 1)],
                                shipping_address=SHIP_TO,
                                external_id="AMZ-77")
    key = IdempotencyKey("env-admin", "retry-storm", "POST /api/v1/orders", "f" * 64)
    barrier = threading.Barrier(16)
    ids: list[str] = []

    def place(i: int) -> None:
        barrier.wait()
        with uow(actor=f"retry-{i}") as u:
            placed = (place_order(u, command, key) if i % 2
                      else place_order(u, by_external_id))
        ids.append(placed.order.id)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(place, range(16)))
    assert len(ids) == 16 and len(set(ids)) == 2
    assert stock_of(client, "A")["totals"]["reserved"] == 3
    assert len(ok(client.get("/api/v1/orders"))["items"]) == 2
