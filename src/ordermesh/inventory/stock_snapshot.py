"""The stock of a batch of orders, read and locked once, reserved in memory
(``flows.placement``).

``lock_for_batch`` locks every stock row of the batch's products with one ``SELECT …
FOR UPDATE`` in (product, location) order (SQLite holds its write lock), reads their
counters and the allocation settings of those products (rules, safety stock defaults,
channel sources, one query; the locations when a channel has sources) and keeps them
for the transaction (``UnitOfWork.keep``). ``inventory.reserving.reserve`` then plans
each order against them in memory, in arrival order, and queues its conditional stock
``UPDATE`` (``UnitOfWork.defer_update``): the stock of the whole batch is written with
one statement, re-checked row by row in the database. Nobody else can change the rows
meanwhile, so the plan is the one the database would give.

A rolled-back savepoint takes back its order's reservations here too; a statement that
writes the stock or the settings otherwise (a drop-ship receipt, a new stock row) drops
the snapshot, and each later reservation reads under its locks again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from ordermesh.catalog.tables import products
from ordermesh.inventory.policy import read_locations, read_settings
from ordermesh.inventory.tables import stock, stock_policies
from ordermesh.kit.db import UnitOfWork

KEPT_AS = "inventory.stock_snapshot"
# The product's category and low-stock threshold come along, saving a statement.
LOCK_PRODUCTS = (
    select(stock.c.product_id, stock.c.location_id, stock.c.on_hand, stock.c.reserved,
           stock.c.safety_stock, products.c.category, products.c.weight_grams,
           stock_policies.c.low_stock_threshold)
    .join(products, products.c.id == stock.c.product_id)
    .outerjoin(stock_policies, stock_policies.c.product_id == stock.c.product_id)
    .where(stock.c.product_id.in_(bindparam("ids", expanding=True)))
    .order_by(stock.c.product_id, stock.c.location_id).with_for_update(of=stock))


@dataclass
class LockedRow:
    """One stock row as ``LOCK_PRODUCTS`` reads it; ``reserved`` moves with the plan."""

    product_id: str
    location_id: str
    on_hand: int
    reserved: int
    safety_stock: int | None
    category: str | None
    weight_grams: int | None
    low_stock_threshold: int | None


class StockSnapshot:
    """The locked rows of a batch's products and their allocation settings."""

    tables = frozenset({"stock", "stock_policies", "allocation_rules",
                        "safety_stock_defaults", "channel_sources", "locations"})

    def __init__(self, product_ids: set[str], rows: list[LockedRow], settings: list[tuple],
                 location_rows: list | None) -> None:
        self.product_ids = product_ids
        self.rows: dict[str, list[LockedRow]] = {}
        self._by_key: dict[tuple[str, str], LockedRow] = {}
        for row in rows:
            self.rows.setdefault(row.product_id, []).append(row)
            self._by_key[(row.product_id, row.location_id)] = row
        self.settings = settings
        self.location_rows = location_rows
        self._taken: list[tuple[LockedRow, int]] = []

    def covers(self, product_ids: Iterable[str]) -> bool:
        return self.product_ids.issuperset(product_ids)

    def take(self, takes: list[dict]) -> None:
        """Reserve the planned units (``{"p", "l", "q"}`` rows) in memory."""
        for t in takes:
            row = self._by_key[(t["p"], t["l"])]
            row.reserved += t["q"]
            self._taken.append((row, t["q"]))

    # --- kit.savepoints.TransactionCache
    def mark(self) -> int:
        return len(self._taken)

    def undo(self, mark: int) -> None:
        while len(self._taken) > mark:
            row, units = self._taken.pop()
            row.reserved -= units


def lock_for_batch(uow: UnitOfWork, product_ids: Iterable[str]) -> None:
    """Lock the stock rows of these products, read them and their settings, and keep
    them for the transaction's reservations (see the module)."""
    ids = set(product_ids)
    if not ids:
        return
    rows = [LockedRow(*r) for r in uow.execute(LOCK_PRODUCTS, {"ids": sorted(ids)})]
    settings = read_settings(uow, ids, {r.category for r in rows if r.category})
    has_sources = any(tag == "source" for tag, *_ in settings)
    uow.keep(KEPT_AS, StockSnapshot(ids, rows, settings,
                                    read_locations(uow) if has_sources else None))


def snapshot_for(uow: UnitOfWork, product_ids: Iterable[str]) -> StockSnapshot | None:
    """The batch's snapshot when it holds every one of these products."""
    snapshot = uow.kept(KEPT_AS)
    return snapshot if snapshot is not None and snapshot.covers(product_ids) else None
