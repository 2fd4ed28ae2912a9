"""Units that come back (customer returns): a building block for the flow that receives
them. It runs inside the caller's transaction and never commits.

Each unit goes one of three ways at the location that receives it, each booked in the
ledger with reason ``returned`` and the return as reference:

* ``sellable``: ``on_hand`` up (it can be sold again);
* ``held``: ``damaged`` up (quarantined or waiting for refurbishment, never sold);
* ``scrapped``: booked in as ``damaged`` and written off at once (two movements that
  leave the counters as they were, so the ledger shows the unit came back and went).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ordermesh.inventory.ledger import book
from ordermesh.inventory.levels import levels, record_level_events
from ordermesh.inventory.model import AdjustmentReason, MovementKind
from ordermesh.inventory.service import MAX_ON_HAND
from ordermesh.inventory.tables import stock
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict
from ordermesh.kit.upsert import insert_or_add


class Into(enum.StrEnum):
    SELLABLE = "sellable"
    HELD = "held"
    SCRAPPED = "scrapped"


@dataclass(frozen=True)
class TakenBack:
    product_id: str
    sku: str
    quantity: int
    into: Into


def take_back(uow: UnitOfWork, location_id: str, units: list[TakenBack],
              reference_type: str, reference_id: str, note: str | None = None) -> None:
    """Book returned units in at ``location_id`` (see the module docstring)."""
    before = levels(uow, [u.product_id for u in units])
    now = uow.clock.now()
    moves: list[dict] = []
    base = {"location_id": location_id, "reason": AdjustmentReason.RETURNED.value,
            "note": note, "reference_type": reference_type, "reference_id": reference_id}
    for unit in sorted(units, key=lambda u: u.product_id):
        column = "on_hand" if unit.into is Into.SELLABLE else "damaged"
        if unit.into is not Into.SCRAPPED:
            added = uow.execute(insert_or_add(
                uow, stock, ["product_id", "location_id"],
                {"product_id": unit.product_id, "location_id": location_id,
                 "on_hand": unit.quantity if column == "on_hand" else 0, "reserved": 0,
                 "damaged": unit.quantity if column == "damaged" else 0, "updated_at": now},
                [column], at_most=MAX_ON_HAND).returning(stock.c.on_hand)).first()
            if added is None:
                raise Conflict(f"{unit.sku} would exceed {MAX_ON_HAND} units at the "
                               "receiving location, the most one stock row holds")
        moves.append({**base, "product_id": unit.product_id,
                      "kind": MovementKind.RECEIPT.value, f"{column}_delta": unit.quantity})
        if unit.into is Into.SCRAPPED:
            moves.append({**base, "product_id": unit.product_id,
                          "kind": MovementKind.DAMAGE.value, "damaged_delta": -unit.quantity})
    book(uow, moves)
    record_level_events(uow, before)
