"""The load generator: N asyncio tasks posting 3-line orders over keep-alive HTTP/1.1.

It uses aiohttp: measured here against the same server, its client costs about a third
of the CPU per request that an httpx AsyncClient does, and every core the load
generator takes is a core the server under test does not get.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
import httpx
import orjson

from bench.cpu import CpuMeter, CpuUsage
from bench.seed import Shop

LINES_PER_ORDER = 3
CUSTOMER_POOL = 5_000
REQUEST_TIMEOUT_S = 60.0
FIRST_NAMES = ("Ada", "Ben", "Chloé", "Dev", "Emre", "Fatima", "Gus", "Hana", "Ivo", "Jun")
LAST_NAMES = ("Novak", "Okafor", "Park", "Quinn", "Rossi", "Sato", "Tan", "Urban", "Weber")
CITIES = (("Berlin", "10115", "DE"), ("Paris", "75002", "FR"), ("Amsterdam", "1012", "NL"),
          ("Madrid", "28013", "ES"), ("Milano", "20121", "IT"), ("Wien", "1010", "AT"))


@dataclass
class Ledger:
    """Everything the server confirmed with 201, warm-up included: for the checks."""

    orders: int = 0
    reserved: Counter[str] = field(default_factory=Counter)  # units per SKU
    transport_errors: int = 0  # the server may or may not have placed these


@dataclass
class LevelResult:
    concurrency: int
    duration_s: float
    latencies_ms: list[float]
    errors: Counter[str]
    cpu_s: float  # the load generator's own CPU time
    usage: CpuUsage | None = None  # the server's and the whole machine's, when known

    @property
    def successes(self) -> int:
        return len(self.latencies_ms)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def throughput(self) -> float:
        return self.successes / self.duration_s if self.duration_s else 0.0

    @property
    def cpu_percent(self) -> float:
        """The load generator's CPU time over wall time, in % of one core."""
        return 100.0 * self.cpu_s / self.duration_s if self.duration_s else 0.0

    @property
    def server_ms_per_order(self) -> float | None:
        """CPU of the API server and its database backends per confirmed order."""
        if self.usage is None or not self.successes:
            return None
        return 1000.0 * self.usage.server_s / self.successes

    @property
    def other_percent(self) -> float | None:
        """CPU used by everything else on the machine, in % of one core."""
        if self.usage is None or not self.usage.machine_s:
            return None
        other = self.usage.machine_s - self.usage.server_s - self.cpu_s
        return max(0.0, 100.0 * other / self.duration_s)

    def percentile(self, q: int) -> float:
        if not self.latencies_ms:
            return float("nan")
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[q - 1]


class OrderFactory:
    """Random but reproducible orders: 3 distinct seeded SKUs, a customer from a pool."""

    def __init__(self, shop: Shop, rng: random.Random, hot_sku: str | None = None) -> None:
        self.shop = shop
        self.rng = rng
        self.hot_sku = hot_sku  # a flash sale: every order wants this SKU too
        self.others = [sku for sku in shop.skus if sku != hot_sku]

    def customer(self) -> tuple[dict, dict]:
        n = self.rng.randrange(CUSTOMER_POOL)
        name = f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[n % len(LAST_NAMES)]}"
        city, postal_code, country = CITIES[n % len(CITIES)]
        customer = {"email": f"customer{n:05d}@example.com", "name": name}
        address = {"name": name, "line1": f"Benchstraße {n % 200 + 1}", "city": city,
                   "postal_code": postal_code, "country": country}
        return customer, address

    def order(self) -> tuple[bytes, list[tuple[str, int]]]:
        if self.hot_sku is None:
            skus = self.rng.sample(self.shop.skus, LINES_PER_ORDER)
        else:
            skus = [self.hot_sku, *self.rng.sample(self.others, LINES_PER_ORDER - 1)]
        lines = [(sku, self.rng.randint(1, 3)) for sku in skus]
        customer, address = self.customer()
        body = {
            "channel": self.shop.channel,
            "customer": customer,
            "shipping_address": address,
            "lines": [{"sku": sku, "quantity": qty, "unit_price": str(self.shop.prices[sku])}
                      for sku, qty in lines],
            "shipping_price": "4.95",
        }
        return orjson.dumps(body), lines


class _Phase:
    WARMUP, MEASURE, DONE = range(3)


async def run_level(
    base_url: str, shop: Shop, ledger: Ledger, *, concurrency: int, duration_s: float,
    warmup_s: float, seed: int, meter: CpuMeter | None = None, rate: float | None = None,
    hot_sku: str | None = None,
) -> LevelResult:
    """Warm up for ``warmup_s``, then measure for ``duration_s``: only requests that
    complete inside the measured window count, with their latency from send to response.

    With ``rate`` (orders/s) the clients send on a schedule instead of back to back; a
    slot missed because all clients are busy is skipped, not made up later."""
    headers = {"Authorization": f"Bearer {shop.api_key}", "Content-Type": "application/json"}
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    phase = _Phase.WARMUP
    next_slot = time.perf_counter()

    async def pace() -> None:
        nonlocal next_slot
        now = time.perf_counter()
        slot = max(next_slot, now)
        next_slot = slot + 1.0 / rate
        await asyncio.sleep(slot - now)

    async def worker(session: aiohttp.ClientSession, index: int) -> None:
        factory = OrderFactory(shop, random.Random(seed * 10_007 + index), hot_sku)
        url = f"{base_url}/api/v1/orders"
        while phase != _Phase.DONE:
            if rate:
                await pace()
                if phase == _Phase.DONE:
                    break
            body, lines = factory.order()
            key = {"Idempotency-Key": uuid.uuid4().hex}
            started = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=key) as response:
                    await response.read()
                    outcome: int | str = response.status
            except (TimeoutError, aiohttp.ClientError) as exc:
                outcome = type(exc).__name__
                ledger.transport_errors += 1
            elapsed_ms = (time.perf_counter() - started) * 1000
            if outcome == 201:
                ledger.orders += 1
                for sku, qty in lines:
                    ledger.reserved[sku] += qty
            if phase == _Phase.MEASURE:
                if outcome == 201:
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
            if meter is not None:
                meter.start()
            wall0, cpu0 = time.perf_counter(), time.process_time()
            await asyncio.sleep(duration_s)
            phase = _Phase.DONE
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            usage = meter.stop() if meter is not None else None
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
    return LevelResult(concurrency, wall, latencies, errors, cpu, usage)


@dataclass(frozen=True)
class StockCheck:
    skus_checked: int
    mismatches: list[str]


async def check_stock(base_url: str, shop: Shop, ledger: Ledger) -> StockCheck:
    """GET /api/v1/inventory/{sku} for every seeded SKU: on hand must be untouched and
    reserved must equal what the 201s confirmed (at least that, after transport errors)."""
    headers = {"Authorization": f"Bearer {shop.api_key}"}
    mismatches: list[str] = []
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=base_url, headers=headers,
                                 timeout=REQUEST_TIMEOUT_S) as client:

        async def one(sku: str) -> None:
            async with gate:
                response = await client.get(f"/api/v1/inventory/{sku}")
            if response.status_code != 200:
                mismatches.append(f"{sku}: HTTP {response.status_code}")
                return
            totals = response.json()["totals"]
            want = ledger.reserved[sku]
            exact = ledger.transport_errors == 0
            if totals["on_hand"] != shop.on_hand[sku] or (
                totals["reserved"] != want if exact else totals["reserved"] < want
            ):
                mismatches.append(f"{sku}: on_hand {totals['on_hand']} (seeded "
                                  f"{shop.on_hand[sku]}), reserved {totals['reserved']} "
                                  f"(confirmed {want})")

        await asyncio.gather(*(one(sku) for sku in shop.skus))
    return StockCheck(len(shop.skus), mismatches)
