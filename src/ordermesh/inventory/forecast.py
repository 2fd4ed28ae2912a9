"""Demand forecasting for one SKU from its daily sales: pure maths, no database.

``forecast_demand`` fits a small family of exponential-smoothing models
(statsmodels ``ExponentialSmoothing``) to the daily unit sales and keeps the one with the
lowest AICc; ``velocity`` summarises recent sales rates. Both take ``history`` as units
sold per day, oldest first, the last element being the most recent complete day.

How a forecast is chosen (``history`` cut to its last 365 days first):

=======================  ====================================================================
history                  forecast
=======================  ====================================================================
empty or all zeros       ``no_sales``: zeros, sigma 0
1-13 days                ``moving_average``: the mean of the last min(7, n) days, flat; sigma
                         is the sample standard deviation (ddof=1) of that window
constant, >= 14 days     ``simple_exponential``: that constant, flat, sigma 0 (what simple
                         exponential smoothing gives exactly; fitting it would divide by a
                         zero error sum in the AIC)
14-27 days               best AICc of simple exponential smoothing (``simple_exponential``)
                         and additive damped trend (``holt_damped``)
>= 28 days (4 weeks)     the same, plus additive weekly seasonality with no trend and with an
                         additive damped trend (both ``holt_winters_weekly``)
=======================  ====================================================================

The initial states are estimated with the smoothing parameters (statsmodels'
``initialization_method="estimated"``); with the faster "heuristic" initial states a
damped trend with no smoothing wins AICc on plain stationary noise by correcting a
badly placed initial level, and is then mislabelled a trend. Fits run SLSQP from
statsmodels' starting values with no brute-force grid: deterministic, and about twice
as fast as the default L-BFGS-B. The seasonal damped-trend candidate is only fitted when
the plain weekly model beats simple smoothing. ``sigma`` of a fitted model is the root
mean square of its one-step-ahead in-sample errors, sqrt(SSE / n).

Forecasts are never negative (clipped at 0), never NaN or infinite, and nothing raises
for a well-formed history: a fit that fails or yields non-finite numbers is skipped, and
if every fit fails the moving average is used. Negative days (more returned than sold)
count as 0 demand; NaN or infinite days are a caller error (``ValueError``).

Warnings from statsmodels and numpy are silenced locally with ``warnings.catch_warnings``;
like every use of it, that context manager is not thread-safe on Python < 3.14 (it swaps
the process-wide filter list while it runs), so run forecasts in processes or one thread.
"""

from __future__ import annotations

import enum
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_HISTORY_DAYS = 365
MIN_FIT_DAYS = 14
MIN_SEASONAL_DAYS = 28  # four full weeks
MOVING_AVERAGE_DAYS = 7
WEEK = 7


class ForecastMethod(enum.StrEnum):
    HOLT_WINTERS_WEEKLY = "holt_winters_weekly"
    HOLT_DAMPED = "holt_damped"
    SIMPLE_EXPONENTIAL = "simple_exponential"
    MOVING_AVERAGE = "moving_average"
    NO_SALES = "no_sales"


class SalesTrend(enum.StrEnum):
    ACCELERATING = "accelerating"
    SLOWING = "slowing"
    STEADY = "steady"
    NO_SALES = "no_sales"


@dataclass(frozen=True)
class Forecast:
    method: ForecastMethod
    daily: tuple[float, ...]  # units per day; daily[0] is the first day after the history
    sigma: float  # standard deviation of one day's demand around the forecast

    @property
    def mean_daily(self) -> float:
        return sum(self.daily) / len(self.daily) if self.daily else 0.0


_SIMPLE: dict[str, Any] = {}
_DAMPED: dict[str, Any] = {"trend": "add", "damped_trend": True}
_WEEKLY: dict[str, Any] = {"seasonal": "add", "seasonal_periods": WEEK}
_WEEKLY_DAMPED: dict[str, Any] = {**_DAMPED, **_WEEKLY}


def _clean(history: Sequence[float]) -> np.ndarray:
    """The history as floats, negative days as 0; NaN/inf are refused."""
    y = np.asarray(history, dtype=float).reshape(-1)
    if not np.all(np.isfinite(y)):
        raise ValueError("history must contain only finite numbers")
    return np.clip(y, 0.0, None)


def _flat(method: ForecastMethod, level: float, sigma: float, horizon: int) -> Forecast:
    level = max(0.0, float(level))
    return Forecast(method=method, daily=(level,) * horizon, sigma=max(0.0, float(sigma)))


def _moving_average(y: np.ndarray, horizon: int) -> Forecast:
    window = y[-min(MOVING_AVERAGE_DAYS, len(y)) :]
    sigma = float(np.std(window, ddof=1)) if len(window) > 1 else 0.0
    return _flat(ForecastMethod.MOVING_AVERAGE, float(np.mean(window)), sigma, horizon)


_Fit = tuple[float, Forecast]  # (AICc, forecast)


def _fit(y: np.ndarray, method: ForecastMethod, spec: dict[str, Any], horizon: int) -> _Fit | None:
    """One candidate's AICc and clipped forecast, or None when the fit is unusable."""
    # imported here: statsmodels takes most of a second to import, which every CLI
    # command and server start would otherwise pay
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    try:
        fit = ExponentialSmoothing(y, initialization_method="estimated", **spec).fit(
            method="SLSQP", use_brute=False
        )
        path = np.asarray(fit.forecast(max(horizon, 1)), dtype=float)[:horizon]
        aicc = float(fit.aicc)
        sigma = math.sqrt(float(fit.sse) / len(y))
    except (ValueError, ArithmeticError, np.linalg.LinAlgError):
        return None
    if math.isnan(aicc) or not math.isfinite(sigma) or not np.all(np.isfinite(path)):
        return None
    daily = tuple(float(v) for v in np.clip(path, 0.0, None))
    return aicc, Forecast(method=method, daily=daily, sigma=sigma)


def _fit_candidates(y: np.ndarray, horizon: int) -> Forecast | None:
    """The forecast of the candidate with the lowest AICc, or None if none could be fit."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        simple = _fit(y, ForecastMethod.SIMPLE_EXPONENTIAL, _SIMPLE, horizon)
        fits = [simple, _fit(y, ForecastMethod.HOLT_DAMPED, _DAMPED, horizon)]
        if len(y) >= MIN_SEASONAL_DAYS:
            weekly = _fit(y, ForecastMethod.HOLT_WINTERS_WEEKLY, _WEEKLY, horizon)
            fits.append(weekly)
            # The seasonal damped-trend model costs as much as the other three together:
            # it is only tried when a weekly pattern beats the plain level.
            if weekly is not None and (simple is None or weekly[0] < simple[0]):
                fits.append(_fit(y, ForecastMethod.HOLT_WINTERS_WEEKLY, _WEEKLY_DAMPED, horizon))
    usable = [f for f in fits if f is not None]
    if not usable:
        return None
    # min() keeps the first of equal AICc values: the simpler model, listed first.
    return min(usable, key=lambda f: f[0])[1]


def forecast_demand(history: Sequence[float], horizon: int = 90) -> Forecast:
    """Expected units per day for the ``horizon`` days after ``history`` (see module doc)."""
    if horizon < 0:
        raise ValueError("horizon must not be negative")
    y = _clean(history)[-MAX_HISTORY_DAYS:]
    if len(y) == 0 or not np.any(y > 0):
        return _flat(ForecastMethod.NO_SALES, 0.0, 0.0, horizon)
    if len(y) < MIN_FIT_DAYS:
        return _moving_average(y, horizon)
    if np.ptp(y) == 0:
        return _flat(ForecastMethod.SIMPLE_EXPONENTIAL, float(y[0]), 0.0, horizon)
    return _fit_candidates(y, horizon) or _moving_average(y, horizon)


@dataclass(frozen=True)
class Velocity:
    per_day_7: float
    per_day_28: float
    per_day_90: float
    trend: SalesTrend


ACCELERATING_RATIO = 1.2
SLOWING_RATIO = 0.8
MIN_UNITS_FOR_TREND = 3.0  # units sold in the last 28 days before a trend is called


def velocity(history: Sequence[float]) -> Velocity:
    """Mean units per day over the last 7, 28 and 90 days, and the direction of sales.

    Each rate is the units sold in the window divided by the window length; days before
    the start of ``history`` count as zero sales (a SKU listed 10 days ago that sold 20
    units has a 28-day rate of 20/28). Negative days count as 0.

    ``trend`` compares the 7-day rate with the 28-day rate (the 28 days include the 7):
    ``accelerating`` above 1.2x, ``slowing`` below 0.8x, otherwise ``steady``.
    ``steady`` is also reported without enough evidence to call a direction: fewer than
    3 units sold in the last 28 days, or fewer than 28 days of history (the padded zeros
    would make every new SKU look accelerating). ``no_sales``: nothing sold in 90 days.
    """
    y = _clean(history)

    def rate(days: int) -> float:
        return float(np.sum(y[-days:])) / days if len(y) else 0.0

    per_7, per_28, per_90 = rate(7), rate(28), rate(90)
    if per_90 == 0.0:
        trend = SalesTrend.NO_SALES
    elif len(y) < 28 or per_28 * 28 < MIN_UNITS_FOR_TREND:
        trend = SalesTrend.STEADY
    elif per_7 > ACCELERATING_RATIO * per_28:
        trend = SalesTrend.ACCELERATING
    elif per_7 < SLOWING_RATIO * per_28:
        trend = SalesTrend.SLOWING
    else:
        trend = SalesTrend.STEADY
    return Velocity(per_day_7=per_7, per_day_28=per_28, per_day_90=per_90, trend=trend)
