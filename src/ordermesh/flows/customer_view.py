"""A customer seen whole (``GET /customers/{id}``): the profile of the person (every
customer record merged into one), their orders across channels, what they are worth,
how they buy, and every interaction in one timeline (messages to them included).

It reads customers, orders, returns and messages, so it lives above them."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from ordermesh.customers import identities as ids
from ordermesh.customers.consent import consent_state
from ordermesh.customers.model import Customer
from ordermesh.customers.profile import addresses_of
from ordermesh.customers.service import get_customer
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import Event, events_about
from ordermesh.messaging.service import message_ids_of
from ordermesh.orders.model import Order, OrderStatus
from ordermesh.orders.queries import OrderFilter, list_orders
from ordermesh.returns.queries import returns_of_orders

RECENT_ORDERS = 20
MAX_ORDERS = 5000  # read for the figures; a customer with more is a business, not a person
TIMELINE = 200
BOOKKEEPING = ("tax.",)  # events about the order's books, not an interaction
_PAGE = 200


@dataclass(frozen=True)
class Worth:
    """What a customer's orders in one currency are worth."""

    currency: str
    orders: int
    gross: Money  # the totals of the orders not cancelled
    refunded: Money  # given back after the sale (returns, goodwill)
    net: Money
    average_order_value: Money


@dataclass(frozen=True)
class Rfm:
    recency_days: int | None
    frequency: int
    monetary: Money | None  # net, in the currency of most of their orders
    segment: str


@dataclass(frozen=True)
class CustomerView:
    customer: Customer
    merged_customer_ids: list[str]
    identities: list[dict]
    addresses: list[dict]
    consent: list[dict]
    orders: list[Order]
    orders_count: int
    worth: list[Worth]
    rfm: Rfm
    channel_mix: list[dict]
    returns_rate: Decimal | None
    timeline: list[Event]


def rfm_segment(recency_days: int | None, frequency: int) -> str:
    """Fixed thresholds, so a segment means the same in every shop and needs no batch job:
    prospect (no order), new (one order in the last 30 days), champion (5+ orders, the last
    within 90 days), loyal (3+, within 180), active (within 180), at_risk (3+, the last
    181-365 days ago), lapsed (everyone else)."""
    if recency_days is None or frequency == 0:
        return "prospect"
    if frequency == 1 and recency_days <= 30:
        return "new"
    if frequency >= 5 and recency_days <= 90:
        return "champion"
    if frequency >= 3 and recency_days <= 180:
        return "loyal"
    if recency_days <= 180:
        return "active"
    if frequency >= 3 and recency_days <= 365:
        return "at_risk"
    return "lapsed"


def all_orders(uow: UnitOfWork, group: list[str]) -> list[Order]:
    """Every order of these customer records, newest first (up to ``MAX_ORDERS``)."""
    found: list[Order] = []
    cursor = None
    while len(found) < MAX_ORDERS:
        page = list_orders(uow, OrderFilter(customer_ids=tuple(group)), limit=_PAGE,
                           cursor=cursor)
        found.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return found


def worth_of(kept: list[Order]) -> list[Worth]:
    by_currency: dict[str, list[Order]] = defaultdict(list)
    for order in kept:
        by_currency[order.currency].append(order)
    worth = []
    for currency, orders in sorted(by_currency.items(), key=lambda kv: -len(kv[1])):
        gross = sum((o.totals.total for o in orders), Money.zero(currency))
        refunded = sum((o.totals.refunded or Money.zero(currency) for o in orders),
                       Money.zero(currency))
        worth.append(Worth(currency, len(orders), gross, refunded, gross - refunded,
                           Money.of(gross.amount / len(orders), currency)))
    return worth


def _share(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def customer_view(uow: UnitOfWork, customer_id: str, now: datetime) -> CustomerView:
    get_customer(uow, customer_id)  # 404 before anything else
    group = ids.group_of(uow, customer_id)
    root = get_customer(uow, group[0])
    orders = all_orders(uow, group)
    kept = [o for o in orders if o.status is not OrderStatus.CANCELLED]
    worth = worth_of(kept)
    last = max((o.created_at for o in kept), default=None)
    recency = (now - last).days if last else None
    rfm = Rfm(recency, len(kept), worth[0].net if worth else None,
              rfm_segment(recency, len(kept)))
    mix = Counter(o.channel_code for o in kept)
    channel_mix = [{"channel": code, "orders": n, "share": _share(n, len(kept))}
                   for code, n in sorted(mix.items(), key=lambda kv: (-kv[1], kv[0]))]
    returned = returns_of_orders(uow, [o.id for o in kept])
    returns_rate = (_share(len({r["order_id"] for r in returned}), len(kept))
                    if kept else None)
    # every message to them too (its queued, sent, suppressed …), campaigns included
    subjects = (group + [o.id for o in orders[:1000]] + [r["id"] for r in returned]
                + message_ids_of(uow, group, TIMELINE))
    return CustomerView(
        customer=root, merged_customer_ids=group[1:],
        identities=ids.identities_of(uow, group), addresses=addresses_of(uow, group),
        consent=[c for c in consent_state(uow, group[0])["current"]],
        orders=orders[:RECENT_ORDERS], orders_count=len(orders), worth=worth, rfm=rfm,
        channel_mix=channel_mix, returns_rate=returns_rate,
        timeline=[e for e in events_about(uow, subjects, limit=TIMELINE)
                  if not e.type.startswith(BOOKKEEPING)])
