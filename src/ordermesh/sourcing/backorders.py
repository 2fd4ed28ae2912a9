"""Backorders and pre-orders: units of an order line that no location can supply now.

At placement (and when a location gives units back) the sourcing engine reserves what it
can; for a product that may be backordered on the channel (``backorderable``) the rest is
recorded on the line (``record_backorder``) instead of refusing the order. Backordered
units hold no stock. ``source_backorders`` (the worker job) and ``source_order_backorders``
(an agent's "try now") source them when stock has arrived, oldest order first.

A pre-order is the same thing for a product with no stock at all yet: every unit is
backordered, and its promise date comes from the supply expected for it.

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

from sqlalchemy import and_, bindparam, exists, func, select, update

from ordermesh.catalog.tables import products
from ordermesh.inventory.stock_rows import lock_products
from ordermesh.inventory.tables import expected_supply, stock
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, IllegalTransition, NotFound
from ordermesh.kit.outbox import record_event
from ordermesh.orders.model import Order, OrderStatus, order_number, parse_order_number
from ordermesh.orders.tables import order_lines, orders

# Orders whose backorders are sourced: placed and not stopped (on hold) nor finished.
SOURCEABLE = frozenset({OrderStatus.CONFIRMED, OrderStatus.PROCESSING,
                        OrderStatus.PARTIALLY_SHIPPED})
TRIGGER = "backorder"


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
_FREE_UNITS = stock.c.on_hand - stock.c.reserved - func.coalesce(stock.c.safety_stock, 0)
_FREE = (select(stock.c.product_id, func.sum(_FREE_UNITS).label("units"))
         .where(stock.c.product_id.in_(bindparam("ids", expanding=True)), _FREE_UNITS > 0)
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


def with_promises(uow: UnitOfWork, order: Order) -> Order:
    """The order with each backordered line's promise date filled in."""
    if not any(line.backordered_quantity for line in order.lines):
        return order
    dates = promised_dates(uow, order.seq)
    return replace(order, lines=[
        replace(line, backorder_promised_date=dates.get(line.line_no))
        if line.backordered_quantity else line for line in order.lines])


def backorderable(uow: UnitOfWork, channel_id: str, product_ids: set[str]) -> set[str]:
    """The products whose shortfall may become a backorder on this channel: the channel
    allows backorders (its sourcing settings) and the product is flagged backorderable."""
    if not product_ids:
        return set()
    from ordermesh.sourcing.service import channel_settings  # the service calls us

    if not channel_settings(uow, channel_id).allow_backorders:
        return set()
    return set(uow.execute(select(products.c.id).where(
        products.c.id.in_(sorted(product_ids)), products.c.backorderable.is_(True))).scalars())


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


def _source(uow: UnitOfWork, order_id: str, order_seq: int, reason: str | None, *,
            keep_empty: bool) -> int:
    """Source what is backordered on one order (locked by the caller); returns the units
    sourced. Records ``order.backorder_sourced`` when any were. An attempt that sourced
    nothing is undone (a savepoint) unless ``keep_empty``: the worker retrying every few
    seconds would otherwise record a decision each time."""
    from ordermesh.sourcing.service import source_units  # the service imports this module

    rows = {r.line_no: r for r in uow.execute(
        select(order_lines.c.line_no, order_lines.c.sku, order_lines.c.backordered_quantity)
        .where(order_lines.c.order_seq == order_seq, order_lines.c.backordered_quantity > 0))}
    units = {n: r.backordered_quantity for n, r in rows.items()}
    if not units:
        return 0
    attempt = uow.conn.begin_nested()
    outcome = source_units(uow, order_id, units, TRIGGER, reason=reason)
    sourced = {n: q - min(outcome.unsourced.get(n, 0), q) for n, q in units.items()}
    sourced = {n: q for n, q in sourced.items() if q}
    if not sourced and not keep_empty:
        attempt.rollback()
        return 0
    attempt.commit()
    if not sourced:
        return 0
    for line_no, quantity in sorted(sourced.items()):
        uow.execute(update(order_lines).where(
            order_lines.c.order_seq == order_seq, order_lines.c.line_no == line_no,
        ).values(backordered_quantity=order_lines.c.backordered_quantity - quantity))
    dates = promised_dates(uow, order_seq)
    record_event(uow, "order.backorder_sourced", "order", order_id, {
        "id": order_id, "number": order_number(order_seq),
        "decision_id": outcome.decision_id,
        "lines": [{"line_no": n, "sku": rows[n].sku, "quantity": q,
                   "backordered_quantity": units[n] - q,
                   "promised_date": d.isoformat() if (d := dates.get(n)) else None}
                  for n, q in sorted(sourced.items())],
        "assignments": [{"line_no": a.line_no, "location_id": a.location_id,
                         "quantity": a.quantity} for a in outcome.assignments]})
    return sum(sourced.values())


def _products_of(uow: UnitOfWork, seqs: list[int]) -> set[str]:
    return set(uow.execute(select(order_lines.c.product_id).where(
        order_lines.c.order_seq.in_(seqs), order_lines.c.backordered_quantity > 0)).scalars())


# An order is claimed when it has a backordered line whose product has units free
# somewhere; the rest would only be looked at to be skipped again.
_IN_STOCK = exists().where(stock.c.product_id == order_lines.c.product_id, _FREE_UNITS > 0)
_WAITING = exists().where(and_(order_lines.c.order_seq == orders.c.seq,
                               order_lines.c.backordered_quantity > 0, _IN_STOCK))


def source_backorders(uow: UnitOfWork, limit: int = 50, *, windows: int = 5) -> int:
    """The worker's job: source the backorders of up to ``limit`` orders, oldest first,
    committing after each batch. Returns how many orders got units sourced.

    Orders are claimed with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite lets one writer
    in at a time), so workers share the work. Every stock row of the batch's products is
    locked first, in the global (product, location) order that placing an order uses, so
    sourcing one order after the other cannot deadlock with a placement.

    When none of a batch could be sourced (stock free only where their channels may not
    take it), the next ``limit`` orders are tried, up to ``windows`` batches, each its own
    transaction: old backorders that cannot be served do not starve newer ones that can."""
    after, done = 0, 0
    for _ in range(windows):
        claimed = list(uow.execute(
            select(orders.c.seq, orders.c.id)
            .where(orders.c.status.in_(sorted(s.value for s in SOURCEABLE)),
                   orders.c.seq > after, _WAITING)
            .order_by(orders.c.seq).limit(limit)
            .with_for_update(of=orders, skip_locked=True)))
        if not claimed:
            break
        lock_products(uow, _products_of(uow, [r.seq for r in claimed]))
        done += sum(1 for r in claimed if _source(uow, r.id, r.seq, "stock arrived",
                                                       keep_empty=False))
        uow.commit()
        if done or len(claimed) < limit:
            break
        after = claimed[-1].seq
    return done


def source_order_backorders(uow: UnitOfWork, order_id: str, reason: str | None = None
                            ) -> int:
    """Try now to source what is backordered on one order (an agent's request); commits.
    Returns the units sourced (0 when still nothing is available)."""
    query = select(orders.c.seq, orders.c.id, orders.c.status)
    row = uow.execute(query.where(orders.c.id == order_id).with_for_update()).first()
    if row is None and (seq := parse_order_number(order_id)) is not None:
        row = uow.execute(query.where(orders.c.seq == seq).with_for_update()).first()
    if row is None:
        raise NotFound(f"Order '{order_id}' does not exist")
    if OrderStatus(row.status) not in SOURCEABLE:
        raise IllegalTransition(f"An order that is {row.status} is not sourced",
                                extra={"current_status": row.status})
    if not _products_of(uow, [row.seq]):
        raise Conflict(f"Order {order_number(row.seq)} has no backordered units")
    sourced = _source(uow, row.id, row.seq, reason or "requested", keep_empty=True)
    uow.commit()
    return sourced
