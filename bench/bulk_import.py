"""Bulk import: ``ordermesh import`` of a generated JSON-lines file, timed end to end.

The file is made by ``generate`` (also ``python -m bench.bulk_import N FILE`` against the
benchmark shop's SKUs): 3-line orders with a customer, an address and a unique
``external_id``, from a fixed seed; one order in ten comes from one of twenty repeat
customers. The command runs as a user would run it, in its own
process; afterwards the orders in the database are counted, the ledger is checked for
drift and the stock of every SKU must be reserved by exactly what the file ordered.
Then the file is imported a second time: every order must be found already there and
nothing may change.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import orjson
from sqlalchemy import func, select

from bench.load import OrderFactory
from bench.seed import CHANNEL, SKU_COUNT, Shop, check_ledger
from ordermesh.catalog.tables import products
from ordermesh.inventory.tables import stock
from ordermesh.kit.db import build_engine

SUMMARY = re.compile(r"(\d+) orders read: (\d+) placed, (\d+) already there, (\d+) refused")
# Every REGULAR_EVERY-th order comes from one of REGULARS repeat customers, so that some
# customers have a full page of orders already in a small history (see bench/growth.py).
REGULARS, REGULAR_EVERY = 20, 10


def generate(shop_skus: list[str], prices: dict[str, object], count: int, path: Path,
             seed: int) -> Counter[str]:
    """Write ``count`` orders to ``path``; returns the units ordered per SKU."""
    shop = Shop(url="", api_key="", channel=CHANNEL, skus=shop_skus, prices=prices,
                on_hand={})
    factory = OrderFactory(shop, random.Random(seed))
    units: Counter[str] = Counter()
    with path.open("wb") as out:
        for n in range(count):
            body, lines = factory.order()
            order = orjson.loads(body)
            order["external_id"] = f"IMP-{n:07d}"
            if n % REGULAR_EVERY == 0:
                regular = n // REGULAR_EVERY % REGULARS
                order["customer"]["email"] = f"regular{regular:02d}@example.com"
            out.write(orjson.dumps(order) + b"\n")
            for sku, quantity in lines:
                units[sku] += quantity
    return units


@dataclass
class ImportRun:
    kind: str
    version: str
    orders: int
    jobs: int
    seconds: float = 0.0
    placed: int = 0
    refused: int = 0
    orders_in_db: int = 0
    drift: int = 0
    stock_mismatches: int = 0
    second_pass: tuple[int, int, int] = (0, 0, 0)  # placed, already there, refused
    second_seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.placed / self.seconds if self.seconds else 0.0

    @property
    def verified(self) -> bool:
        return (self.placed == self.orders == self.orders_in_db and self.refused == 0
                and self.drift == 0 and self.stock_mismatches == 0
                and self.second_pass == (0, self.orders, 0))


def _import(url: str, path: Path, jobs: int) -> tuple[float, tuple[int, int, int]]:
    env = {**os.environ, "ORDERMESH_DATABASE_URL": url, "COLUMNS": "200"}
    started = time.perf_counter()
    command = Path(sys.executable).parent / "ordermesh"
    done = subprocess.run([str(command), "import", str(path), "--jobs", str(jobs)], env=env,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    found = SUMMARY.search(done.stdout)
    if found is None:
        raise RuntimeError(f"ordermesh import printed no summary:\n{done.stdout}\n"
                           f"{done.stderr}")
    _, placed, there, refused = (int(g) for g in found.groups())
    return seconds, (placed, there, refused)


def run_import(run: ImportRun, url: str, shop: Shop, path: Path, seed: int) -> ImportRun:
    units = generate(shop.skus, shop.prices, run.orders, path, seed)
    run.seconds, (run.placed, _, run.refused) = _import(url, path, run.jobs)
    engine = build_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            reserved = dict(conn.execute(select(stock.c.product_id, func.sum(stock.c.reserved))
                                         .group_by(stock.c.product_id)).all())
            sku_of = dict(conn.execute(select(products.c.id, products.c.sku)).all())
    finally:
        engine.dispose()
    got = {sku_of[p]: int(r or 0) for p, r in reserved.items()}
    run.stock_mismatches = sum(1 for sku in shop.skus if got.get(sku, 0) != units[sku])
    checked = check_ledger(url)
    run.orders_in_db, run.drift = checked.orders_in_db, checked.drift
    run.second_seconds, run.second_pass = _import(url, path, run.jobs)
    return run


def import_lines(runs: list[ImportRun]) -> list[str]:
    out = []
    for run in runs:
        verdict = "OK" if run.verified else "FAILED"
        placed, there, refused = run.second_pass
        out.append(
            f"{run.kind}: {verdict}: {run.placed:,} of {run.orders:,} orders placed in "
            f"{run.seconds:.1f} s with --jobs {run.jobs}: **{run.rate:.0f} orders/s** "
            f"(target: 10,000); {run.refused} refused; {run.orders_in_db:,} orders in the "
            f"database; reserved stock of all {SKU_COUNT:,} SKUs equal to what the file "
            f"ordered ({run.stock_mismatches} mismatches); ledger drift in {run.drift} rows. "
            f"Imported again: {placed} placed, {there:,} already there, {refused} refused, "
            f"in {run.second_seconds:.1f} s")
    return out


def main(argv: list[str]) -> int:
    """``python -m bench.bulk_import N FILE``: N orders for the benchmark shop's SKUs."""
    count, path = int(argv[0]), Path(argv[1])
    skus = [f"BENCH-{i:05d}" for i in range(SKU_COUNT)]
    rng = random.Random(20_261_126)
    prices = {sku: f"{rng.randint(199, 19_999) / 100:.2f}" for sku in skus}
    generate(skus, prices, count, path, seed=1)
    print(f"wrote {count:,} orders to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
