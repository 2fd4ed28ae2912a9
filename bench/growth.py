"""Growth: does an order cost more when millions are already stored? (PostgreSQL.)

The shop is seeded and ``BASE_ORDERS`` orders are placed through ``ordermesh import``
(the real path). Then: the placement rate over HTTP, and the p50/p99 of reading one
order (``GET /api/v1/orders/{id}``) and of listing a customer's orders
(``GET /api/v1/orders?customer=``, a full page of 20), for random stored orders and for
the repeat customers the import file has (every customer with 20 orders or more). The order
history is then grown to ``target`` orders by copying the stored orders in SQL, doubling
each round (new keys, the same customers, so every customer has ever more orders):
the tables an order and its list are read from grow (orders, lines, allocations, status
history, versions); the outbox, fulfilment and sourcing tables do not. After ``ANALYZE``
the same measurements run again.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from sqlalchemy import Table, text

from bench.bulk_import import ImportRun, run_import
from bench.load import Ledger, LevelResult, run_level
from bench.seed import Shop
from bench.server import running_server
from ordermesh.kit.db import build_engine
from ordermesh.orders.tables import (
    order_allocations,
    order_history,
    order_lines,
    order_versions,
    orders,
)

BASE_ORDERS = 10_000
READS = 2_000  # per kind of read and measurement
READ_CONCURRENCY = 8
LIST_PAGE = 20
GROWN_TABLES: tuple[Table, ...] = (orders, order_lines, order_allocations, order_history,
                                   order_versions)


@dataclass
class Stage:
    orders: int
    placement: LevelResult | None = None
    read_ms: list[float] = field(default_factory=list)
    list_ms: list[float] = field(default_factory=list)


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if values else 0.0


@dataclass
class GrowthRun:
    version: str
    stages: list[Stage] = field(default_factory=list)
    grow_seconds: float = 0.0

    def change(self, metric) -> float:
        first, last = metric(self.stages[0]), metric(self.stages[-1])
        return (last - first) / first if first else 0.0


def _copy_statement(table: Table) -> str:
    """INSERT ... SELECT copying every row of ``table`` with its order key moved by
    ``:offset`` and new public and external ids made from the new key."""
    names, values = [], []
    for column in table.columns:
        if column.autoincrement is True and column.primary_key and table is not orders:
            continue  # a surrogate key: the copy gets a new one
        if (table is orders and column.name == "seq") or column.name == "order_seq":
            expression = f"{column.name} + :offset"
        elif table is orders and column.name == "id":  # unique: made from the new seq
            expression = "'ordg_' || (seq + :offset)"
        elif table is orders and column.name == "external_id":
            expression = "CASE WHEN external_id IS NULL THEN NULL ELSE 'G-' || (seq + :offset) END"
        else:
            expression = column.name
        names.append(column.name)
        values.append(expression)
    where = "seq <= :top" if table is orders else "order_seq <= :top"
    return (f"INSERT INTO {table.name} ({', '.join(names)}) "
            f"SELECT {', '.join(values)} FROM {table.name} WHERE {where}")


def grow(url: str, target: int) -> int:
    """Double the stored orders until there are at least ``target``; returns how many."""
    engine = build_engine(url, pool_size=1, max_overflow=0)
    statements = [text(_copy_statement(t)) for t in GROWN_TABLES]
    try:
        while True:
            with engine.begin() as conn:
                count, top = conn.execute(text("SELECT count(*), max(seq) FROM orders")).one()
                if count >= target:
                    break
                for statement in statements:
                    conn.execute(statement, {"offset": top, "top": top})
                conn.execute(text("SELECT setval(pg_get_serial_sequence('orders', 'seq'), "
                                  "(SELECT max(seq) FROM orders))"))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    return count


def _samples(url: str, n: int, seed: int) -> tuple[list[str], list[str]]:
    engine = build_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            top = conn.execute(text("SELECT max(seq) FROM orders")).scalar_one()
            rng = random.Random(seed)
            seqs = sorted({rng.randint(1, top) for _ in range(n * 2)})
            ids = [r[0] for r in conn.execute(text(
                "SELECT id FROM orders WHERE seq = ANY(:s)"), {"s": seqs})][:n]
            # only customers with a full page: a page of 2 orders against one of 20 would
            # measure the page size, not the history
            customers = [r[0] for r in conn.execute(text(
                "SELECT customer_id FROM orders WHERE customer_id IS NOT NULL "
                "GROUP BY customer_id HAVING count(*) >= :page ORDER BY customer_id"),
                {"page": LIST_PAGE})]
            if not customers:
                raise SystemExit(f"no customer has {LIST_PAGE} orders yet: the growth part "
                                 "needs a base of at least 4,000 imported orders")
    finally:
        engine.dispose()
    return ids, customers


async def _timed_gets(base_url: str, api_key: str, paths: list[str]) -> list[float]:
    latencies: list[float] = []
    queue = list(paths)
    headers = {"Authorization": f"Bearer {api_key}"}
    async with aiohttp.ClientSession(base_url=base_url, headers=headers) as session:

        async def worker() -> None:
            while queue:
                path = queue.pop()
                started = time.perf_counter()
                async with session.get(path) as response:
                    await response.read()
                    assert response.status == 200, path
                latencies.append((time.perf_counter() - started) * 1000)

        await asyncio.gather(*(worker() for _ in range(READ_CONCURRENCY)))
    return latencies


def measure(stage: Stage, url: str, shop: Shop, *, workers: int, concurrency: int,
            duration_s: float, warmup_s: float, seed: int, say) -> Stage:
    ids, customers = _samples(url, READS, seed)
    with running_server(url, workers) as server:
        reads = [f"/api/v1/orders/{i}" for i in ids]
        lists = [f"/api/v1/orders?customer={customers[n % len(customers)]}&limit={LIST_PAGE}"
                 for n in range(READS)]
        asyncio.run(_timed_gets(server.base_url, shop.api_key, reads[:200]))  # warm-up
        stage.read_ms = asyncio.run(_timed_gets(server.base_url, shop.api_key, reads))
        stage.list_ms = asyncio.run(_timed_gets(server.base_url, shop.api_key, lists))
        stage.placement = asyncio.run(run_level(
            server.base_url, shop, Ledger(), concurrency=concurrency, duration_s=duration_s,
            warmup_s=warmup_s, seed=seed))
    say(f"  {stage.orders:>9,} orders: placement {stage.placement.throughput:.0f} orders/s "
        f"(p99 {stage.placement.percentile(99):.1f} ms); read p50/p99 "
        f"{_p(stage.read_ms, 50):.1f}/{_p(stage.read_ms, 99):.1f} ms; customer list p50/p99 "
        f"{_p(stage.list_ms, 50):.1f}/{_p(stage.list_ms, 99):.1f} ms")
    return stage


def run_growth(url: str, version: str, shop: Shop, tmp: Path, *, base: int, target: int,
               workers: int, concurrency: int, duration_s: float, warmup_s: float, seed: int,
               say) -> GrowthRun:
    run = GrowthRun(version)
    base = run_import(ImportRun("postgres", version, base, 4), url, shop,
                      tmp / "orders.jsonl", seed)
    say(f"  {base.placed:,} orders imported in {base.seconds:.0f} s")
    count = grow(url, 0)
    options = dict(workers=workers, concurrency=concurrency, duration_s=duration_s,
                   warmup_s=warmup_s, say=say)
    run.stages.append(measure(Stage(count), url, shop, seed=seed, **options))
    started = time.perf_counter()
    count = grow(url, target)
    run.grow_seconds = time.perf_counter() - started
    say(f"  grown to {count:,} orders in {run.grow_seconds:.0f} s")
    run.stages.append(measure(Stage(count), url, shop, seed=seed + 1, **options))
    return run


def growth_lines(run: GrowthRun) -> list[str]:
    rows = ["| stored orders | placement orders/s | placement p99 ms | read p50 ms | "
            "read p99 ms | customer list p50 ms | customer list p99 ms |",
            "| --: | --: | --: | --: | --: | --: | --: |"]
    for s in run.stages:
        rows.append(f"| {s.orders:,} | {s.placement.throughput:.0f} | "
                    f"{s.placement.percentile(99):.1f} | {_p(s.read_ms, 50):.1f} | "
                    f"{_p(s.read_ms, 99):.1f} | {_p(s.list_ms, 50):.1f} | "
                    f"{_p(s.list_ms, 99):.1f} |")
    changes = (f"Change from the first to the last row (target: within 20%): placement "
               f"rate {run.change(lambda s: s.placement.throughput):+.0%}, read p99 "
               f"{run.change(lambda s: _p(s.read_ms, 99)):+.0%}, customer list p99 "
               f"{run.change(lambda s: _p(s.list_ms, 99)):+.0%}. Growing took "
               f"{run.grow_seconds:.0f} s.")
    return [*rows, "", changes]
