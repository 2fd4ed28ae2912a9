"""Six weeks of orders, planned before anything is written: pure and deterministic.

Volume follows a weekly rhythm (busiest at the weekend, stores and the phone line closed
on Sundays) with a gentle pre-holiday rise; each channel keeps its own opening hours,
assortment, prices, shipping fees and external order numbers. Times are planned in
Central European Time (UTC+1) and stored in UTC.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from ordermesh.catalog.model import Handling
from ordermesh.demo.catalogue import (
    CHANNELS,
    PRODUCTS,
    STORE_AMSTERDAM,
    STORE_BERLIN,
    DemoProduct,
    sells,
)
from ordermesh.demo.people import Person
from ordermesh.orders.model import CancelRequest, FulfilmentMethod
from ordermesh.orders.service import CustomerDetails, FulfilmentRequest, PlaceLine, PlaceOrder

LOCAL = timezone(timedelta(hours=1), "CET")
DAYS = 42
ORDERS_PER_DAY = 8.8
WEEKDAY_WEIGHT = (0.95, 0.85, 0.9, 0.95, 1.1, 1.4, 1.3)  # Monday .. Sunday
_ONLINE_HOURS = (0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1, 1.5, 2, 2.2, 2.5, 3, 3, 2.5, 2.3, 2.3,
                 2.5, 3, 3.5, 4, 3.8, 2.5, 1.2)
CENT = Decimal("0.01")
GBP_PER_EUR = Decimal("0.86")
MARKETPLACE_FACTORS = (Decimal("0.93"), Decimal("0.95"), Decimal("0.97"), Decimal(1),
                       Decimal(1), Decimal(1), Decimal("1.04"))
# Our own till, phone desk and web shops read prices from the OMS price list, so their
# lines leave unit_price out; Amazon and Shopify send the price they sold at.
LIST_PRICED = frozenset({"web-de", "web-uk", "pos", "phone"})
SALE = Decimal("0.2")
SALE_REASON = "Winter sale -20%"
CLICK_AND_COLLECT = 0.8  # of web-shop orders by people living near a store


@dataclass(frozen=True)
class PlannedOrder:
    key: int
    at: datetime
    cmd: PlaceOrder


@dataclass(frozen=True)
class PlannedChange:
    at: datetime
    order_key: int
    hold: bool  # put on hold; otherwise cancel
    reason: str
    requests: list[CancelRequest] | None = None  # None: cancel the whole order


def window_days(now: datetime) -> list[date]:
    today = now.astimezone(LOCAL).date()
    return [today - timedelta(days=i) for i in range(DAYS - 1, -1, -1)]


def local_time(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), LOCAL).astimezone(UTC)


def charm(amount: Decimal) -> Decimal:
    """Shelf prices end in 9: 27.99, 3.89."""
    step = Decimal(1) if amount >= 10 else Decimal("0.1")
    return max(CENT, amount.quantize(step, ROUND_HALF_UP) - CENT)


def price_lists(rng: random.Random) -> dict[str, dict[str, Decimal]]:
    """Unit price per channel and SKU: list price, Amazon's own, and GBP for the UK."""
    lists: dict[str, dict[str, Decimal]] = {}
    for channel in CHANNELS:
        prices = {}
        for p in PRODUCTS:
            if channel.code == "amazon-de":
                factor = rng.choice(MARKETPLACE_FACTORS)
                prices[p.sku] = p.price if factor == 1 else charm(p.price * factor)
            elif channel.currency == "GBP":
                prices[p.sku] = charm(p.price * GBP_PER_EUR)
            else:
                prices[p.sku] = p.price
        lists[channel.code] = prices
    return lists


def _hours(channel: str, weekday: int) -> tuple[range, tuple[float, ...]] | None:
    if channel == "pos":
        if weekday == 6:
            return None
        hours = range(10, 18 if weekday == 5 else 20)
        return hours, tuple(1.0 + 0.25 * (h >= 15) for h in hours)
    if channel == "phone":
        if weekday == 6:
            return None
        hours = range(10, 14) if weekday == 5 else range(9, 18)
        return hours, tuple(1.0 for _ in hours)
    return range(24), _ONLINE_HOURS


def _shipping(channel: str, currency: str, subtotal: Decimal, bulky: bool) -> Decimal:
    if channel in ("pos", "amazon-de"):
        return Decimal(0)  # carried out of the store / included in the marketplace price
    if bulky:
        return Decimal("59.00") if currency == "GBP" else Decimal("49.00")
    if channel == "phone":
        return Decimal("6.95")
    threshold, fee = {"web-uk": (50, "5.95"), "shopify-home": (75, "5.90")}.get(
        channel, (60, "4.95"))
    return Decimal(0) if subtotal >= threshold else Decimal(fee)


_BY_SKU = {p.sku: p for p in PRODUCTS}


class _Planner:
    def __init__(self, rng: random.Random, people: list[Person],
                 prices: dict[str, dict[str, Decimal]]) -> None:
        self.rng = rng
        self.prices = prices
        self.amazon_ids: set[str] = set()
        self.shopify_next = 4817
        self.walk_ins = 0  # store sales without a known buyer, given to a store in turn
        self.buyers: dict[str, tuple[list[Person], list[float]]] = {}
        self.assortment: dict[str, tuple[list[DemoProduct], list[float]]] = {}
        for channel in CHANNELS:
            code = channel.code
            pool = [p for p in people if (p.country == "GB") == (code == "web-uk")
                    and (code != "pos" or p.near_store)]
            self.buyers[code] = (pool, [p.loyalty * (4 if p.favourite == code else 1)
                                        for p in pool])
            listed = [p for p in PRODUCTS if sells(code, p)]
            boost = 6 if code == "phone" else 1  # people still phone in for a sofa
            self.assortment[code] = (listed, [p.popularity * (boost if p.has(Handling.OVERSIZE)
                                                              else 1) for p in listed])

    def _customer(self, channel: str) -> tuple[CustomerDetails | None, Person | None]:
        rng = self.rng
        if channel == "pos" and rng.random() < 0.45:
            return None, None  # a walk-in paying cash, no loyalty card
        pool, weights = self.buyers[channel]
        if not pool:  # a seed that put nobody near a store or in the UK
            return None, None
        person = rng.choices(pool, weights)[0]
        if channel == "amazon-de":
            return CustomerDetails(email=person.amazon_relay, name=person.name), person
        if channel == "phone" and rng.random() < 0.4:
            return CustomerDetails(name=person.name, phone=person.phone), person
        return CustomerDetails(email=person.email, name=person.name, phone=person.phone), person

    def _lines(self, channel: str) -> list[PlaceLine]:
        rng = self.rng
        listed, weights = self.assortment[channel]
        size = rng.choices((1, 2, 3, 4), (50, 28, 15, 7))[0]
        chosen: list[DemoProduct] = []
        for _ in range(size * 4):
            pick = rng.choices(listed, weights)[0]
            if pick not in chosen:
                chosen.append(pick)
            if len(chosen) == size:
                break
        lines = []
        for product in chosen:
            if product.has(Handling.OVERSIZE) or product.has(Handling.HIGH_VALUE):
                quantity = 1
            elif product.price < 40:
                quantity = rng.choices((1, 2, 3, 4), (70, 20, 7, 3))[0]
            else:
                quantity = rng.choices((1, 2), (88, 12))[0]
            price = self.prices[channel][product.sku]
            discount = reason = None
            if channel in ("web-de", "shopify-home") and rng.random() < 0.08:
                discount = (price * quantity * SALE).quantize(CENT, ROUND_HALF_UP)
                reason = SALE_REASON
            lines.append(PlaceLine(product.sku, quantity,
                                   None if channel in LIST_PRICED else price, discount, reason))
        return lines

    def _subtotal(self, channel: str, lines: list[PlaceLine]) -> Decimal:
        return sum((self.prices[channel][line.sku] * line.quantity - (line.discount or 0)
                    for line in lines), Decimal(0))

    def _external_id(self, channel: str) -> str | None:
        if channel == "amazon-de":
            while True:
                ext = (f"{self.rng.choice(('028', '302', '303', '304', '305', '306'))}-"
                       f"{self.rng.randrange(10**7):07d}-{self.rng.randrange(10**7):07d}")
                if ext not in self.amazon_ids:
                    self.amazon_ids.add(ext)
                    return ext
        if channel == "shopify-home":
            self.shopify_next += 1
            return f"#{self.shopify_next}"
        return None

    def order(self, channel: str, currency: str) -> PlaceOrder | None:
        """None: no buyer to ship to (a seed that put nobody in the channel's country)."""
        customer, person = self._customer(channel)
        lines = self._lines(channel)
        subtotal = self._subtotal(channel, lines)
        bulky = any(_BY_SKU[line.sku].has(Handling.OVERSIZE) for line in lines)
        collect = (self._counter(person) if channel == "pos"
                   else self._click_and_collect(channel, person, lines))
        note = None
        if channel == "phone":
            note = "Taken by phone, customer service"
        elif channel != "pos" and self.rng.random() < 0.05:
            note = self.rng.choice(("Please leave with a neighbour", "Gift, no invoice in the box",
                                    "Ring twice, bell is broken"))
        external_id = self._external_id(channel)
        if person is None and collect is None:
            return None  # an order that ships needs an address
        return PlaceOrder(
            channel=channel, lines=lines, external_id=external_id,
            currency=currency, customer=customer,
            shipping_address=person.address if person and channel != "pos" else None,
            shipping_price=Decimal(0) if collect else _shipping(channel, currency, subtotal,
                                                                bulky),
            note=note, fulfilment=collect,
        )

    def _counter(self, person: Person | None) -> FulfilmentRequest:
        """A store sale is carried away at the counter: in the buyer's city's store, a
        walk-in's in either store in turn."""
        if person is not None:
            city = person.address.city
        else:
            self.walk_ins += 1
            city = "Berlin" if self.walk_ins % 2 else "Amsterdam"
        return FulfilmentRequest(FulfilmentMethod.COUNTER,
                                 STORE_BERLIN if city == "Berlin" else STORE_AMSTERDAM)

    def _click_and_collect(self, channel: str, person: Person | None,
                           lines: list[PlaceLine]) -> FulfilmentRequest | None:
        """Web-shop customers near a store often collect there (when the store has it,
        the loader's business: otherwise the shop delivers, free)."""
        if (channel not in ("web-de", "shopify-home") or person is None or not person.near_store
                or not all(sells("pos", _BY_SKU[line.sku]) for line in lines)
                or self.rng.random() >= CLICK_AND_COLLECT):
            return None
        store = STORE_BERLIN if person.address.city == "Berlin" else STORE_AMSTERDAM
        return FulfilmentRequest(FulfilmentMethod.PICKUP, store)


def plan_orders(rng: random.Random, now: datetime, people: list[Person],
                prices: dict[str, dict[str, Decimal]]) -> list[PlannedOrder]:
    """``prices``: ``price_lists(rng)``, drawn just before from the same ``rng``."""
    planner = _Planner(rng, people, prices)
    days = window_days(now)
    planned: list[PlannedOrder] = []
    for index, day in enumerate(days):
        trend = 0.85 + 0.3 * index / (len(days) - 1)
        mean = ORDERS_PER_DAY * WEEKDAY_WEIGHT[day.weekday()] * trend
        count = max(0, round(rng.gauss(mean, math.sqrt(mean) * 0.6)))
        slots = []
        for _ in range(count):
            open_now = [(c, _hours(c.code, day.weekday())) for c in CHANNELS]
            open_now = [(c, h) for c, h in open_now if h is not None]
            channel, (hours, weights) = rng.choices(open_now, [c.share for c, _ in open_now])[0]
            at = local_time(day, rng.choices(hours, weights)[0], rng.randrange(60),
                            rng.randrange(60))
            slots.append((at, channel))
        for at, channel in sorted(slots, key=lambda s: s[0]):
            cmd = planner.order(channel.code, channel.currency)
            if cmd is not None and at < now:
                planned.append(PlannedOrder(len(planned), at, cmd))
    return planned


def backorder(now: datetime, people: list[Person], orders: list[PlannedOrder],
              sold_out: frozenset[str]) -> PlannedOrder | None:
    """A web-shop order this morning for a SKU that sold out: it waits for supply."""
    buyer = next((p for p in people if p.country == "DE"), None)
    if buyer is None or not sold_out:
        return None
    return PlannedOrder(len(orders), now - timedelta(hours=2), PlaceOrder(
        channel="web-de", lines=[PlaceLine(min(sold_out), 1)], currency="EUR",
        customer=CustomerDetails(email=buyer.email, name=buyer.name, phone=buyer.phone),
        shipping_address=buyer.address, shipping_price=Decimal("4.95"),
        note="Happy to wait for the next delivery"))


def collect_today(now: datetime, people: list[Person], orders: list[PlannedOrder],
                  sku: str | None) -> PlannedOrder | None:
    """A click-and-collect order this morning at the Berlin store: on the counter by now."""
    buyer = next((p for p in people if p.address.city == "Berlin"), None)
    if buyer is None or sku is None:
        return None
    return PlannedOrder(len(orders), now - timedelta(hours=3), PlaceOrder(
        channel="web-de", lines=[PlaceLine(sku, 1)], currency="EUR",
        customer=CustomerDetails(email=buyer.email, name=buyer.name, phone=buyer.phone),
        shipping_address=buyer.address,
        fulfilment=FulfilmentRequest(FulfilmentMethod.PICKUP, STORE_BERLIN)))


_CANCEL_REASONS = ("Customer changed their mind", "Payment declined", "Duplicate order",
                   "Delivery date too late for the customer", "Cancelled by buyer on Amazon")
_PARTIAL_REASONS = ("Customer removed an item before dispatch", "Item damaged in the warehouse",
                    "Customer asked for fewer units")
_HOLD_REASONS = ("Fraud check: billing and delivery country differ",
                 "Customer asked to change the delivery address", "Awaiting bank transfer",
                 "Address could not be verified by the carrier")


def _after(order: PlannedOrder, now: datetime, minutes: int) -> datetime:
    return max(order.at, min(order.at + timedelta(minutes=minutes), now - timedelta(seconds=1)))


def plan_changes(
    rng: random.Random, now: datetime, orders: list[PlannedOrder]
) -> list[PlannedChange]:
    """About 5% cancelled (some only in part), and a few recent orders put on hold."""
    changes: list[PlannedChange] = []
    cancelled = rng.sample(orders, round(len(orders) * 0.05))
    for order in cancelled:
        lines = order.cmd.lines
        at = _after(order, now, rng.randint(15, 36 * 60))
        if (len(lines) > 1 or lines[0].quantity > 1) and rng.random() < 0.4:
            requests = ([CancelRequest(len(lines), lines[-1].quantity)] if len(lines) > 1
                        else [CancelRequest(1, 1)])
            changes.append(PlannedChange(at, order.key, False, rng.choice(_PARTIAL_REASONS),
                                         requests))
            continue
        amazon = order.cmd.channel == "amazon-de"
        reason = _CANCEL_REASONS[-1] if amazon else rng.choice(_CANCEL_REASONS[:-1])
        changes.append(PlannedChange(at, order.key, False, reason))
    taken = {o.key for o in cancelled}
    recent = [o for o in orders if o.at > now - timedelta(days=4) and o.key not in taken]
    for order in rng.sample(recent, min(7, len(recent))):
        changes.append(PlannedChange(_after(order, now, rng.randint(5, 120)), order.key, True,
                                     rng.choice(_HOLD_REASONS)))
    return changes
