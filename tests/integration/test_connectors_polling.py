"""Polling each platform for the orders its webhooks missed: taken in through the
webhooks' own inbox, so an order lands once whichever way it came; page by page with
the platform's own paging; the mark moves only after what was read is recorded."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from ordermesh.flows.channel_poll import ConnectorPoll
from ordermesh.kit.db import UnitOfWork
from ordermesh.orders.tables import orders
from tests.fake_order_lists import LeakyBucket
from tests.helpers import ok
from tests.poll_helpers import PLATFORMS, SHOPIFY, Platform, later, listed, poll, poll_state

by_platform = pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.name)


def order_count(container) -> int:
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        return uow.execute(select(func.count()).select_from(orders)).scalar_one()


def inbox(client, platform: Platform) -> list[dict]:
    return ok(client.get(f"/api/v1/connectors/{platform.code}/inbox"))["items"]


def connected(client, clock, shop, platform: Platform, stock: dict[str, int]) -> datetime:
    """The shop set up at the test clock's time, the platform's clock the same."""
    shop.now = clock.now
    platform.setup(client, shop, stock)
    return clock.now()


def with_orders(client, clock, shop, platform: Platform, *order_ids: int) -> datetime:
    """``connected`` with five MUGs; a minute later the shop takes one MUG in each order
    of ``order_ids`` (no webhook is sent)."""
    since = connected(client, clock, shop, platform, {"MUG": 5})
    later(clock)
    for order_id in order_ids:
        shop.add_order(platform.order(order_id, "MUG", 1))
    return since


@by_platform
def test_an_order_whose_webhook_never_arrived_is_placed_by_the_poll(
        client, container, clock, platform):
    with platform.running() as shop:
        since = with_orders(client, clock, shop, platform, 7001)
        later(clock)
        taken = poll(container, platform.code)
        (query,) = listed(shop, platform)
    assert taken == 1
    (entry,) = inbox(client, platform)
    assert entry["status"] == "placed" and entry["webhook_id"].startswith("poll:7001@")
    order = ok(client.get(f"/api/v1/orders/{entry['order_id']}"))
    assert order["external_id"] == "7001" and order["lines"][0]["quantity"] == 1
    asked_from = datetime.fromisoformat(
        (query.get("updated_at_min") or query.get("modified_after"))[0])
    assert asked_from.replace(tzinfo=asked_from.tzinfo or since.tzinfo) \
        == since - timedelta(seconds=container.settings.connector_poll_overlap_s)
    state = poll_state(client, platform.code)
    assert state["mark"] == clock.now().isoformat().replace("+00:00", "Z")
    assert state["orders_read"] == 1 and state["failures"] == 0
    assert state["walk_started_at"] is None


@by_platform
def test_an_order_that_came_by_webhook_is_not_placed_again_by_the_poll(
        client, container, clock, platform):
    with platform.running() as shop:
        connected(client, clock, shop, platform, {"MUG": 5})
        later(clock)
        body = platform.order(7002, "MUG", 1)
        shop.add_order(body)
        by_webhook = ok(platform.deliver(client, body, "wh-7002"))
        poll(container, platform.code)
        later(clock, 600)
        poll(container, platform.code)  # the overlap reads it again: recorded once
    assert order_count(container) == 1
    polled, webhook = inbox(client, platform)
    assert webhook["status"] == "placed"
    assert polled["status"] == "ignored" and polled["order_id"] == by_webhook["order_id"]
    assert "placed before" in polled["reason"]["detail"]


@by_platform
def test_a_cancellation_whose_webhook_never_arrived_cancels_the_order_at_the_next_poll(
        client, container, clock, platform):
    with platform.running() as shop:
        with_orders(client, clock, shop, platform, 7003)
        poll(container, platform.code)
        later(clock, 600)
        platform.cancel(shop, 7003)
        later(clock)
        poll(container, platform.code)
    cancelled, placed = inbox(client, platform)
    assert cancelled["status"] == "cancelled" and cancelled["order_id"] == placed["order_id"]
    assert ok(client.get(f"/api/v1/orders/{placed['order_id']}"))["status"] == "cancelled"


@by_platform
def test_many_orders_are_read_over_several_pages_and_passes_and_the_mark_moves_at_the_end(
        client, container, clock, platform):
    with platform.running() as shop:
        connected(client, clock, shop, platform, {"MUG": 50})
        later(clock)
        for i in range(7):
            shop.add_order(platform.order(7100 + i, "MUG", 1))
        later(clock)
        walk_started = clock.now()
        first = poll(container, platform.code, page_size=3, max_pages=2)
        midway = poll_state(client, platform.code)
        later(clock, 5)
        rest = poll(container, platform.code, page_size=3, max_pages=2)
        queries = list(listed(shop, platform))
    assert (first, rest) == (6, 1)
    assert midway["mark"] != walk_started.isoformat().replace("+00:00", "Z")
    assert midway["walk_started_at"] is not None and midway["due_at"] <= midway["last_ok_at"]
    assert order_count(container) == 7
    assert len(queries) == 3
    if platform is SHOPIFY:  # a cursor page carries nothing but the cursor and the limit
        assert set(queries[1]) == set(queries[2]) == {"limit", "page_info"}
    else:
        assert [q["page"] for q in queries] == [["1"], ["2"], ["3"]]
        assert {q["orderby"][0] for q in queries} == {"id"}
    state = poll_state(client, platform.code)
    assert state["mark"] == walk_started.isoformat().replace("+00:00", "Z")
    assert state["walk_started_at"] is None and state["orders_read"] == 7


@by_platform
def test_a_429_is_waited_out_as_retry_after_says_and_moves_no_mark(
        client, container, clock, platform):
    with platform.running() as shop:
        with_orders(client, clock, shop, platform, 7004)
        before = poll_state(client, platform.code)
        shop.throttle = 1
        assert poll(container, platform.code) == 0
        failed = poll_state(client, platform.code)
        assert poll(container, platform.code) == 0  # not due before Retry-After
        asked = len(list(listed(shop, platform)))
        later(clock, platform.retry_after_s)
        assert poll(container, platform.code) == 1
    assert before is None and asked == 1
    assert failed["failures"] == 1 and failed["last_error"].startswith("429")
    assert failed["walk_started_at"] is not None and failed["orders_read"] == 0
    assert datetime.fromisoformat(failed["due_at"]) == datetime.fromisoformat(
        failed["last_error_at"]) + timedelta(seconds=platform.retry_after_s)
    health = ok(client.get(f"/api/v1/connectors/{platform.code}/health"))
    assert health["poll"]["failures"] == 0 and health["poll"]["orders_read"] == 1
    assert health["poll"]["last_error"].startswith("429")  # kept: when it last failed


def test_a_platform_that_fails_is_retried_later_with_its_error_in_the_health(
        client, container, clock):
    with SHOPIFY.running() as shop:
        connected(client, clock, shop, SHOPIFY, {"MUG": 5})
        shop.fail = 1
        poll(container, SHOPIFY.code)
        failed = poll_state(client, SHOPIFY.code)
    assert failed["last_error"].startswith("500") and failed["orders_read"] == 0
    wait = datetime.fromisoformat(failed["due_at"]) - datetime.fromisoformat(
        failed["last_error_at"])
    base = timedelta(seconds=container.settings.connector_retry_base_s)
    assert base / 2 <= wait <= base  # the first step of a doubling backoff, jittered


@by_platform
def test_a_worker_that_dies_between_reading_a_page_and_recording_it_loses_nothing(
        client, container, clock, platform, monkeypatch):
    with platform.running() as shop:
        with_orders(client, clock, shop, platform, 7005, 7006)
        real = ConnectorPoll.take_in

        def dies_after_the_first(container, account, connector, page, taken_since):
            real(container, account, connector, type(page)(page.result, page.orders[:1]),
                 taken_since)
            raise SystemExit("the worker was killed")

        monkeypatch.setattr(ConnectorPoll, "take_in", staticmethod(dies_after_the_first))
        with pytest.raises(SystemExit):
            poll(container, platform.code)
        monkeypatch.setattr(ConnectorPoll, "take_in", staticmethod(real))
        assert poll(container, platform.code) == 0  # still leased to the dead worker
        later(clock, 60 * 60)
        assert poll(container, platform.code) == 2
    assert order_count(container) == 2
    assert sorted(e["status"] for e in inbox(client, platform)) == ["placed", "placed"]
    assert poll_state(client, platform.code)["orders_read"] == 2


def test_an_operator_asks_for_a_poll_now_and_the_next_pass_makes_it(
        client, container, clock):
    with SHOPIFY.running() as shop:
        connected(client, clock, shop, SHOPIFY, {"MUG": 5})
        poll(container, SHOPIFY.code)
        later(clock)
        shop.add_order(SHOPIFY.order(7007, "MUG", 1))
        assert poll(container, SHOPIFY.code) == 0  # not due for the interval
        asked = client.post(f"/api/v1/connectors/{SHOPIFY.code}/poll")
        assert poll(container, SHOPIFY.code) == 1
        missing = client.post("/api/v1/connectors/nope/poll")
    assert asked.status_code == 202
    assert asked.json()["due_at"] == clock.now().isoformat().replace("+00:00", "Z")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


@by_platform
def test_an_order_taken_before_the_connector_was_connected_is_not_placed_when_it_changes(
        client, container, clock, platform):
    with platform.running() as shop:
        shop.now = clock.now
        old = platform.order(7008, "MUG", 1)
        shop.add_order(old)  # taken by the shop at START, created_at says so
        later(clock, 3600)
        connected(client, clock, shop, platform, {"MUG": 5})
        later(clock)
        shop.touch(7008)  # fulfilled in the shop, say
        poll(container, platform.code)
    (entry,) = inbox(client, platform)
    assert entry["status"] == "ignored" and entry["order_id"] is None
    assert "before the connector was connected" in entry["reason"]["detail"]
    assert order_count(container) == 0


def test_shopifys_rate_limit_in_the_middle_of_a_walk_keeps_the_pages_read_and_resumes_there(
        client, container, clock):
    with SHOPIFY.running() as shop:
        connected(client, clock, shop, SHOPIFY, {"MUG": 10})
        later(clock)
        for i in range(3):
            shop.add_order(SHOPIFY.order(7200 + i, "MUG", 1))
        walk_started = clock.now()
        shop.bucket = LeakyBucket(size=1, per_second=0.0)  # full after one call
        first = poll(container, SHOPIFY.code, page_size=1, max_pages=3)
        midway = poll_state(client, SHOPIFY.code)
        shop.bucket = LeakyBucket()  # it leaked meanwhile
        later(clock, SHOPIFY.retry_after_s)
        rest = poll(container, SHOPIFY.code, page_size=1, max_pages=3)
        calls = shop.on("GET", SHOPIFY.list_path)
    assert (first, rest) == (1, 2)
    assert midway["failures"] == 1 and midway["last_error"].startswith("429")
    assert midway["orders_read"] == 1 and midway["walk_started_at"] is not None
    assert [c.status for c in calls] == [200, 429, 200, 200]
    assert calls[2].query["page_info"] == calls[1].query["page_info"]  # the kept cursor
    assert poll_state(client, SHOPIFY.code)["mark"] == walk_started.isoformat().replace(
        "+00:00", "Z")
    assert order_count(container) == 3


@by_platform
def test_a_worker_pass_with_no_poll_due_writes_nothing_and_asks_the_platform_nothing(
        client, container, clock, platform):
    with platform.running() as shop:
        connected(client, clock, shop, platform, {"MUG": 5})
        later(clock)
        ConnectorPoll().run_once(container)  # the first poll: due at once
        asked = len(list(listed(shop, platform)))
        writes: list[str] = []

        def count(conn, cursor, statement, *args):
            if not statement.lstrip().upper().startswith(("SELECT", "BEGIN", "SAVEPOINT",
                                                          "RELEASE", "SET")):
                writes.append(statement)

        event.listen(container.engine, "before_cursor_execute", count)
        try:
            assert ConnectorPoll().run_once(container) == 0  # the interval has not passed
        finally:
            event.remove(container.engine, "before_cursor_execute", count)
        assert writes == [] and len(list(listed(shop, platform))) == asked >= 1
