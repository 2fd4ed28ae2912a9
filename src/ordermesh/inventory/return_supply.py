"""Customer returns on their way, as expected supply of kind ``return``: building blocks
for the return flows. They run inside the caller's transaction and never commit.

A return's supply carries the return's id as its reference. Availability counts its
outstanding units as ``returns_expected`` and never promises them (their condition is
unknown until they are graded). Receiving a return settles its supply without booking
stock here: the receiving flow books the units itself, with their disposition
(``inventory.returned.take_back``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, select, update

from ordermesh.inventory import supply
from ordermesh.inventory.supply import SupplyKind, SupplyStatus
from ordermesh.inventory.tables import expected_supply
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import record_event

_S = expected_supply.c


@dataclass(frozen=True)
class ReturningUnits:
    sku: str
    location: str  # code of the location the units are expected at
    quantity: int


def expect_returned_units(uow: UnitOfWork, return_id: str, units: list[ReturningUnits],
                          on: date) -> None:
    """One open supply per SKU and location (units of one SKU add up), dated ``on``."""
    merged: dict[tuple[str, str], int] = {}
    for u in units:
        merged[(u.sku, u.location)] = merged.get((u.sku, u.location), 0) + u.quantity
    for (sku, location), quantity in sorted(merged.items()):
        supply.create_supply(uow, supply.NewSupply(sku, location, quantity, on,
                                                  SupplyKind.RETURN, return_id), commit=False)


def _open_rows(uow: UnitOfWork, return_id: str, product_id: str | None = None):
    query = (select(_S.id, _S.product_id, _S.location_id, _S.quantity, _S.received)
             .where(_S.kind == SupplyKind.RETURN.value, _S.reference == return_id,
                    _S.status == SupplyStatus.OPEN.value)
             .order_by(_S.id).with_for_update())
    if product_id is not None:
        query = query.where(_S.product_id == product_id)
    return uow.execute(query).all()


def settle_returned_units(uow: UnitOfWork, return_id: str, product_id: str, quantity: int,
                          received_at: str) -> None:
    """``quantity`` units of the product came back (at location id ``received_at``): they
    are no longer expected. The supply at the receiving location settles first, then the
    others (a parcel may come back to another location than expected). Units beyond
    what is expected settle nothing."""
    rows = sorted(_open_rows(uow, return_id, product_id),
                  key=lambda r: (r.location_id != received_at, r.id))
    left = quantity
    for row in rows:
        if left == 0:
            break
        took = min(left, row.quantity - row.received)
        left -= took
        complete = row.received + took == row.quantity
        uow.execute(update(expected_supply).where(_S.id == row.id).values(
            received=_S.received + took,
            status=case((complete, SupplyStatus.RECEIVED.value), else_=_S.status),
            updated_at=uow.clock.now()))
        settled = supply.get_supply(uow, row.id)
        record_event(uow, "supply.return_received", "supply", row.id, {
            "sku": settled.sku, "location": settled.location_code, "quantity": took,
            "received": settled.received, "outstanding": settled.outstanding,
            "status": settled.status.value, "reference": return_id})


def withdraw_returned_units(uow: UnitOfWork, return_id: str) -> None:
    """The return's units that have not come back will not come: its open supply is
    cancelled (units received stay received)."""
    for row in _open_rows(uow, return_id):
        supply.cancel_supply(uow, row.id, commit=False)
