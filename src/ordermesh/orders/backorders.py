"""Backordered units of an order's lines: recorded, taken off, and promised.

Units of a line that no location can supply now are backordered on the line
(``order_lines.backordered_quantity``): they hold no stock. This module keeps that
record; sourcing decides when units become backordered (``sourcing.backorders``: the
channel and the product allow it) and sources them when stock arrives.

Promise dates, first come first served: the backordered units of one product form a
queue in order of placement (order, then line). Units free in stock now serve the head
of the queue (promised today), then open expected supply in order of its expected date.
A line is promised the expected date of the supply that covers its last unit; ``None``
when the supply known today does not reach it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import bindparam, func, select, update

from ordermesh.inventory.tables import expected_supply, stock
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import NotFound
from ordermesh.kit.outbox import record_event
from ordermesh.orders.model import Order, order_number
from ordermesh.orders.tables import order_lines, orders

__all__ = ["FREE_UNITS", "Incoming", "Queued", "cancel_backordered", "promise_dates",
           "promised_dates", "record_backorder", "undated_backorders", "with_promises"]


# --- the promise rule (pure) -------------------------------------------------------------

@dataclass(frozen=True)
class Queued:
    """Backordered units of one line, in the queue of their product."""

    order_seq: int
    line_no: int
    units: int


@dataclass(frozen=True)
class Incoming:
    expected_date: date
    units: int


def promise_dates(queue: list[Queued], free_now: int, incoming: list[Incoming],
                  today: date) -> dict[tuple[int, int], date | None]:
    """First come, first served: each line of ``queue`` (oldest first) is promised the date
    at which the units before it and its own are all covered, by ``free_now`` units in
    stock (today) and then ``incoming`` in order of expected date; ``None`` when they are
    not covered."""
    supply = [(today, max(free_now, 0)),
              *sorted((s.expected_date, s.units) for s in incoming if s.units > 0)]
    out: dict[tuple[int, int], date | None] = {}
    needed, covered, i = 0, 0, 0
    for item in sorted(queue, key=lambda q: (q.order_seq, q.line_no)):
        needed += item.units
        while covered < needed and i < len(supply):
            covered += supply[i][1]
            i += 1
        out[(item.order_seq, item.line_no)] = (
            max(supply[i - 1][0], today) if covered >= needed and i else None)
    return out


# --- reading ----------------------------------------------------------------------------

_QUEUE = (select(order_lines.c.order_seq, order_lines.c.line_no, order_lines.c.product_id,
                 order_lines.c.backordered_quantity)
          .where(order_lines.c.product_id.in_(bindparam("ids", expanding=True)),
                 order_lines.c.backordered_quantity > 0)
          .order_by(order_lines.c.order_seq, order_lines.c.line_no))
_INCOMING = (select(expected_supply.c.product_id, expected_supply.c.expected_date,
                    (expected_supply.c.quantity - expected_supply.c.received).label("units"))
             .where(expected_supply.c.product_id.in_(bindparam("ids", expanding=True)),
                    expected_supply.c.status == "open",
                    expected_supply.c.quantity > expected_supply.c.received))
# Units free at a location: on hand, not reserved, above the row's own safety stock.
FREE_UNITS = stock.c.on_hand - stock.c.reserved - func.coalesce(stock.c.safety_stock, 0)
_FREE = (select(stock.c.product_id, func.sum(FREE_UNITS).label("units"))
         .where(stock.c.product_id.in_(bindparam("ids", expanding=True)), FREE_UNITS > 0)
         .group_by(stock.c.product_id))


def _dates_for(uow: UnitOfWork, product_ids: set[str]) -> dict[tuple[int, int], date | None]:
    """The promise of every backordered line of these products."""
    if not product_ids:
        return {}
    ids = {"ids": sorted(product_ids)}
    queues: dict[str, list[Queued]] = defaultdict(list)
    for r in uow.execute(_QUEUE, ids):
        queues[r.product_id].append(Queued(r.order_seq, r.line_no, r.backordered_quantity))
    incoming: dict[str, list[Incoming]] = defaultdict(list)
    for r in uow.execute(_INCOMING, ids):
        incoming[r.product_id].append(Incoming(r.expected_date, r.units))
    free = {r.product_id: int(r.units) for r in uow.execute(_FREE, ids)}
    today = uow.clock.now().date()
    out: dict[tuple[int, int], date | None] = {}
    for product_id, queue in queues.items():
        out.update(promise_dates(queue, free.get(product_id, 0), incoming[product_id], today))
    return out


def promised_dates(uow: UnitOfWork, order_seq: int) -> dict[int, date | None]:
    """Per backordered line of the order (line_no), the date its units are promised for."""
    rows = list(uow.execute(select(order_lines.c.line_no, order_lines.c.product_id).where(
        order_lines.c.order_seq == order_seq, order_lines.c.backordered_quantity > 0)))
    dates = _dates_for(uow, {r.product_id for r in rows})
    return {r.line_no: dates.get((order_seq, r.line_no)) for r in rows}


_OLDEST = (select(order_lines.c.order_seq, order_lines.c.line_no, order_lines.c.product_id,
                  order_lines.c.sku, order_lines.c.backordered_quantity)
           .where(order_lines.c.backordered_quantity > 0)
           .order_by(order_lines.c.order_seq, order_lines.c.line_no))


def undated_backorders(uow: UnitOfWork, limit: int) -> list[tuple[int, int, str, int]]:
    """Backordered lines that no free stock or expected supply covers, oldest order first:
    (order_seq, line_no, sku, units). Reads at most ``limit`` x 10 backordered lines."""
    rows = list(uow.execute(_OLDEST.limit(limit * 10)))
    dates = _dates_for(uow, {r.product_id for r in rows})
    return [(r.order_seq, r.line_no, r.sku, r.backordered_quantity) for r in rows
            if dates.get((r.order_seq, r.line_no)) is None][:limit]


def with_promises(uow: UnitOfWork, order: Order) -> Order:
    """The order with each backordered line's promise date filled in."""
    if not any(line.backordered_quantity for line in order.lines):
        return order
    dates = promised_dates(uow, order.seq)
    return replace(order, lines=[
        replace(line, backorder_promised_date=dates.get(line.line_no))
        if line.backordered_quantity else line for line in order.lines])


# --- writing ----------------------------------------------------------------------------

def _header(uow: UnitOfWork, order_seq: int):
    row = uow.execute(select(orders.c.id, orders.c.seq).where(orders.c.seq == order_seq)).first()
    if row is None:
        raise NotFound(f"Order {order_number(order_seq)} does not exist")
    return row


def _line_rows(uow: UnitOfWork, order_seq: int, line_nos: Iterable[int]) -> dict[int, object]:
    return {r.line_no: r for r in uow.execute(
        select(order_lines.c.line_no, order_lines.c.sku, order_lines.c.backordered_quantity)
        .where(order_lines.c.order_seq == order_seq,
               order_lines.c.line_no.in_(sorted(set(line_nos)))))}


def record_backorder(uow: UnitOfWork, order_seq: int, units: dict[int, int]) -> None:
    """Add ``units`` (line_no -> quantity) to the lines' backordered units and record
    ``order.backordered`` with each line's promise date. Does not commit. The database
    refuses more backordered units than the line has left to ship."""
    units = {n: q for n, q in units.items() if q > 0}
    if not units:
        return
    header = _header(uow, order_seq)
    for line_no, quantity in sorted(units.items()):
        changed = uow.execute(update(order_lines).where(
            order_lines.c.order_seq == order_seq, order_lines.c.line_no == line_no,
        ).values(backordered_quantity=order_lines.c.backordered_quantity + quantity)).rowcount
        if changed != 1:
            raise NotFound(f"Order {order_number(order_seq)} has no line {line_no}")
    dates = promised_dates(uow, order_seq)
    rows = _line_rows(uow, order_seq, units)
    record_event(uow, "order.backordered", "order", header.id, {
        "id": header.id, "number": order_number(order_seq),
        "lines": [{"line_no": n, "sku": rows[n].sku, "quantity": q,
                   "backordered_quantity": rows[n].backordered_quantity,
                   "promised_date": d.isoformat() if (d := dates.get(n)) else None}
                  for n, q in sorted(units.items())]})


def cancel_backordered(uow: UnitOfWork, order_seq: int, backordered: dict[int, int],
                       plan: dict[int, int]) -> dict[int, int]:
    """Units of ``plan`` (line_no -> units no longer wanted) that are backordered are
    taken off the backorder first: they hold no stock, so nothing goes back. Returns what
    is left of the plan, to be released from the line's reservations. Does not commit.
    ``backordered`` is each line's backordered units as the caller loaded them (locked)."""
    rest = {}
    for line_no, units in plan.items():
        off = min(units, backordered.get(line_no, 0))
        if off:
            uow.execute(update(order_lines).where(
                order_lines.c.order_seq == order_seq, order_lines.c.line_no == line_no,
            ).values(backordered_quantity=order_lines.c.backordered_quantity - off))
        rest[line_no] = units - off
    return rest
