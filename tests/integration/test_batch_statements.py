"""How many statements a batch of orders sends: a fixed number per batch plus a small
allowance per order, not one statement per table per order (flows/placement.py).

Counted with a ``before_cursor_execute`` listener, so an ``executemany`` is one statement
(one round trip); SQLite's and psycopg's own COMMIT is not a cursor statement and is not
counted, SQLite's ``BEGIN IMMEDIATE`` is."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from ordermesh.flows.placement import Placement, place_orders
from ordermesh.kit.idempotency import IdempotencyKey
from ordermesh.orders.service import CustomerDetails, Placed, PlaceLine, PlaceOrder
from tests.helpers import SHIP_TO, add_stock, make_channel, make_location, make_product

# What one more order in a batch may add: its header (``INSERT … RETURNING seq``, needed
# at once). Its customer is matched and created in memory, its stock planned against the
# rows the batch locked and read, its savepoint is never sent, and every row it writes is
# queued. Everything else is sent once per batch: 25 statements today on SQLite, 24 on
# PostgreSQL (BEGIN, key claims, products, the customers' identities and rows, deferring
# the orders' customer check, the stock rows and allocation settings, prices, the
# configuration generation, one INSERT per queued table, the stock UPDATE). Before the
# batch planned customers and stock in memory (2026-12-08) it was 20 + 11 per order.
PER_ORDER = 1
PER_BATCH = 25
# Written with one statement per batch however many orders it holds.
ONCE_PER_BATCH = ("order_lines", "order_allocations", "order_history", "order_versions",
                  "tax_entries", "inventory_movements", "sourcing_decisions",
                  "fulfilment_orders", "fulfilment_lines", "fulfilment_history", "outbox",
                  "idempotency_keys", "channel_reserved", "customers",
                  "customer_identities")
_INSERT_INTO = re.compile(r'^\s*INSERT INTO "?(\w+)', re.IGNORECASE)
SKUS = [f"S{i}" for i in range(12)]


@contextmanager
def _counting(engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _stocked_shop(client) -> None:
    make_channel(client, "web", "EUR")
    for loc in ("ber", "ham", "muc"):
        make_location(client, loc)
    for sku in SKUS:
        make_product(client, sku, price={"amount": "9.90", "currency": "EUR"})
        for loc in ("ber", "ham", "muc"):
            add_stock(client, sku, loc, 500)


def _batch(n: int, start: int) -> list[Placement]:
    return [Placement(
        PlaceOrder(channel="web", shipping_address=SHIP_TO,
                   lines=[PlaceLine(SKUS[(i + k) % len(SKUS)], 1 + k) for k in range(3)],
                   customer=CustomerDetails(email=f"buyer{i}@example.com", name=f"Buyer {i}")),
        IdempotencyKey("tester", f"key-{i}", "POST /api/v1/orders", f"content-{i}"))
        for i in range(start, start + n)]


def _place(container, uow, placements: list[Placement]) -> list[str]:
    with _counting(container.engine) as seen, uow() as u:
        results = place_orders(u, placements)
    assert all(isinstance(r, Placed) and not r.replayed for r in results), results
    return seen


def test_a_batch_sends_a_fixed_number_of_statements_plus_a_small_allowance_per_order(
        client, container, uow):
    _stocked_shop(client)
    _place(container, uow, _batch(2, 0))  # warm the per-process caches

    for n, start in ((1, 100), (8, 200), (40, 300)):
        seen = _place(container, uow, _batch(n, start))
        assert len(seen) <= PER_BATCH + PER_ORDER * n, (n, len(seen))


def test_the_rows_of_every_order_of_a_batch_go_in_one_statement_per_table(
        client, container, uow):
    _stocked_shop(client)
    _place(container, uow, _batch(2, 0))

    seen = _place(container, uow, _batch(30, 100))
    inserts = Counter(m[1] for s in seen if (m := _INSERT_INTO.match(s)))
    assert {table: inserts[table] for table in ONCE_PER_BATCH} == dict.fromkeys(
        ONCE_PER_BATCH, 1)
    assert sum(1 for s in seen if re.match(r"\s*SELECT\b.*\bprice_lists\b", s, re.S)) == 1
    once = (r"\s*UPDATE\s+\"?stock\b", r"\s*SELECT\b.*\bFROM\s+\"?stock\b",
            r"\s*SELECT\b.*\bFROM\s+\"?customer_identities\b",
            r"\s*SELECT\b.*\ballocation_rules\b")
    assert [sum(1 for s in seen if re.match(p, s, re.S | re.I)) for p in once] == [1, 1, 1, 1]
    assert not [s for s in seen if "SAVEPOINT" in s.upper()]
