"""Drop-ship purchase orders: created at placement, answered by the supplier.

These use cases keep the drop-ship order's own record (status, units per line, the
supplier's shipments) and write its events. What the answers do to the customer's
order (fulfilment, stock, sourcing, tracking) is ``flows/dropship_partner.py``, which
calls in here inside its unit of work. Nothing here commits.

Two answers racing on one drop-ship order (two ship calls for its last open units) are
serialised by ``lock_dropship`` (``SELECT … FOR UPDATE`` on its row; SQLite holds its one
write lock already) and every unit booked is a conditional ``UPDATE`` that re-checks the
open quantity, backed by the ``dropship_units`` CHECK constraint.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, insert, select, update

from ordermesh.dropship.model import (
    OPEN,
    DropshipLine,
    DropshipOrder,
    DropshipShipment,
    DropshipStatus,
    dropship_number,
    effective_status,
    status_after,
)
from ordermesh.dropship.tables import dropship_lines, dropship_orders, dropship_shipments
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, FieldError, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import record_event
from ordermesh.suppliers.service import suppliers_by_ids

DS = dropship_orders.c
DL = dropship_lines.c


@dataclass(frozen=True)
class NewDropship:
    supplier_id: str
    cost_currency: str
    order_id: str
    order_seq: int
    order_number: str
    fo_id: str
    ship_to: dict
    service_level: str
    price_currency: str
    lines: tuple[DropshipLine, ...]  # nothing shipped, short or rejected yet


def request_dropship(uow: UnitOfWork, new: NewDropship) -> DropshipOrder:
    """Write the drop-ship purchase order and ``dropship.requested`` (the document the
    supplier works from: the customer's address, the lines, the supplier's cost)."""
    index = uow.execute(select(func.count()).select_from(dropship_orders)
                        .where(DS.order_seq == new.order_seq)).scalar_one() + 1
    ds_id = new_id("ds")
    now = uow.clock.now()
    uow.execute(insert(dropship_orders).values(
        id=ds_id, number=dropship_number(new.order_seq, index), supplier_id=new.supplier_id,
        order_id=new.order_id, order_seq=new.order_seq, order_number=new.order_number,
        fo_id=new.fo_id, status=DropshipStatus.REQUESTED.value, ship_to=new.ship_to,
        service_level=new.service_level, cost_currency=new.cost_currency,
        price_currency=new.price_currency, created_at=now, updated_at=now))
    uow.execute(insert(dropship_lines), [{
        "ds_id": ds_id, "line_no": ln.line_no, "product_id": ln.product_id, "sku": ln.sku,
        "supplier_sku": ln.supplier_sku, "name": ln.name, "quantity": ln.quantity,
        "shipped": 0, "short": 0, "rejected": 0,
        "unit_cost": ln.unit_cost.amount if ln.unit_cost else None,
        "unit_price": ln.unit_price.amount} for ln in new.lines])
    ds = get_dropship(uow, ds_id)
    dropship_event(uow, "requested", ds, ship_to=ds.ship_to, fulfilment_order_id=ds.fo_id,
           lines=[_line_json(ln) for ln in ds.lines])
    return ds


def _line_json(ln: DropshipLine) -> dict:
    return {"line_no": ln.line_no, "sku": ln.sku, "supplier_sku": ln.supplier_sku,
            "quantity": ln.quantity,
            "unit_cost": str(ln.unit_cost.amount) if ln.unit_cost else None,
            "unit_price": str(ln.unit_price.amount)}


def dropship_event(uow: UnitOfWork, what: str, ds: DropshipOrder, **extra) -> None:
    record_event(uow, f"dropship.{what}", "dropship_order", ds.id, {
        "id": ds.id, "number": ds.number, "supplier": ds.supplier_code,
        "order_id": ds.order_id, "order_number": ds.order_number, "status": ds.status.value,
        **extra})


def _orders(uow: UnitOfWork, rows) -> list[DropshipOrder]:
    rows = list(rows)
    if not rows:
        return []
    ids = [r.id for r in rows]
    by_id = {r.id: r for r in rows}
    cancelled = {r.id: _cancelled_on(uow, r.fo_id) for r in rows}
    lines: dict[str, list[DropshipLine]] = {i: [] for i in ids}
    for r in uow.execute(select(dropship_lines).where(DL.ds_id.in_(ids))
                         .order_by(DL.ds_id, DL.line_no)):
        order = by_id[r.ds_id]
        lines[r.ds_id].append(DropshipLine(
            r.line_no, r.product_id, r.sku, r.supplier_sku, r.name, r.quantity, r.shipped,
            r.short, r.rejected,
            Money.of(r.unit_cost, order.cost_currency) if r.unit_cost is not None else None,
            Money.of(r.unit_price, order.price_currency),
            cancelled[r.ds_id].get(r.line_no, 0), r.cancel_requested, r.cancel_accepted,
            r.cancel_refused))
    shipments: dict[str, list[DropshipShipment]] = {i: [] for i in ids}
    for r in uow.execute(select(dropship_shipments).where(dropship_shipments.c.ds_id.in_(ids))
                         .order_by(dropship_shipments.c.shipped_at, dropship_shipments.c.id)):
        shipments[r.ds_id].append(DropshipShipment(
            r.id, r.carrier, r.tracking_number,
            tuple((int(x["line_no"]), int(x["quantity"])) for x in r.lines),
            r.order_shipment_id, as_utc(r.shipped_at)))
    codes = {sid: s.code for sid, s in suppliers_by_ids(uow, {r.supplier_id for r in rows}
                                                         ).items()}

    def when(value):
        return as_utc(value) if value is not None else None

    return [DropshipOrder(
        r.id, r.number, r.supplier_id, codes[r.supplier_id], r.order_id, r.order_number,
        r.fo_id, effective_status(DropshipStatus(r.status), tuple(lines[r.id])),
        dict(r.ship_to), r.service_level, r.cost_currency,
        r.price_currency, r.supplier_reference, r.reason, tuple(lines[r.id]),
        tuple(shipments[r.id]), as_utc(r.created_at), when(r.accepted_at),
        when(r.first_shipped_at), when(r.closed_at), as_utc(r.updated_at),
        dict(r.cancel_refusal) if r.cancel_refusal else None) for r in rows]


def _cancelled_on(uow: UnitOfWork, fo_id: str) -> dict[int, int]:
    """Units per line the merchant took off the drop-ship's fulfilment order (the
    customer's order cancelled or edited): the supplier must no longer ship them."""
    from ordermesh.fulfilment.queries import get_fulfilment_order

    return {ln.line_no: ln.cancelled_quantity
            for ln in get_fulfilment_order(uow, fo_id).lines if ln.cancelled_quantity}


def get_dropship(uow: UnitOfWork, ref: str) -> DropshipOrder:
    """A drop-ship order by id or number."""
    row = uow.execute(select(dropship_orders).where(
        (DS.id == ref) | (DS.number == ref))).first()
    if row is None:
        raise NotFound(f"Drop-ship order '{ref}' does not exist")
    return _orders(uow, [row])[0]


def lock_dropship(uow: UnitOfWork, ref: str, supplier_id: str | None = None, *,
                  for_update: bool = True) -> DropshipOrder:
    """The drop-ship order, its row locked for this transaction. With ``supplier_id``
    (a supplier's partner key) another supplier's order does not exist (404): a supplier
    learns nothing of orders that are not its own."""
    query = select(dropship_orders).where((DS.id == ref) | (DS.number == ref))
    row = uow.execute(query.with_for_update() if for_update else query).first()
    if row is None or (supplier_id is not None and row.supplier_id != supplier_id):
        raise NotFound(f"Drop-ship order '{ref}' does not exist")
    return _orders(uow, [row])[0]


def list_dropships(uow: UnitOfWork, *, supplier_id: str | None = None,
                   status: DropshipStatus | None = None, open_only: bool = False,
                   order_id: str | None = None, limit: int = 100) -> list[DropshipOrder]:
    query = select(dropship_orders).order_by(DS.created_at, DS.id).limit(limit)
    if supplier_id is not None:
        query = query.where(DS.supplier_id == supplier_id)
    if status is not None:
        # an open one may be closed by the merchant's cancellation: filtered as shown
        query = query.where(DS.status.in_(sorted({status.value, *(s.value for s in OPEN)})))
    if open_only:
        query = query.where(DS.status.in_(sorted(s.value for s in OPEN)))
    if order_id is not None:
        query = query.where(DS.order_id == order_id)
    found = _orders(uow, uow.execute(query))
    # one the merchant cancelled whole is stored open but is not any more, unless the
    # supplier still has to answer the cancellation
    return [ds for ds in found if (not open_only or ds.status in OPEN or ds.cancel_pending)
            and (status is None or ds.status is status)]


def check_units(ds: DropshipOrder, units: dict[int, int], what: str) -> None:
    """Every line named is on the order and has that many units open."""
    errors = []
    for no, quantity in sorted(units.items()):
        line = ds.line(no)
        if line is None:
            errors.append(FieldError(f"lines.{no}", f"{ds.number} has no line {no}",
                                     "unknown_line"))
        elif quantity <= 0:
            errors.append(FieldError(f"lines.{no}", "quantity must be at least 1",
                                     "not_positive"))
        elif quantity > line.open:
            errors.append(FieldError(
                f"lines.{no}", f"{ds.number} has {line.open} open unit(s) of line {no}, "
                f"cannot {what} {quantity}", "exceeds_open_quantity"))
    if errors:
        raise InvalidInput(f"{ds.number}: cannot {what} these units", errors=errors)
    if not units:
        raise InvalidInput.for_field("lines", f"name at least one line to {what}", "missing")


def _set(uow: UnitOfWork, ds: DropshipOrder, **values) -> DropshipOrder:
    uow.execute(update(dropship_orders).where(DS.id == ds.id)
                .values(updated_at=uow.clock.now(), **values))
    return get_dropship(uow, ds.id)


def mark_accepted(uow: UnitOfWork, ds: DropshipOrder, reference: str | None
                  ) -> DropshipOrder:
    updated = _set(uow, ds, status=DropshipStatus.ACCEPTED.value,
                   accepted_at=uow.clock.now(), supplier_reference=reference)
    dropship_event(uow, "accepted", updated, from_status=ds.status.value,
           supplier_reference=reference)
    return updated


def mark_rejected(uow: UnitOfWork, ds: DropshipOrder, reason: str | None) -> DropshipOrder:
    """Refused whole: its open units are rejected (sourcing has them again)."""
    for ln in ds.lines:
        if ln.open:
            _book(uow, ds, "rejected", ln.line_no, ln.open)
    now = uow.clock.now()
    updated = _set(uow, ds, status=DropshipStatus.REJECTED.value, reason=reason,
                   closed_at=now)
    dropship_event(uow, "rejected", updated, from_status=ds.status.value, reason=reason,
           lines=[{"line_no": ln.line_no, "quantity": ln.open} for ln in ds.lines if ln.open])
    return updated


def _book(uow: UnitOfWork, ds: DropshipOrder, column: str, line_no: int, quantity: int
          ) -> None:
    """Units off a line's open quantity, re-checked by the database: a concurrent answer
    that took them first leaves this one nothing to book."""
    changed = uow.execute(
        update(dropship_lines)
        .where(DL.ds_id == ds.id, DL.line_no == line_no,
               DL.quantity - DL.shipped - DL.short - DL.rejected >= quantity)
        .values(**{column: getattr(DL, column) + quantity})).rowcount
    if changed != 1:
        raise Conflict(f"{ds.number}: line {line_no} no longer has {quantity} open unit(s)",
                       extra={"line_no": line_no})


def book_shipment(uow: UnitOfWork, ds: DropshipOrder, carrier: str, tracking_number: str,
                  units: dict[int, int], order_shipment_id: str) -> DropshipOrder:
    """The supplier shipped ``units`` in one parcel; the rest stays open."""
    check_units(ds, units, "ship")
    if any((s.carrier, s.tracking_number) == (carrier, tracking_number) for s in ds.shipments):
        raise Conflict(f"{ds.number} already has a parcel {tracking_number} with {carrier}: "
                       "each parcel has its own tracking number",
                       extra={"tracking_number": tracking_number})
    for no, quantity in sorted(units.items()):
        _book(uow, ds, "shipped", no, quantity)
    now = uow.clock.now()
    shipment_id = new_id("dss")
    lines = [{"line_no": n, "quantity": q} for n, q in sorted(units.items())]
    uow.execute(insert(dropship_shipments).values(
        id=shipment_id, ds_id=ds.id, carrier=carrier, tracking_number=tracking_number,
        lines=lines, order_shipment_id=order_shipment_id, shipped_at=now))
    status = status_after(ds, units, {})
    values: dict = {"status": status.value}
    if ds.first_shipped_at is None:
        values["first_shipped_at"] = now
    if status not in OPEN:
        values["closed_at"] = now
    updated = _set(uow, ds, **values)
    dropship_event(uow, "shipped", updated, from_status=ds.status.value, shipment_id=shipment_id,
           carrier=carrier, tracking_number=tracking_number, lines=lines,
           order_shipment_id=order_shipment_id, open_units=updated.open_units)
    return updated


def book_short(uow: UnitOfWork, ds: DropshipOrder, units: dict[int, int],
               reason: str | None) -> DropshipOrder:
    """The supplier does not have ``units``: off the order (sourcing has them again)."""
    check_units(ds, units, "report short")
    for no, quantity in sorted(units.items()):
        _book(uow, ds, "short", no, quantity)
    status = status_after(ds, {}, units)
    values: dict = {"status": status.value, "reason": reason}
    if status not in OPEN:
        values["closed_at"] = uow.clock.now()
    updated = _set(uow, ds, **values)
    dropship_event(uow, "shorted", updated, from_status=ds.status.value, reason=reason,
           lines=[{"line_no": n, "quantity": q} for n, q in sorted(units.items())],
           open_units=updated.open_units)
    return updated


@dataclass(frozen=True)
class DropshipPerformance:
    """A supplier's drop-ship record over the orders requested in a period."""

    requested: int
    accepted: int  # accepted, or shipped without an explicit acceptance
    rejected: int
    acceptance_rate: float | None  # accepted over answered (accepted + rejected)
    median_hours_to_ship: float | None  # requested -> first parcel


def dropship_performance(uow: UnitOfWork, supplier_id: str, start: date, end: date
                         ) -> DropshipPerformance:
    """Over the drop-ship orders requested from ``start`` to ``end`` inclusive (UTC)."""
    rows = uow.execute(select(DS.status, DS.created_at, DS.accepted_at, DS.first_shipped_at)
                       .where(DS.supplier_id == supplier_id,
                              DS.created_at >= datetime.combine(start, time(), UTC),
                              DS.created_at < datetime.combine(end + timedelta(days=1),
                                                               time(), UTC))).all()
    accepted = sum(1 for r in rows if r.accepted_at or r.first_shipped_at)
    rejected = sum(1 for r in rows if r.status == DropshipStatus.REJECTED.value)
    hours = [(as_utc(r.first_shipped_at) - as_utc(r.created_at)).total_seconds() / 3600
             for r in rows if r.first_shipped_at]
    return DropshipPerformance(
        len(rows), accepted, rejected,
        round(accepted / (accepted + rejected), 4) if accepted + rejected else None,
        round(statistics.median(hours), 2) if hours else None)
