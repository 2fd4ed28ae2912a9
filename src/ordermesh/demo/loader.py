"""Load the demo through the public use cases, one unit of work each, in time order.

Everything is planned first (``build_plan``: pure, deterministic for a seed) and then
replayed against the services with a ``FixedClock`` set to each event's time, so orders,
histories, ledger movements and events carry realistic past timestamps.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from rich.console import Console

from ordermesh.catalog.model import Dimensions, Product
from ordermesh.catalog.service import create_product
from ordermesh.channels.service import CreateChannel, create_channel, list_channels
from ordermesh.demo import money
from ordermesh.demo.allocation import set_up_allocation
from ordermesh.demo.catalogue import CHANNELS, LOCATIONS, PRODUCTS, STORE_BERLIN
from ordermesh.demo.floor import Floor, Shift, TrackingRound, plan_floor, set_up_carrier
from ordermesh.demo.money_plan import CARDS, THREE_DS, Amend, MoneyStep, Pay, plan_money
from ordermesh.demo.packing import set_up_packing
from ordermesh.demo.people import make_people
from ordermesh.demo.stocking import StockMove, plan_stock
from ordermesh.demo.timeline import (
    PlannedChange,
    PlannedOrder,
    backorder,
    collect_today,
    plan_changes,
    plan_orders,
    price_lists,
)
from ordermesh.flows.placement import place_order
from ordermesh.http.deps import Container
from ordermesh.inventory.service import AdjustStock, adjust_stock
from ordermesh.kit.clock import FixedClock
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InsufficientStock
from ordermesh.kit.money import Money
from ordermesh.locations.model import FulfilmentSettings, Location
from ordermesh.locations.service import create_location
from ordermesh.orders.changes import cancel_order, hold_order
from ordermesh.orders.model import FulfilmentMethod
from ordermesh.orders.queries import OrderFilter, list_orders
from ordermesh.sourcing.model import DEFAULT_RULES
from ordermesh.sourcing.settings import save_channel_sourcing

ACTOR = "demo"
PEOPLE = 200
# sell what sold out, shipped when supply arrives
BACKORDERS = ("web-de", "shopify-home", "web-uk", "phone")

Event = StockMove | PlannedOrder | PlannedChange | MoneyStep | Shift | TrackingRound


@dataclass(frozen=True)
class Plan:
    setup_at: datetime
    opening_stock: list[StockMove]
    events: list[Event]  # in time order
    prices: dict[str, dict[str, Decimal]]  # per channel and SKU
    backorderable: frozenset[str]  # SKUs sold short on the channels that allow it

    @property
    def orders(self) -> list[PlannedOrder]:
        return [e for e in self.events if isinstance(e, PlannedOrder)]


def build_plan(seed: int, now: datetime) -> Plan:
    rng = random.Random(seed)
    people = make_people(rng, PEOPLE)
    prices = price_lists(rng)
    orders = plan_orders(rng, now, people, prices)
    changes = plan_changes(rng, now, orders)
    opening, deliveries, sold_out = plan_stock(rng, now, orders)
    steps = plan_money(rng, now, orders, changes)
    if (late_buyer := backorder(now, people, orders, sold_out)) is not None:
        # ordered what sold out; 3-D Secure not finished yet: a payment still pending
        orders.append(late_buyer)
        steps.append(Pay(late_buyer.at, late_buyer.key, "test", THREE_DS))
    if (collector := collect_today(now, people, orders, _in_store(opening, orders))):
        orders.append(collector)
        steps.append(Pay(collector.at, collector.key, "test", CARDS[0]))
    # Stock arrives before the orders of the same instant; checkout payments follow their
    # order, then changes, then the rest of what happens to the money, then the floor.
    events: list[Event] = sorted([*deliveries, *orders, *changes, *steps, *plan_floor(now)],
                                 key=lambda e: (e.at, _rank(e)))
    setup_at = opening[0].at - timedelta(days=2) if opening else now
    return Plan(setup_at, opening, events, prices, sold_out)


def _in_store(opening: list[StockMove], orders: list[PlannedOrder]) -> str | None:
    """The SKU the Berlin store keeps most of, among the least sold."""
    sold: dict[str, int] = {}
    for order in orders:
        for line in order.cmd.lines:
            sold[line.sku] = sold.get(line.sku, 0) + line.quantity
    kept = [m for m in opening if m.location == STORE_BERLIN]
    return min(kept, key=lambda m: (sold.get(m.sku, 0) - m.quantity, m.sku)).sku if kept else None


def _rank(event: Event) -> int:
    for rank, kind in enumerate((StockMove, PlannedOrder, Pay, PlannedChange)):
        if isinstance(event, kind):
            return rank
    return 4


def has_orders(container: Container) -> bool:
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        return bool(list_orders(uow, OrderFilter(), limit=1).items)


class _Loader:
    def __init__(self, container: Container, plan: Plan) -> None:
        self.container = container
        self.clock = FixedClock(container.clock.now())
        # the floor leaves an order alone until the last change planned for it is done
        self.last_change: dict[int, datetime] = {}
        for e in plan.events:
            if isinstance(e, PlannedChange | Amend):
                key = e.order_key
                self.last_change[key] = max(e.at, self.last_change.get(key, e.at))
        self.floor = Floor(self.uow, container.clock.now())
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

    def reference_data(self, at: datetime, backorderable: frozenset[str]) -> None:
        sellers = money.create_legal_entities(self.uow, at)
        for c in CHANNELS:
            with self.uow(at) as uow:
                channel = create_channel(uow, CreateChannel(
                    c.code, c.name, c.kind, c.currency, money.channel_money(c.code, sellers)))
            if c.code in BACKORDERS:
                with self.uow(at) as uow:
                    save_channel_sourcing(uow, channel.id, list(DEFAULT_RULES), None, True,
                                          Decimal(0), Decimal(0))
        for loc in LOCATIONS:
            with self.uow(at) as uow:
                create_location(uow, Location(
                    "", loc.code, loc.name, loc.kind, loc.address, loc.latitude, loc.longitude,
                    loc.capabilities,
                    fulfilment=FulfilmentSettings(processing_days=loc.processing_days)))
        for p in PRODUCTS:
            with self.uow(at) as uow:
                create_product(uow, Product(
                    "", p.sku, p.name, Money.of(p.price, "EUR"), p.tax_class, p.category,
                    p.weight_grams, Dimensions(*p.dimensions_mm), p.handling,
                    backorderable=p.sku in backorderable))

    def stock(self, move: StockMove) -> bool:
        try:
            with self.uow(move.at) as uow:
                adjust_stock(uow, AdjustStock(move.sku, move.location, move.quantity,
                                              move.reason, move.note))
                uow.commit()
        except Conflict:  # a write-off of units already promised to orders: skip it
            return False
        return True

    def order(self, planned: PlannedOrder) -> None:
        cmd = planned.cmd
        try:
            with self.uow(planned.at) as uow:
                placed = place_order(uow, cmd)
        except InsufficientStock:
            if cmd.fulfilment is None or cmd.fulfilment.method is FulfilmentMethod.COUNTER:
                self.counts["skipped"] += 1  # sold out: the shop (or store) turned it away
                return
            # not in that store: the shop offers free delivery instead of click-and-collect
            self.order(replace(planned, cmd=replace(cmd, fulfilment=None)))
            return
        self.order_ids[planned.key] = placed.order.id
        if planned.key in self.last_change:
            self.floor.waiting[placed.order.id] = self.last_change[planned.key]
        if placed.order.customer_id:
            self.customers.add(placed.order.customer_id)

    def change(self, change: PlannedChange) -> None:
        order_id = self.order_ids.get(change.order_key)
        if order_id is None:
            return
        self.floor.touch(order_id)
        with self.uow(change.at) as uow:
            if change.hold:
                hold_order(uow, order_id, change.reason)
                self.counts["held"] += 1
            else:
                cancel_order(uow, order_id, change.requests, change.reason)
                uow.commit()
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
                    self.floor.touch(order_id)
            elif isinstance(event, Shift | TrackingRound):
                self.floor.run(event)
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
    loader = _Loader(container, plan)
    loader.refuse_if_loaded()
    loader.reference_data(plan.setup_at, plan.backorderable)
    set_up_carrier(loader.uow, plan.setup_at, container.clock.now())
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
    say(loader.floor.summary())
    say(set_up_allocation(loader.uow, container.clock.now(), seed))
    return (f"{len(CHANNELS)} channels, {len(LOCATIONS)} locations, {len(PRODUCTS)} products, "
            f"{placed} orders, {len(loader.customers)} customers")
