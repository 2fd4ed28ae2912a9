"""Delivery against the promise: on-time rates per carrier, location or channel.

Rows are keyed by codes (carrier code, location code, channel code), as a user names
them everywhere else in the API; shipments keep internal ids, translated here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select

from ordermesh.channels.service import get_channel
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput
from ordermesh.locations.service import location_codes
from ordermesh.shipping.tables import shipments


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
