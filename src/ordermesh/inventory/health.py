"""Inventory health: expected against actual for every SKU x location, with where it
is heading and what to do about it. The data behind the one inventory screen.

Per row: the stock buckets, supply with dates, sales velocity, the demand forecast (the
worker's stored statsmodels fit, or a 28-day moving average until it has run), the
projected balance, reorder point, suggested order quantity, and a risk level.
"""

from __future__ import annotations

import enum
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ordermesh.catalog.tables import products
from ordermesh.channels.service import channel_by_code
from ordermesh.inventory.availability import Incoming, supply_for
from ordermesh.inventory.forecast import Velocity, velocity
from ordermesh.inventory.forecasting import HORIZON_DAYS, stored_forecasts
from ordermesh.inventory.policy import load_policies
from ordermesh.inventory.projection import (
    Projection,
    Receipt,
    project,
    reorder_point,
    suggested_order_quantity,
)
from ordermesh.inventory.sales import daily_sales
from ordermesh.inventory.tables import stock
from ordermesh.kit.db import UnitOfWork
from ordermesh.locations.service import location_by_code
from ordermesh.locations.tables import locations

DEFAULT_LEAD_TIME_DAYS = 14
REVIEW_DAYS = 14
OVERSTOCK_DAYS = 180
VELOCITY_DAYS = 90
FALLBACK_DAYS = 28


class Risk(enum.StrEnum):
    CRITICAL = "critical"  # runs out before supply arrives, sooner than a reorder could
    HIGH = "high"  # runs out before supply arrives, or at/below the reorder point
    WATCH = "watch"  # sales accelerating with less than two lead times of cover
    OK = "ok"
    OVERSTOCK = "overstock"  # more than 180 days of cover
    NO_DEMAND = "no_demand"  # nothing sold in 90 days and none forecast


RISK_ORDER = list(Risk)


class SortBy(enum.StrEnum):
    RISK = "risk"
    DAYS_OF_COVER = "days_of_cover"
    VELOCITY = "velocity"
    SKU = "sku"


@dataclass(frozen=True)
class HealthFilter:
    channel: str | None = None
    location: str | None = None
    category: str | None = None
    sku: str | None = None
    risk: Risk | None = None
    sort: SortBy = SortBy.RISK
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class DemandForecast:
    method: str
    computed_at: datetime | None
    daily_mean: float  # over the next 28 days
    sigma: float


@dataclass(frozen=True)
class HealthRow:
    sku: str
    category: str | None
    location_code: str
    on_hand: int
    reserved: int
    available: int
    damaged: int
    in_transit: int
    safety_stock: int
    returns_expected: int
    incoming: list[Incoming]
    velocity: Velocity
    forecast: DemandForecast
    projection: Projection
    lead_time_days: int
    reorder_point: int
    suggested_order_quantity: int
    risk: Risk


def _risk(row_available: int, position: int, vel: Velocity, fc: DemandForecast,
          proj: Projection, lead: int, rop: int, today: date) -> Risk:
    if fc.daily_mean == 0 and vel.per_day_90 == 0:
        return Risk.NO_DEMAND
    if proj.short_before_supply and proj.stockout_date is not None:
        soon = (proj.stockout_date - today).days < lead
        return Risk.CRITICAL if soon else Risk.HIGH
    if position <= rop:
        return Risk.HIGH
    cover = proj.days_of_cover
    if vel.trend.value == "accelerating" and cover is not None and cover < 2 * lead:
        return Risk.WATCH
    if cover is not None and cover > OVERSTOCK_DAYS:
        return Risk.OVERSTOCK
    return Risk.OK


def _forecast(stored: tuple | None, recent: list[int]) -> tuple[DemandForecast, list[float]]:
    if stored is not None:
        method, daily, sigma, at = stored
        return DemandForecast(method, at, statistics.fmean(daily[:28]) if daily else 0.0,
                              sigma), daily
    window = recent[-FALLBACK_DAYS:]
    mean = statistics.fmean(window) if window else 0.0
    sigma = statistics.stdev(window) if len(window) > 1 else 0.0
    return DemandForecast("moving_average", None, mean, sigma), [mean] * HORIZON_DAYS


def inventory_health(uow: UnitOfWork, f: HealthFilter) -> tuple[list[HealthRow], int]:
    """The rows matching ``f``, sorted and paged, and how many matched in all."""
    channel = channel_by_code(uow, f.channel) if f.channel else None
    query = (select(stock, products.c.sku, products.c.category, locations.c.code)
             .join(products, products.c.id == stock.c.product_id)
             .join(locations, locations.c.id == stock.c.location_id))
    if f.location:
        query = query.where(stock.c.location_id == location_by_code(uow, f.location).id)
    if f.category:
        query = query.where(products.c.category == f.category)
    if f.sku:
        query = query.where(products.c.sku == f.sku)
    raw = list(uow.execute(query))
    ids = sorted({r.product_id for r in raw})
    policies = load_policies(uow, channel.id if channel else None, ids)
    if policies.eligible is not None:
        raw = [r for r in raw if r.location_id in policies.eligible]
    now = uow.clock.now()
    today = now.date()
    sales = daily_sales(uow, today - timedelta(days=VELOCITY_DAYS), VELOCITY_DAYS,
                        product_ids=ids, channel_id=channel.id if channel else None)
    forecasts = stored_forecasts(uow, ids)
    incoming, returns = supply_for(uow, ids, today)
    rows = []
    for r in raw:
        key = (r.product_id, r.location_id)
        recent = sales.get(key, [0] * VELOCITY_DAYS)
        vel = velocity(recent)
        fc, daily = _forecast(forecasts.get(key), recent)
        supply = [i for i in incoming.get(r.product_id, []) if i.location_id == r.location_id]
        available = r.on_hand - r.reserved
        proj = project(available, daily, [Receipt(i.expected_date, i.quantity) for i in supply
                                          if i.expected_date is not None], today)
        policy = policies.products[r.product_id]
        lead = policy.lead_time_days if policy.lead_time_days is not None \
            else DEFAULT_LEAD_TIME_DAYS
        safety = policies.safety(r.product_id, r.location_id, r.safety_stock)
        position = available + sum(i.quantity for i in supply)
        rop = reorder_point(fc.daily_mean, fc.sigma, lead, safety)
        order_qty = suggested_order_quantity(fc.daily_mean, fc.sigma, lead, REVIEW_DAYS,
                                             position, safety)
        rows.append(HealthRow(
            r.sku, r.category, r.code, r.on_hand, r.reserved, available, r.damaged,
            r.in_transit, safety, returns.get(key, 0), supply, vel, fc, proj, lead, rop,
            order_qty, _risk(available, position, vel, fc, proj, lead, rop, today)))
    if f.risk is not None:
        rows = [row for row in rows if row.risk is f.risk]
    rows.sort(key=_sort_key(f.sort))
    return rows[f.offset:f.offset + f.limit], len(rows)


def _sort_key(by: SortBy):
    far = date.max
    if by is SortBy.SKU:
        return lambda r: (r.sku, r.location_code)
    if by is SortBy.VELOCITY:
        return lambda r: (-r.velocity.per_day_28, r.sku, r.location_code)
    if by is SortBy.DAYS_OF_COVER:
        return lambda r: (r.projection.days_of_cover is None,
                          r.projection.days_of_cover or 0.0, r.sku, r.location_code)
    return lambda r: (RISK_ORDER.index(r.risk), r.projection.stockout_date or far,
                      -r.velocity.per_day_28, r.sku, r.location_code)
