"""Backorders and pre-orders: units of an order line that no location can supply now.

At placement (and when a location gives units back) the sourcing engine reserves what it
can; for a product that may be backordered on the channel (``backorderable``) the rest is
recorded on the line (``record_backorder``, kept by orders: ``orders/backorders.py``,
with the promise dates) instead of refusing the order. Backordered
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

from sqlalchemy import and_, exists, select, update

from ordermesh.catalog.tables import products
from ordermesh.inventory.stock_rows import lock_products
from ordermesh.inventory.tables import stock
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, IllegalTransition, NotFound
from ordermesh.kit.outbox import record_event
from ordermesh.orders.backorders import (  # re-exported: placement and the unit tests use them
    FREE_UNITS,
    Incoming,
    Queued,
    promise_dates,
    promised_dates,
    record_backorder,
    with_promises,
)
from ordermesh.orders.model import OrderStatus, order_number, parse_order_number
from ordermesh.orders.tables import order_lines, orders

__all__ = ["Incoming", "Queued", "backorderable", "promise_dates", "promised_dates",
           "record_backorder", "source_backorders", "source_order_backorders", "with_promises"]

# Orders whose backorders are sourced: placed and not stopped (on hold) nor finished.
SOURCEABLE = frozenset({OrderStatus.CONFIRMED, OrderStatus.PROCESSING,
                        OrderStatus.PARTIALLY_SHIPPED})
TRIGGER = "backorder"


# --- sourcing them ---------------------------------------------------------------------

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
    attempt = uow.savepoint()
    outcome = source_units(uow, order_id, units, TRIGGER, reason=reason)
    sourced = {n: q - min(outcome.unsourced.get(n, 0), q) for n, q in units.items()}
    sourced = {n: q for n, q in sourced.items() if q}
    if not sourced and not keep_empty:
        attempt.rollback()
        return 0
    attempt.release()
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
_IN_STOCK = exists().where(stock.c.product_id == order_lines.c.product_id, FREE_UNITS > 0)
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
