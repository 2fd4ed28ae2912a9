"""Stock holds: a cart or checkout keeps stock for one channel for a few minutes.

A hold is ``active`` until the customer abandons it (``released``), the worker finds it
past ``expires_at`` (``expired``), or an order takes it over (``converted``, see
``hold_conversion``). Holds reserve and give back through ``reserving``, so safety
stock, quotas, exclusions and locations apply to them exactly as to orders, and the
ledger records every unit.

Locks, in the order every use case here takes them: hold rows, then stock rows in
(product, location) order, then channel counters (the order ``reserve`` and
``release`` use). Nothing locks a hold row while holding a stock row, so holds and
orders cannot deadlock each other.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, update

from ordermesh.catalog.service import resolve_skus
from ordermesh.channels.service import channel_by_code, get_channel
from ordermesh.inventory.model import Allocation, ReservationRequest, SkuQuantity
from ordermesh.inventory.reserving import release, reserve
from ordermesh.inventory.stock_rows import lock_products
from ordermesh.inventory.tables import hold_allocations, hold_lines, holds
from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import (
    FieldError,
    IllegalTransition,
    InvalidInput,
    NotFound,
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
    record_event(uow, "reservation.created", "reservation", hold_id, hold_payload(hold))
    uow.commit()
    return HoldPlaced(hold)


def get_hold(uow: UnitOfWork, hold_id: str) -> Hold:
    found = load_holds(uow, [hold_id])
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
    lock_holds(uow, [hold_id])
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
                 {**hold_payload(released), "reason": reason})
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
    batch = load_holds(uow, due)
    # One hold's rows are released in lock order, but hold after hold would not be:
    # take every stock row lock of the batch first, in the global order.
    lock_products(uow, {a.product_id for hold in batch.values() for a in hold.allocations})
    for hold_id in sorted(batch):
        hold = batch[hold_id]
        release(uow, hold.reserved(), ("hold", hold.id), hold.channel_id)
        uow.execute(_SET_STATUS, {"hold_id": hold.id, "new_status": HoldStatus.EXPIRED.value,
                                  "now": now})
        record_event(uow, "reservation.expired", "reservation", hold.id,
                     hold_payload(replace(hold, status=HoldStatus.EXPIRED, updated_at=now)))
    uow.commit()
    return len(batch)


def lock_holds(uow: UnitOfWork, hold_ids: list[str]) -> None:
    uow.execute(select(holds.c.id).where(holds.c.id.in_(sorted(hold_ids)))
                .order_by(holds.c.id).with_for_update())


def load_holds(uow: UnitOfWork, hold_ids: list[str]) -> dict[str, Hold]:
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


def hold_payload(hold: Hold) -> dict:
    return {
        "id": hold.id, "channel": hold.channel_code, "status": hold.status.value,
        "reference": hold.reference, "order_id": hold.order_id,
        "expires_at": hold.expires_at.isoformat(),
        "lines": [{"line_no": ln.line_no, "sku": ln.sku, "quantity": ln.quantity}
                  for ln in hold.lines],
        "allocations": [{"line_no": a.line_no, "location": a.location_code,
                         "quantity": a.quantity} for a in hold.allocations],
    }
