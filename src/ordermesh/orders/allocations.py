"""Which location holds which units of an order's lines (``order_allocations``), for the
features that move them: sourcing adds what it reserved, re-sourcing takes units back."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict
from ordermesh.kit.upsert import insert_or_add_many
from ordermesh.orders.tables import order_allocations


def add_allocations(uow: UnitOfWork, order_seq: int, units: list[tuple[int, str, int]]) -> None:
    """Add ``(line_no, location_id, quantity)`` to what the lines hold reserved."""
    insert_or_add_many(uow, order_allocations, ("order_seq", "line_no", "location_id"),
                       ("quantity",), [
                           {"order_seq": order_seq, "line_no": n, "location_id": loc,
                            "quantity": q} for n, loc, q in sorted(units) if q > 0])


def allocated(uow: UnitOfWork, order_seq: int, line_no: int, location_id: str) -> int:
    return uow.execute(select(order_allocations.c.quantity).where(
        order_allocations.c.order_seq == order_seq, order_allocations.c.line_no == line_no,
        order_allocations.c.location_id == location_id)).scalar() or 0


def take_allocation(uow: UnitOfWork, order_seq: int, line_no: int, location_id: str,
                    quantity: int) -> None:
    """Take ``quantity`` units of a line off a location (the caller gives the stock back)."""
    where = (order_allocations.c.order_seq == order_seq,
             order_allocations.c.line_no == line_no,
             order_allocations.c.location_id == location_id)
    changed = uow.execute(update(order_allocations).where(
        *where, order_allocations.c.quantity >= quantity)
        .values(quantity=order_allocations.c.quantity - quantity)).rowcount
    if changed != 1:
        raise Conflict(f"Line {line_no} does not hold {quantity} units at that location")
    uow.execute(delete(order_allocations).where(*where, order_allocations.c.quantity == 0))
