"""Consumables used up for an order (packaging material, coolant, ...): on-hand stock at a
location goes down inside the caller's transaction.

The ledger books each consumption as the pair an order's own units get: a reservation
for the order followed by a shipment (units left the building). The counters only see
``on_hand`` go down; the demand history (``sales.daily_sales``) sees units used per day,
so forecasts and reorder points of consumables work like those of goods. The movements
carry reason ``consumed`` and the caller's note (e.g. the package's SSCC).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from ordermesh.inventory.ledger import book
from ordermesh.inventory.levels import levels, record_level_events
from ordermesh.inventory.model import MovementKind
from ordermesh.inventory.stock_rows import key
from ordermesh.inventory.tables import stock
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict
from ordermesh.kit.outbox import record_event

REASON = "consumed"


@dataclass(frozen=True)
class Consumed:
    product_id: str
    wanted: int
    taken: int
    available_before: int  # at this location: on hand minus reserved

    @property
    def shortfall(self) -> int:
        return self.wanted - self.taken


def consume_stock(
    uow: UnitOfWork, location_id: str, quantities: dict[str, int], *, order_id: str,
    note: str | None = None, allow_shortage: bool = False,
) -> list[Consumed]:
    """Take ``quantities`` (product id -> units) from the available stock at
    ``location_id`` for order ``order_id``. Not enough available: Conflict (nothing
    changes), unless ``allow_shortage``, then what is there is taken and the rest is
    reported as shortfall. Records low-stock/stock-out events. Does not commit."""
    wanted = {p: q for p, q in quantities.items() if q > 0}
    if not wanted:
        return []
    before = levels(uow, wanted)  # locks every stock row of these products, in order
    result: list[Consumed] = []
    for product_id in sorted(wanted):
        row = uow.execute(select(stock.c.on_hand, stock.c.reserved)
                          .where(key(product_id, location_id))).first()
        available = (row.on_hand - row.reserved) if row else 0
        take = min(wanted[product_id], max(available, 0))
        if take < wanted[product_id] and not allow_shortage:
            sku = before[product_id][0] if product_id in before else product_id
            raise Conflict(
                f"Not enough {sku} at the location to consume {wanted[product_id]}: "
                f"{max(available, 0)} available",
                extra={"sku": sku, "wanted": wanted[product_id],
                       "available": max(available, 0)})
        result.append(Consumed(product_id, wanted[product_id], take, available))
    now = uow.clock.now()
    for c in result:
        if c.taken == 0:
            continue
        uow.execute(update(stock).where(key(c.product_id, location_id),
                                        stock.c.on_hand - c.taken >= stock.c.reserved)
                    .values(on_hand=stock.c.on_hand - c.taken, updated_at=now))
        common = {"product_id": c.product_id, "location_id": location_id, "reason": REASON,
                  "note": note, "reference_type": "order", "reference_id": order_id}
        book(uow, [
            {**common, "kind": MovementKind.RESERVATION.value, "reserved_delta": c.taken},
            {**common, "kind": MovementKind.SHIPMENT.value, "on_hand_delta": -c.taken,
             "reserved_delta": -c.taken},
        ])
        record_event(uow, "inventory.consumed", "product", c.product_id, {
            "sku": before[c.product_id][0], "location_id": location_id,
            "quantity": c.taken, "order_id": order_id, "note": note})
    record_level_events(uow, before)
    return result
