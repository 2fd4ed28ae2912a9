"""The hot SKU: every order wants the same SKU, as in a flash sale.

Per database: the spread-out load (3 random SKUs per order) and the hot load (the same
SKU in every order, plus 2 random ones) at the same concurrency on the same server; the
hot rate as a share of the spread-out rate is what row-lock contention on one stock row
costs. Then a sell-out: ``SELL_OUT_UNITS`` units of a new SKU, ``SELL_OUT_BUYERS``
concurrent one-unit orders for it; exactly that many may succeed, the rest must be
refused (409) and the SKU's stock must read back fully reserved, never more.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

from bench.load import Ledger, LevelResult, check_stock, run_level
from bench.seed import CHANNEL, Shop, check_ledger, seed_shop
from bench.server import running_server

SELL_OUT_SKU = "FLASH-SALE-1"
SELL_OUT_UNITS = 100
SELL_OUT_BUYERS = 400
SELL_OUT_CONCURRENCY = 32


@dataclass
class SellOut:
    units: int
    buyers: int
    statuses: Counter[str] = field(default_factory=Counter)
    on_hand: int = -1
    reserved: int = -1

    @property
    def verified(self) -> bool:
        return (self.statuses.get("201", 0) == self.units == self.reserved == self.on_hand
                and self.statuses.get("409", 0) == self.buyers - self.units)


@dataclass
class HotRun:
    kind: str
    version: str
    spread: LevelResult | None = None
    hot: LevelResult | None = None
    sell_out: SellOut | None = None
    stock_mismatches: int = 0
    drift: int = 0

    @property
    def share(self) -> float:
        if not self.spread or not self.hot or not self.spread.throughput:
            return 0.0
        return self.hot.throughput / self.spread.throughput

    @property
    def verified(self) -> bool:
        return (self.sell_out is not None and self.sell_out.verified
                and self.stock_mismatches == 0 and self.drift == 0)


async def sell_out(base_url: str, shop: Shop) -> SellOut:
    """A new SKU with ``SELL_OUT_UNITS`` units at one location, then ``SELL_OUT_BUYERS``
    one-unit orders for it from ``SELL_OUT_CONCURRENCY`` clients at once."""
    result = SellOut(SELL_OUT_UNITS, SELL_OUT_BUYERS)
    headers = {"Authorization": f"Bearer {shop.api_key}"}
    async with aiohttp.ClientSession(base_url=base_url, headers=headers) as session:
        async with session.post("/api/v1/products", json={
                "sku": SELL_OUT_SKU, "name": "Flash sale item", "price": {
                    "amount": "9.99", "currency": "EUR"}}) as response:
            assert response.status == 201, await response.text()
        async with session.post("/api/v1/inventory/adjustments", json={
                "sku": SELL_OUT_SKU, "location": "ber", "quantity_delta": SELL_OUT_UNITS,
                "reason": "received"}) as response:
            assert response.status == 201, await response.text()
        gate = asyncio.Semaphore(SELL_OUT_CONCURRENCY)

        async def buy(n: int) -> None:
            body = {"channel": CHANNEL, "customer": {"email": f"flash{n}@example.com"},
                    "shipping_address": {"name": "Flash Buyer", "line1": "Benchstraße 1",
                                         "city": "Berlin", "postal_code": "10115",
                                         "country": "DE"},
                    "lines": [{"sku": SELL_OUT_SKU, "quantity": 1, "unit_price": "9.99"}]}
            async with gate, session.post("/api/v1/orders", json=body, headers={
                    "Idempotency-Key": uuid.uuid4().hex}) as response:
                await response.read()
                result.statuses[str(response.status)] += 1

        await asyncio.gather(*(buy(n) for n in range(SELL_OUT_BUYERS)))
        async with session.get(f"/api/v1/inventory/{SELL_OUT_SKU}") as response:
            totals = (await response.json())["totals"]
    result.on_hand, result.reserved = totals["on_hand"], totals["reserved"]
    return result


def run_hot_database(kind: str, version: str, url: str, seed: int, *, concurrency: int,
                     duration_s: float, warmup_s: float, workers: int, say) -> HotRun:
    run = HotRun(kind, version)
    shop = seed_shop(url, seed)
    with running_server(url, workers) as server:
        ledger = Ledger()
        run.spread = asyncio.run(run_level(server.base_url, shop, ledger,
                                           concurrency=concurrency, duration_s=duration_s,
                                           warmup_s=warmup_s, seed=seed))
        say(f"  spread out c={concurrency}: {run.spread.throughput:.1f} orders/s, "
            f"p99 {run.spread.percentile(99):.1f} ms")
        run.hot = asyncio.run(run_level(server.base_url, shop, ledger,
                                        concurrency=concurrency, duration_s=duration_s,
                                        warmup_s=warmup_s, seed=seed + 1,
                                        hot_sku=shop.skus[0]))
        say(f"  hot SKU    c={concurrency}: {run.hot.throughput:.1f} orders/s, "
            f"p99 {run.hot.percentile(99):.1f} ms, {run.share:.0%} of spread out")
        run.sell_out = asyncio.run(sell_out(server.base_url, shop))
        say(f"  sell-out: {dict(run.sell_out.statuses)}, stock on hand "
            f"{run.sell_out.on_hand}, reserved {run.sell_out.reserved}")
        stock = asyncio.run(check_stock(server.base_url, shop, ledger))
    run.stock_mismatches = len(stock.mismatches)
    run.drift = check_ledger(url).drift
    return run


def hot_lines(runs: list[HotRun]) -> list[str]:
    out = []
    for run in runs:
        s = run.sell_out
        verdict = "OK" if run.verified else "FAILED"
        out.append(
            f"{run.kind}: {verdict}: hot {run.hot.throughput:.0f} orders/s against spread out "
            f"{run.spread.throughput:.0f} at c={run.hot.concurrency}: {run.share:.0%} "
            f"(target: at least 50%); p99 {run.hot.percentile(99):.1f} ms against "
            f"{run.spread.percentile(99):.1f} ms. Sell-out: {s.buyers} buyers for {s.units} "
            f"units: {s.statuses.get('201', 0)} placed, {s.statuses.get('409', 0)} refused "
            f"with 409, other {sum(v for k, v in s.statuses.items() if k not in ('201', '409'))}"
            f"; stock read back: on hand {s.on_hand}, reserved {s.reserved}; stock of every "
            f"other SKU: {run.stock_mismatches} mismatches, ledger drift in {run.drift} rows")
    return out
