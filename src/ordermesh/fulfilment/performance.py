"""What a location did with the fulfilment orders it was given: units reported short and
hand-overs by the ship-by date, for a 3PL's scorecard (``flows/supplier_service.py``);
and when each fulfilment order was handed over, for measuring the shipments after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, func, select

from ordermesh.fulfilment.model import FulfilmentStatus
from ordermesh.fulfilment.tables import fulfilment_history, fulfilment_lines, fulfilment_orders
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork

FH, FL, FO = fulfilment_history.c, fulfilment_lines.c, fulfilment_orders.c


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """``[start, end]`` as UTC days: from the first midnight to the one after the end."""
    return (datetime.combine(start, time(), UTC),
            datetime.combine(end + timedelta(days=1), time(), UTC))


def handed_over(since: datetime | None = None, until: datetime | None = None) -> Select:
    """(fo_id, handed_over_at) of the fulfilment orders handed to a carrier (their move to
    ``shipped``, made once; the earliest if ever more) in ``[since, until)``, or ever."""
    query = (select(FH.fo_id.label("fo_id"), func.min(FH.occurred_at).label("handed_over_at"))
             .where(FH.to_status == FulfilmentStatus.SHIPPED.value).group_by(FH.fo_id))
    if since is not None:
        query = query.where(FH.occurred_at >= since)
    if until is not None:
        query = query.where(FH.occurred_at < until)
    return query


@dataclass(frozen=True)
class LocationRecord:
    fulfilment_orders: int  # released to the locations in the period
    units_requested: int
    units_short: int  # reported short (not found in a pick, or by the 3PL)
    orders_with_shorts: int
    handed_over: int
    handed_over_by_ship_by: int  # on or before the ship-by day (UTC)
    handed_over_late: int
    without_ship_by: int  # handed over, but no ship-by day to measure against


def location_record(uow: UnitOfWork, location_ids: list[str], start: date,
                    end: date) -> LocationRecord:
    """Over the fulfilment orders released (created) at the locations from ``start`` to
    ``end`` (UTC days, inclusive)."""
    if not location_ids:
        return LocationRecord(0, 0, 0, 0, 0, 0, 0, 0)
    since, until = day_bounds(start, end)
    released = select(FO.id).where(FO.location_id.in_(sorted(location_ids)),
                                   FO.created_at >= since, FO.created_at < until)
    shipped = handed_over().where(FH.fo_id.in_(released)).subquery()
    units = (select(FL.fo_id, func.sum(FL.quantity).label("requested"),
                    func.sum(FL.short_quantity).label("short"))
             .group_by(FL.fo_id).subquery())
    rows = list(uow.execute(
        select(FO.id, FO.ship_by, units.c.requested, units.c.short, shipped.c.handed_over_at)
        .join(units, units.c.fo_id == FO.id)
        .outerjoin(shipped, shipped.c.fo_id == FO.id)
        .where(FO.id.in_(released))))
    handed = [r for r in rows if r.handed_over_at is not None]
    measured = [r for r in handed if r.ship_by is not None]
    on_time = sum(as_utc(r.handed_over_at).date() <= r.ship_by for r in measured)
    return LocationRecord(
        fulfilment_orders=len(rows), units_requested=sum(int(r.requested) for r in rows),
        units_short=sum(int(r.short) for r in rows),
        orders_with_shorts=sum(1 for r in rows if r.short),
        handed_over=len(handed), handed_over_by_ship_by=on_time,
        handed_over_late=len(measured) - on_time, without_ship_by=len(handed) - len(measured))
