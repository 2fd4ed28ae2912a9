"""Transfers of stock between two locations: shipped at once (``on_hand`` leaves the
sender, ``in_transit`` appears at the receiver), received in one or more parts
(``in_transit`` becomes ``on_hand`` at the receiver)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, bindparam, insert, or_, select, update

from ordermesh.catalog.service import resolve_skus
from ordermesh.inventory.ledger import book
from ordermesh.inventory.levels import levels, record_level_events
from ordermesh.inventory.model import MovementKind, SkuQuantity
from ordermesh.inventory.service import MAX_ON_HAND
from ordermesh.inventory.stock_rows import (
    check_lines,
    check_quantity,
    ensure_stock_rows,
    lock_stock_rows,
)
from ordermesh.inventory.tables import stock, transfer_lines, transfers
from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import (
    Conflict,
    FieldError,
    IllegalTransition,
    InsufficientStock,
    InvalidInput,
    NotFound,
    Shortage,
)
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.kit.pagination import Page, decode_cursor, encode_cursor
from ordermesh.locations.service import location_by_code, location_codes


class TransferStatus(enum.StrEnum):
    IN_TRANSIT = "in_transit"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"


@dataclass(frozen=True)
class TransferLine:
    product_id: str
    sku: str
    quantity: int
    received: int

    @property
    def outstanding(self) -> int:
        return self.quantity - self.received


@dataclass(frozen=True)
class Transfer:
    id: str
    from_location_id: str
    from_location: str
    to_location_id: str
    to_location: str
    status: TransferStatus
    expected_date: date | None
    reference: str | None
    note: str | None
    shipped_at: datetime
    received_at: datetime | None
    updated_at: datetime
    lines: list[TransferLine]


@dataclass(frozen=True)
class ShipTransfer:
    from_location: str
    to_location: str
    lines: list[SkuQuantity]
    expected_date: date | None = None
    reference: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class ReceiveTransfer:
    lines: list[SkuQuantity]
    note: str | None = None


def _check(lines: list[SkuQuantity]) -> None:
    check_lines([line.sku for line in lines])
    for i, line in enumerate(lines):
        check_quantity(line.quantity, f"lines.{i}.quantity")


def _movements(transfer_id: str, rows: list[tuple[str, str, str, int, int]],
               note: str | None) -> list[dict]:
    """Ledger rows from (product, location, kind, on_hand delta, in_transit delta)."""
    return [{"product_id": p, "location_id": loc, "kind": kind, "on_hand_delta": on_hand,
             "in_transit_delta": in_transit, "note": note, "reference_type": "transfer",
             "reference_id": transfer_id} for p, loc, kind, on_hand, in_transit in rows]


_ROW = and_(stock.c.product_id == bindparam("p"), stock.c.location_id == bindparam("l"))
_SEND = (update(stock).where(_ROW, stock.c.on_hand - stock.c.reserved >= bindparam("q"))
         .values(on_hand=stock.c.on_hand - bindparam("q"), updated_at=bindparam("now")))
_EXPECT = (update(stock).where(_ROW, stock.c.in_transit + bindparam("q") <= MAX_ON_HAND)
           .values(in_transit=stock.c.in_transit + bindparam("q"), updated_at=bindparam("now")))
_ARRIVE = (update(stock).where(_ROW, stock.c.in_transit >= bindparam("q"),
                               stock.c.on_hand + bindparam("q") <= MAX_ON_HAND)
           .values(in_transit=stock.c.in_transit - bindparam("q"),
                   on_hand=stock.c.on_hand + bindparam("q"), updated_at=bindparam("now")))
_RECEIVE_LINE = (
    update(transfer_lines)
    .where(transfer_lines.c.transfer_id == bindparam("t"),
           transfer_lines.c.product_id == bindparam("p"),
           transfer_lines.c.received + bindparam("q") <= transfer_lines.c.quantity)
    .values(received=transfer_lines.c.received + bindparam("q")))


def _apply(uow: UnitOfWork, statement, params: list[dict]) -> None:
    """Run a conditional UPDATE per locked row; each must match, or the lock lied."""
    if params and uow.execute(statement, params).rowcount != len(params):
        raise RuntimeError("a locked row changed under its lock")


def ship_transfer(uow: UnitOfWork, cmd: ShipTransfer,
                  idem: idempotency.IdempotencyKey | None = None) -> Transfer:
    """Take every line's units off the sender's free stock (never units reserved for
    orders) and put them in transit to the receiver; every line or none, with each short
    SKU named."""
    if prior := idempotency.claim(uow, idem):
        return get_transfer(uow, prior.resource_id)
    _check(cmd.lines)
    source = location_by_code(uow, cmd.from_location, "from")
    dest = location_by_code(uow, cmd.to_location, "to")
    if source.id == dest.id:
        raise InvalidInput.for_field("to", "A transfer goes to another location than it "
                                     "comes from", "same_location")
    products = resolve_skus(uow, [line.sku for line in cmd.lines])
    wanted = {products[line.sku].id: line for line in cmd.lines}
    before = levels(uow, wanted)
    ensure_stock_rows(uow, [(pid, dest.id) for pid in wanted])
    locked = lock_stock_rows(uow, wanted, [source.id, dest.id])
    free = {pid: (locked[(pid, source.id)]["on_hand"] - locked[(pid, source.id)]["reserved"]
                  if (pid, source.id) in locked else 0) for pid in wanted}
    short = [Shortage(line.sku, line.quantity, max(0, free[pid]))
             for pid, line in wanted.items() if free[pid] < line.quantity]
    if short:
        raise InsufficientStock(sorted(short, key=lambda s: s.sku))
    overfull = sorted(line.sku for pid, line in wanted.items()
                      if locked[(pid, dest.id)]["in_transit"] + line.quantity > MAX_ON_HAND)
    if overfull:
        raise Conflict(f"More than {MAX_ON_HAND} units would be in transit to {dest.code} "
                       f"for: {', '.join(overfull)}")
    transfer_id, now = new_id("trf"), uow.clock.now()
    uow.execute(insert(transfers).values(
        id=transfer_id, from_location_id=source.id, to_location_id=dest.id,
        status=TransferStatus.IN_TRANSIT.value, expected_date=cmd.expected_date,
        reference=cmd.reference, note=cmd.note, shipped_at=now, received_at=None,
        updated_at=now))
    uow.execute(insert(transfer_lines), [
        {"transfer_id": transfer_id, "product_id": pid, "sku": line.sku,
         "quantity": line.quantity, "received": 0} for pid, line in wanted.items()])
    ordered = sorted(wanted.items())
    _apply(uow, _SEND, [{"p": pid, "l": source.id, "q": line.quantity, "now": now}
                        for pid, line in ordered])
    _apply(uow, _EXPECT, [{"p": pid, "l": dest.id, "q": line.quantity, "now": now}
                          for pid, line in ordered])
    book(uow, _movements(transfer_id, [
        row for pid, line in ordered for row in (
            (pid, source.id, MovementKind.TRANSFER_OUT.value, -line.quantity, 0),
            (pid, dest.id, MovementKind.TRANSFER_IN.value, 0, line.quantity))], cmd.note))
    record_level_events(uow, before)
    record_event(uow, "transfer.shipped", "transfer", transfer_id, {
        "from": source.code, "to": dest.code,
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in cmd.lines]})
    idempotency.complete(uow, idem, "transfer", transfer_id, 201)
    shipped = get_transfer(uow, transfer_id)
    uow.commit()
    return shipped


def receive_transfer(uow: UnitOfWork, transfer_id: str, cmd: ReceiveTransfer,
                     idem: idempotency.IdempotencyKey | None = None) -> Transfer:
    """Units of a transfer arrived: ``in_transit`` becomes ``on_hand`` at the receiver.
    Any part of what is outstanding may arrive; every line or none."""
    if prior := idempotency.claim(uow, idem):
        return get_transfer(uow, prior.resource_id)
    _check(cmd.lines)
    # The transfer first, then its stock rows: the same order as when it was shipped.
    transfer = _load(uow, transfer_id, for_update=True)
    if transfer.status is TransferStatus.RECEIVED:
        raise IllegalTransition(f"Transfer '{transfer_id}' has been received in full",
                                extra={"current_status": transfer.status.value})
    on_transfer = {line.sku: line for line in transfer.lines}
    unknown = [FieldError(f"lines.{i}.sku", f"SKU '{line.sku}' is not on this transfer",
                          "not_on_transfer")
               for i, line in enumerate(cmd.lines) if line.sku not in on_transfer]
    if unknown:
        raise InvalidInput("Some SKUs are not on this transfer", errors=unknown)
    too_many = [{"sku": line.sku, "requested": line.quantity,
                 "outstanding": on_transfer[line.sku].outstanding}
                for line in cmd.lines if line.quantity > on_transfer[line.sku].outstanding]
    if too_many:
        raise Conflict("More than is outstanding: " + ", ".join(
            f"{t['sku']} (receiving {t['requested']}, outstanding {t['outstanding']})"
            for t in too_many), extra={"over_outstanding": too_many})
    arriving = sorted((on_transfer[line.sku].product_id, line.quantity) for line in cmd.lines)
    dest = transfer.to_location_id
    before = levels(uow, [pid for pid, _ in arriving])
    locked = lock_stock_rows(uow, [pid for pid, _ in arriving], [dest])
    overfull = sorted(_sku_of(transfer, pid) for pid, q in arriving
                      if locked[(pid, dest)]["on_hand"] + q > MAX_ON_HAND)
    if overfull:
        raise Conflict(f"More than {MAX_ON_HAND} units would be on hand at "
                       f"{transfer.to_location} for: {', '.join(overfull)}")
    now = uow.clock.now()
    _apply(uow, _RECEIVE_LINE, [{"t": transfer_id, "p": pid, "q": q} for pid, q in arriving])
    _apply(uow, _ARRIVE, [{"p": pid, "l": dest, "q": q, "now": now} for pid, q in arriving])
    book(uow, _movements(transfer_id, [(pid, dest, MovementKind.TRANSFER_IN.value, q, -q)
                                       for pid, q in arriving], cmd.note))
    received = {line.sku: line.quantity for line in cmd.lines}
    complete = all(line.outstanding == received.get(line.sku, 0) for line in transfer.lines)
    status = TransferStatus.RECEIVED if complete else TransferStatus.PARTIALLY_RECEIVED
    uow.execute(update(transfers).where(transfers.c.id == transfer_id).values(
        status=status.value, received_at=now if complete else None, updated_at=now))
    record_level_events(uow, before)
    record_event(uow, "transfer.received", "transfer", transfer_id, {
        "from": transfer.from_location, "to": transfer.to_location, "status": status.value,
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in cmd.lines]})
    idempotency.complete(uow, idem, "transfer", transfer_id, 201)
    result = get_transfer(uow, transfer_id)
    uow.commit()
    return result


def _sku_of(transfer: Transfer, product_id: str) -> str:
    return next(line.sku for line in transfer.lines if line.product_id == product_id)


def _lines(uow: UnitOfWork, ids: list[str]) -> dict[str, list[TransferLine]]:
    by_transfer: dict[str, list[TransferLine]] = {i: [] for i in ids}
    if ids:
        rows = uow.execute(select(transfer_lines)
                           .where(transfer_lines.c.transfer_id.in_(ids))
                           .order_by(transfer_lines.c.transfer_id, transfer_lines.c.sku))
        for r in rows:
            by_transfer[r.transfer_id].append(
                TransferLine(r.product_id, r.sku, r.quantity, r.received))
    return by_transfer


def _to_transfers(uow: UnitOfWork, rows) -> list[Transfer]:
    rows = list(rows)
    codes = location_codes(uow, {r.from_location_id for r in rows}
                           | {r.to_location_id for r in rows})
    lines = _lines(uow, [r.id for r in rows])
    return [Transfer(
        id=r.id, from_location_id=r.from_location_id, from_location=codes[r.from_location_id],
        to_location_id=r.to_location_id, to_location=codes[r.to_location_id],
        status=TransferStatus(r.status), expected_date=r.expected_date,
        reference=r.reference, note=r.note, shipped_at=as_utc(r.shipped_at),
        received_at=as_utc(r.received_at) if r.received_at else None,
        updated_at=as_utc(r.updated_at), lines=lines[r.id],
    ) for r in rows]


def _load(uow: UnitOfWork, transfer_id: str, *, for_update: bool = False) -> Transfer:
    query = select(transfers).where(transfers.c.id == transfer_id)
    found = _to_transfers(uow, uow.execute(query.with_for_update() if for_update else query))
    if not found:
        raise NotFound(f"Transfer '{transfer_id}' does not exist")
    return found[0]


def get_transfer(uow: UnitOfWork, transfer_id: str) -> Transfer:
    return _load(uow, transfer_id)


def list_transfers(uow: UnitOfWork, *, status: TransferStatus | None = None,
                   location: str | None = None, limit: int = 50,
                   cursor: str | None = None) -> Page[Transfer]:
    """Newest first; ``location`` matches the sender or the receiver. The cursor carries
    a row offset."""
    offset = decode_cursor(cursor) or 0
    query = select(transfers).order_by(transfers.c.shipped_at.desc(), transfers.c.id.desc())
    if status:
        query = query.where(transfers.c.status == status.value)
    if location:
        loc = location_by_code(uow, location, "query.location")
        query = query.where(or_(transfers.c.from_location_id == loc.id,
                                transfers.c.to_location_id == loc.id))
    items = _to_transfers(uow, uow.execute(query.offset(offset).limit(limit + 1)))
    next_cursor = encode_cursor(offset + limit) if len(items) > limit else None
    return Page(items[:limit], next_cursor)
