"""Who is in a segment, evaluated on demand: each customer (a person, merged records
together) against the segment's rules, with the facts that decided it. It reads
customers, their consent and their orders, so it lives above them.

Customers are scanned oldest first, at most ``MAX_SCAN`` per page asked for: a page
ends when it has ``limit`` members or the scan budget is spent, so one request never
reads the whole customer base; ``next_cursor`` continues the scan where it stopped (and
is None when every customer was looked at)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ordermesh.customers import identities as ids
from ordermesh.customers.consent import may_contact
from ordermesh.customers.model import Customer
from ordermesh.customers.segments import (
    SegmentRules,
    customers_in_order,
    get_segment,
    rules_of,
)
from ordermesh.flows.customer_view import all_orders, rfm_segment, worth_of
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.money import Money
from ordermesh.kit.pagination import decode_cursor, encode_cursor
from ordermesh.orders.model import Order, OrderStatus
from ordermesh.orders.queries import skus_bought

MAX_SCAN = 500
_BATCH = 100


@dataclass(frozen=True)
class Member:
    customer: Customer
    rfm_segment: str
    orders: int  # not cancelled
    last_order_at: datetime | None
    channels: list[str]
    countries: list[str]
    lifetime_value_net: list[Money]  # per currency, most used first


def _facts(customer: Customer, kept: list[Order], now: datetime) -> Member:
    last = max((o.created_at for o in kept), default=None)
    recency = (now - last).days if last else None
    return Member(
        customer, rfm_segment(recency, len(kept)), len(kept), last,
        sorted({o.channel_code for o in kept}),
        sorted({o.shipping_address.country for o in kept if o.shipping_address}),
        [w.net for w in worth_of(kept)])


def _spend_ok(rules: SegmentRules, member: Member) -> bool:
    spend = rules.lifetime_spend
    if spend is None:
        return True
    net = next((m.amount for m in member.lifetime_value_net if m.currency == spend.currency),
               None)
    if net is None:
        return False
    return ((spend.min is None or net >= spend.min)
            and (spend.max is None or net <= spend.max))


def _dates_ok(rules: SegmentRules, last: datetime | None) -> bool:
    if rules.last_order_after and (last is None or last.date() < rules.last_order_after):
        return False
    return not (rules.last_order_before
                and (last is None or last.date() >= rules.last_order_before))


def evaluate(uow: UnitOfWork, rules: SegmentRules, customer: Customer, now: datetime
             ) -> Member | None:
    """The customer's facts when they meet every rule, else None."""
    if rules.consent and not may_contact(uow.conn, customer.id, *rules.consent):
        return None
    kept = ([o for o in all_orders(uow, ids.group_of(uow, customer.id))
             if o.status is not OrderStatus.CANCELLED] if rules.needs_orders else [])
    member = _facts(customer, kept, now)
    if rules.rfm and member.rfm_segment not in rules.rfm:
        return None
    if rules.channels and not set(rules.channels) & set(member.channels):
        return None
    if rules.countries and not set(rules.countries) & set(member.countries):
        return None
    if not (_spend_ok(rules, member) and _dates_ok(rules, member.last_order_at)):
        return None
    if rules.bought and not set(rules.bought) & skus_bought(uow, [o.id for o in kept]):
        return None
    return member


def segment_members(uow: UnitOfWork, segment_id: str, now: datetime, *, limit: int,
                    cursor: str | None) -> tuple[list[Member], str | None, int]:
    """Up to ``limit`` members from where ``cursor`` left the scan; the cursor to go on
    with (None: every customer was looked at), and how many customers were looked at."""
    rules = rules_of(get_segment(uow, segment_id)["rules"])
    offset = start = decode_cursor(cursor) or 0
    found: list[Member] = []
    while len(found) < limit and offset - start < MAX_SCAN:
        batch = customers_in_order(uow, offset, min(_BATCH, MAX_SCAN - (offset - start)))
        if not batch:
            return found, None, offset - start
        for customer in batch:
            offset += 1
            member = evaluate(uow, rules, customer, now)
            if member is not None:
                found.append(member)
                if len(found) == limit:
                    break
    more = bool(customers_in_order(uow, offset, 1))
    return found, encode_cursor(offset) if more else None, offset - start
