"""Where an order's server time goes: the placement path in-process, under a profiler.

    python -m bench.profile [--db sqlite|postgres] [--orders N] [--profiler cprofile|pyinstrument]
    python -m bench.profile --summarise RAW  # py-spy --format raw of a server worker
    python -m bench.profile --count 1,16,64 [--db ...] [--orders N]  # statements per order

Seeds a shop like the load benchmark, builds the real app (same middleware, same
dependencies) and sends it the load generator's orders through an in-process ASGI client,
so the profile holds the server's work and not the network's. Prints the time per order
and the profile; the findings are kept in docs/benchmarks.md ("Profile").

``--count`` places the orders through ``place_orders`` in batches of each size, without a
profiler, and counts the statements sent to the database (a SQLAlchemy
``before_cursor_execute`` listener: an ``executemany`` is one round trip), by kind and
table, per order; it also prints the CPU time per order of that run.

``--summarise`` reads what ``py-spy record --format raw`` wrote for a real server worker
(``python -m bench --hold 60 --no-write`` prints the worker pids) and prints the share
of the worker's busy samples spent in each step of a placement (``STEPS``).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import pstats
import random
import re
import time
import uuid
from collections import Counter

import httpx

from bench.database import DEFAULT_POSTGRES_URL, fresh_database
from bench.load import OrderFactory
from bench.seed import seed_shop
from ordermesh.bootstrap import build_app, build_container
from ordermesh.settings import Settings

_VERB_TABLE = re.compile(
    r"^\s*(?:WITH\b.*?\)\s*)?(INSERT INTO|UPDATE|DELETE FROM|SELECT\b.*?\bFROM|SAVEPOINT|"
    r"RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|BEGIN|COMMIT|ROLLBACK)\s*\(?\s*\"?(\w*)",
    re.IGNORECASE | re.DOTALL)


class StatementCounter:
    """Counts the statements an engine sends, by statement text (``before_cursor_execute``:
    an ``executemany`` counts once, as the one round trip it is)."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.by_text: Counter[str] = Counter()
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, _params, _context, _executemany) -> None:
        self.by_text[statement] += 1

    def total(self) -> int:
        return sum(self.by_text.values())

    def by_table(self) -> Counter[str]:
        """"VERB table" -> statements (savepoints by kind, not by name)."""
        out: Counter[str] = Counter()
        for sql, n in self.by_text.items():
            found = _VERB_TABLE.match(sql)
            if not found:
                out["other: " + sql.split(None, 1)[0][:20]] += n
                continue
            verb = found[1].split()[0].upper()
            table = "" if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT") \
                else found[2]
            out[f"{verb} {table}".strip()] += n
        return out

    def close(self) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._seen)


def _count_batches(url: str, count: int, sizes: list[int], warmup: int) -> None:
    """Statements per order and CPU per order for each batch size (no profiler)."""
    from ordermesh.flows.placement import Placement, run_batch
    from ordermesh.kit import idempotency
    from ordermesh.kit.db import UnitOfWork
    from ordermesh.orders.api import command_from
    from ordermesh.orders.schemas import OrderCreate

    shop = seed_shop(url, seed=7)
    container = build_container(Settings(database_url=url))
    factory = OrderFactory(shop, random.Random(7))

    def new_uow() -> UnitOfWork:
        return UnitOfWork(container.engine, container.clock, actor="bench")

    def placement() -> Placement:
        body = factory.order()[0]
        key = idempotency.IdempotencyKey("bench", uuid.uuid4().hex, "POST /api/v1/orders",
                                         hashlib.sha256(body).hexdigest())
        return Placement(command_from(OrderCreate.model_validate_json(body)), key)

    def place(n: int, size: int) -> int:
        made = [placement() for _ in range(n)]
        refused = 0
        for i in range(0, n, size):
            refused += sum(not hasattr(o, "order") for o in run_batch(new_uow, made[i:i + size]))
        return refused

    place(warmup, max(sizes))
    summary = []
    for size in sizes:
        n = max(size, count - count % size)
        counter = StatementCounter(container.engine)
        cpu0 = time.process_time()
        refused = place(n, size)
        cpu = time.process_time() - cpu0
        counter.close()
        per_order = counter.total() / n
        summary.append((size, n, counter.total(), per_order, 1000 * cpu / n, refused))
        print(f"\nbatch of {size}: {n} orders ({refused} refused), {counter.total()} "
              f"statements, {per_order:.2f} per order, {1000 * cpu / n:.2f} ms CPU per order")
        print(f"  {'statement':<44} {'count':>7} {'per order':>9} {'per batch':>9}")
        batches = -(-n // size)
        for name, k in sorted(counter.by_table().items(), key=lambda kv: -kv[1]):
            print(f"  {name:<44} {k:>7} {k / n:>9.2f} {k / batches:>9.1f}")
    print(f"\n{'batch':>5} {'orders':>6} {'statements':>10} {'per order':>9} {'CPU ms/order':>12}")
    for size, n, total, per_order, cpu_ms, _refused in summary:
        print(f"{size:>5} {n:>6} {total:>10} {per_order:>9.2f} {cpu_ms:>12.2f}")
    container.engine.dispose()


async def _place(client: httpx.AsyncClient, factory: OrderFactory, count: int) -> None:
    for _ in range(count):
        body, _lines = factory.order()
        response = await client.post("/api/v1/orders", content=body,
                                     headers={"Idempotency-Key": uuid.uuid4().hex})
        if response.status_code != 201:
            raise SystemExit(f"placement failed: {response.status_code} {response.text}")


# Steps of one batch (flows/placement.py), by function name, for --batch
BATCH_STEPS = ("claim_many", "_read_batch", "lock_products", "draft_order", "line_prices",
               "fulfilment_choice", "total_order", "match_or_create", "claim_external_id",
               "reserve", "record_placed", "finish_placement", "record_decision",
               "release_fulfilment", "savepoint", "release", "rollback", "commit")


def _run_batches(url: str, count: int, batch: int, warmup: int, top: int) -> None:
    """Place ``count`` orders in batches of ``batch`` through ``place_orders`` in-process,
    under cProfile; print the cumulative time of each step of a batch."""
    from ordermesh.flows.placement import Placement, run_batch
    from ordermesh.kit.db import UnitOfWork
    from ordermesh.orders.api import command_from
    from ordermesh.orders.schemas import OrderCreate

    shop = seed_shop(url, seed=7)
    container = build_container(Settings(database_url=url))
    factory = OrderFactory(shop, random.Random(7))

    def batches(n: int) -> list[list[Placement]]:
        made = [Placement(command_from(OrderCreate.model_validate_json(factory.order()[0])))
                for _ in range(n)]
        return [made[i:i + batch] for i in range(0, n, batch)]

    def new_uow() -> UnitOfWork:
        return UnitOfWork(container.engine, container.clock, actor="bench")

    for placements in batches(warmup):
        run_batch(new_uow, placements)
    work = batches(count)
    prof = cProfile.Profile()
    started, cpu0 = time.perf_counter(), time.process_time()
    prof.enable()
    refused = 0
    for placements in work:
        refused += sum(not hasattr(o, "order") for o in run_batch(new_uow, placements))
    prof.disable()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    stats = pstats.Stats(prof)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    print(f"{'step':<22} {'calls':>7} {'cumulative s':>12} {'share':>6}")
    for name in BATCH_STEPS:
        rows = [v for k, v in stats.stats.items()  # type: ignore[attr-defined]
                if k[2] == name and "ordermesh" in k[0]]
        if rows:
            calls, cum = sum(r[1] for r in rows), max(r[3] for r in rows)
            print(f"{name:<22} {calls:>7} {cum:>12.2f} {100 * cum / total:>5.1f}%")
    sql = [v for k, v in stats.stats.items()  # type: ignore[attr-defined]
           if k[2] == "execute" and "sqlalchemy/engine/base.py" in k[0]]
    if sql:
        print(f"{'SQL (Connection.execute)':<22} {sum(r[1] for r in sql):>7} "
              f"{max(r[3] for r in sql):>12.2f} {100 * max(r[3] for r in sql) / total:>5.1f}%")
    if top:
        stats.sort_stats("tottime").print_stats(top)
    container.engine.dispose()
    print(f"{count} orders in batches of {batch} ({refused} refused): "
          f"{count / wall:.0f} orders/s, {1000 * wall / count:.2f} ms wall, "
          f"{1000 * cpu / count:.2f} ms CPU per order (cProfile overhead included)")


async def _run(url: str, count: int, profiler: str, warmup: int, top: int) -> None:
    shop = seed_shop(url, seed=7)
    container = build_container(Settings(database_url=url))
    app = build_app(container)
    factory = OrderFactory(shop, random.Random(7))
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {shop.api_key}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench",
                                 headers=headers) as client:
        await _place(client, factory, warmup)
        started, cpu0 = time.perf_counter(), time.process_time()
        if profiler == "pyinstrument":
            from pyinstrument import Profiler

            with Profiler(async_mode="enabled") as prof:
                await _place(client, factory, count)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
            print(prof.output_text(unicode=True, color=False, show_all=False))
        elif profiler == "cprofile":
            prof = cProfile.Profile()
            prof.enable()
            await _place(client, factory, count)
            prof.disable()
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
            stats = pstats.Stats(prof).sort_stats("cumulative")
            stats.print_stats(top)
        else:
            await _place(client, factory, count)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    container.engine.dispose()
    print(f"{count} orders: {1000 * wall / count:.2f} ms wall, {1000 * cpu / count:.2f} ms CPU "
          f"per order in this process (profiler {profiler}, overhead included)")


# (step, frames that mark it): a sample counts for the step when any frame of its stack
# starts with one of the marks. Steps nest (placement holds the others).
STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("placement use case (flows.placement.place_orders)",
     ("place_orders (ordermesh/flows/placement",)),
    ("  SQL: SQLAlchemy and driver, all statements", ("Connection.execute (sqlalchemy",)),
    ("  COMMIT", ("UnitOfWork.commit (",)),
    ("  configuration reads", ("resolve_skus (", "list_prices (", "channel_money (",
                               "rates_for (", "channel_settings (", "locations_by_ids (",
                               "find_account (", "load_policies (", "channel_by_code (")),
    ("  reserving stock (inventory.reserving.reserve)", ("reserve (ordermesh/inventory",)),
    ("  sourcing: plan and record the decision", ("Planner.__call__ (", "record_decision (")),
    ("  fulfilment orders released", ("release_fulfilment (",)),
    ("  prices, discounts and tax computed", ("amounts_for (", "line_prices (",
                                             "tax_setup (")),
    ("  tax ledger, version, outbox rows", ("book_tax_change (", "record_version (",
                                           "record_event (")),
    ("  customer matched", ("match_or_create (",)),
    ("  idempotency key claimed", ("claim (ordermesh/kit/idempotency",)),
    ("response model built (OrderRead)", ("OrderRead.of (",)),
    ("request body validated (pydantic)", ("_validate_json (", "validate_json (",
                                          "request_body_to_args (")),
)
IDLE = ("select (selectors", "EpollSelector.select", "Condition.wait (threading",
        "_worker (concurrent", "run_forever (asyncio")


def summarise(raw_path: str) -> None:
    """Shares of the busy samples of a py-spy raw profile, per step of a placement."""
    busy = 0
    counts = dict.fromkeys((name for name, _ in STEPS), 0)
    with open(raw_path, encoding="utf-8") as raw:
        for line in raw:
            stack, _, n = line.rstrip().rpartition(" ")
            frames = stack.split(";")
            if any(frames[-1].startswith(mark) for mark in IDLE):
                continue
            busy += int(n)
            for name, marks in STEPS:
                if any(f.startswith(mark) for f in frames for mark in marks):
                    counts[name] += int(n)
    print(f"{busy} busy samples")
    for name, count in counts.items():
        print(f"{100 * count / busy:5.1f}%  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--profiler", choices=("cprofile", "pyinstrument", "none"),
                        default="none")
    parser.add_argument("--top", type=int, default=60, help="cProfile rows to print")
    parser.add_argument("--summarise", metavar="RAW", help="summarise a py-spy raw profile")
    parser.add_argument("--batch", type=int, default=0, metavar="N",
                        help="profile place_orders in-process in batches of N (cProfile)")
    parser.add_argument("--count", metavar="SIZES",
                        help="count statements per order for these batch sizes, e.g. 1,16,64")
    args = parser.parse_args()
    if args.summarise:
        summarise(args.summarise)
        return
    with fresh_database(args.db, args.postgres_url) as url:
        if args.count:
            _count_batches(url, args.orders, [int(s) for s in args.count.split(",")],
                           args.warmup)
        elif args.batch:
            _run_batches(url, args.orders, args.batch, args.warmup, args.top)
        else:
            asyncio.run(_run(url, args.orders, args.profiler, args.warmup, args.top))


if __name__ == "__main__":
    main()
