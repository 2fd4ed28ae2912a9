"""Stock changes. Every counter change is one conditional statement plus a ledger row.

``reserve`` and ``release`` are building blocks for other features' use cases: they run
inside the caller's transaction and never commit. ``adjust_stock`` is a use case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, func, insert, select, update

from ordermesh.catalog.service import get_product, get_product_by_sku, resolve_skus
from ordermesh.inventory.model import (
    AdjustmentReason,
    Allocation,
    MovementKind,
    ReservationRequest,
    StockLevel,
    plan_reservation,
)
from ordermesh.inventory.tables import inventory_movements, stock
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InsufficientStock, Shortage
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_or_add
from ordermesh.locations.service import location_by_code, location_codes

MAX_ON_HAND = 1_000_000_000  # per SKU and location; the counters are 32-bit integers


@dataclass(frozen=True)
class AdjustStock:
    sku: str
    location: str
    quantity_delta: int
    reason: AdjustmentReason
    note: str | None = None


@dataclass(frozen=True)
class SkuStock:
    product_id: str
    sku: str
    levels: list[StockLevel]

    @property
    def on_hand(self) -> int:
        return sum(level.on_hand for level in self.levels)

    @property
    def reserved(self) -> int:
        return sum(level.reserved for level in self.levels)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def _ledger(uow: UnitOfWork, rows: list[dict]) -> None:
    now = uow.clock.now()
    for row in rows:
        row.setdefault("reason", None)
        row.setdefault("note", None)
        row.setdefault("reference_type", None)
        row.setdefault("reference_id", None)
        row["actor"] = uow.actor
        row["occurred_at"] = now
    uow.execute(_LEDGER, rows)


def adjust_stock(
    uow: UnitOfWork, cmd: AdjustStock, idem: idempotency.IdempotencyKey | None = None
) -> SkuStock:
    if prior := idempotency.claim(uow, idem):
        return stock_for_sku(uow, get_product(uow, prior.resource_id).sku)
    product = resolve_skus(uow, [cmd.sku], ["sku"])[cmd.sku]
    location = location_by_code(uow, cmd.location)
    now = uow.clock.now()
    key = and_(stock.c.product_id == product.id, stock.c.location_id == location.id)
    if cmd.quantity_delta > 0:
        added = uow.execute(insert_or_add(
            uow, stock, ["product_id", "location_id"],
            {"product_id": product.id, "location_id": location.id,
             "on_hand": cmd.quantity_delta, "reserved": 0, "updated_at": now},
            ["on_hand"], at_most=MAX_ON_HAND,
        ).returning(stock.c.on_hand)).first()
        if added is None:
            raise Conflict(f"{cmd.sku} at {cmd.location} would exceed {MAX_ON_HAND} units "
                           "on hand, the most one stock row holds")
    else:
        changed = uow.execute(
            update(stock).where(key, stock.c.on_hand + cmd.quantity_delta >= stock.c.reserved)
            .values(on_hand=stock.c.on_hand + cmd.quantity_delta, updated_at=now)
        ).rowcount
        if changed != 1:
            row = uow.execute(select(stock.c.on_hand, stock.c.reserved).where(key)).first()
            on_hand, reserved = (row.on_hand, row.reserved) if row else (0, 0)
            raise Conflict(
                f"Cannot remove {-cmd.quantity_delta} of {cmd.sku} at {cmd.location}: "
                f"on hand {on_hand}, of which {reserved} reserved for orders",
                extra={"on_hand": on_hand, "reserved": reserved},
            )
    _ledger(uow, [{
        "product_id": product.id, "location_id": location.id,
        "kind": MovementKind.ADJUSTMENT.value, "on_hand_delta": cmd.quantity_delta,
        "reserved_delta": 0, "reason": cmd.reason.value, "note": cmd.note,
    }])
    record_event(uow, "inventory.adjusted", "product", product.id, {
        "sku": cmd.sku, "location": cmd.location, "quantity_delta": cmd.quantity_delta,
        "reason": cmd.reason.value,
    })
    idempotency.complete(uow, idem, "product", product.id, 201)
    result = stock_for_sku(uow, cmd.sku)
    uow.commit()
    return result


def stock_for_sku(uow: UnitOfWork, sku: str) -> SkuStock:
    product = get_product_by_sku(uow, sku)
    rows = list(uow.execute(
        select(stock.c.location_id, stock.c.on_hand, stock.c.reserved)
        .where(stock.c.product_id == product.id)
    ))
    codes = location_codes(uow, {r.location_id for r in rows})
    levels = sorted(
        (StockLevel(r.location_id, codes[r.location_id], r.on_hand, r.reserved) for r in rows),
        key=lambda level: level.location_code,
    )
    return SkuStock(product.id, sku, levels)


def _lock_available(uow: UnitOfWork, product_ids: Iterable[str]) -> dict[str, dict[str, int]]:
    """Available units per product and location; the rows stay locked until the
    transaction ends, taken in (product, location) order."""
    rows = uow.execute(_LOCK_PRODUCTS, {"ids": sorted(set(product_ids))})
    result: dict[str, dict[str, int]] = defaultdict(dict)
    for product_id, location_id, available in rows:
        result[product_id][location_id] = available
    return result


# Hot-path statements are built once: building and cache-keying a statement costs more
# Python time than executing it.
_ROW = and_(stock.c.product_id == bindparam("p"), stock.c.location_id == bindparam("l"))
_TAKE = (update(stock).where(_ROW, stock.c.on_hand - stock.c.reserved >= bindparam("q"))
         .values(reserved=stock.c.reserved + bindparam("q"), updated_at=bindparam("now")))
_GIVE_BACK = (update(stock).where(_ROW, stock.c.reserved >= bindparam("q"))
              .values(reserved=stock.c.reserved - bindparam("q"), updated_at=bindparam("now")))
_LEDGER = insert(inventory_movements)
_LOCK_PRODUCTS = (
    select(stock.c.product_id, stock.c.location_id, stock.c.on_hand - stock.c.reserved)
    .where(stock.c.product_id.in_(bindparam("ids", expanding=True)))
    .order_by(stock.c.product_id, stock.c.location_id).with_for_update())


def _allocation_movements(
    allocations: list[Allocation], kind: MovementKind, sign: int, reference: tuple[str, str]
) -> list[dict]:
    return [{
        "product_id": a.product_id, "location_id": a.location_id, "kind": kind.value,
        "on_hand_delta": 0, "reserved_delta": sign * a.quantity,
        "reference_type": reference[0], "reference_id": reference[1],
    } for a in allocations]


def _share_out(requests: list[ReservationRequest], taken: list[tuple[str, int]]
               ) -> list[Allocation]:
    """Hand a product's reserved units to its order lines, in line order."""
    allocations = []
    pool = [[loc, units] for loc, units in taken]
    for request in sorted(requests, key=lambda r: r.line_no):
        needed = request.quantity
        for slot in pool:
            give = min(needed, slot[1])
            if give:
                allocations.append(Allocation(request.line_no, request.product_id, slot[0], give))
                slot[1] -= give
                needed -= give
    return allocations


def reserve(
    uow: UnitOfWork, requests: list[ReservationRequest], reference: tuple[str, str]
) -> list[Allocation]:
    """Reserve every request or none (raises ``InsufficientStock`` naming each short SKU).

    How: one ``SELECT ... FOR UPDATE`` locks every stock row of the order's products in
    (product, location) order, so the plan made from it is exact; each planned row is
    then reserved with the conditional ``UPDATE``, which re-checks it in the database.
    Every transaction takes stock row locks in that one global order (``release`` too),
    so concurrent orders cannot deadlock. The caller's transaction must be rolled back
    on ``InsufficientStock``.
    """
    by_product: dict[str, list[ReservationRequest]] = defaultdict(list)
    for request in requests:
        by_product[request.product_id].append(request)
    locked = _lock_available(uow, by_product)
    now = uow.clock.now()
    takes: list[dict] = []
    allocations: list[Allocation] = []
    shortages: list[Shortage] = []
    for product_id in sorted(by_product):
        lines = by_product[product_id]
        quantity = sum(r.quantity for r in lines)
        rows = locked.get(product_id, {})
        available = sum(max(0, units) for units in rows.values())
        if shortages or available < quantity:  # once short, only look for more shortages
            if available < quantity:
                shortages.append(Shortage(lines[0].sku, quantity, available))
            continue
        plan = plan_reservation(rows, quantity)
        takes.extend({"p": product_id, "l": loc, "q": units, "now": now} for loc, units in plan)
        allocations.extend(_share_out(lines, plan))
    if shortages:
        raise InsufficientStock(sorted(shortages, key=lambda s: s.sku))
    # Still the conditional statement, row by row (one round trip): the database itself
    # re-checks what the lock promised.
    if uow.execute(_TAKE, takes).rowcount != len(takes):
        raise RuntimeError("a locked stock row changed under its lock")
    _ledger(uow, _allocation_movements(allocations, MovementKind.RESERVATION, 1, reference))
    return sorted(allocations, key=lambda a: (a.line_no, a.location_id))


def release(uow: UnitOfWork, allocations: list[Allocation], reference: tuple[str, str]) -> None:
    """Give back exactly what was reserved, in the same lock order as ``reserve``, with
    one conditional statement per row (one round trip)."""
    if not allocations:
        return
    ordered = sorted(allocations, key=lambda a: (a.product_id, a.location_id))
    now = uow.clock.now()
    params = [{"p": a.product_id, "l": a.location_id, "q": a.quantity, "now": now}
              for a in ordered]
    if uow.execute(_GIVE_BACK, params).rowcount != len(params):
        raise RuntimeError("a stock row lost a reservation: counters no longer match orders")
    _ledger(uow, _allocation_movements(ordered, MovementKind.RELEASE, -1, reference))


@dataclass(frozen=True)
class Drift:
    product_id: str
    location_id: str
    on_hand: int
    ledger_on_hand: int
    reserved: int
    ledger_reserved: int


def ledger_drift(uow: UnitOfWork) -> list[Drift]:
    """Every (product, location) whose counters disagree with the sum of its movements."""
    sums = select(
        inventory_movements.c.product_id, inventory_movements.c.location_id,
        func.sum(inventory_movements.c.on_hand_delta).label("on_hand"),
        func.sum(inventory_movements.c.reserved_delta).label("reserved"),
    ).group_by(inventory_movements.c.product_id, inventory_movements.c.location_id)
    ledger = {(r.product_id, r.location_id): (int(r.on_hand), int(r.reserved))
              for r in uow.execute(sums)}
    counters = {(r.product_id, r.location_id): (r.on_hand, r.reserved)
                for r in uow.execute(select(stock))}
    drift = []
    for key in sorted(set(ledger) | set(counters)):
        have = counters.get(key, (0, 0))
        want = ledger.get(key, (0, 0))
        if have != want:
            drift.append(Drift(key[0], key[1], have[0], want[0], have[1], want[1]))
    return drift

