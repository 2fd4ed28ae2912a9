"""Expected supply (purchase order lines, production runs, customer returns on their
way) and receipts: units arriving at a location, against expected supply or not."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, insert, select, update

from ordermesh.catalog.service import resolve_skus
from ordermesh.catalog.tables import products
from ordermesh.inventory.ledger import book
from ordermesh.inventory.levels import levels, record_level_events
from ordermesh.inventory.model import AdjustmentReason, MovementKind
from ordermesh.inventory.service import MAX_ON_HAND
from ordermesh.inventory.stock_rows import StockRow, check_quantity, stock_row
from ordermesh.inventory.tables import expected_supply, stock
from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.kit.pagination import Page, decode_cursor, encode_cursor
from ordermesh.kit.upsert import insert_or_add
from ordermesh.locations.service import location_by_code, location_codes


class SupplyKind(enum.StrEnum):
    PURCHASE_ORDER = "purchase_order"
    PRODUCTION = "production"
    RETURN = "return"
    OTHER = "other"


class SupplyStatus(enum.StrEnum):
    OPEN = "open"  # expected; may be partly received already
    RECEIVED = "received"  # every unit arrived
    CANCELLED = "cancelled"  # the rest will not come


@dataclass(frozen=True)
class Supply:
    id: str
    product_id: str
    sku: str
    location_id: str
    location_code: str
    kind: SupplyKind
    reference: str | None
    quantity: int
    received: int
    expected_date: date
    status: SupplyStatus
    created_at: datetime
    updated_at: datetime

    @property
    def outstanding(self) -> int:
        return self.quantity - self.received if self.status is SupplyStatus.OPEN else 0


@dataclass(frozen=True)
class NewSupply:
    sku: str
    location: str
    quantity: int
    expected_date: date
    kind: SupplyKind
    reference: str | None = None


@dataclass(frozen=True)
class SupplyFilter:
    sku: str | None = None
    location: str | None = None
    status: SupplyStatus | None = None
    kind: SupplyKind | None = None


@dataclass(frozen=True)
class Receipt:
    sku: str
    location: str
    quantity: int
    supply_id: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Received:
    quantity: int
    reason: AdjustmentReason
    stock: StockRow
    supply: Supply | None


_SUPPLY = select(expected_supply, products.c.sku).join(
    products, products.c.id == expected_supply.c.product_id)


def _to_supplies(uow: UnitOfWork, rows) -> list[Supply]:
    rows = list(rows)
    codes = location_codes(uow, {r.location_id for r in rows})
    return [Supply(
        id=r.id, product_id=r.product_id, sku=r.sku, location_id=r.location_id,
        location_code=codes[r.location_id], kind=SupplyKind(r.kind), reference=r.reference,
        quantity=r.quantity, received=r.received, expected_date=r.expected_date,
        status=SupplyStatus(r.status), created_at=as_utc(r.created_at),
        updated_at=as_utc(r.updated_at),
    ) for r in rows]


def get_supply(uow: UnitOfWork, supply_id: str) -> Supply:
    found = _to_supplies(uow, uow.execute(_SUPPLY.where(expected_supply.c.id == supply_id)))
    if not found:
        raise NotFound(f"Expected supply '{supply_id}' does not exist")
    return found[0]


def list_supply(uow: UnitOfWork, flt: SupplyFilter, *, limit: int = 50,
                cursor: str | None = None) -> Page[Supply]:
    """Soonest expected first. The cursor carries a row offset."""
    offset = decode_cursor(cursor) or 0
    query = _SUPPLY.order_by(expected_supply.c.expected_date, expected_supply.c.id)
    if flt.sku:
        query = query.where(products.c.sku == flt.sku)
    if flt.location:
        location = location_by_code(uow, flt.location, "query.location")
        query = query.where(expected_supply.c.location_id == location.id)
    if flt.status:
        query = query.where(expected_supply.c.status == flt.status.value)
    if flt.kind:
        query = query.where(expected_supply.c.kind == flt.kind.value)
    items = _to_supplies(uow, uow.execute(query.offset(offset).limit(limit + 1)))
    next_cursor = encode_cursor(offset + limit) if len(items) > limit else None
    return Page(items[:limit], next_cursor)


def create_supply(uow: UnitOfWork, cmd: NewSupply,
                  idem: idempotency.IdempotencyKey | None = None, *,
                  commit: bool = True) -> Supply:
    """``commit=False`` announces inside a larger use case's transaction (a purchase
    order being sent): the caller commits."""
    if prior := idempotency.claim(uow, idem):
        return get_supply(uow, prior.resource_id)
    check_quantity(cmd.quantity)
    product = resolve_skus(uow, [cmd.sku], ["sku"])[cmd.sku]
    location = location_by_code(uow, cmd.location)
    supply_id, now = new_id("sup"), uow.clock.now()
    uow.execute(insert(expected_supply).values(
        id=supply_id, product_id=product.id, location_id=location.id, kind=cmd.kind.value,
        reference=cmd.reference, quantity=cmd.quantity, received=0,
        expected_date=cmd.expected_date, status=SupplyStatus.OPEN.value, created_at=now,
        updated_at=now))
    record_event(uow, "supply.created", "supply", supply_id, {
        "sku": cmd.sku, "location": cmd.location, "quantity": cmd.quantity,
        "kind": cmd.kind.value, "expected_date": cmd.expected_date.isoformat(),
        "reference": cmd.reference})
    idempotency.complete(uow, idem, "supply", supply_id, 201)
    created = get_supply(uow, supply_id)
    if commit:
        uow.commit()
    return created


def cancel_supply(uow: UnitOfWork, supply_id: str,
                  idem: idempotency.IdempotencyKey | None = None, *,
                  commit: bool = True) -> Supply:
    """What has not arrived yet will not come: open supply becomes cancelled; units
    already received stay received. ``commit=False``: the caller commits."""
    if prior := idempotency.claim(uow, idem):
        return get_supply(uow, prior.resource_id)
    changed = uow.execute(
        update(expected_supply)
        .where(expected_supply.c.id == supply_id,
               expected_supply.c.status == SupplyStatus.OPEN.value)
        .values(status=SupplyStatus.CANCELLED.value, updated_at=uow.clock.now())).rowcount
    supply = get_supply(uow, supply_id)
    if changed != 1:
        raise IllegalTransition(
            f"Expected supply '{supply_id}' is {supply.status.value}: only open supply can "
            "be cancelled", extra={"current_status": supply.status.value})
    record_event(uow, "supply.cancelled", "supply", supply_id, {
        "sku": supply.sku, "location": supply.location_code, "quantity": supply.quantity,
        "received": supply.received, "cancelled": supply.quantity - supply.received})
    idempotency.complete(uow, idem, "supply", supply_id, 200)
    if commit:
        uow.commit()
    return supply


def receive(uow: UnitOfWork, cmd: Receipt,
            idem: idempotency.IdempotencyKey | None = None, *,
            commit: bool = True) -> Received:
    """Add arrived units to ``on_hand``. Against expected supply, the supply must be open
    and for the same SKU and location, and the units at most what is outstanding.

    A retry with the same Idempotency-Key books nothing and answers with the stock and
    supply as they are now."""
    check_quantity(cmd.quantity)
    product = resolve_skus(uow, [cmd.sku], ["sku"])[cmd.sku]
    location = location_by_code(uow, cmd.location)
    if idempotency.claim(uow, idem):
        supply = get_supply(uow, cmd.supply_id) if cmd.supply_id else None
        return Received(cmd.quantity, _reason(supply),
                        stock_row(uow, product.id, cmd.sku, location.id, location.code), supply)
    supply = None
    if cmd.supply_id:
        supply = _receive_against(uow, cmd, product.id, location.id)
    before = levels(uow, [product.id])
    added = uow.execute(insert_or_add(
        uow, stock, ["product_id", "location_id"],
        {"product_id": product.id, "location_id": location.id, "on_hand": cmd.quantity,
         "reserved": 0, "updated_at": uow.clock.now()},
        ["on_hand"], at_most=MAX_ON_HAND,
    ).returning(stock.c.on_hand)).first()
    if added is None:
        raise Conflict(f"{cmd.sku} at {cmd.location} would exceed {MAX_ON_HAND} units on hand, "
                       "the most one stock row holds")
    reason = _reason(supply)
    book(uow, [{"product_id": product.id, "location_id": location.id,
                "kind": MovementKind.RECEIPT.value, "on_hand_delta": cmd.quantity,
                "reason": reason.value, "note": cmd.note,
                "reference_type": "supply" if supply else None,
                "reference_id": supply.id if supply else None}])
    record_level_events(uow, before)
    record_event(uow, "inventory.received", "product", product.id, {
        "sku": cmd.sku, "location": cmd.location, "quantity": cmd.quantity,
        "reason": reason.value, "supply_id": cmd.supply_id,
        "supply_status": supply.status.value if supply else None})
    idempotency.complete(uow, idem, "product", product.id, 201)
    result = Received(cmd.quantity, reason,
                      stock_row(uow, product.id, cmd.sku, location.id, location.code), supply)
    if commit:
        uow.commit()
    return result


def _reason(supply: Supply | None) -> AdjustmentReason:
    if supply is not None and supply.kind is SupplyKind.RETURN:
        return AdjustmentReason.RETURNED
    return AdjustmentReason.RECEIVED


def _receive_against(uow: UnitOfWork, cmd: Receipt, product_id: str, location_id: str
                     ) -> Supply:
    """Count the units as received on the supply (locked first: the document before the
    stock row, as every receipt does); returns the supply after."""
    s = expected_supply.c
    row = uow.execute(_SUPPLY.where(s.id == cmd.supply_id)
                      .with_for_update(of=expected_supply)).first()
    if row is None:
        raise InvalidInput.for_field("supply_id", f"Unknown expected supply '{cmd.supply_id}'",
                                     "unknown_supply")
    if row.product_id != product_id or row.location_id != location_id:
        code = location_codes(uow, {row.location_id})[row.location_id]
        raise InvalidInput.for_field(
            "supply_id", f"Expected supply '{cmd.supply_id}' is for {row.sku} at {code}, "
            f"not {cmd.sku} at {cmd.location}", "supply_mismatch")
    if row.status != SupplyStatus.OPEN.value:
        raise Conflict(f"Expected supply '{cmd.supply_id}' is {row.status}: nothing more can "
                       "be received against it", extra={"current_status": row.status})
    outstanding = row.quantity - row.received
    if cmd.quantity > outstanding:
        raise Conflict(f"Cannot receive {cmd.quantity} against expected supply "
                       f"'{cmd.supply_id}': {outstanding} outstanding",
                       extra={"outstanding": outstanding})
    complete = s.received + cmd.quantity == s.quantity
    changed = uow.execute(
        update(expected_supply)
        .where(s.id == cmd.supply_id, s.status == SupplyStatus.OPEN.value,
               s.received + cmd.quantity <= s.quantity)
        .values(received=s.received + cmd.quantity,
                status=case((complete, SupplyStatus.RECEIVED.value), else_=s.status),
                updated_at=uow.clock.now())).rowcount
    if changed != 1:
        raise RuntimeError("a locked supply row changed under its lock")
    return get_supply(uow, cmd.supply_id)
