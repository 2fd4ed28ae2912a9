"""Reading fulfilment orders: one in full, an order's, pages of them, capacity use."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from ordermesh.fulfilment.model import (
    FulfilmentKind,
    FulfilmentLine,
    FulfilmentOrder,
    FulfilmentStatus,
    HistoryEntry,
)
from ordermesh.fulfilment.tables import fulfilment_history, fulfilment_lines, fulfilment_orders
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import NotFound
from ordermesh.kit.pagination import Page, decode_cursor, encode_cursor
from ordermesh.locations.model import Location
from ordermesh.locations.service import get_location
from ordermesh.orders.model import order_number

FO = fulfilment_orders.c


def _lines(uow: UnitOfWork, fo_ids: list[str]) -> dict[str, list[FulfilmentLine]]:
    out: dict[str, list[FulfilmentLine]] = defaultdict(list)
    if not fo_ids:
        return out
    rows = uow.execute(select(fulfilment_lines).where(fulfilment_lines.c.fo_id.in_(fo_ids))
                       .order_by(fulfilment_lines.c.fo_id, fulfilment_lines.c.line_no))
    for r in rows:
        out[r.fo_id].append(FulfilmentLine(
            r.line_no, r.product_id, r.sku, r.name, r.quantity, r.picked_quantity,
            r.short_quantity, r.packed_quantity, r.cancelled_quantity, r.rejected_quantity,
            r.shipped_quantity))
    return out


def history_of(uow: UnitOfWork, fo_id: str) -> list[HistoryEntry]:
    rows = uow.execute(select(fulfilment_history).where(fulfilment_history.c.fo_id == fo_id)
                       .order_by(fulfilment_history.c.seq))
    return [HistoryEntry(FulfilmentStatus(r.from_status) if r.from_status else None,
                         FulfilmentStatus(r.to_status), r.actor, r.reason, r.details,
                         as_utc(r.occurred_at)) for r in rows]


class _Locations:
    """Locations read once per call."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.seen: dict[str, Location] = {}

    def __call__(self, location_id: str) -> Location:
        if location_id not in self.seen:
            self.seen[location_id] = get_location(self.uow, location_id)
        return self.seen[location_id]


def _build(rows, uow: UnitOfWork, *, with_history: bool = False) -> list[FulfilmentOrder]:
    rows = list(rows)
    lines = _lines(uow, [r.id for r in rows])
    locations = _Locations(uow)
    out = []
    for r in rows:
        loc = locations(r.location_id)
        out.append(FulfilmentOrder(
            id=r.id, number=r.number, order_id=r.order_id, order_seq=r.order_seq,
            order_number=order_number(r.order_seq), channel_id=r.channel_id,
            location_id=r.location_id, location_code=loc.code, location_kind=loc.kind.value,
            kind=FulfilmentKind(r.kind), status=FulfilmentStatus(r.status),
            lines=lines.get(r.id, []), shipping_address=r.shipping_address,
            service_level=r.service_level, carrier=r.carrier, carrier_service=r.carrier_service,
            ship_by=r.ship_by, promised_date=r.promised_date,
            delivered_at=as_utc(r.delivered_at) if r.delivered_at else None,
            created_at=as_utc(r.created_at), updated_at=as_utc(r.updated_at),
            decision_id=r.decision_id, ready_at=as_utc(r.ready_at) if r.ready_at else None,
            history=history_of(uow, r.id) if with_history else []))
    return out


def _row(uow: UnitOfWork, fo_id: str, *, for_update: bool = False):
    query = select(fulfilment_orders).where(FO.id == fo_id)
    row = uow.execute(query.with_for_update() if for_update else query).first()
    if row is None:
        query = select(fulfilment_orders).where(FO.number == fo_id)
        row = uow.execute(query.with_for_update() if for_update else query).first()
    if row is None:
        raise NotFound(f"No fulfilment order with id or number '{fo_id}'")
    return row


def get_fulfilment_order(uow: UnitOfWork, fo_id: str, *,
                         with_history: bool = False) -> FulfilmentOrder:
    """A fulfilment order by id or number (``FO-000042-1``)."""
    return _build([_row(uow, fo_id)], uow, with_history=with_history)[0]


def lock_fulfilment_order(uow: UnitOfWork, fo_id: str) -> FulfilmentOrder:
    """The fulfilment order, its row locked until the transaction ends.

    Lock order: the order's row first, then the fulfilment order's. Changes to an order
    (cancel, edit, shipment) lock the order and then its fulfilment orders, so taking
    them in the same order here keeps the two from deadlocking."""
    from ordermesh.orders.queries import order_ref

    row = _row(uow, fo_id)
    order_ref(uow, row.order_id, for_update=True)
    return _build([_row(uow, row.id, for_update=True)], uow)[0]


def fulfilment_for_order(uow: UnitOfWork, order_id: str, *,
                         for_update: bool = False) -> list[FulfilmentOrder]:
    """Every fulfilment order of an order (by id), oldest first."""
    query = select(fulfilment_orders).where(FO.order_id == order_id).order_by(FO.order_index)
    return _build(uow.execute(query.with_for_update() if for_update else query), uow)


@dataclass(frozen=True)
class FulfilmentFilter:
    location_id: str | None = None
    status: FulfilmentStatus | None = None
    order_id: str | None = None
    kind: FulfilmentKind | None = None


def list_fulfilment_orders(uow: UnitOfWork, flt: FulfilmentFilter, *, limit: int = 50,
                           cursor: str | None = None) -> Page[FulfilmentOrder]:
    """Newest first (by creation, then id)."""
    query = select(fulfilment_orders).order_by(FO.order_seq.desc(), FO.order_index.desc())
    if (before := decode_cursor(cursor)) is not None:
        seq, index = divmod(before, 10_000)
        query = query.where((FO.order_seq < seq)
                            | ((FO.order_seq == seq) & (FO.order_index < index)))
    if flt.location_id:
        query = query.where(FO.location_id == flt.location_id)
    if flt.status:
        query = query.where(FO.status == flt.status.value)
    if flt.order_id:
        query = query.where(FO.order_id == flt.order_id)
    if flt.kind:
        query = query.where(FO.kind == flt.kind.value)
    rows = list(uow.execute(query.limit(limit + 1)))
    items = _build(rows[:limit], uow)
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor(last.order_seq * 10_000 + int(last.number.rsplit("-", 1)[1]))
    return Page(items, next_cursor)


def picked_at(uow: UnitOfWork, location_id: str, *, limit: int = 50) -> list[FulfilmentOrder]:
    """Fulfilment orders at a location whose pick is confirmed and which are not yet all
    packed (a pack station's queue), oldest first."""
    query = (select(fulfilment_orders)
             .where(FO.location_id == location_id, FO.status == FulfilmentStatus.PICKED.value)
             .order_by(FO.created_at, FO.order_seq, FO.order_index).limit(limit))
    return _build(uow.execute(query), uow)


def released_on(uow: UnitOfWork, location_ids: set[str], day: date) -> dict[str, int]:
    """Fulfilment orders released at each location on a UTC day (capacity use)."""
    if not location_ids:
        return {}
    start = datetime.combine(day, time(0), tzinfo=UTC)
    rows = uow.execute(
        select(FO.location_id, func.count()).where(
            FO.location_id.in_(sorted(location_ids)), FO.created_at >= start,
            FO.created_at < start + timedelta(days=1))
        .group_by(FO.location_id))
    counts = dict.fromkeys(location_ids, 0)
    counts.update({loc: int(n) for loc, n in rows})
    return counts
