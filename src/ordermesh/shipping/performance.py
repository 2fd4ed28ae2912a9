"""Delivery against the promise: on-time rates per carrier, location or channel; and the
record of the shipments one carrier or 3PL handled, for its supplier's scorecard.

Rows are keyed by codes (carrier code, location code, channel code), as a user names
them everywhere else in the API; shipments keep internal ids, translated here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, or_, select

from ordermesh.channels.service import get_channel
from ordermesh.fulfilment.performance import day_bounds, handed_over
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput
from ordermesh.locations.service import location_codes
from ordermesh.shipping.model import TrackingStatus
from ordermesh.shipping.tables import shipments, tracking_events


class GroupBy(enum.StrEnum):
    CARRIER = "carrier"
    LOCATION = "location"
    CHANNEL = "channel"


_COLUMNS = {GroupBy.CARRIER: shipments.c.carrier, GroupBy.LOCATION: shipments.c.location_id,
            GroupBy.CHANNEL: shipments.c.channel_id}
_RATE = Decimal("0.0001")
_DAYS = Decimal("0.01")


@dataclass(frozen=True)
class Performance:
    key: str | None
    delivered: int
    on_time: int
    late: int
    on_time_rate: Decimal | None  # on_time / delivered, 4 decimals
    average_days_late: Decimal | None  # over the late deliveries, 2 decimals


def delivery_performance(uow: UnitOfWork, group_by: GroupBy, since: date | None,
                         until: date | None) -> list[Performance]:
    """Deliveries with a measured promise whose UTC delivery day is within
    ``[since, until]`` (both inclusive, either open)."""
    if since and until and since > until:
        raise InvalidInput.for_field("from", "'from' must not be after 'to'")
    key = _COLUMNS[group_by]
    late = case((shipments.c.on_time.is_(False), 1), else_=0)
    stmt = (select(key.label("key"), func.count().label("delivered"),
                   func.sum(case((shipments.c.on_time.is_(True), 1), else_=0)).label("on_time"),
                   func.sum(late).label("late"),
                   func.sum(case((shipments.c.on_time.is_(False), shipments.c.days_late),
                                 else_=0)).label("days_late"))
            .where(shipments.c.delivered_at.is_not(None), shipments.c.on_time.is_not(None))
            .group_by(key).order_by(key))
    if since:
        stmt = stmt.where(shipments.c.delivered_at >= datetime.combine(since, time(), UTC))
    if until:
        stmt = stmt.where(shipments.c.delivered_at
                          < datetime.combine(until + timedelta(days=1), time(), UTC))
    rows = list(uow.execute(stmt))
    codes = _codes(uow, group_by, {r.key for r in rows if r.key is not None})
    out = []
    for r in rows:
        delivered, on_time, n_late = int(r.delivered), int(r.on_time or 0), int(r.late or 0)
        out.append(Performance(
            codes.get(r.key, r.key) if r.key is not None else None, delivered, on_time, n_late,
            (Decimal(on_time) / Decimal(delivered)).quantize(_RATE, ROUND_HALF_UP)
            if delivered else None,
            (Decimal(int(r.days_late or 0)) / Decimal(n_late)).quantize(_DAYS, ROUND_HALF_UP)
            if n_late else None))
    return sorted(out, key=lambda p: (p.key is None, p.key or ""))


def _codes(uow: UnitOfWork, group_by: GroupBy, ids: set[str]) -> dict[str, str]:
    """Internal id -> code of the grouped locations or channels (carriers are codes)."""
    if group_by == GroupBy.LOCATION:
        return location_codes(uow, ids)
    if group_by == GroupBy.CHANNEL:
        return {i: get_channel(uow, i).code for i in sorted(ids)}
    return {}


# -- the shipments a carrier or a 3PL handled ---------------------------------------------

EXCEPTIONS = (TrackingStatus.DELIVERY_FAILED, TrackingStatus.DAMAGED,
              TrackingStatus.RETURNED_TO_SENDER)


@dataclass(frozen=True)
class ShipmentRecord:
    handed_over: int
    delivered: int
    delivered_on_time: int
    delivered_late: int
    delivered_without_promise: int  # no promised date to measure against
    with_exception: int  # shipments with at least one of the exceptions below
    exceptions: dict[str, int]  # exception status -> shipments that had it
    mean_days_to_delivery: Decimal | None  # hand-over to delivery scan, 2 decimals


def handled_shipments(uow: UnitOfWork, carriers: list[str], location_ids: list[str],
                      start: date, end: date) -> ShipmentRecord:
    """The shipments of these carrier accounts, or leaving these locations, handed over
    from ``start`` to ``end`` (UTC days, inclusive): delivered, on time or late against
    the promised date, the exceptions their carrier scans reported (failed delivery,
    damage, returned; parked or discarded scans are not believed) and the mean time from
    hand-over to delivery."""
    if not carriers and not location_ids:
        return ShipmentRecord(0, 0, 0, 0, 0, 0, {s.value: 0 for s in EXCEPTIONS}, None)
    since, until = day_bounds(start, end)
    handed = handed_over(since, until).subquery()
    ours = (select(shipments.c.id, shipments.c.delivered_at, shipments.c.on_time,
                   handed.c.handed_over_at)
            .join(handed, handed.c.fo_id == shipments.c.fo_id)
            .where(or_(shipments.c.carrier.in_(carriers),
                       shipments.c.location_id.in_(location_ids))))
    rows = list(uow.execute(ours))
    te = tracking_events.c
    seen = {(r.shipment_id, r.status) for r in uow.execute(
        select(te.shipment_id, te.status).distinct().where(
            te.shipment_id.in_(select(ours.subquery().c.id)),
            te.status.in_([s.value for s in EXCEPTIONS]),
            or_(te.review.is_(None), te.review == "released")))}
    delivered = [r for r in rows if r.delivered_at is not None]
    days = [(as_utc(r.delivered_at) - as_utc(r.handed_over_at)).total_seconds() / 86400
            for r in delivered]
    return ShipmentRecord(
        handed_over=len(rows), delivered=len(delivered),
        delivered_on_time=sum(1 for r in delivered if r.on_time is True),
        delivered_late=sum(1 for r in delivered if r.on_time is False),
        delivered_without_promise=sum(1 for r in delivered if r.on_time is None),
        with_exception=len({shipment for shipment, _ in seen}),
        exceptions={s.value: sum(1 for _, status in seen if status == s.value)
                    for s in EXCEPTIONS},
        mean_days_to_delivery=(Decimal(str(sum(days) / len(days))).quantize(
            _DAYS, ROUND_HALF_UP) if days else None))
