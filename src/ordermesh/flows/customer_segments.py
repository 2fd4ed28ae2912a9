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

from ordermesh.customers.consent import ledger_rows
from ordermesh.customers.identities import groups_of_roots
from ordermesh.customers.model import (
    ConsentEntry,
    Customer,
    allows,
    current_consent,
    parse_medium,
    parse_purpose,
)
from ordermesh.customers.segments import (
    SegmentRules,
    customers_in_order,
    get_segment,
    rules_of,
)
from ordermesh.flows.customer_view import MAX_ORDERS, all_orders, rfm_segment, worth_of
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.money import Money
from ordermesh.kit.pagination import decode_cursor, encode_cursor
from ordermesh.orders.model import Order, OrderStatus
from ordermesh.orders.queries import skus_bought_by_order

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


def _orders_of_groups(uow: UnitOfWork, groups: dict[str, list[str]]
                      ) -> dict[str, list[Order]]:
    """Every order of each group, read together; a batch with more than ``MAX_ORDERS``
    orders in all is read group by group, each group capped as ``all_orders`` caps it."""
    owner = {member: root for root, group in groups.items() for member in group}
    found: dict[str, list[Order]] = {root: [] for root in groups}
    read = all_orders(uow, list(owner))
    if len(read) >= MAX_ORDERS:
        return {root: all_orders(uow, group) for root, group in groups.items()}
    for order in read:
        found[owner[order.customer_id]].append(order)
    return found


def _consenting(uow: UnitOfWork, consent: tuple[str, str], groups: dict[str, list[str]]
                ) -> set[str]:
    """The roots whose person may be contacted for (purpose, medium), as ``may_contact``
    decides it, from one read of the ledgers of the whole batch."""
    purpose, medium = parse_purpose(consent[0]), parse_medium(consent[1])
    owner = {member: root for root, group in groups.items() for member in group}
    ledgers: dict[str, list[ConsentEntry]] = {root: [] for root in groups}
    for member, entry in ledger_rows(uow, list(owner)):
        ledgers[owner[member]].append(entry)
    return {root for root, entries in ledgers.items()
            if allows(current_consent(entries), purpose, medium)}


def evaluate_batch(uow: UnitOfWork, rules: SegmentRules, batch: list[Customer],
                   now: datetime) -> list[Member | None]:
    """For each customer of the batch (people of their own: merged into no one, not
    erased) their facts when they meet every rule, else None; a few reads for the whole
    batch rather than several per customer."""
    groups = groups_of_roots(uow, [c.id for c in batch])
    allowed = _consenting(uow, rules.consent, groups) if rules.consent else None
    orders = _orders_of_groups(uow, groups) if rules.needs_orders else {}
    candidates: list[tuple[int, Member, list[Order]]] = []
    for i, customer in enumerate(batch):
        if allowed is not None and customer.id not in allowed:
            continue
        kept = [o for o in orders.get(customer.id, []) if o.status is not OrderStatus.CANCELLED]
        member = _facts(customer, kept, now)
        if rules.rfm and member.rfm_segment not in rules.rfm:
            continue
        if rules.channels and not set(rules.channels) & set(member.channels):
            continue
        if rules.countries and not set(rules.countries) & set(member.countries):
            continue
        if _spend_ok(rules, member) and _dates_ok(rules, member.last_order_at):
            candidates.append((i, member, kept))
    bought = (skus_bought_by_order(uow, [o.id for _, _, kept in candidates for o in kept])
              if rules.bought else {})
    found: list[Member | None] = [None] * len(batch)
    for i, member, kept in candidates:
        skus = set().union(*(bought.get(o.id, set()) for o in kept))
        if not rules.bought or set(rules.bought) & skus:
            found[i] = member
    return found


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
        for member in evaluate_batch(uow, rules, batch, now):
            offset += 1
            if member is not None:
                found.append(member)
                if len(found) == limit:
                    break
    more = bool(customers_in_order(uow, offset, 1))
    return found, encode_cursor(offset) if more else None, offset - start
