"""Cycle counts and damage: correcting ``on_hand`` to what was counted, and moving units
between sellable stock and quarantine."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, select, update

from ordermesh.catalog.service import resolve_skus
from ordermesh.inventory.ledger import book
from ordermesh.inventory.levels import levels, record_level_events
from ordermesh.inventory.model import AdjustmentReason, MovementKind
from ordermesh.inventory.service import MAX_ON_HAND
from ordermesh.inventory.stock_rows import (
    StockRow,
    check_lines,
    check_quantity,
    ensure_stock_rows,
    key,
    lock_stock_rows,
    stock_row,
)
from ordermesh.inventory.tables import inventory_movements, stock
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.locations.service import location_by_code

# -- cycle counts ---------------------------------------------------------------------


@dataclass(frozen=True)
class CountLine:
    sku: str
    counted: int


@dataclass(frozen=True)
class CycleCount:
    location: str
    lines: list[CountLine]
    note: str | None = None


@dataclass(frozen=True)
class CountedLine:
    sku: str
    product_id: str
    expected: int
    counted: int

    @property
    def difference(self) -> int:
        return self.counted - self.expected


@dataclass(frozen=True)
class CountResult:
    id: str
    location_id: str
    location_code: str
    lines: list[CountedLine]


_SET_COUNTED = (
    update(stock).where(key(bindparam("p"), bindparam("l")),
                        stock.c.on_hand == bindparam("expected"),
                        stock.c.reserved <= bindparam("counted"))
    .values(on_hand=bindparam("counted"), updated_at=bindparam("now")))


def count_stock(uow: UnitOfWork, cmd: CycleCount,
                idem: idempotency.IdempotencyKey | None = None) -> CountResult:
    """Set ``on_hand`` of every counted SKU at one location to the counted quantity and
    book each difference; every line or none. A count below the units reserved for
    orders is refused: it would leave orders promised stock that is not there."""
    if prior := idempotency.claim(uow, idem):
        return _replay_count(uow, cmd, prior.resource_id)
    check_lines([line.sku for line in cmd.lines])
    for i, line in enumerate(cmd.lines):
        if not 0 <= line.counted <= MAX_ON_HAND:
            raise InvalidInput.for_field(f"lines.{i}.counted", f"must be 0 to {MAX_ON_HAND}")
    location = location_by_code(uow, cmd.location)
    products = resolve_skus(uow, [line.sku for line in cmd.lines])
    counted = {products[line.sku].id: line for line in cmd.lines}
    before = levels(uow, counted)
    ensure_stock_rows(uow, [(pid, location.id) for pid, line in counted.items() if line.counted])
    locked = lock_stock_rows(uow, counted, [location.id])
    zero = {"on_hand": 0, "reserved": 0}
    rows = {pid: locked.get((pid, location.id), zero) for pid in counted}
    stranded = sorted((line.sku, line.counted, rows[pid]["reserved"])
                      for pid, line in counted.items() if line.counted < rows[pid]["reserved"])
    if stranded:
        raise Conflict(
            "Counted below the units reserved for orders: " + ", ".join(
                f"{sku} (counted {c}, reserved {r})" for sku, c, r in stranded)
            + ". Cancel or reallocate those orders first.",
            extra={"below_reserved": [{"sku": sku, "counted": c, "reserved": r}
                                      for sku, c, r in stranded]})
    count_id, now = new_id("cnt"), uow.clock.now()
    result = [CountedLine(line.sku, pid, rows[pid]["on_hand"], line.counted)
              for pid, line in counted.items()]
    changes = sorted((r for r in result if r.difference), key=lambda r: r.product_id)
    if changes:
        params = [{"p": r.product_id, "l": location.id, "expected": r.expected,
                   "counted": r.counted, "now": now} for r in changes]
        if uow.execute(_SET_COUNTED, params).rowcount != len(params):
            raise RuntimeError("a locked stock row changed under its lock")
    book(uow, [{"product_id": r.product_id, "location_id": location.id,
                "kind": MovementKind.COUNT.value, "on_hand_delta": r.difference,
                "reason": AdjustmentReason.COUNT_CORRECTION.value, "note": cmd.note,
                "reference_type": "count", "reference_id": count_id} for r in changes])
    record_level_events(uow, before)
    record_event(uow, "inventory.counted", "count", count_id, {
        "location": location.code, "lines_counted": len(result),
        "differences": [{"sku": r.sku, "expected": r.expected, "counted": r.counted,
                         "difference": r.difference} for r in changes]})
    idempotency.complete(uow, idem, "count", count_id, 201)
    uow.commit()
    return CountResult(count_id, location.id, location.code, result)


def _replay_count(uow: UnitOfWork, cmd: CycleCount, count_id: str) -> CountResult:
    """The first answer again: the same body was counted, and the ledger kept each
    difference under the count's id."""
    location = location_by_code(uow, cmd.location)
    products = resolve_skus(uow, [line.sku for line in cmd.lines])
    m = inventory_movements.c
    booked = {r.product_id: r.on_hand_delta for r in uow.execute(
        select(m.product_id, m.on_hand_delta).where(m.reference_type == "count",
                                                    m.reference_id == count_id))}
    lines = []
    for line in cmd.lines:
        pid = products[line.sku].id
        lines.append(CountedLine(line.sku, pid, line.counted - booked.get(pid, 0), line.counted))
    return CountResult(count_id, location.id, location.code, lines)


# -- damage and quarantine ----------------------------------------------------------


class DamageAction(enum.StrEnum):
    QUARANTINE = "quarantine"  # sellable -> damaged
    RESTORE = "restore"  # damaged -> sellable, after inspection
    WRITE_OFF = "write_off"  # damaged units leave the books


_DEFAULT_REASON = {
    DamageAction.QUARANTINE: AdjustmentReason.DAMAGED,
    DamageAction.RESTORE: AdjustmentReason.CORRECTION,
    DamageAction.WRITE_OFF: AdjustmentReason.DAMAGED,
}
_EVENT = {
    DamageAction.QUARANTINE: "inventory.quarantined",
    DamageAction.RESTORE: "inventory.restored",
    DamageAction.WRITE_OFF: "inventory.written_off",
}


@dataclass(frozen=True)
class DamageMove:
    sku: str
    location: str
    action: DamageAction
    quantity: int
    reason: AdjustmentReason | None = None
    note: str | None = None

    @property
    def booked_reason(self) -> AdjustmentReason:
        return self.reason or _DEFAULT_REASON[self.action]


@dataclass(frozen=True)
class DamageResult:
    action: DamageAction
    quantity: int
    reason: AdjustmentReason
    stock: StockRow


def _damage_change(action: DamageAction, q: int):
    """(on_hand delta, damaged delta, the condition that makes the move possible)."""
    c = stock.c
    if action is DamageAction.QUARANTINE:
        return -q, q, and_(c.on_hand - c.reserved >= q, c.damaged + q <= MAX_ON_HAND)
    if action is DamageAction.RESTORE:
        return q, -q, and_(c.damaged >= q, c.on_hand + q <= MAX_ON_HAND)
    return 0, -q, c.damaged >= q


def move_damaged(uow: UnitOfWork, cmd: DamageMove,
                 idem: idempotency.IdempotencyKey | None = None) -> DamageResult:
    """Quarantine sellable units (never those reserved for orders), restore quarantined
    units to sellable stock, or write quarantined units off."""
    check_quantity(cmd.quantity)
    product = resolve_skus(uow, [cmd.sku], ["sku"])[cmd.sku]
    location = location_by_code(uow, cmd.location)
    if idempotency.claim(uow, idem):
        return DamageResult(cmd.action, cmd.quantity, cmd.booked_reason,
                            stock_row(uow, product.id, cmd.sku, location.id, location.code))
    before = levels(uow, [product.id])
    on_hand_delta, damaged_delta, possible = _damage_change(cmd.action, cmd.quantity)
    changed = uow.execute(
        update(stock).where(key(product.id, location.id), possible)
        .values(on_hand=stock.c.on_hand + on_hand_delta,
                damaged=stock.c.damaged + damaged_delta, updated_at=uow.clock.now())
    ).rowcount
    if changed != 1:
        row = stock_row(uow, product.id, cmd.sku, location.id, location.code)
        raise _damage_refused(cmd, row)
    book(uow, [{"product_id": product.id, "location_id": location.id,
                "kind": MovementKind.DAMAGE.value, "on_hand_delta": on_hand_delta,
                "damaged_delta": damaged_delta, "reason": cmd.booked_reason.value,
                "note": cmd.note}])
    record_level_events(uow, before)
    record_event(uow, _EVENT[cmd.action], "product", product.id, {
        "sku": cmd.sku, "location": cmd.location, "quantity": cmd.quantity,
        "reason": cmd.booked_reason.value})
    idempotency.complete(uow, idem, "product", product.id, 201)
    result = DamageResult(cmd.action, cmd.quantity, cmd.booked_reason,
                          stock_row(uow, product.id, cmd.sku, location.id, location.code))
    uow.commit()
    return result


def _damage_refused(cmd: DamageMove, row: StockRow) -> Conflict:
    counters = {"on_hand": row.on_hand, "reserved": row.reserved, "damaged": row.damaged}
    what = f"{cmd.action.value.replace('_', ' ')} {cmd.quantity} of {cmd.sku} at {cmd.location}"
    if cmd.action is DamageAction.QUARANTINE and row.available < cmd.quantity:
        why = f"on hand {row.on_hand}, of which {row.reserved} reserved for orders"
    elif cmd.action is not DamageAction.QUARANTINE and row.damaged < cmd.quantity:
        why = f"only {row.damaged} in quarantine"
    else:
        why = f"a location holds at most {MAX_ON_HAND} units of a SKU"
    return Conflict(f"Cannot {what}: {why}", extra=counters)
