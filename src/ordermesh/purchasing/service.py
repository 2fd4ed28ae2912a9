"""Purchase orders: draft, send (the lines become expected supply that ATP counts),
confirm, close (short) and cancel. Receipts are in ``receipts.py``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import insert, select, update

from ordermesh.catalog.service import resolve_skus
from ordermesh.catalog.tables import products
from ordermesh.inventory.supply import (
    NewSupply,
    SupplyKind,
    SupplyStatus,
    cancel_supply,
    create_supply,
    get_supply,
)
from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import record_event
from ordermesh.kit.pagination import Page, decode_cursor, encode_cursor
from ordermesh.locations.service import location_by_code, location_codes
from ordermesh.purchasing.model import (
    CANCELLABLE,
    CLOSABLE,
    CONFIRMABLE,
    DEFAULT_TOLERANCE_PERCENT,
    RESENDABLE,
    SENDABLE,
    POLine,
    POStatus,
    PurchaseOrder,
    require,
)
from ordermesh.purchasing.notifications import (
    check_can_resend,
    notifications_of,
    queue_notification,
)
from ordermesh.purchasing.tables import purchase_order_lines, purchase_orders
from ordermesh.suppliers.model import Supplier, SupplierStatus
from ordermesh.suppliers.service import find_supplier, supplier_product_or_none, suppliers_by_ids

po, pl = purchase_orders.c, purchase_order_lines.c


@dataclass(frozen=True)
class NewLine:
    sku: str
    quantity: int
    unit_cost: Money | None = None  # None: the supplier's price for the quantity
    expected_date: date | None = None


@dataclass(frozen=True)
class NewPurchaseOrder:
    supplier: str  # id or code
    location: str  # code
    lines: tuple[NewLine, ...]
    expected_date: date | None = None  # None: today plus the supplier's lead time
    reference: str | None = None
    note: str | None = None
    tolerance_percent: int = DEFAULT_TOLERANCE_PERCENT


@dataclass(frozen=True)
class Confirmation:
    line_no: int
    quantity: int
    date: date | None = None


def check_can_order(supplier: Supplier, field: str = "supplier") -> None:
    if supplier.status is SupplierStatus.BLOCKED:
        raise InvalidInput.for_field(field, f"Supplier {supplier.code} is blocked: no purchase "
                                     "orders can be placed with it", "supplier_blocked")


def _lines(uow: UnitOfWork, po_ids: list[str]) -> dict[str, list[POLine]]:
    found: dict[str, list[POLine]] = {i: [] for i in po_ids}
    if not po_ids:
        return found
    rows = uow.execute(select(purchase_order_lines, products.c.sku, purchase_orders.c.currency)
                       .join(products, products.c.id == pl.product_id)
                       .join(purchase_orders, po.id == pl.po_id)
                       .where(pl.po_id.in_(po_ids)).order_by(pl.po_id, pl.line_no))
    for r in rows:
        found[r.po_id].append(POLine(
            line_no=r.line_no, product_id=r.product_id, sku=r.sku, quantity=r.quantity,
            unit_cost=Money.of(r.unit_cost, r.currency), expected_date=r.expected_date,
            confirmed_quantity=r.confirmed_quantity, confirmed_date=r.confirmed_date,
            received=r.received, rejected=r.rejected, supply_id=r.supply_id))
    return found


def _utc(value):
    return as_utc(value) if value is not None else None


def _to_orders(uow: UnitOfWork, rows) -> list[PurchaseOrder]:
    rows = list(rows)
    lines = _lines(uow, [r.id for r in rows])
    codes = location_codes(uow, {r.location_id for r in rows})
    sups = suppliers_by_ids(uow, {r.supplier_id for r in rows})
    mails = notifications_of(uow, [r.id for r in rows])
    return [PurchaseOrder(
        id=r.id, number=r.reference or r.id, supplier_id=r.supplier_id,
        supplier_code=sups[r.supplier_id].code, location_id=r.location_id,
        location_code=codes[r.location_id], currency=r.currency, status=POStatus(r.status),
        expected_date=r.expected_date, tolerance_percent=r.tolerance_percent, note=r.note,
        lines=tuple(lines[r.id]), sent_at=_utc(r.sent_at), confirmed_at=_utc(r.confirmed_at),
        closed_at=_utc(r.closed_at), created_at=as_utc(r.created_at),
        updated_at=as_utc(r.updated_at), notifications=tuple(mails[r.id])) for r in rows]


def get_po(uow: UnitOfWork, po_id: str, *, for_update: bool = False) -> PurchaseOrder:
    query = select(purchase_orders).where(po.id == po_id)
    found = _to_orders(uow, uow.execute(query.with_for_update() if for_update else query))
    if not found:
        raise NotFound(f"Purchase order '{po_id}' does not exist")
    return found[0]


def list_pos(uow: UnitOfWork, *, supplier: str | None = None, status: POStatus | None = None,
             limit: int = 50, cursor: str | None = None) -> Page[PurchaseOrder]:
    """Newest first; the cursor carries a row offset."""
    offset = decode_cursor(cursor) or 0
    query = select(purchase_orders).order_by(po.created_at.desc(), po.id.desc())
    if supplier:
        query = query.where(po.supplier_id == find_supplier(uow, supplier).id)
    if status:
        query = query.where(po.status == status.value)
    items = _to_orders(uow, uow.execute(query.offset(offset).limit(limit + 1)))
    return Page(items[:limit], encode_cursor(offset + limit) if len(items) > limit else None)


def pos_of_supplier(uow: UnitOfWork, supplier_id: str) -> list[PurchaseOrder]:
    return _to_orders(uow, uow.execute(select(purchase_orders).where(
        po.supplier_id == supplier_id).order_by(po.created_at)))


def create_po(uow: UnitOfWork, cmd: NewPurchaseOrder,
              idem: idempotency.IdempotencyKey | None = None, *,
              commit: bool = True) -> PurchaseOrder:
    """A draft purchase order at cost in the supplier's currency. A line without a unit
    cost takes the supplier's price for its quantity (422 when there is none)."""
    if prior := idempotency.claim(uow, idem):
        return get_po(uow, prior.resource_id)
    supplier = find_supplier(uow, cmd.supplier)
    check_can_order(supplier)
    location = location_by_code(uow, cmd.location)
    skus = [ln.sku for ln in cmd.lines]
    if len(set(skus)) != len(skus):
        raise InvalidInput.for_field("lines", "each SKU may appear on one line only",
                                     "duplicate_sku")
    refs = resolve_skus(uow, skus)
    today = uow.clock.now().date()
    expected = cmd.expected_date or today + timedelta(days=supplier.lead_time_days or 0)
    po_id, now = new_id("po"), uow.clock.now()
    rows = []
    for i, ln in enumerate(cmd.lines):
        offer = supplier_product_or_none(uow, supplier.id, refs[ln.sku].id)
        cost = ln.unit_cost
        if cost is None:
            cost = offer.cost(supplier.currency, ln.quantity, today) if offer else None
            if cost is None:
                raise InvalidInput.for_field(
                    f"lines.{i}.unit_cost", f"{supplier.code} has no price for {ln.sku} in "
                    f"{supplier.currency} at {ln.quantity} units: give the unit cost",
                    "no_price")
        if cost.currency != supplier.currency:
            raise InvalidInput.for_field(
                f"lines.{i}.unit_cost.currency", f"{supplier.code} is paid in "
                f"{supplier.currency}, not {cost.currency}", "currency_mismatch")
        if cost.is_negative():
            raise InvalidInput.for_field(f"lines.{i}.unit_cost.amount",
                                         "a cost cannot be negative", "negative_cost")
        line_date = ln.expected_date or (
            today + timedelta(days=offer.lead_time_days)
            if offer and offer.lead_time_days is not None and not cmd.expected_date
            else expected)
        rows.append(dict(po_id=po_id, line_no=i + 1, product_id=refs[ln.sku].id,
                         quantity=ln.quantity, unit_cost=cost.amount, expected_date=line_date,
                         received=0, rejected=0))
    uow.execute(insert(purchase_orders).values(
        id=po_id, supplier_id=supplier.id, location_id=location.id,
        currency=supplier.currency, status=POStatus.DRAFT.value, reference=cmd.reference,
        expected_date=expected, tolerance_percent=cmd.tolerance_percent, note=cmd.note,
        created_at=now, updated_at=now))
    uow.execute(insert(purchase_order_lines), rows)
    created = get_po(uow, po_id)
    record_event(uow, "purchase_order.created", "purchase_order", po_id, {
        "supplier": supplier.code, "location": location.code, "currency": supplier.currency,
        "total": str(created.total.amount), "lines": len(rows)})
    idempotency.complete(uow, idem, "purchase_order", po_id, 201)
    if commit:
        uow.commit()
    return created


def _set_status(uow: UnitOfWork, po_id: str, status: POStatus, **values) -> None:
    uow.execute(update(purchase_orders).where(po.id == po_id)
                .values(status=status.value, updated_at=uow.clock.now(), **values))


def send_po(uow: UnitOfWork, po_id: str) -> PurchaseOrder:
    """draft → sent: each line becomes open expected supply of kind purchase_order at
    the PO's location, which availability counts as incoming. The supplier's ordering
    contact is e-mailed the PDF after commit (``notifications``). Commits."""
    order = get_po(uow, po_id, for_update=True)
    require(order.status, SENDABLE, "be sent")
    supplier = find_supplier(uow, order.supplier_id)
    check_can_order(supplier)
    if supplier.status is SupplierStatus.ON_HOLD:
        raise Conflict(f"Supplier {supplier.code} is on hold: nothing can be sent to it",
                       extra={"supplier_status": supplier.status.value})
    if supplier.minimum_order and order.total < supplier.minimum_order:
        raise Conflict(f"The order totals {order.total}, below {supplier.code}'s minimum "
                       f"order of {supplier.minimum_order}",
                       extra={"minimum_order": str(supplier.minimum_order.amount)})
    for ln in order.lines:
        _announce(uow, order, ln, ln.quantity, ln.expected_date)
    _set_status(uow, po_id, POStatus.SENT, sent_at=uow.clock.now())
    record_event(uow, "purchase_order.sent", "purchase_order", po_id, {
        "supplier": order.supplier_code, "location": order.location_code,
        "total": str(order.total.amount), "currency": order.currency,
        "lines": [{"sku": ln.sku, "quantity": ln.quantity,
                   "expected_date": ln.expected_date.isoformat()} for ln in order.lines]})
    queue_notification(uow, order, supplier, "sent")
    sent = get_po(uow, po_id)
    uow.commit()
    return sent


def resend_po(uow: UnitOfWork, po_id: str) -> PurchaseOrder:
    """E-mail a sent order to the supplier again (the PDF as it stands now). Commits."""
    order = get_po(uow, po_id, for_update=True)
    require(order.status, RESENDABLE, "be e-mailed to the supplier again")
    supplier = find_supplier(uow, order.supplier_id)
    check_can_resend(supplier)
    queue_notification(uow, order, supplier, "resend")
    again = get_po(uow, po_id)
    uow.commit()
    return again


def _announce(uow: UnitOfWork, order: PurchaseOrder, ln: POLine, quantity: int,
              on: date) -> None:
    supply_id = None
    if quantity > 0:
        supply_id = create_supply(uow, NewSupply(
            ln.sku, order.location_code, quantity, on, SupplyKind.PURCHASE_ORDER,
            f"{order.id}/{ln.line_no}"), commit=False).id
    uow.execute(update(purchase_order_lines).where(pl.po_id == order.id,
                                                   pl.line_no == ln.line_no)
                .values(supply_id=supply_id))


def _withdraw(uow: UnitOfWork, ln: POLine) -> None:
    """The rest of a line will not come: its open supply is cancelled."""
    if ln.supply_id and get_supply(uow, ln.supply_id).status is SupplyStatus.OPEN:
        cancel_supply(uow, ln.supply_id, commit=False)


def confirm_po(uow: UnitOfWork, po_id: str, confirmations: list[Confirmation]) -> PurchaseOrder:
    """sent → confirmed with the supplier's quantities and dates per line (a line not
    named is confirmed as ordered). Expected supply follows what was confirmed.
    Commits."""
    order = get_po(uow, po_id, for_update=True)
    require(order.status, CONFIRMABLE, "be confirmed")
    by_line = {}
    for i, c in enumerate(confirmations):
        if order.line(c.line_no) is None or c.line_no in by_line:
            raise InvalidInput.for_field(f"lines.{i}.line_no", f"line {c.line_no} is not on "
                                         "the order, or named twice", "unknown_line")
        by_line[c.line_no] = c
    today = uow.clock.now().date()
    for i, c in enumerate(confirmations):
        if c.date is not None and c.date < today:
            raise InvalidInput.for_field(f"lines.{i}.date", "a confirmed date cannot be in "
                                         "the past", "date_in_past")
    for ln in order.lines:
        c = by_line.get(ln.line_no, Confirmation(ln.line_no, ln.quantity, ln.expected_date))
        on = c.date or ln.expected_date
        uow.execute(update(purchase_order_lines)
                    .where(pl.po_id == po_id, pl.line_no == ln.line_no)
                    .values(confirmed_quantity=c.quantity, confirmed_date=on))
        if (c.quantity, on) != (ln.quantity, ln.expected_date):
            _withdraw(uow, ln)
            _announce(uow, order, ln, c.quantity, on)
    _set_status(uow, po_id, POStatus.CONFIRMED, confirmed_at=uow.clock.now())
    confirmed = get_po(uow, po_id)
    record_event(uow, "purchase_order.confirmed", "purchase_order", po_id, {
        "supplier": order.supplier_code,
        "lines": [{"line_no": ln.line_no, "sku": ln.sku, "ordered": ln.quantity,
                   "confirmed": ln.confirmed_quantity,
                   "date": ln.confirmed_date.isoformat() if ln.confirmed_date else None}
                  for ln in confirmed.lines]})
    uow.commit()
    return confirmed


def close_po(uow: UnitOfWork, po_id: str, reason: str | None = None) -> PurchaseOrder:
    """→ closed. Closing before everything arrived closes short: the open expected
    supply is cancelled. Commits."""
    order = get_po(uow, po_id, for_update=True)
    require(order.status, CLOSABLE, "be closed")
    short = [ln for ln in order.lines if ln.open]
    for ln in short:
        _withdraw(uow, ln)
    _set_status(uow, po_id, POStatus.CLOSED, closed_at=uow.clock.now())
    record_event(uow, "purchase_order.closed", "purchase_order", po_id, {
        "supplier": order.supplier_code, "short": bool(short), "reason": reason,
        "short_lines": [{"line_no": ln.line_no, "sku": ln.sku, "missing": ln.open}
                        for ln in short]})
    closed = get_po(uow, po_id)
    uow.commit()
    return closed


def cancel_po(uow: UnitOfWork, po_id: str, reason: str | None = None) -> PurchaseOrder:
    """draft, sent or confirmed, with nothing received → cancelled; its expected supply
    is cancelled. Commits."""
    order = get_po(uow, po_id, for_update=True)
    require(order.status, CANCELLABLE, "be cancelled")
    for ln in order.lines:
        _withdraw(uow, ln)
    _set_status(uow, po_id, POStatus.CANCELLED, closed_at=uow.clock.now())
    record_event(uow, "purchase_order.cancelled", "purchase_order", po_id, {
        "supplier": order.supplier_code, "reason": reason,
        "was": order.status.value})
    cancelled = get_po(uow, po_id)
    uow.commit()
    return cancelled
