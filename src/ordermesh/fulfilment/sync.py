"""Keeping fulfilment orders in step with their order.

The invariant: at each location, the open units of an order line on its fulfilment
orders never exceed the units the order holds reserved there. Whenever the order gives
reserved units back (a cancellation, an edit that lowers or removes a line),
``units_released`` takes the excess off
the open fulfilment order lines at that location: the least advanced fulfilment orders
first, unpicked units before picked ones (picked units go back to the shelf).

Packed units are never taken off: they are in a labelled package. A cancellation that
would need them is refused (409) and changes nothing; the package ships through its
fulfilment order (then the units are returned), or is unpacked first.

When fulfilment itself sends or removes units (shipping, shipments recorded by hand,
rejecting, short picks, pickups not collected) it updates its lines *before* the order
gives the units back, so the check finds nothing left to take off.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from sqlalchemy import update

from ordermesh.fulfilment.model import WORKABLE, FulfilmentKind, FulfilmentStatus, take_off
from ordermesh.fulfilment.queries import fulfilment_for_order
from ordermesh.fulfilment.service import apply_status, event_payload, lines_changed_event
from ordermesh.fulfilment.tables import fulfilment_lines, fulfilment_orders
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict
from ordermesh.kit.outbox import record_event
from ordermesh.locations.model import LocationKind

FL = fulfilment_lines.c
_PROGRESS = {s: i for i, s in enumerate((
    FulfilmentStatus.RELEASED, FulfilmentStatus.ACCEPTED, FulfilmentStatus.PICKING,
    FulfilmentStatus.PICKED, FulfilmentStatus.PACKED, FulfilmentStatus.LABEL_CREATED,
    FulfilmentStatus.READY_FOR_PICKUP))}


def units_released(uow: UnitOfWork, order, releases: list, *, shipped: bool = False) -> None:
    """The order (as loaded before the change) gave back ``releases`` (allocations:
    ``line_no``, ``location_id``, ``quantity``); ``shipped``: they left by a shipment
    recorded on the order directly. Called by ``orders.changes.give_back``."""
    if not releases:
        return
    left: dict[tuple[int, str], int] = defaultdict(int)
    for a in order.allocations:
        left[(a.line_no, a.location_id)] += a.quantity
    touched = set()
    for rel in releases:
        left[(rel.line_no, rel.location_id)] -= rel.quantity
        touched.add((rel.line_no, rel.location_id))
    fos = [fo for fo in fulfilment_for_order(uow, order.id, for_update=True)
           if fo.status in WORKABLE]
    if not fos:
        return
    fos.sort(key=lambda fo: (_PROGRESS[fo.status], -int(fo.number.rsplit("-", 1)[1])))
    taken: dict[str, dict[int, int]] = defaultdict(dict)
    for line_no, location_id in sorted(touched):
        at_location = [fo for fo in fos if fo.location_id == location_id]
        open_units = sum(ln.open for fo in at_location for ln in fo.lines
                         if ln.line_no == line_no)
        excess = open_units - max(left[(line_no, location_id)], 0)
        for fo in at_location:
            if excess <= 0:
                break
            unpicked, picked = take_off(fo.lines, line_no, excess)
            if unpicked + picked:
                uow.execute(update(fulfilment_lines)
                            .where(FL.fo_id == fo.id, FL.line_no == line_no)
                            .values(cancelled_quantity=FL.cancelled_quantity + unpicked + picked,
                                    picked_quantity=FL.picked_quantity - picked))
                taken[fo.id][line_no] = unpicked + picked
                excess -= unpicked + picked
        if excess > 0:
            holders = ", ".join(fo.number for fo in at_location)
            raise Conflict(
                f"{excess} unit(s) of line {line_no} are packed on {holders}: packed units "
                "cannot be cancelled; ship the fulfilment order (and return them) or unpack "
                "them first",
                extra={"line_no": line_no, "fulfilment_orders": holders})
    reason = "shipped outside fulfilment" if shipped else "taken off the order"
    for fo in fos:
        if fo.id not in taken:
            continue
        lines_changed_event(uow, fo, "cancelled", taken[fo.id], reason)
        updated = next(f for f in fulfilment_for_order(uow, order.id) if f.id == fo.id)
        if updated.open_units == 0 and not any(ln.shipped_quantity for ln in updated.lines):
            apply_status(uow, updated, FulfilmentStatus.CANCELLED,
                         f"nothing left on it: {reason}")


def address_changed(uow: UnitOfWork, order_id: str, address: dict | None) -> None:
    """An edit gave the order a new shipping address: its fulfilment orders that are
    still to ship follow (a packed one's label is printed anew with it) and a 3PL gets
    the hand-off document again. Called by ``flows.order_edits.edit_order``."""
    from ordermesh.fulfilment.handoff import record_handoff
    from ordermesh.orders.queries import order_for_fulfilment

    for fo in fulfilment_for_order(uow, order_id, for_update=True):
        if fo.status not in WORKABLE or fo.kind != FulfilmentKind.SHIP:
            continue
        if fo.status == FulfilmentStatus.LABEL_CREATED:
            raise Conflict(f"{fo.number} is booked with the carrier to the address the order "
                           "has: hand it over (or return it) rather than change the address",
                           extra={"fulfilment_order": fo.number})
        uow.execute(update(fulfilment_orders).where(fulfilment_orders.c.id == fo.id)
                    .values(shipping_address=address, updated_at=uow.clock.now()))
        record_event(uow, "fulfilment.address_changed", "fulfilment_order", fo.id,
                     event_payload(fo, shipping_address=address))
        if fo.location_kind == LocationKind.THREE_PL.value:
            record_handoff(uow, replace(fo, shipping_address=address),
                           order_for_fulfilment(uow, order_id))


def packed_units(uow: UnitOfWork, order_id: str) -> dict[tuple[int, str], int]:
    """Units packed and not yet sent, per (line, location): those the order cannot give
    back, so that a cancellation takes its units from elsewhere first."""
    packed: dict[tuple[int, str], int] = defaultdict(int)
    for fo in fulfilment_for_order(uow, order_id):
        if fo.status in WORKABLE:
            for ln in fo.lines:
                if (units := min(ln.packed_quantity, ln.open)) > 0:
                    packed[(ln.line_no, fo.location_id)] += units
    return dict(packed)
