"""Stock-row building blocks shared by the movement use cases: reading one row with
every counter, creating missing rows, locking a set of rows in the global order, and the
limits every movement request checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, select

from ordermesh.inventory.tables import stock
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import FieldError, InvalidInput
from ordermesh.kit.upsert import dialect_insert

MAX_QUANTITY = 1_000_000  # units one movement request may move
MAX_LINES = 500


@dataclass(frozen=True)
class StockRow:
    """Every counter of one SKU at one location."""

    product_id: str
    sku: str
    location_id: str
    location_code: str
    on_hand: int = 0
    reserved: int = 0
    damaged: int = 0
    in_transit: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def stock_row(uow: UnitOfWork, product_id: str, sku: str, location_id: str,
              location_code: str) -> StockRow:
    """The row as it is now; a SKU never stocked there reads as all zeros."""
    row = uow.execute(select(stock.c.on_hand, stock.c.reserved, stock.c.damaged,
                             stock.c.in_transit).where(key(product_id, location_id))).first()
    counters = row._asdict() if row else {}
    return StockRow(product_id, sku, location_id, location_code, **counters)


def key(product_id: str, location_id: str):
    return and_(stock.c.product_id == product_id, stock.c.location_id == location_id)


def ensure_stock_rows(uow: UnitOfWork, keys: Iterable[tuple[str, str]]) -> None:
    """Create the missing stock rows of these (product, location) keys with zero counters,
    so every change that follows is a conditional UPDATE of a row locked beforehand. An
    all-zero row agrees with an empty ledger."""
    rows = [{"product_id": p, "location_id": loc, "on_hand": 0, "reserved": 0, "damaged": 0,
             "in_transit": 0, "updated_at": uow.clock.now()} for p, loc in sorted(set(keys))]
    if rows:
        uow.execute(dialect_insert(uow, stock).on_conflict_do_nothing(
            index_elements=["product_id", "location_id"]), rows)


_LOCK_PRODUCTS = (select(stock.c.product_id)
                  .where(stock.c.product_id.in_(bindparam("ids", expanding=True)))
                  .order_by(stock.c.product_id, stock.c.location_id).with_for_update())


def lock_products(uow: UnitOfWork, product_ids: Iterable[str]) -> None:
    """Lock every stock row of these products, in the global (product, location) order
    that ``reserve`` uses too."""
    ids = sorted(set(product_ids))
    if ids:
        uow.execute(_LOCK_PRODUCTS, {"ids": ids})


_LOCK_ROWS = (
    select(stock.c.product_id, stock.c.location_id, stock.c.on_hand, stock.c.reserved,
           stock.c.damaged, stock.c.in_transit)
    .where(stock.c.product_id.in_(bindparam("products", expanding=True)),
           stock.c.location_id.in_(bindparam("locations", expanding=True)))
    .order_by(stock.c.product_id, stock.c.location_id).with_for_update())


def lock_stock_rows(uow: UnitOfWork, product_ids: Iterable[str], location_ids: Iterable[str]
                    ) -> dict[tuple[str, str], dict[str, int]]:
    """Counters of every existing row of these products at these locations, locked until
    the transaction ends. One statement takes the locks in (product, location) order, the
    order every stock-changing transaction uses, so none of them can deadlock another."""
    rows = uow.execute(_LOCK_ROWS, {"products": sorted(set(product_ids)),
                                    "locations": sorted(set(location_ids))})
    return {(r.product_id, r.location_id): {"on_hand": r.on_hand, "reserved": r.reserved,
                                            "damaged": r.damaged, "in_transit": r.in_transit}
            for r in rows}


def check_quantity(quantity: int, field: str = "quantity") -> None:
    if not 0 < quantity <= MAX_QUANTITY:
        raise InvalidInput.for_field(field, f"must be between 1 and {MAX_QUANTITY}")


def check_lines(skus: list[str]) -> None:
    """A request names each SKU once, in 1 to ``MAX_LINES`` lines."""
    if not 0 < len(skus) <= MAX_LINES:
        raise InvalidInput.for_field("lines", f"give 1 to {MAX_LINES} lines")
    seen: set[str] = set()
    errors = []
    for i, sku in enumerate(skus):
        if sku in seen:
            errors.append(FieldError(f"lines.{i}.sku", f"SKU '{sku}' is listed twice",
                                     "duplicate_sku"))
        seen.add(sku)
    if errors:
        raise InvalidInput("Each SKU may appear on one line only", errors=errors)
