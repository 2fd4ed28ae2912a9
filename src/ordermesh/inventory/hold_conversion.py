"""An order taking over a hold: the held units move to the order's lines, what the
order wants beyond them is reserved, and what it leaves is given back."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from sqlalchemy import update

from ordermesh.inventory.holds import (
    Hold,
    HoldExpired,
    HoldStatus,
    hold_payload,
    load_holds,
    lock_holds,
)
from ordermesh.inventory.ledger import book
from ordermesh.inventory.model import Allocation, MovementKind, ReservationRequest
from ordermesh.inventory.reserving import allocation_movements, release, reserve
from ordermesh.inventory.stock_rows import lock_products
from ordermesh.inventory.tables import holds
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import IllegalTransition, InsufficientStock, InvalidInput, Shortage
from ordermesh.kit.outbox import record_event
from ordermesh.locations.service import location_codes


@dataclass(frozen=True)
class _Conversion:
    taken: list[tuple[Allocation, Allocation]]  # (from the hold's line, to the order's line)
    leftovers: list[Allocation]  # hold units the order does not take
    extras: list[ReservationRequest]  # units the order wants beyond the hold's


def _plan_conversion(hold: Hold, requests: list[ReservationRequest]) -> _Conversion:
    """Per product, the hold's units go to the order's lines in line order, location by
    location (ordered by id); what is left over on either side is released or reserved."""
    pool: dict[str, list[list]] = defaultdict(list)
    for a in sorted(hold.allocations, key=lambda a: (a.location_id, a.line_no)):
        pool[a.product_id].append([a.line_no, a.location_id, a.quantity])
    taken, extras = [], []
    for request in sorted(requests, key=lambda r: r.line_no):
        needed = request.quantity
        for slot in pool.get(request.product_id, []):
            give = min(needed, slot[2])
            if give:
                taken.append((Allocation(slot[0], request.product_id, slot[1], give),
                              Allocation(request.line_no, request.product_id, slot[1], give)))
                slot[2] -= give
                needed -= give
        if needed:
            extras.append(replace(request, quantity=needed))
    leftovers = sorted((Allocation(line_no, product_id, location_id, units)
                        for product_id, slots in pool.items()
                        for line_no, location_id, units in slots if units),
                       key=lambda a: (a.product_id, a.location_id, a.line_no))
    return _Conversion(taken, leftovers, extras)


def convert_hold(
    uow: UnitOfWork, hold_id: str, channel_id: str, requests: list[ReservationRequest],
    reference: tuple[str, str],
) -> list[Allocation]:
    """Let an order (``reference``, e.g. ``("order", id)``) take over an active hold of its
    channel, inside the order's transaction (does not commit). Returns the order's
    allocations, by the requests' ``line_no``.

    Units the hold has of a requested product move to the order without touching any
    counter: the ledger books them released from the hold and reserved for the order,
    which nets to zero per stock row and per channel. Units requested beyond the hold's
    are reserved with ``reserve`` (``InsufficientStock`` counts the held units in both
    ``requested`` and ``available``); hold units the order does not take are released.

    Locks: the hold row first, then, when there is both something to release and
    something to reserve, every stock row of those products at once in (product,
    location) order, so that releasing one product and reserving another does not take
    row locks out of the global order. Call it before reserving anything else in the
    transaction for the same reason.
    """
    lock_holds(uow, [hold_id])
    found = load_holds(uow, [hold_id])
    if hold_id not in found:
        raise InvalidInput.for_field("reservation_id", f"Unknown reservation '{hold_id}'",
                                     "unknown_reservation")
    hold = found[hold_id]
    if hold.channel_id != channel_id:
        raise InvalidInput.for_field(
            "reservation_id", f"Reservation '{hold_id}' belongs to another channel "
            f"('{hold.channel_code}')", "foreign_reservation")
    now = uow.clock.now()
    if hold.status is HoldStatus.EXPIRED or (
            hold.status is HoldStatus.ACTIVE and hold.expires_at <= now):
        raise HoldExpired(f"Reservation '{hold_id}' expired at {hold.expires_at.isoformat()}",
                          extra={"current_status": HoldStatus.EXPIRED.value,
                                 "expires_at": hold.expires_at.isoformat()})
    if hold.status is not HoldStatus.ACTIVE:
        raise IllegalTransition(
            f"A reservation that is {hold.status} cannot be converted into an order",
            extra={"current_status": hold.status.value})

    plan = _plan_conversion(hold, requests)
    if plan.leftovers and plan.extras:
        lock_products(uow, {a.product_id for a in plan.leftovers}
                    | {r.product_id for r in plan.extras})
    book(uow, allocation_movements([source for source, _ in plan.taken], MovementKind.RELEASE,
                                   -1, ("hold", hold.id), channel_id)
         + allocation_movements([target for _, target in plan.taken],
                                MovementKind.RESERVATION, 1, reference, channel_id))
    release(uow, plan.leftovers, ("hold", hold.id), channel_id)
    extra_allocations = _reserve_extras(uow, plan, reference, channel_id)

    uow.execute(update(holds).where(holds.c.id == hold.id).values(
        status=HoldStatus.CONVERTED.value, order_id=reference[1], updated_at=now))
    converted = replace(hold, status=HoldStatus.CONVERTED, order_id=reference[1],
                        updated_at=now)
    codes = location_codes(uow, {a.location_id for a in plan.leftovers})
    skus = {ln.product_id: ln.sku for ln in hold.lines}
    record_event(uow, "reservation.converted", "reservation", hold.id, {
        **hold_payload(converted),
        "taken": sum(target.quantity for _, target in plan.taken),
        "reserved_extra": sum(r.quantity for r in plan.extras),
        "released": [{"sku": skus[a.product_id], "location": codes[a.location_id],
                      "quantity": a.quantity} for a in plan.leftovers]})
    merged: dict[tuple[int, str, str], int] = defaultdict(int)
    for a in [target for _, target in plan.taken] + extra_allocations:
        merged[(a.line_no, a.location_id, a.product_id)] += a.quantity
    return [Allocation(line_no, product_id, location_id, quantity)
            for (line_no, location_id, product_id), quantity in sorted(merged.items())]


def _reserve_extras(
    uow: UnitOfWork, plan: _Conversion, reference: tuple[str, str], channel_id: str
) -> list[Allocation]:
    if not plan.extras:
        return []
    try:
        return reserve(uow, plan.extras, reference, channel_id)
    except InsufficientStock as exc:
        held: dict[str, int] = defaultdict(int)
        for _, target in plan.taken:
            held[target.product_id] += target.quantity
        by_sku = {r.sku: held[r.product_id] for r in plan.extras}
        raise InsufficientStock([
            Shortage(s.sku, s.requested + by_sku.get(s.sku, 0), s.available + by_sku.get(s.sku, 0))
            for s in exc.shortages]) from exc
