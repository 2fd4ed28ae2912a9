"""The ATP benchmark: available to promise over HTTP on a large PostgreSQL data set.

A fresh database filled by ``bench.atp_data`` (100,000 SKUs x 50 locations by default), a
real uvicorn server, then for each level: that many client tasks asking, one request
after the other, either ``GET /api/v1/availability?sku=…&channel=…`` for one random SKU or
``POST /api/v1/availability/batch`` for 100 distinct random SKUs, each time for a random
channel of the three. Every level runs once alone and once while another process places
orders at a set rate (``bench.load``, on the ``web`` channel over all SKUs) against the
same server.
Afterwards the orders are counted and the stock counters are checked against the ledger
in SQL.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp
import orjson
from sqlalchemy.engine import make_url

from bench.atp_data import AtpData, AtpSpec, check, generate
from bench.cpu import CpuMeter, CpuUsage, postgres_backends
from bench.load import REQUEST_TIMEOUT_S, Ledger, LevelResult, run_level
from bench.server import Server, running_server

BATCH_SIZE = 100
CHECK_EVERY = 25  # parse and check every 25th answer of each client (and its first)
# Clients start (and connect) 20 ms apart, as clients arriving over time would. Started
# at once, their connections all reach the one worker that wakes first (asyncio accepts
# every pending connection in one go) and the other worker idles.
CONNECT_STAGGER_S = 0.02
TARGETS_MS = {"single": 20.0, "batch": 50.0}  # p99 on a 2-core machine (the issue)
KINDS = ("single", "batch")


@dataclass
class AtpLevel:
    kind: str  # single | batch
    with_orders: bool
    result: LevelResult  # the ATP requests; usage: server + database over the window
    orders: LevelResult | None = None  # the order load over the same window
    spread: list[int] = field(default_factory=list)  # client connections per worker

    @property
    def target_ms(self) -> float:
        return TARGETS_MS[self.kind]

    @property
    def met(self) -> bool:
        return self.result.error_count == 0 and self.result.percentile(99) < self.target_ms

    @property
    def loadgen_cpu_s(self) -> float:
        return self.result.cpu_s + (self.orders.cpu_s if self.orders else 0.0)

    @property
    def server_percent(self) -> float | None:
        usage = self.result.usage
        return None if usage is None else 100.0 * usage.server_s / usage.wall_s

    @property
    def server_ms_per_request(self) -> float | None:
        """Only alone: with orders alongside, the server's CPU serves both."""
        return None if self.with_orders else self.result.server_ms_per_order

    @property
    def other_percent(self) -> float | None:
        usage = self.result.usage
        if usage is None or not usage.machine_s:
            return None
        other = usage.machine_s - usage.server_s - self.loadgen_cpu_s
        return max(0.0, 100.0 * other / usage.wall_s)


@dataclass
class AtpRun:
    version: str
    spec: AtpSpec
    data: AtpData | None = None
    levels: list[AtpLevel] = field(default_factory=list)
    orders_confirmed: int = 0
    order_transport_errors: int = 0
    orders_in_db: int = 0
    drift: int = -1  # -1: not checked
    answers_checked: int = 0

    @property
    def verified(self) -> bool:
        counted = self.order_transport_errors > 0 or self.orders_in_db == self.orders_confirmed
        return (self.drift == 0 and counted and self.answers_checked > 0
                and all(level.result.error_count == 0 for level in self.levels))


class _Phase:
    WARMUP, MEASURE, DONE = range(3)


def _bad_answer(kind: str, payload: bytes, asked: list[str], channel: str) -> str | None:
    """Why an answer does not answer the question, or None."""
    body = orjson.loads(payload)
    items = body["items"] if kind == "batch" else [body]
    if [item["sku"] for item in items] != asked:
        return "wrong SKUs"
    if any(item["channel"] != channel or item["available"] < 0 for item in items):
        return "wrong channel or negative availability"
    return None


async def run_atp_level(
    base_url: str, data: AtpData, *, kind: str, concurrency: int, duration_s: float,
    warmup_s: float, seed: int, meter: CpuMeter | None = None,
    probe: Callable[[], list[int]] | None = None,
) -> tuple[LevelResult, int, list[int]]:
    """Like ``bench.load.run_level``, for ATP requests: (result, answers checked, what
    ``probe`` said when the measured window began)."""
    headers = {"Authorization": f"Bearer {data.api_key}"}
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    checked = 0
    phase = _Phase.WARMUP
    single_url = f"{base_url}/api/v1/availability"
    batch_url = f"{base_url}/api/v1/availability/batch"
    post_headers = {"Content-Type": "application/json"}

    async def worker(session: aiohttp.ClientSession, index: int) -> None:
        nonlocal checked
        rng = random.Random(seed * 10_007 + index)
        sent = 0
        await asyncio.sleep(index * CONNECT_STAGGER_S)
        while phase != _Phase.DONE:
            channel = rng.choice(data.channels)
            if kind == "single":
                asked = [rng.choice(data.skus)]
                request = session.get(f"{single_url}?sku={asked[0]}&channel={channel}")
            else:
                asked = rng.sample(data.skus, BATCH_SIZE)
                request = session.post(batch_url, headers=post_headers, data=orjson.dumps(
                    {"channel": channel, "skus": asked}))
            started = time.perf_counter()
            try:
                async with request as response:
                    payload = await response.read()
                    outcome: int | str = response.status
            except (TimeoutError, aiohttp.ClientError) as exc:
                outcome, payload = type(exc).__name__, b""
            elapsed_ms = (time.perf_counter() - started) * 1000
            bad = None
            if outcome == 200 and sent % CHECK_EVERY == 0:
                checked += 1
                bad = _bad_answer(kind, payload, asked, channel)
            sent += 1
            if bad is not None:
                errors[bad] += 1  # whatever the phase: a wrong answer is never warm-up
            elif phase == _Phase.MEASURE:
                if outcome == 200:
                    latencies.append(elapsed_ms)
                else:
                    errors[str(outcome)] += 1

    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, headers=headers,
                                     timeout=timeout) as session:
        tasks = [asyncio.create_task(worker(session, i)) for i in range(concurrency)]
        try:
            await asyncio.sleep(warmup_s)
            phase = _Phase.MEASURE
            probed = probe() if probe is not None else []
            if meter is not None:
                meter.start()
            wall0, cpu0 = time.perf_counter(), time.process_time()
            await asyncio.sleep(duration_s)
            phase = _Phase.DONE
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            usage: CpuUsage | None = meter.stop() if meter is not None else None
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
    return LevelResult(concurrency, wall, latencies, errors, cpu, usage), checked, probed


def _orders_in_child(queue, base_url: str, data: AtpData, concurrency: int, rate: float,
                     duration_s: float, warmup_s: float, seed: int) -> None:
    ledger = Ledger()
    result = asyncio.run(run_level(base_url, data.shop(), ledger, concurrency=concurrency,
                                   duration_s=duration_s, warmup_s=warmup_s, seed=seed,
                                   rate=rate or None))
    queue.put((result, ledger.orders, ledger.transport_errors))


class OrderLoad:
    """Orders placed by a separate process (forked, so it shares nothing with the ATP
    clients' event loop) over the same warm-up and measured window as one ATP level:
    ``rate`` orders/s from up to ``concurrency`` clients (rate 0: back to back)."""

    def __init__(self, base_url: str, data: AtpData, concurrency: int, rate: float,
                 duration_s: float, warmup_s: float, seed: int) -> None:
        context = multiprocessing.get_context("fork")
        self.queue = context.Queue()
        self.process = context.Process(
            target=_orders_in_child, daemon=True,
            args=(self.queue, base_url, data, concurrency, rate, duration_s, warmup_s, seed))

    def __enter__(self) -> OrderLoad:
        self.process.start()
        return self

    def result(self) -> tuple[LevelResult, int, int]:
        """(the measured window, orders confirmed in all, transport errors)."""
        found = self.queue.get(timeout=REQUEST_TIMEOUT_S * 2)
        self.process.join(timeout=REQUEST_TIMEOUT_S)
        return found

    def __exit__(self, *exc: object) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=10)


@dataclass(frozen=True)
class AtpOptions:
    postgres_url: str
    spec: AtpSpec
    concurrency: list[int]
    order_concurrency: int
    order_rate: float  # orders/s alongside; 0: as fast as order_concurrency clients go
    duration_s: float
    warmup_s: float
    workers: int


def run_atp(options: AtpOptions, version: str, fresh_database,
            say: Callable[[str], None]) -> AtpRun:
    """Generate, serve, measure, check. ``fresh_database`` is ``bench.database``'s."""
    run = AtpRun(version, options.spec)
    seed = options.spec.seed
    with fresh_database("postgres", options.postgres_url) as url:
        data = run.data = generate(url, options.spec, progress=lambda s: say(f"  {s}..."))
        say(f"generated {options.spec.skus:,} SKUs x {options.spec.locations} locations "
            f"in {data.seconds:.1f}s ("
            + ", ".join(f"{name} {s:.1f}s" for name, s in data.timings.items()) + ")")
        with running_server(url, options.workers) as server:
            say(f"server {server.base_url}: supervisor pid {server.pid}, "
                f"workers {server.worker_pids()}")
            pg_name = make_url(url).database
            meter = CpuMeter(lambda: server.process_ids() + postgres_backends(pg_name))
            level_no = 0
            for with_orders in (False, True):
                for kind in KINDS:
                    for concurrency in options.concurrency:
                        level_no += 1
                        level = _one_level(server, data, run, options, meter, kind,
                                           concurrency, with_orders, seed + level_no)
                        run.levels.append(level)
                        say(_level_line(level))
        say("checking orders and the ledger...")
        checked = check(url)
    run.orders_in_db = checked.orders_in_db
    run.drift = checked.drift
    return run


def _one_level(server: Server, data: AtpData, run: AtpRun, options: AtpOptions,
               meter: CpuMeter, kind: str, concurrency: int, with_orders: bool,
               seed: int) -> AtpLevel:
    def measure() -> AtpLevel:
        result, checked, spread = asyncio.run(run_atp_level(
            server.base_url, data, kind=kind, concurrency=concurrency,
            duration_s=options.duration_s, warmup_s=options.warmup_s, seed=seed, meter=meter,
            probe=server.connections_per_worker))
        run.answers_checked += checked
        return AtpLevel(kind, with_orders, result, spread=spread)

    if not with_orders:
        return measure()
    with OrderLoad(server.base_url, data, options.order_concurrency, options.order_rate,
                   options.duration_s, options.warmup_s, seed) as orders:
        level = measure()
        level.orders, confirmed, transport_errors = orders.result()
    run.orders_confirmed += confirmed
    run.order_transport_errors += transport_errors
    return level


def _level_line(level: AtpLevel) -> str:
    r = level.result
    line = (f"  {level.kind:<6} c={r.concurrency:<3} {r.throughput:7.1f} req/s  "
            f"p50 {r.percentile(50):7.1f} ms  p99 {r.percentile(99):7.1f} ms "
            f"({'met' if level.met else 'MISSED'}: < {level.target_ms:g})  "
            f"errors {r.error_count}  loadgen CPU {100 * level.loadgen_cpu_s / r.duration_s:.0f}%"
            f"  connections per worker {'/'.join(map(str, level.spread)) or '?'}")
    if level.orders is not None:
        o = level.orders
        line += (f"  | orders {o.throughput:.0f}/s p99 {o.percentile(99):.0f} ms "
                 f"errors {o.error_count}")
    if r.errors:
        line += f"\n    errors: {dict(r.errors)}"
    return line
