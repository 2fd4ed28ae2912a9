"""Stock level signals: low stock, stock-out and back in stock, as outbox events.

A product's level is its available stock over every location (on hand minus reserved).
Callers take ``levels`` of the products they are about to change (which locks them),
change them, and hand the old levels to ``record_level_events``, inside the same
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, func, select

from ordermesh.catalog.tables import products
from ordermesh.inventory.stock_rows import lock_products
from ordermesh.inventory.tables import stock, stock_policies
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import record_event

_LEVELS = (
    select(products.c.id, products.c.sku, stock_policies.c.low_stock_threshold,
           func.coalesce(func.sum(stock.c.on_hand - stock.c.reserved), 0))
    .select_from(products.outerjoin(stock, stock.c.product_id == products.c.id)
                 .outerjoin(stock_policies, stock_policies.c.product_id == products.c.id))
    .where(products.c.id.in_(bindparam("ids", expanding=True)))
    .group_by(products.c.id, products.c.sku, stock_policies.c.low_stock_threshold)
)


def level_signal(before: int, after: int, threshold: int | None) -> str | None:
    """The event a change of level from ``before`` to ``after`` raises, if any."""
    if before > 0 and after <= 0:
        return "inventory.stock_out"
    if before <= 0 and after > 0:
        return "inventory.back_in_stock"
    if threshold is not None and after < threshold <= before:
        return "inventory.low_stock"
    return None


def levels(uow: UnitOfWork, product_ids: Iterable[str]) -> dict[str, tuple[str, int | None, int]]:
    """product id -> (sku, low-stock threshold, available units over all locations).

    Locks every stock row of these products first, in the global (product, location)
    order, as a reservation does: until the transaction ends no other change to them can
    interleave, so the level before and the level after are exact and each crossing
    raises its event exactly once. Call it before locking any stock row of them."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    lock_products(uow, ids)
    return {pid: (sku, threshold, int(level))
            for pid, sku, threshold, level in uow.execute(_LEVELS, {"ids": ids})}


def record_level_events(
    uow: UnitOfWork, before: dict[str, tuple[str, int | None, int]],
    after: dict[str, int] | None = None,
) -> None:
    """Record an event for each product whose level crossed zero or its threshold.
    ``after`` (product id -> level) may be given when the caller already knows it."""
    if not before:
        return
    now_levels = after if after is not None else {
        pid: level for pid, (_, _, level) in levels(uow, before).items()}
    for pid, (sku, threshold, old) in sorted(before.items()):
        new = now_levels.get(pid, old)
        if event := level_signal(old, new, threshold):
            record_event(uow, event, "product", pid, {
                "sku": sku, "available": new, "previous_available": old,
                "low_stock_threshold": threshold})
