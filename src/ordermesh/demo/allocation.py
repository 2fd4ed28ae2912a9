"""The demo shop's allocation settings and supply pipeline, set up once the six weeks of
orders are in: which locations serve which channel, safety stock, a marketplace quota
and exclusion, stock policies, purchase orders on their way, a transfer in transit and
a few customer returns announced. Everything goes through the public use cases."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from ordermesh.catalog.tables import products
from ordermesh.demo.catalogue import CENTRAL, MUNICH, PRODUCTS, STORES, THREE_PL
from ordermesh.inventory import rules
from ordermesh.inventory.allocation import RuleKind
from ordermesh.inventory.model import SkuQuantity
from ordermesh.inventory.supply import NewSupply, SupplyKind, create_supply
from ordermesh.inventory.tables import stock
from ordermesh.inventory.transfers import ShipTransfer, ship_transfer
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict
from ordermesh.locations.tables import locations

LEAD_TIME_DAYS = {"Furniture": 42, "Rugs": 35, "Lighting": 28, "Gourmet": 7, "Books": 10}


def _free_stock(uow: UnitOfWork) -> list[tuple[str, str, int, int]]:
    """(sku, location code, on hand, free) of every stock row, most free first."""
    rows = uow.execute(
        select(products.c.sku, locations.c.code, stock.c.on_hand,
               stock.c.on_hand - stock.c.reserved)
        .join(products, products.c.id == stock.c.product_id)
        .join(locations, locations.c.id == stock.c.location_id)
        .order_by((stock.c.on_hand - stock.c.reserved).desc(), products.c.sku, locations.c.code))
    return [tuple(r) for r in rows]


def set_up_allocation(uow_at: Callable[[datetime], UnitOfWork], now: datetime,
                      seed: int) -> str:
    """Apply the settings at ``now``; says what it did, in one line."""
    rng = random.Random(seed)
    at = now - timedelta(hours=1)

    def run(work) -> None:
        with uow_at(at) as uow:
            work(uow)

    run(lambda u: rules.set_channel_sources(u, rules.ChannelSources("pos", [], ["store"], [])))
    run(lambda u: rules.set_channel_sources(
        u, rules.ChannelSources("web-uk", [CENTRAL, THREE_PL], [], [])))
    run(lambda u: rules.set_safety_default(u, CENTRAL, None, 2))
    for store in STORES:
        run(lambda u, s=store: rules.set_safety_default(u, s, None, 1))
    run(lambda u: rules.create_rule(u, rules.CreateRule(
        "amazon-de", RuleKind.QUOTA, category="Candles", share_bp=3000)))
    run(lambda u: rules.create_rule(u, rules.CreateRule(
        "amazon-de", RuleKind.EXCLUDE, category="Furniture")))
    for p in PRODUCTS:
        threshold = max(2, round(p.popularity * 4))
        lead = LEAD_TIME_DAYS.get(p.category, 21)
        run(lambda u, sku=p.sku, t=threshold, d=lead: rules.set_stock_policy(
            u, rules.StockPolicy(sku, t, d)))

    with uow_at(at) as uow:
        rows = _free_stock(uow)
    low = [r for r in reversed(rows) if r[1] == CENTRAL][:12]
    for sku, code, _, _ in low:
        days = rng.randint(3, 25)
        run(lambda u, s=sku, c=code, d=days: create_supply(u, NewSupply(
            s, c, rng.choice([24, 48, 60, 96]), (now + timedelta(days=d)).date(),
            SupplyKind.PURCHASE_ORDER, f"PO-{rng.randint(4000, 4999)}")))
    returns = [r for r in rows if r[1] in (CENTRAL, MUNICH)][:3]
    for sku, code, _, _ in returns:
        run(lambda u, s=sku, c=code: create_supply(u, NewSupply(
            s, c, 1, (now + timedelta(days=4)).date(), SupplyKind.RETURN, "RMA-demo")))
    movable = [SkuQuantity(sku, min(6, free // 4)) for sku, code, _, free in rows
               if code == CENTRAL and free >= 12][:4]
    shipped = 0
    if movable:
        try:
            run(lambda u: ship_transfer(u, ShipTransfer(
                CENTRAL, MUNICH, movable, (now + timedelta(days=2)).date(), "REPL-demo")))
            shipped = sum(m.quantity for m in movable)
        except Conflict:
            shipped = 0
    return (f"allocation: 2 channel sources, 2 rules, safety stock at {1 + len(STORES)} "
            f"locations; {len(low)} purchase orders, {len(returns)} returns expected, "
            f"{shipped} units in transit")
