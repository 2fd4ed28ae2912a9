"""Goods arriving against a purchase order: partial, over within the order's tolerance,
short (close the order short afterwards) and damaged on arrival (recorded as rejected,
never stocked). Accepted units are booked through inventory's receipt movement against
the line's expected supply."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select, update

from ordermesh.inventory.supply import Receipt, SupplyStatus, get_supply, receive
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.purchasing.model import RECEIVABLE, PurchaseOrder, require, status_after_receipt
from ordermesh.purchasing.service import get_po
from ordermesh.purchasing.tables import (
    purchase_order_lines,
    purchase_order_receipts,
    purchase_orders,
)

pl = purchase_order_lines.c


@dataclass(frozen=True)
class ArrivedLine:
    sku: str
    accepted: int  # into stock
    rejected: int = 0  # damaged or refused on arrival


@dataclass(frozen=True)
class POReceipt:
    id: str
    order: PurchaseOrder
    lines: tuple[ArrivedLine, ...]


def receive_po(uow: UnitOfWork, po_id: str, arrived: list[ArrivedLine],
               note: str | None = None,
               idem: idempotency.IdempotencyKey | None = None) -> POReceipt:
    """Book one arrival. The order and then its lines are locked first, so two receipts
    racing for the last open units of a line run one after the other and the second
    sees what the first booked. Commits."""
    if prior := idempotency.claim(uow, idem):
        return _prior(uow, prior.resource_id)
    order = get_po(uow, po_id, for_update=True)
    require(order.status, RECEIVABLE, "receive goods")
    uow.execute(select(pl.line_no).where(pl.po_id == po_id).order_by(pl.line_no)
                .with_for_update()).all()
    order = get_po(uow, po_id)  # as of the locks
    by_sku = {ln.sku: ln for ln in order.lines}
    seen: set[str] = set()
    for i, a in enumerate(arrived):
        line = by_sku.get(a.sku)
        if line is None or a.sku in seen:
            raise InvalidInput.for_field(f"lines.{i}.sku", f"{a.sku} is not on purchase order "
                                         f"{order.number}, or named twice", "not_on_order")
        seen.add(a.sku)
        if a.accepted + a.rejected < 1:
            raise InvalidInput.for_field(f"lines.{i}", "a line receives at least one unit")
        most = line.most_receivable(order.tolerance_percent)
        if a.accepted > most:
            raise Conflict(
                f"Cannot accept {a.accepted} of {a.sku}: {line.open} open on line "
                f"{line.line_no}; with {order.tolerance_percent}% tolerance over the "
                f"{line.due} due, at most {max(most, 0)} more may be accepted",
                extra={"sku": a.sku, "open": line.open, "most_acceptable": max(most, 0)})
    receipt_id, now = new_id("por"), uow.clock.now()
    for a in arrived:
        line = by_sku[a.sku]
        if a.accepted:
            _book(uow, order, line.supply_id, a.sku, a.accepted, note)
        uow.execute(update(purchase_order_lines)
                    .where(pl.po_id == po_id, pl.line_no == line.line_no)
                    .values(received=pl.received + a.accepted,
                            rejected=pl.rejected + a.rejected))
        uow.execute(insert(purchase_order_receipts).values(
            id=new_id("prl"), receipt_id=receipt_id, po_id=po_id, line_no=line.line_no,
            accepted=a.accepted, rejected=a.rejected, received_on=now.date(), note=note,
            created_at=now))
    status = status_after_receipt(list(get_po(uow, po_id).lines))
    uow.execute(update(purchase_orders).where(purchase_orders.c.id == po_id)
                .values(status=status.value, updated_at=now))
    after = get_po(uow, po_id)
    record_event(uow, "purchase_order.received", "purchase_order", po_id, {
        "receipt_id": receipt_id, "supplier": order.supplier_code,
        "location": order.location_code, "status": status.value,
        "lines": [{"sku": a.sku, "accepted": a.accepted, "rejected": a.rejected,
                   "open": next(ln.open for ln in after.lines if ln.sku == a.sku)}
                  for a in arrived]})
    idempotency.complete(uow, idem, "purchase_order_receipt", receipt_id, 201)
    uow.commit()
    return POReceipt(receipt_id, after, tuple(arrived))


def _book(uow: UnitOfWork, order: PurchaseOrder, supply_id: str | None, sku: str,
          quantity: int, note: str | None) -> None:
    """Units within the line's open expected supply are received against it (closing it
    once all arrived); units beyond it (over-delivery within tolerance) are a plain
    receipt referencing the order in its note."""
    outstanding = 0
    if supply_id:
        supply = get_supply(uow, supply_id)
        outstanding = supply.outstanding if supply.status is SupplyStatus.OPEN else 0
    against = min(quantity, outstanding)
    if against:
        receive(uow, Receipt(sku, order.location_code, against, supply_id, note), commit=False)
    if quantity > against:
        receive(uow, Receipt(sku, order.location_code, quantity - against, None,
                             f"over-delivery on purchase order {order.number}"), commit=False)


def _prior(uow: UnitOfWork, receipt_id: str) -> POReceipt:
    rows = list(uow.execute(select(purchase_order_receipts).where(
        purchase_order_receipts.c.receipt_id == receipt_id)))
    order = get_po(uow, rows[0].po_id)
    skus = {ln.line_no: ln.sku for ln in order.lines}
    return POReceipt(receipt_id, order, tuple(ArrivedLine(skus[r.line_no], r.accepted,
                                                          r.rejected) for r in rows))


def receipts_of(uow: UnitOfWork, po_ids: list[str]) -> list:
    """Every receipt line of these orders, oldest first."""
    if not po_ids:
        return []
    r = purchase_order_receipts.c
    return list(uow.execute(select(purchase_order_receipts).where(r.po_id.in_(po_ids))
                            .order_by(r.created_at, r.id)))
