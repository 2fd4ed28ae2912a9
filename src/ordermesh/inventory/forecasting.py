"""Keeping a demand forecast per SKU x location, refreshed in the background.

Fitting a model takes tens of milliseconds, too slow to do for every row of a health
report on request, so the worker refreshes stale forecasts a batch at a time. Batches
are claimed with ``FOR UPDATE SKIP LOCKED`` on the forecast rows (never on stock rows,
which orders need), so several workers share the work without doing any twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, bindparam, func, literal, select, update

from ordermesh.inventory.forecast import Forecast, forecast_demand
from ordermesh.inventory.sales import daily_sales
from ordermesh.inventory.tables import demand_forecasts, inventory_movements, stock
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.upsert import dialect_insert

HISTORY_DAYS = 182
HORIZON_DAYS = 90
FRESH_FOR = timedelta(hours=12)
PENDING = "pending"
NEVER = datetime(1970, 1, 1, tzinfo=UTC)

d = demand_forecasts.c
_STALE = (select(d.product_id, d.location_id).where(d.computed_at < bindparam("stale"))
          .order_by(d.computed_at, d.product_id, d.location_id).limit(bindparam("n"))
          .with_for_update(skip_locked=True))
_SAVE = (update(demand_forecasts)
         .where(d.product_id == bindparam("p"), d.location_id == bindparam("l"))
         .values(method=bindparam("method"), daily=bindparam("daily"),
                 sigma=bindparam("sigma"), computed_at=bindparam("at")))


def _add_missing_rows(uow: UnitOfWork) -> None:
    """A pending forecast row for every stock row that has none."""
    missing = (select(stock.c.product_id, stock.c.location_id, literal(PENDING),
                      literal([], demand_forecasts.c.daily.type), literal(0.0),
                      literal(NEVER, demand_forecasts.c.computed_at.type))
               .select_from(stock.outerjoin(demand_forecasts, and_(
                   d.product_id == stock.c.product_id, d.location_id == stock.c.location_id)))
               .where(d.product_id.is_(None)))
    uow.execute(dialect_insert(uow, demand_forecasts).from_select(
        ["product_id", "location_id", "method", "daily", "sigma", "computed_at"], missing,
    ).on_conflict_do_nothing())


def _first_days(uow: UnitOfWork, claimed: list) -> dict[tuple[str, str], date]:
    """The day each (product, location) first had a stock movement: its history starts
    there. A product stocked a month ago has a month of history, not five months of zero
    demand; one stocked for months that sold only lately keeps its quiet months."""
    m = inventory_movements.c
    rows = uow.execute(
        select(m.product_id, m.location_id, func.min(m.occurred_at))
        .where(m.product_id.in_(bindparam("pids", expanding=True)),
               m.location_id.in_(bindparam("lids", expanding=True)))
        .group_by(m.product_id, m.location_id),
        {"pids": sorted({r.product_id for r in claimed}),
         "lids": sorted({r.location_id for r in claimed})})
    return {(p, loc): as_utc(first).date() for p, loc, first in rows if first is not None}


def refresh_forecasts(uow: UnitOfWork, limit: int = 200) -> int:
    """Fit fresh forecasts for up to ``limit`` stale SKU x location rows, and commit.
    Returns how many were refreshed. On PostgreSQL the rows stay claimed (locked) while
    they are fitted; on SQLite two workers may fit the same row twice, harmlessly."""
    _add_missing_rows(uow)
    now = uow.clock.now()
    claimed = list(uow.execute(_STALE, {"stale": now - FRESH_FOR, "n": limit}))
    if not claimed:
        uow.commit()
        return 0
    today = now.date()
    sales = daily_sales(uow, today - timedelta(days=HISTORY_DAYS), HISTORY_DAYS,
                        product_ids={r.product_id for r in claimed},
                        location_ids={r.location_id for r in claimed})
    first_days = _first_days(uow, claimed)
    if uow.dialect == "sqlite":
        # SQLite has one writer: fitting inside this transaction would hold every API
        # write back for seconds. End it now (on SQLite rows cannot be claimed anyway)
        # and save in a short transaction of its own.
        uow.commit()
    start = today - timedelta(days=HISTORY_DAYS)
    rows = []
    for r in claimed:
        key = (r.product_id, r.location_id)
        skip = max(0, (first_days.get(key, today) - start).days)
        series = sales.get(key, [0] * HISTORY_DAYS)[skip:]
        fitted: Forecast = forecast_demand(series, HORIZON_DAYS)
        rows.append({"p": r.product_id, "l": r.location_id, "method": fitted.method.value,
                     "daily": [round(v, 4) for v in fitted.daily],
                     "sigma": round(fitted.sigma, 4), "at": now})
    uow.execute(_SAVE, rows)
    uow.commit()
    return len(rows)


def stored_forecasts(uow: UnitOfWork, product_ids: list[str]) -> dict[tuple[str, str], tuple]:
    """(product, location) -> (method, daily, sigma, computed_at) of computed forecasts."""
    rows = uow.execute(select(demand_forecasts).where(
        d.product_id.in_(bindparam("ids", expanding=True)), d.method != PENDING),
        {"ids": sorted(set(product_ids))})
    return {(r.product_id, r.location_id):
            (r.method, list(r.daily), r.sigma, as_utc(r.computed_at)) for r in rows}
