"""Load the demo through the public use cases, one unit of work each, in time order.

Everything is planned first (``build_plan``: pure, deterministic for a seed) and then
replayed against the services with a ``FixedClock`` set to each event's time, so orders,
histories, ledger movements and events carry realistic past timestamps.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from rich.console import Console

from ordermesh.catalog.model import Dimensions, Product
from ordermesh.catalog.service import create_product
from ordermesh.channels.service import CreateChannel, create_channel, list_channels
from ordermesh.demo import money
from ordermesh.demo.allocation import set_up_allocation
from ordermesh.demo.catalogue import CHANNELS, LOCATIONS, PRODUCTS
from ordermesh.demo.money_plan import MoneyStep, Pay, plan_money
from ordermesh.demo.packing import set_up_packing
from ordermesh.demo.people import make_people
from ordermesh.demo.stocking import StockMove, plan_stock
from ordermesh.demo.timeline import (
    PlannedChange,
    PlannedOrder,
    plan_changes,
    plan_orders,
    price_lists,
)
from ordermesh.http.deps import Container
from ordermesh.inventory.service import AdjustStock, adjust_stock
from ordermesh.kit.clock import FixedClock
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InsufficientStock
from ordermesh.kit.money import Money
from ordermesh.locations.model import Location
from ordermesh.locations.service import create_location
from ordermesh.orders.changes import cancel_order, hold_order
from ordermesh.orders.queries import OrderFilter, list_orders
from ordermesh.orders.service import place_order

ACTOR = "demo"
PEOPLE = 200

Event = StockMove | PlannedOrder | PlannedChange | MoneyStep


@dataclass(frozen=True)
class Plan:
    setup_at: datetime
    opening_stock: list[StockMove]
    events: list[Event]  # in time order
    prices: dict[str, dict[str, Decimal]]  # per channel and SKU

    @property
    def orders(self) -> list[PlannedOrder]:
        return [e for e in self.events if isinstance(e, PlannedOrder)]


def build_plan(seed: int, now: datetime) -> Plan:
    rng = random.Random(seed)
    people = make_people(rng, PEOPLE)
    prices = price_lists(rng)
    orders = plan_orders(rng, now, people, prices)
    changes = plan_changes(rng, now, orders)
    opening, deliveries = plan_stock(rng, now, orders)
    steps = plan_money(rng, now, orders, changes)
    # Stock arrives before the orders of the same instant; checkout payments follow their
    # order, then changes, then the rest of what happens to the money.
    events: list[Event] = sorted([*deliveries, *orders, *changes, *steps],
                                 key=lambda e: (e.at, _rank(e)))
    setup_at = opening[0].at - timedelta(days=2) if opening else now
    return Plan(setup_at, opening, events, prices)


def _rank(event: Event) -> int:
    for rank, kind in enumerate((StockMove, PlannedOrder, Pay, PlannedChange)):
        if isinstance(event, kind):
            return rank
    return 4


def has_orders(container: Container) -> bool:
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        return bool(list_orders(uow, OrderFilter(), limit=1).items)


class _Loader:
    def __init__(self, container: Container) -> None:
        self.container = container
        self.clock = FixedClock(container.clock.now())
        self.order_ids: dict[int, str] = {}
        self.customers: set[str] = set()
        self.counts = {"skipped": 0, "deliveries": 0, "written_off": 0, "cancelled": 0,
                       "partly_cancelled": 0, "held": 0}
        self.money = money.MoneyLoader(self.uow)

    def uow(self, at: datetime) -> UnitOfWork:
        self.clock.set(at)
        return UnitOfWork(self.container.engine, self.clock, actor=ACTOR)

    def refuse_if_loaded(self) -> None:
        with UnitOfWork(self.container.engine, self.container.clock, write=False) as uow:
            existing = {c.code for c in list_channels(uow)}
        clash = [c.code for c in CHANNELS if c.code in existing]
        if clash:
            raise Conflict(f"Demo data seems loaded already (channel '{clash[0]}' exists); "
                           "load it into an empty database")

    def reference_data(self, at: datetime) -> None:
        sellers = money.create_legal_entities(self.uow, at)
        for c in CHANNELS:
            with self.uow(at) as uow:
                create_channel(uow, CreateChannel(c.code, c.name, c.kind, c.currency,
                                                  money.channel_money(c.code, sellers)))
        for loc in LOCATIONS:
            with self.uow(at) as uow:
                create_location(uow, Location("", loc.code, loc.name, loc.kind, loc.address,
                                              loc.latitude, loc.longitude, loc.capabilities))
        for p in PRODUCTS:
            with self.uow(at) as uow:
                create_product(uow, Product(
                    "", p.sku, p.name, Money.of(p.price, "EUR"), p.tax_class, p.category,
                    p.weight_grams, Dimensions(*p.dimensions_mm), p.handling))

    def stock(self, move: StockMove) -> bool:
        try:
            with self.uow(move.at) as uow:
                adjust_stock(uow, AdjustStock(move.sku, move.location, move.quantity,
                                              move.reason, move.note))
        except Conflict:  # a write-off of units already promised to orders: skip it
            return False
        return True

    def order(self, planned: PlannedOrder) -> None:
        try:
            with self.uow(planned.at) as uow:
                placed = place_order(uow, planned.cmd)
        except InsufficientStock:  # sold out: the shop would have turned the basket away
            self.counts["skipped"] += 1
            return
        self.order_ids[planned.key] = placed.order.id
        if placed.order.customer_id:
            self.customers.add(placed.order.customer_id)

    def change(self, change: PlannedChange) -> None:
        order_id = self.order_ids.get(change.order_key)
        if order_id is None:
            return
        with self.uow(change.at) as uow:
            if change.hold:
                hold_order(uow, order_id, change.reason)
                self.counts["held"] += 1
            else:
                cancel_order(uow, order_id, change.requests, change.reason)
                self.counts["partly_cancelled" if change.requests else "cancelled"] += 1

    def replay(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, PlannedOrder):
                self.order(event)
            elif isinstance(event, PlannedChange):
                self.change(event)
            elif isinstance(event, MoneyStep):
                if (order_id := self.order_ids.get(event.order_key)) is not None:
                    self.money.apply(event, order_id)
            elif self.stock(event):
                key = "deliveries" if event.quantity > 0 else "written_off"
                self.counts[key] += 1


def load_demo(container: Container, seed: int = 7, progress: Console | None = None) -> str:
    """Load the demo into an empty database and say what was loaded, in one line."""
    started = time.perf_counter()

    def say(message: str) -> None:
        if progress is not None:
            progress.print(f"  {message} [dim]({time.perf_counter() - started:.1f}s)[/dim]")

    plan = build_plan(seed, container.clock.now())
    loader = _Loader(container)
    loader.refuse_if_loaded()
    loader.reference_data(plan.setup_at)
    lists = money.create_price_lists(loader.uow, plan.setup_at, container.clock.now(),
                                     plan.prices)
    packaging = set_up_packing(loader.uow, plan.setup_at)
    say(f"{len(CHANNELS)} channels, {len(LOCATIONS)} locations, {len(PRODUCTS)} products, "
        f"{money.SELLERS} legal entities, {lists} price lists, {packaging} packaging types")
    for move in plan.opening_stock:
        loader.stock(move)
    units = sum(m.quantity for m in plan.opening_stock)
    say(f"Opening stock: {units} units in {len(plan.opening_stock)} SKU/location rows")
    loader.replay(plan.events)
    counts = loader.counts
    placed = len(loader.order_ids)
    say(f"Orders: {placed} placed over six weeks, {counts['skipped']} turned away as sold "
        f"out; {counts['deliveries']} supplier deliveries, {counts['written_off']} write-offs")
    say(f"Changes: {counts['cancelled']} cancelled, {counts['partly_cancelled']} cancelled in "
        f"part, {counts['held']} on hold")
    say(loader.money.summary())
    say(set_up_allocation(loader.uow, container.clock.now(), seed))
    return (f"{len(CHANNELS)} channels, {len(LOCATIONS)} locations, {len(PRODUCTS)} products, "
            f"{placed} orders, {len(loader.customers)} customers")
