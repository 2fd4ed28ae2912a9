"""Stock changes. Every counter change is one conditional statement plus a ledger row.

``reserve`` and ``release`` are building blocks for other features' use cases: they run
inside the caller's transaction and never commit. ``adjust_stock`` is a use case; it does
not commit either (the route, or a pick that writes off units not found, commits).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select, update

from ordermesh.catalog.service import get_product, get_product_by_sku, resolve_skus
from ordermesh.inventory.ledger import book
from ordermesh.inventory.levels import levels, record_level_events
from ordermesh.inventory.model import (
    AdjustmentReason,
    MovementKind,
    StockLevel,
)
from ordermesh.inventory.tables import stock
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict
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


def adjust_stock(
    uow: UnitOfWork, cmd: AdjustStock, idem: idempotency.IdempotencyKey | None = None
) -> SkuStock:
    if prior := idempotency.claim(uow, idem):
        return stock_for_sku(uow, get_product(uow, prior.resource_id).sku)
    product = resolve_skus(uow, [cmd.sku], ["sku"])[cmd.sku]
    location = location_by_code(uow, cmd.location)
    before = levels(uow, [product.id])
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
    book(uow, [{
        "product_id": product.id, "location_id": location.id,
        "kind": MovementKind.ADJUSTMENT.value, "on_hand_delta": cmd.quantity_delta,
        "reason": cmd.reason.value, "note": cmd.note,
    }])
    record_event(uow, "inventory.adjusted", "product", product.id, {
        "sku": cmd.sku, "location": cmd.location, "quantity_delta": cmd.quantity_delta,
        "reason": cmd.reason.value,
    })
    record_level_events(uow, before)
    idempotency.complete(uow, idem, "product", product.id, 201)
    return stock_for_sku(uow, cmd.sku)


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
