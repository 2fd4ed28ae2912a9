"""Stock for the demo, sized from the planned demand so the story comes out as intended.

Most SKUs end the six weeks with a comfortable buffer; a handful end nearly out of stock
and two sell out (their last baskets are turned away). Roughly half the supply is on the
shelves at the start, spread over the warehouses and a few units in each store; the rest
arrives in supplier deliveries on Monday mornings, and now and then a delivery of
glassware comes with breakage that is written off.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from ordermesh.catalog.model import Handling
from ordermesh.demo.catalogue import CENTRAL, PRODUCTS, STORES, DemoProduct, home_locations
from ordermesh.demo.timeline import PlannedOrder, local_time, window_days
from ordermesh.inventory.model import AdjustmentReason

SOLD_OUT_SKUS = 2
LOW_STOCK_SKUS = 6
INITIAL_SHARE = 0.55


@dataclass(frozen=True)
class StockMove:
    at: datetime
    sku: str
    location: str
    quantity: int  # negative for a write-off
    reason: AdjustmentReason
    note: str


def _supply(rng: random.Random, demand: dict[str, int]) -> tuple[dict[str, int], list[str]]:
    """Units per SKU over the six weeks, and the SKUs that sell out."""
    candidates = [p for p in PRODUCTS
                  if demand[p.sku] >= 4 and not p.has(Handling.OVERSIZE)]
    picked = rng.sample(candidates, SOLD_OUT_SKUS + LOW_STOCK_SKUS)
    sold_out, low = picked[:SOLD_OUT_SKUS], picked[SOLD_OUT_SKUS:]
    supply = {}
    for p in PRODUCTS:
        want = demand[p.sku]
        if p in sold_out:
            supply[p.sku] = max(1, want - rng.randint(1, 3))
        elif p in low:
            supply[p.sku] = want + rng.randint(0, 2)
        elif p.has(Handling.OVERSIZE):
            supply[p.sku] = want + rng.randint(1, 4)
        elif p.price < 100:
            supply[p.sku] = want + rng.randint(6, 30)
        else:
            supply[p.sku] = want + rng.randint(3, 12)
    return supply, [p.sku for p in sold_out]


def _spread(rng: random.Random, product: DemoProduct, units: int) -> dict[str, int]:
    """Opening stock per location: a few units per store, a share per regional warehouse."""
    where = home_locations(product)
    if len(where) == 1:
        return {where[0]: units}
    shares: dict[str, int] = {}
    left = units
    for location in where[1:]:
        if location in STORES:
            take = rng.randint(1, 4) if rng.random() < 0.6 else 0
        else:
            take = round(units * rng.uniform(0.12, 0.25))
        take = min(take, left)
        shares[location] = take
        left -= take
    return {where[0]: left, **shares}


def plan_stock(
    rng: random.Random, now: datetime, orders: list[PlannedOrder]
) -> tuple[list[StockMove], list[StockMove], frozenset[str]]:
    """Opening stock (all before the first order), then deliveries and write-offs; and the
    SKUs that sell out (backorderable: the web shop and the phone desk sell them short)."""
    demand = {p.sku: 0 for p in PRODUCTS}
    for order in orders:
        for line in order.cmd.lines:
            demand[line.sku] += line.quantity
    supply, sold_out = _supply(rng, demand)
    days = window_days(now)
    opening_at = local_time(days[0] - timedelta(days=1), 7)
    mondays = [local_time(d, 6, 30) for d in days[1:] if d.weekday() == 0]
    mondays = [at for at in mondays if at < now]
    opening: list[StockMove] = []
    later: list[StockMove] = []
    for p in PRODUCTS:
        units = supply[p.sku]
        first = units if units <= 8 or p.has(Handling.OVERSIZE) or not mondays else (
            math.ceil(units * INITIAL_SHARE))
        for location, quantity in _spread(rng, p, first).items():
            if quantity > 0:
                opening.append(StockMove(opening_at, p.sku, location, quantity,
                                         AdjustmentReason.INITIAL, "Opening stock count"))
        rest = units - first
        if rest <= 0:
            continue
        every = 1 if rest >= 4 * len(mondays) else 2  # fast movers weekly, others fortnightly
        slots = mondays[rng.randrange(every)::every] or mondays
        per = math.ceil(rest / len(slots))
        home = home_locations(p)[0]
        for at in slots:
            quantity = min(per, rest)
            if quantity <= 0:
                break
            po = f"PO-{at:%Y}-{rng.randint(1000, 9999)}"
            later.append(StockMove(at, p.sku, home, quantity, AdjustmentReason.RECEIVED,
                                   f"Supplier delivery {po}"))
            rest -= quantity
    breakable = [m for m in later if m.location == CENTRAL and m.quantity >= 3
                 and next(p for p in PRODUCTS if p.sku == m.sku).has(Handling.FRAGILE)]
    for delivery in rng.sample(breakable, min(3, len(breakable))):
        broken = rng.randint(1, 2)
        later.append(StockMove(delivery.at + timedelta(minutes=50), delivery.sku, CENTRAL,
                               -broken, AdjustmentReason.DAMAGED,
                               f"{broken} broken on arrival ({delivery.note.split()[-1]})"))
    return opening, later, frozenset(sold_out)
