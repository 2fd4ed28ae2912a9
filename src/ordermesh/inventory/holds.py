"""Stock holds: a cart or checkout keeps stock for one channel for a few minutes.

A hold is ``active`` until the customer abandons it (``released``), the worker finds it
past ``expires_at`` (``expired``), or an order takes it over (``converted``). Holds
reserve and give back through ``reserving``, so safety stock, quotas, exclusions and
locations apply to them exactly as to orders, and the ledger records every unit.

Locks, in the order every use case here takes them: hold rows, then stock rows in
(product, location) order, then channel counters (the order ``reserve`` and
``release`` use). Nothing locks a hold row while holding a stock row, so holds and
orders cannot deadlock each other.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, update

from ordermesh.catalog.service import resolve_skus
from ordermesh.channels.service import channel_by_code, get_channel
from ordermesh.inventory.ledger import book
from ordermesh.inventory.model import Allocation, MovementKind, ReservationRequest, SkuQuantity
from ordermesh.inventory.reserving import release, reserve
from ordermesh.inventory.tables import hold_allocations, hold_lines, holds, stock
from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import (
    FieldError,
    IllegalTransition,
    InsufficientStock,
    InvalidInput,
    NotFound,
    Shortage,
)
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.locations.service import location_codes

MAX_LINES = 100
MIN_EXPIRY_SECONDS = 60
MAX_EXPIRY_SECONDS = 86_400
DEFAULT_EXPIRY_SECONDS = 900


class HoldStatus(enum.StrEnum):
    ACTIVE = "active"
    CONVERTED = "converted"  # taken over by an order
    RELEASED = "released"  # given back before it expired (abandoned cart)
    EXPIRED = "expired"  # given back by the worker once expires_at had passed


class HoldExpired(IllegalTransition):
    code = "reservation-expired"
    title = "The reservation has expired"


@dataclass(frozen=True)
class HoldLine:
    line_no: int
    product_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class HoldAllocation:
    line_no: int
    product_id: str
    location_id: str
    location_code: str
    quantity: int


@dataclass(frozen=True)
class Hold:
    id: str
    channel_id: str
    channel_code: str
    status: HoldStatus
    reference: str | None  # the caller's cart or checkout id
    order_id: str | None
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    lines: list[HoldLine]
    allocations: list[HoldAllocation]

    def reserved(self) -> list[Allocation]:
        return [Allocation(a.line_no, a.product_id, a.location_id, a.quantity)
                for a in self.allocations]


@dataclass(frozen=True)
class PlaceHold:
    """Lines may repeat a SKU: each stays its own line, reserved together with the rest."""

    channel: str
    lines: list[SkuQuantity]
    expires_in_seconds: int = DEFAULT_EXPIRY_SECONDS
    reference: str | None = None


@dataclass(frozen=True)
class HoldPlaced:
    hold: Hold
    replayed: bool = False


_INSERT_LINES = insert(hold_lines)
_INSERT_ALLOCATIONS = insert(hold_allocations)
_SET_STATUS = (update(holds).where(holds.c.id == bindparam("hold_id"))
               .values(status=bindparam("new_status"), updated_at=bindparam("now")))


def _check(cmd: PlaceHold) -> None:
    errors = []
    if not 1 <= len(cmd.lines) <= MAX_LINES:
        errors.append(FieldError("lines", f"a reservation has 1 to {MAX_LINES} lines"))
    errors.extend(FieldError(f"lines.{i}.quantity", "quantity must be positive")
                  for i, line in enumerate(cmd.lines) if line.quantity <= 0)
    if not MIN_EXPIRY_SECONDS <= cmd.expires_in_seconds <= MAX_EXPIRY_SECONDS:
        errors.append(FieldError("expires_in_seconds", f"must be {MIN_EXPIRY_SECONDS} to "
                                 f"{MAX_EXPIRY_SECONDS} seconds"))
    if errors:
        raise InvalidInput("The reservation is invalid", errors=errors)


def place_hold(
    uow: UnitOfWork, cmd: PlaceHold, idem: idempotency.IdempotencyKey | None = None
) -> HoldPlaced:
    """Reserve every line for the channel until ``expires_in_seconds`` from now, or change
    nothing (``InsufficientStock`` names each short SKU). Commits."""
    hold_id = new_id("hld")
    if prior := idempotency.claim(uow, idem, idempotency.PriorResult("hold", hold_id, 201)):
        return HoldPlaced(get_hold(uow, prior.resource_id), replayed=True)
    _check(cmd)
    channel = channel_by_code(uow, cmd.channel)
    products = resolve_skus(uow, [line.sku for line in cmd.lines])
    lines = [HoldLine(i, products[line.sku].id, line.sku, line.quantity)
             for i, line in enumerate(cmd.lines, 1)]
    reserved = reserve(uow, [ReservationRequest(ln.line_no, ln.product_id, ln.sku, ln.quantity)
                             for ln in lines], ("hold", hold_id), channel.id)
    now = uow.clock.now()
    expires_at = now + timedelta(seconds=cmd.expires_in_seconds)
    uow.execute(insert(holds).values(
        id=hold_id, channel_id=channel.id, status=HoldStatus.ACTIVE.value,
        reference=cmd.reference, order_id=None, expires_at=expires_at,
        created_at=now, updated_at=now))
    uow.execute(_INSERT_LINES, [{"hold_id": hold_id, "line_no": ln.line_no,
                                 "product_id": ln.product_id, "sku": ln.sku,
                                 "quantity": ln.quantity} for ln in lines])
    uow.execute(_INSERT_ALLOCATIONS, [{"hold_id": hold_id, "line_no": a.line_no,
                                       "product_id": a.product_id, "location_id": a.location_id,
                                       "quantity": a.quantity} for a in reserved])
    codes = location_codes(uow, {a.location_id for a in reserved})
    hold = Hold(hold_id, channel.id, channel.code, HoldStatus.ACTIVE, cmd.reference, None,
                expires_at, now, now, lines,
                [HoldAllocation(a.line_no, a.product_id, a.location_id, codes[a.location_id],
                                a.quantity) for a in reserved])
    record_event(uow, "reservation.created", "reservation", hold_id, _payload(hold))
    uow.commit()
    return HoldPlaced(hold)


def get_hold(uow: UnitOfWork, hold_id: str) -> Hold:
    found = _load_holds(uow, [hold_id])
    if hold_id not in found:
        raise NotFound(f"Reservation '{hold_id}' does not exist")
    return found[hold_id]


def release_hold(
    uow: UnitOfWork, hold_id: str, reason: str | None = None,
    idem: idempotency.IdempotencyKey | None = None,
) -> Hold:
    """Give an active hold's stock back (the customer abandoned the cart). A hold past
    ``expires_at`` that the worker has not expired yet may still be released. Commits."""
    if prior := idempotency.claim(uow, idem):
        return get_hold(uow, prior.resource_id)
    _lock_holds(uow, [hold_id])
    hold = get_hold(uow, hold_id)
    if hold.status is not HoldStatus.ACTIVE:
        raise IllegalTransition(f"A reservation that is {hold.status} cannot be released",
                                extra={"current_status": hold.status.value})
    release(uow, hold.reserved(), ("hold", hold.id), hold.channel_id)
    now = uow.clock.now()
    uow.execute(_SET_STATUS, {"hold_id": hold.id, "new_status": HoldStatus.RELEASED.value,
                              "now": now})
    released = replace(hold, status=HoldStatus.RELEASED, updated_at=now)
    record_event(uow, "reservation.released", "reservation", hold.id,
                 {**_payload(released), "reason": reason})
    idempotency.complete(uow, idem, "hold", hold.id, 200)
    uow.commit()
    return released


def expire_due_holds(uow: UnitOfWork, limit: int = 100) -> int:
    """Expire up to ``limit`` active holds whose ``expires_at`` has passed, oldest first,
    give their stock back, and commit. Returns how many were expired.

    The holds are claimed with ``FOR UPDATE SKIP LOCKED``, so any number of workers can
    run this at once: each takes holds no other has claimed, and a hold an order is
    converting right now is skipped (the order takes it, or the next pass expires it).
    SQLite ignores the clause; it lets one writer in at a time.
    """
    now = uow.clock.now()
    due = [row.id for row in uow.execute(
        select(holds.c.id)
        .where(holds.c.status == HoldStatus.ACTIVE.value, holds.c.expires_at <= now)
        .order_by(holds.c.expires_at, holds.c.id).limit(limit)
        .with_for_update(skip_locked=True))]
    if not due:
        return 0
    batch = _load_holds(uow, due)
    # One hold's rows are released in lock order, but hold after hold would not be:
    # take every stock row lock of the batch first, in the global order.
    _lock_stock(uow, {a.product_id for hold in batch.values() for a in hold.allocations})
    for hold_id in sorted(batch):
        hold = batch[hold_id]
        release(uow, hold.reserved(), ("hold", hold.id), hold.channel_id)
        uow.execute(_SET_STATUS, {"hold_id": hold.id, "new_status": HoldStatus.EXPIRED.value,
                                  "now": now})
        record_event(uow, "reservation.expired", "reservation", hold.id,
                     _payload(replace(hold, status=HoldStatus.EXPIRED, updated_at=now)))
    uow.commit()
    return len(batch)


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
    _lock_holds(uow, [hold_id])
    found = _load_holds(uow, [hold_id])
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
        _lock_stock(uow, {a.product_id for a in plan.leftovers}
                    | {r.product_id for r in plan.extras})
    book(uow, [row for source, target in plan.taken for row in (
        _movement(source, MovementKind.RELEASE, -1, ("hold", hold.id), channel_id),
        _movement(target, MovementKind.RESERVATION, 1, reference, channel_id))])
    release(uow, plan.leftovers, ("hold", hold.id), channel_id)
    extra_allocations = _reserve_extras(uow, plan, reference, channel_id)

    uow.execute(update(holds).where(holds.c.id == hold.id).values(
        status=HoldStatus.CONVERTED.value, order_id=reference[1], updated_at=now))
    converted = replace(hold, status=HoldStatus.CONVERTED, order_id=reference[1],
                        updated_at=now)
    codes = location_codes(uow, {a.location_id for a in plan.leftovers})
    skus = {ln.product_id: ln.sku for ln in hold.lines}
    record_event(uow, "reservation.converted", "reservation", hold.id, {
        **_payload(converted),
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


def _movement(a: Allocation, kind: MovementKind, sign: int, reference: tuple[str, str],
              channel_id: str) -> dict:
    return {"product_id": a.product_id, "location_id": a.location_id, "kind": kind.value,
            "reserved_delta": sign * a.quantity, "channel_id": channel_id,
            "reference_type": reference[0], "reference_id": reference[1]}


def _lock_holds(uow: UnitOfWork, hold_ids: list[str]) -> None:
    uow.execute(select(holds.c.id).where(holds.c.id.in_(sorted(hold_ids)))
                .order_by(holds.c.id).with_for_update())


def _lock_stock(uow: UnitOfWork, product_ids: Iterable[str]) -> None:
    """Lock every stock row of these products in the order ``reserve`` locks them."""
    ids = sorted(set(product_ids))
    if ids:
        uow.execute(select(stock.c.product_id).where(stock.c.product_id.in_(ids))
                    .order_by(stock.c.product_id, stock.c.location_id).with_for_update())


def _load_holds(uow: UnitOfWork, hold_ids: list[str]) -> dict[str, Hold]:
    """Whole holds, in three queries however many there are."""
    headers = list(uow.execute(select(holds).where(holds.c.id.in_(hold_ids))))
    if not headers:
        return {}
    ids = [row.id for row in headers]
    lines: dict[str, list[HoldLine]] = defaultdict(list)
    for row in uow.execute(select(hold_lines).where(hold_lines.c.hold_id.in_(ids))
                           .order_by(hold_lines.c.hold_id, hold_lines.c.line_no)):
        lines[row.hold_id].append(HoldLine(row.line_no, row.product_id, row.sku, row.quantity))
    rows = list(uow.execute(
        select(hold_allocations).where(hold_allocations.c.hold_id.in_(ids))
        .order_by(hold_allocations.c.hold_id, hold_allocations.c.line_no,
                  hold_allocations.c.location_id)))
    codes = location_codes(uow, {row.location_id for row in rows})
    allocations: dict[str, list[HoldAllocation]] = defaultdict(list)
    for row in rows:
        allocations[row.hold_id].append(HoldAllocation(
            row.line_no, row.product_id, row.location_id, codes[row.location_id], row.quantity))
    channel_codes = {cid: get_channel(uow, cid).code for cid in {r.channel_id for r in headers}}
    return {row.id: Hold(
        id=row.id, channel_id=row.channel_id, channel_code=channel_codes[row.channel_id],
        status=HoldStatus(row.status), reference=row.reference, order_id=row.order_id,
        expires_at=as_utc(row.expires_at), created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at), lines=lines[row.id], allocations=allocations[row.id],
    ) for row in headers}


def _payload(hold: Hold) -> dict:
    return {
        "id": hold.id, "channel": hold.channel_code, "status": hold.status.value,
        "reference": hold.reference, "order_id": hold.order_id,
        "expires_at": hold.expires_at.isoformat(),
        "lines": [{"line_no": ln.line_no, "sku": ln.sku, "quantity": ln.quantity}
                  for ln in hold.lines],
        "allocations": [{"line_no": a.line_no, "location": a.location_code,
                         "quantity": a.quantity} for a in hold.allocations],
    }
