"""Available to promise: what a channel can sell of a SKU now, where, and from which
date more becomes available, with the numbers that explain it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import bindparam, select

from ordermesh.catalog.service import check_known_skus
from ordermesh.catalog.tables import products
from ordermesh.channels.service import channel_by_code
from ordermesh.inventory.allocation import ChannelAvailability, StockRow, channel_availability
from ordermesh.inventory.policy import Policies, load_policies
from ordermesh.inventory.tables import expected_supply, stock, transfer_lines, transfers
from ordermesh.kit.db import UnitOfWork
from ordermesh.locations.service import location_codes

MAX_BATCH = 500

_STOCK_BY_SKU = (
    select(products.c.id, products.c.sku, products.c.category, stock.c.location_id,
           stock.c.on_hand, stock.c.reserved, stock.c.damaged, stock.c.in_transit,
           stock.c.safety_stock)
    .select_from(products.outerjoin(stock, stock.c.product_id == products.c.id))
    .where(products.c.sku.in_(bindparam("skus", expanding=True))))
_SUPPLY = (select(expected_supply.c.product_id, expected_supply.c.location_id,
                  expected_supply.c.expected_date, expected_supply.c.kind,
                  expected_supply.c.reference,
                  (expected_supply.c.quantity - expected_supply.c.received).label("outstanding"))
           .where(expected_supply.c.product_id.in_(bindparam("ids", expanding=True)),
                  expected_supply.c.status == "open"))
_IN_TRANSIT = (select(transfer_lines.c.product_id, transfers.c.to_location_id,
                      transfers.c.expected_date, transfers.c.id,
                      (transfer_lines.c.quantity - transfer_lines.c.received).label("outstanding"))
               .join(transfers, transfers.c.id == transfer_lines.c.transfer_id)
               .where(transfer_lines.c.product_id.in_(bindparam("ids", expanding=True)),
                      transfer_lines.c.received < transfer_lines.c.quantity))


@dataclass(frozen=True)
class Incoming:
    location_id: str
    expected_date: date | None  # None: a transfer without an expected date
    quantity: int
    source: str  # the supply's kind (purchase_order, production, other) or transfer
    reference: str | None


class LocationView(NamedTuple):
    location_id: str
    location_code: str
    on_hand: int
    reserved: int
    safety: int
    damaged: int
    in_transit: int
    available: int  # what the channel may take here now


@dataclass(frozen=True)
class Availability:
    sku: str
    product_id: str
    channel: str
    now: ChannelAvailability
    locations: list[LocationView]
    incoming: list[Incoming]
    by_date: list[tuple[date, int]]  # (date, available for the channel from that date)
    returns_expected: int


def supply_for(uow: UnitOfWork, ids: list[str], today: date
               ) -> tuple[dict[str, list[Incoming]], dict[tuple[str, str], int]]:
    """Incoming supply per product (overdue supply dated today), and customer returns
    expected per (product, location)."""
    incoming: dict[str, list[Incoming]] = defaultdict(list)
    returns: dict[tuple[str, str], int] = defaultdict(int)
    for r in uow.execute(_SUPPLY, {"ids": ids}):
        if r.kind == "return":  # condition unknown until inspected: not promised
            returns[(r.product_id, r.location_id)] += r.outstanding
            continue
        incoming[r.product_id].append(Incoming(r.location_id, max(r.expected_date, today),
                                               r.outstanding, r.kind, r.reference))
    for r in uow.execute(_IN_TRANSIT, {"ids": ids}):
        when = max(r.expected_date, today) if r.expected_date else None
        incoming[r.product_id].append(Incoming(r.to_location_id, when, r.outstanding,
                                               "transfer", r.id))
    return incoming, returns


def _by_date(rows: list[StockRow], incoming: list[Incoming], channel_id: str, policies: Policies,
             product_id: str) -> list[tuple[date, int]]:
    policy = policies.products[product_id]
    dated = sorted(i for i in {i.expected_date for i in incoming} if i is not None)
    arrived: dict[str, int] = defaultdict(int)
    result = []
    for day in dated:
        for i in incoming:
            if i.expected_date == day:
                arrived[i.location_id] += i.quantity
        grown = [r._replace(on_hand=r.on_hand + arrived.get(r.location_id, 0)) for r in rows]
        grown += [StockRow(loc, units, 0, policies.safety(product_id, loc, None))
                  for loc, units in arrived.items() if loc not in {r.location_id for r in rows}]
        can = channel_availability(grown, channel_id, policy.rules, policy.channel_reserved,
                                   policies.eligible, policies.reach)
        result.append((day, can.available))
    return result


def _stock_by_sku(uow: UnitOfWork, skus: list[str], fields: list[str]) -> dict[str, tuple]:
    """SKU -> (product id, category, [stock rows]) in one query; unknown SKUs are bad
    input named by their field."""
    found: dict[str, tuple] = {}
    rows = uow.execute(_STOCK_BY_SKU, {"skus": sorted(set(skus))}).fetchall()
    for pid, sku, category, *row in rows:
        entry = found.get(sku)
        if entry is None:
            entry = found[sku] = (pid, category, [])
        if row[0] is not None:
            entry[2].append(row)
    check_known_skus(skus, found, fields)
    return found


def availability(
    uow: UnitOfWork, channel_code: str, skus: list[str], fields: list[str] | None = None
) -> list[Availability]:
    """ATP of each SKU (in the order given, duplicates once) for one channel. Unknown
    SKUs are bad input named by ``fields[i]`` (default ``skus.{i}``)."""
    channel = channel_by_code(uow, channel_code)
    found = _stock_by_sku(uow, skus, fields or [f"skus.{i}" for i in range(len(skus))])
    ids = sorted({pid for pid, _, _ in found.values()})
    policies = load_policies(uow, channel.id, ids,
                             {pid: category for pid, category, _ in found.values()})
    today = uow.clock.now().date()
    incoming, returns = supply_for(uow, ids, today)
    codes = location_codes(uow, {r[0] for _, _, rows in found.values() for r in rows}
                           | {i.location_id for items in incoming.values() for i in items})
    eligible = policies.eligible
    safety = policies.safety
    result = []
    for sku in dict.fromkeys(skus):
        pid, _, raw = found[sku]
        # raw rows: (location, on_hand, reserved, damaged, in_transit, own safety stock)
        rows = [StockRow(r[0], r[1], r[2], safety(pid, r[0], r[5])) for r in raw]
        policy = policies.products[pid]
        now = channel_availability(rows, channel.id, policy.rules, policy.channel_reserved,
                                   eligible, policies.reach)
        cap, free = now.available, now.by_location
        views = [LocationView(r[0], codes[r[0]], r[1], r[2], row.safety, r[3], r[4],
                              min(cap, free.get(r[0], 0)))
                 for r, row in zip(raw, rows, strict=True)
                 if eligible is None or r[0] in eligible]
        arriving = incoming.get(pid, [])
        usable = sorted((i for i in arriving if eligible is None or i.location_id in eligible),
                        key=lambda i: (i.expected_date or date.max, i.location_id))
        # Supply anywhere counts for the dates: arrivals elsewhere can free this
        # channel's share of stock held back for another channel's quota.
        result.append(Availability(
            sku, pid, channel.code, now, sorted(views, key=lambda v: v.location_code), usable,
            _by_date(rows, arriving, channel.id, policies, pid) if arriving else [],
            sum(n for (p, loc), n in returns.items()
                if p == pid and (eligible is None or loc in eligible))))
    return result
