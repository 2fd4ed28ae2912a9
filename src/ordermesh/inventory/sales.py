"""Units sold per day, read from the movement ledger.

A sale is a reservation for an order; a cancellation gives units back on the day it
happens. Daily series are net of cancellations and never below zero. Holds are not
sales: only movements that reference an order count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, bindparam, cast, func, select

from ordermesh.inventory.model import MovementKind
from ordermesh.inventory.tables import inventory_movements
from ordermesh.kit.db import UnitOfWork

m = inventory_movements.c


def _day(dialect: str):
    if dialect == "postgresql":
        return cast(func.timezone("UTC", m.occurred_at), Date)
    return func.substr(m.occurred_at, 1, 10)  # SQLite keeps UTC text 'YYYY-MM-DD hh:mm:ss'


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def daily_sales(
    uow: UnitOfWork, first_day: date, days: int, *, product_ids: Iterable[str] | None = None,
    location_ids: Iterable[str] | None = None, channel_id: str | None = None,
    by_channel: bool = False,
) -> dict[tuple[str, ...], list[int]]:
    """``{(product, location[, channel]): [units on first_day, next day, …]}`` for
    ``days`` days; keys without any sale are left out."""
    start = datetime.combine(first_day, time(), UTC)
    end = start + timedelta(days=days)
    day = _day(uow.dialect).label("day")
    keys = [m.product_id, m.location_id] + ([m.channel_id] if by_channel else [])
    query = (select(*keys, day, func.sum(m.reserved_delta))
             .where(m.reference_type == "order", m.kind != MovementKind.SHIPMENT.value,
                    m.occurred_at >= bindparam("start"),
                    m.occurred_at < bindparam("end"))
             .group_by(*keys, day))
    params: dict = {"start": start, "end": end}
    if product_ids is not None:
        query = query.where(m.product_id.in_(bindparam("pids", expanding=True)))
        params["pids"] = sorted(set(product_ids))
    if location_ids is not None:
        query = query.where(m.location_id.in_(bindparam("lids", expanding=True)))
        params["lids"] = sorted(set(location_ids))
    if channel_id is not None:
        query = query.where(m.channel_id == bindparam("channel"))
        params["channel"] = channel_id
    series: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0] * days)
    for row in uow.execute(query, params):
        *key, when, units = row
        index = (_as_date(when) - first_day).days
        if 0 <= index < days:
            series[tuple(key)][index] += int(units)
    return {key: [max(0, units) for units in values] for key, values in series.items()}
