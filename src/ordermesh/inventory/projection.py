"""Where a SKU's stock is heading, and how much to reorder: pure maths, no database.

``project`` walks a daily demand forecast forward from today against the stock
available now and the receipts (purchase orders, transfers) expected to land.

Conventions, day by day (day 0 is ``today``, demand ``daily[i]`` falls on ``today + i``):

* A receipt lands at the start of its day, so its units can serve that day's demand.
  Receipts dated before ``today`` (late, not yet booked in) count as landing today.
  Receipts of 0 units are ignored.
* The projected balance at the end of day i is
  ``available + receipts landed on days 0..i - (daily[0] + ... + daily[i])``.
* **Stock-out date**: the first day whose end-of-day balance is below zero, i.e. the
  first day on which cumulative demand exceeds ``available`` plus the receipts landed up
  to and including that day; that day's demand can no longer be served in full. 10 units
  at 1 a day starting today last days 0-9 and run out on day 10. ``None`` when it does not
  happen within the forecast (``len(daily)`` days). Comparisons allow 1e-9 of float noise.
* **Days of cover**: ``available / mean(daily)`` (receipts not included, never below 0);
  ``None`` when the forecast has no demand.
* **Demand until the next receipt**: forecast demand on days today .. the day before the
  next receipt. For a receipt beyond the forecast, the days past its end are assumed to
  sell at the mean of the forecast's last 7 days (one weekly cycle). Without a receipt
  it is the demand over the whole forecast.
* **Short before supply**: ``available - demand until the next receipt < 0``.

Reorder maths uses the classic normal approximation of demand over a period of P days:
mean ``mean_daily * P`` and standard deviation ``sigma_daily * sqrt(P)`` (days
independent). With ``z = NormalDist().inv_cdf(service_level)`` (1.645 for 95 %), the
level that covers P days with that probability is ``ceil(mean_daily*P + z*sigma*sqrt(P))``
plus any fixed ``safety_stock``. ``service_level`` is a cycle service level in [0.5, 1).
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

_EPSILON = 1e-9
_TAIL_DAYS = 7  # forecast days averaged to extend it past its end


@dataclass(frozen=True)
class Receipt:
    date: datetime.date
    quantity: int


@dataclass(frozen=True)
class Projection:
    days_of_cover: float | None
    stockout_date: datetime.date | None
    next_receipt_date: datetime.date | None
    demand_until_next_receipt: float
    balance_at_next_receipt: float
    short_before_supply: bool


def _check_daily(daily: Sequence[float]) -> list[float]:
    values = [float(v) for v in daily]
    if any(not math.isfinite(v) or v < 0 for v in values):
        raise ValueError("daily demand must be finite and not negative")
    return values


def _receipts_by_day(receipts: Sequence[Receipt], today: datetime.date) -> dict[int, int]:
    """Units landing per day offset from today; late receipts land today."""
    by_day: dict[int, int] = {}
    for receipt in receipts:
        if receipt.quantity < 0:
            raise ValueError("a receipt quantity must not be negative")
        if receipt.quantity == 0:
            continue
        offset = max(0, (receipt.date - today).days)
        by_day[offset] = by_day.get(offset, 0) + receipt.quantity
    return by_day


def _demand_before(daily: list[float], offset: int) -> float:
    """Forecast demand on days 0 .. offset-1, extending the forecast past its end."""
    demand = float(sum(daily[:offset]))
    missing = offset - len(daily)
    if missing > 0 and daily:
        tail = daily[-_TAIL_DAYS:]
        demand += missing * sum(tail) / len(tail)
    return demand


def project(
    available: int,
    daily: Sequence[float],
    receipts: Sequence[Receipt],
    today: datetime.date,
) -> Projection:
    """Project stock over the forecast ``daily`` (``daily[0]`` is today's demand)."""
    demand = _check_daily(daily)
    landing = _receipts_by_day(receipts, today)

    mean_daily = sum(demand) / len(demand) if demand else 0.0
    days_of_cover = max(0.0, available / mean_daily) if mean_daily > 0 else None

    stockout_date = None
    supply = float(available)
    cumulative = 0.0
    for offset, units in enumerate(demand):
        supply += landing.get(offset, 0)
        cumulative += units
        if cumulative > supply + _EPSILON:
            stockout_date = today + datetime.timedelta(days=offset)
            break

    if landing:
        next_offset = min(landing)
        next_receipt_date = today + datetime.timedelta(days=next_offset)
        until_next = _demand_before(demand, next_offset)
    else:
        next_receipt_date = None
        until_next = float(sum(demand))
    balance = float(available) - until_next
    return Projection(
        days_of_cover=days_of_cover,
        stockout_date=stockout_date,
        next_receipt_date=next_receipt_date,
        demand_until_next_receipt=until_next,
        balance_at_next_receipt=balance,
        short_before_supply=balance < -_EPSILON,
    )


def _z(service_level: float) -> float:
    if not 0.5 <= service_level < 1.0:
        raise ValueError("service_level must be at least 0.5 and below 1")
    return NormalDist().inv_cdf(service_level)


def _check_demand(mean_daily: float, sigma_daily: float, safety_stock: int) -> None:
    if not (math.isfinite(mean_daily) and mean_daily >= 0):
        raise ValueError("mean_daily must be finite and not negative")
    if not (math.isfinite(sigma_daily) and sigma_daily >= 0):
        raise ValueError("sigma_daily must be finite and not negative")
    if safety_stock < 0:
        raise ValueError("safety_stock must not be negative")


def _cover(mean_daily: float, sigma_daily: float, days: int, z: float) -> int:
    """Units covering ``days`` of demand with probability Phi(z), rounded up."""
    units = mean_daily * days + z * sigma_daily * math.sqrt(days)
    # round() first so 2.0 * 7 = 14.000000000000002 stays 14 rather than ceiling to 15.
    return math.ceil(round(units, 9))


def reorder_point(
    mean_daily: float,
    sigma_daily: float,
    lead_time_days: int,
    safety_stock: int = 0,
    service_level: float = 0.95,
) -> int:
    """Inventory position at which to reorder: lead-time demand at ``service_level``.

    ``ceil(mean_daily * L + z * sigma_daily * sqrt(L)) + safety_stock`` with L the lead
    time in days and z the ``service_level`` quantile of the standard normal.
    """
    _check_demand(mean_daily, sigma_daily, safety_stock)
    if lead_time_days < 0:
        raise ValueError("lead_time_days must not be negative")
    return _cover(mean_daily, sigma_daily, lead_time_days, _z(service_level)) + safety_stock


def suggested_order_quantity(
    mean_daily: float,
    sigma_daily: float,
    lead_time_days: int,
    review_days: int,
    position: int,
    safety_stock: int = 0,
    service_level: float = 0.95,
) -> int:
    """Units to order now so stock lasts until the next order can arrive (order-up-to).

    With P = lead time + review period, the order-up-to level is
    ``ceil(mean_daily * P + z * sigma_daily * sqrt(P)) + safety_stock``; the suggestion is
    that level minus ``position`` (available + already incoming, may be negative when
    backordered), never below 0.
    """
    _check_demand(mean_daily, sigma_daily, safety_stock)
    if lead_time_days < 0:
        raise ValueError("lead_time_days must not be negative")
    if review_days < 0:
        raise ValueError("review_days must not be negative")
    period = lead_time_days + review_days
    level = _cover(mean_daily, sigma_daily, period, _z(service_level)) + safety_stock
    return max(0, level - position)
