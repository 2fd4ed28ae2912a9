"""Seed a benchmark shop through the real service functions, and check it afterwards."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from ordermesh.apikeys.model import Role
from ordermesh.apikeys.service import create_api_key
from ordermesh.catalog.model import Product
from ordermesh.catalog.service import create_product
from ordermesh.channels.model import ChannelKind
from ordermesh.channels.service import CreateChannel, create_channel
from ordermesh.inventory.ledger import ledger_drift
from ordermesh.inventory.model import AdjustmentReason
from ordermesh.inventory.service import AdjustStock, adjust_stock
from ordermesh.kit.clock import SystemClock
from ordermesh.kit.db import UnitOfWork, build_engine
from ordermesh.kit.money import Money
from ordermesh.locations.model import Capability, Location, LocationKind
from ordermesh.locations.service import create_location
from ordermesh.orders.tables import orders

CHANNEL = "bench-web"
CURRENCY = "EUR"
LOCATIONS = ("ams", "ber", "par")
SKU_COUNT = 1_000
# Far more than a run can sell (~100 units per SKU per 10,000 orders), so no order is short.
MIN_STOCK, MAX_STOCK = 200_000, 1_000_000


@dataclass
class Shop:
    """What the load generator and the checks need to know about the seeded data."""

    url: str
    api_key: str
    channel: str
    skus: list[str]
    prices: dict[str, Decimal]
    on_hand: dict[str, int] = field(default_factory=dict)  # per SKU, all locations


def seed_shop(url: str, seed: int, progress=None) -> Shop:
    """A channel, three locations, ``SKU_COUNT`` products with large stock, an admin key.

    Everything goes through the service functions the API uses, so the ledger and the
    outbox are filled exactly as in production. ``progress(done, total)`` is optional.
    """
    rng = random.Random(seed)
    engine = build_engine(url, pool_size=1, max_overflow=0)
    clock = SystemClock()
    try:
        with UnitOfWork(engine, clock, actor="bench") as uow:
            create_channel(uow, CreateChannel(CHANNEL, "Benchmark web shop", ChannelKind.WEB,
                                              CURRENCY))
            for code in LOCATIONS:
                create_location(uow, Location(
                    id="", code=code, name=f"Warehouse {code.upper()}",
                    kind=LocationKind.WAREHOUSE, address=None, latitude=None, longitude=None,
                    capabilities=frozenset({Capability.SHIP}),
                ))
        skus = [f"BENCH-{i:05d}" for i in range(SKU_COUNT)]
        prices = {sku: Decimal(rng.randint(199, 19_999)) / 100 for sku in skus}
        on_hand: dict[str, int] = {}
        with UnitOfWork(engine, clock, actor="bench") as uow:
            # Each service call commits its own transaction; the unit of work only saves
            # checking a connection out of the pool 4,000 times.
            for done, sku in enumerate(skus, 1):
                create_product(uow, Product(id="", sku=sku, name=f"Benchmark product {sku}",
                                            price=Money.of(prices[sku], CURRENCY)))
                for code in LOCATIONS:
                    units = rng.randint(MIN_STOCK, MAX_STOCK)
                    adjust_stock(uow, AdjustStock(sku, code, units, AdjustmentReason.INITIAL))
                    uow.commit()
                    on_hand[sku] = on_hand.get(sku, 0) + units
                if progress is not None:
                    progress(done, len(skus))
        with UnitOfWork(engine, clock, actor="bench") as uow:
            _, secret = create_api_key(uow, "bench-admin", Role.ADMIN)
    finally:
        engine.dispose()
    return Shop(url=url, api_key=secret, channel=CHANNEL, skus=skus, prices=prices,
                on_hand=on_hand)


@dataclass(frozen=True)
class LedgerCheck:
    orders_in_db: int
    drift: int  # (product, location) pairs whose counters disagree with their ledger


def check_ledger(url: str) -> LedgerCheck:
    """Count the orders and compare every stock counter with the sum of its movements."""
    engine = build_engine(url, pool_size=1, max_overflow=0)
    try:
        with UnitOfWork(engine, SystemClock(), write=False) as uow:
            drift = ledger_drift(uow)
            count = uow.execute(select(func.count()).select_from(orders)).scalar_one()
    finally:
        engine.dispose()
    return LedgerCheck(orders_in_db=int(count), drift=len(drift))
