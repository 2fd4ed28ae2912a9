import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordermesh.inventory.forecast import (
    ForecastMethod,
    SalesTrend,
    forecast_demand,
    velocity,
)

WEEK_PATTERN = np.array([2.0, 2.0, 2.0, 2.0, 2.0, 6.0, 6.0])  # weekends sell 3x weekdays


def rising_line(days: int) -> np.ndarray:
    """10 units a day rising to 40 over ``days`` days; value at any t >= 0."""
    return 10.0 + 30.0 * np.arange(days) / 59.0


def test_a_linear_trend_is_continued():
    history = rising_line(60) + np.random.default_rng(42).normal(0.0, 1.0, 60)
    forecast = forecast_demand(history, horizon=14)
    truth = rising_line(74)[60:]
    assert forecast.method == ForecastMethod.HOLT_DAMPED
    assert np.all(np.diff(forecast.daily) > 0)
    assert np.allclose(forecast.daily[:7], truth[:7], rtol=0.05)
    assert np.allclose(forecast.daily, truth, rtol=0.10)
    assert 0.5 < forecast.sigma < 1.5  # the noise we added has a standard deviation of 1


def test_a_noiseless_trend_is_continued_almost_exactly():
    forecast = forecast_demand(rising_line(60), horizon=7)
    assert np.allclose(forecast.daily, rising_line(67)[60:], rtol=0.01)


def test_a_weekly_pattern_is_repeated_on_the_right_weekdays():
    forecast = forecast_demand(np.tile(WEEK_PATTERN, 8), horizon=14)
    assert forecast.method == ForecastMethod.HOLT_WINTERS_WEEKLY
    # The history ends on a Sunday-like day 6, so the forecast starts at day 0 again.
    assert np.allclose(forecast.daily, np.tile(WEEK_PATTERN, 2), rtol=0.15)


def test_a_noisy_weekly_pattern_is_still_found():
    history = np.tile(WEEK_PATTERN, 8) + np.random.default_rng(1).normal(0.0, 0.3, 56)
    forecast = forecast_demand(history[:-3], horizon=14)  # ends mid-week
    assert forecast.method == ForecastMethod.HOLT_WINTERS_WEEKLY
    expected = np.tile(WEEK_PATTERN, 3)[4 : 4 + 14]
    assert np.allclose(forecast.daily, expected, rtol=0.15)


def test_a_flat_series_gives_a_flat_forecast_of_its_level_with_no_spread():
    forecast = forecast_demand([5.0] * 60, horizon=30)
    assert forecast.method == ForecastMethod.SIMPLE_EXPONENTIAL
    assert forecast.daily == (5.0,) * 30
    assert forecast.sigma == 0.0


def test_a_noisy_flat_series_invents_no_trend():
    history = 5.0 + np.random.default_rng(7).normal(0.0, 1.0, 120)
    forecast = forecast_demand(history, horizon=90)
    assert forecast.method == ForecastMethod.SIMPLE_EXPONENTIAL
    assert max(forecast.daily) == min(forecast.daily)
    assert forecast.mean_daily == pytest.approx(5.0, abs=0.5)
    assert forecast.sigma == pytest.approx(1.0, abs=0.2)


def test_a_rising_weekly_pattern_keeps_both_the_rise_and_the_pattern():
    days = np.arange(98)
    line = 10.0 + 0.3 * days + 3.0 * np.tile(WEEK_PATTERN, 14)
    history = line[:84] + np.random.default_rng(4).normal(0.0, 1.0, 84)
    forecast = forecast_demand(history, horizon=14)
    assert forecast.method == ForecastMethod.HOLT_WINTERS_WEEKLY
    assert np.allclose(forecast.daily, line[84:], rtol=0.08)


@pytest.mark.parametrize("seed", range(5))
def test_sales_at_a_steady_random_rate_are_not_called_a_trend_or_a_season(seed):
    history = np.random.default_rng(seed).poisson(4.0, 120).astype(float)
    assert forecast_demand(history).method == ForecastMethod.SIMPLE_EXPONENTIAL


def test_random_daily_sales_forecast_close_to_their_rate():
    history = np.random.default_rng(3).poisson(3.0, 90).astype(float)
    forecast = forecast_demand(history)
    assert len(forecast.daily) == 90
    assert forecast.mean_daily == pytest.approx(3.0, abs=0.6)


def test_two_to_four_weeks_of_history_are_not_treated_as_seasonal():
    history = np.tile(WEEK_PATTERN, 4)[:27]
    forecast = forecast_demand(history)
    assert forecast.method in {ForecastMethod.SIMPLE_EXPONENTIAL, ForecastMethod.HOLT_DAMPED}


def test_under_two_weeks_of_history_uses_the_last_seven_days_average():
    forecast = forecast_demand([100, 1, 2, 3, 4, 5, 6, 7], horizon=5)
    assert forecast.method == ForecastMethod.MOVING_AVERAGE
    assert forecast.daily == (4.0,) * 5
    assert forecast.sigma == pytest.approx(float(np.std([1, 2, 3, 4, 5, 6, 7], ddof=1)))


def test_one_day_of_history_is_its_own_average_with_no_spread():
    forecast = forecast_demand([3], horizon=2)
    assert forecast.method == ForecastMethod.MOVING_AVERAGE
    assert forecast.daily == (3.0, 3.0)
    assert forecast.sigma == 0.0


@pytest.mark.parametrize("history", [[], [0], [0.0] * 400])
def test_nothing_sold_forecasts_no_sales(history):
    forecast = forecast_demand(history, horizon=10)
    assert forecast.method == ForecastMethod.NO_SALES
    assert forecast.daily == (0.0,) * 10
    assert forecast.sigma == 0.0


def test_only_the_last_year_counts():
    history = [50.0] * 100 + [0.0] * 365
    assert forecast_demand(history).method == ForecastMethod.NO_SALES


def test_a_series_falling_to_zero_never_forecasts_negative_demand():
    history = np.maximum(0.0, 30.0 - np.arange(60.0))
    forecast = forecast_demand(history)
    assert min(forecast.daily) >= 0.0
    assert forecast.daily[0] == pytest.approx(0.0, abs=0.5)


def test_a_still_falling_series_hits_zero_and_stays_there():
    forecast = forecast_demand(30.0 - 0.4 * np.arange(60.0))
    assert forecast.daily[0] == pytest.approx(6.0, abs=0.5)
    assert min(forecast.daily) == 0.0


def test_returns_outnumbering_sales_count_as_no_demand():
    forecast = forecast_demand([-2.0, 1.0, 1.0, 1.0], horizon=1)
    assert forecast.daily == (0.75,)


def test_a_single_sale_in_a_quiet_series_does_not_break_the_fit():
    forecast = forecast_demand([0.0] * 40 + [1.0] + [0.0] * 19)
    assert all(math.isfinite(v) and 0.0 <= v < 1.0 for v in forecast.daily)
    assert math.isfinite(forecast.sigma)


def test_the_same_history_gives_the_same_forecast():
    history = np.random.default_rng(11).poisson(4.0, 90).astype(float)
    assert forecast_demand(history) == forecast_demand(history)


def test_the_horizon_sets_the_forecast_length():
    history = np.random.default_rng(5).poisson(2.0, 40).astype(float)
    assert len(forecast_demand(history, horizon=1).daily) == 1
    assert forecast_demand(history, horizon=0).daily == ()


def test_a_negative_horizon_or_missing_days_are_refused():
    with pytest.raises(ValueError):
        forecast_demand([1.0, 2.0], horizon=-1)
    with pytest.raises(ValueError):
        forecast_demand([1.0, float("nan"), 2.0])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(st.integers(0, 50).map(float), st.floats(0.0, 1e4, allow_nan=False)),
        max_size=120,
    )
)
def test_any_sales_history_gives_a_finite_non_negative_forecast(history):
    forecast = forecast_demand(history, horizon=30)
    assert len(forecast.daily) == 30
    assert all(math.isfinite(v) and v >= 0.0 for v in forecast.daily)
    assert math.isfinite(forecast.sigma) and forecast.sigma >= 0.0


def test_velocity_divides_each_window_by_its_length():
    history = [1.0] * 62 + [2.0] * 21 + [4.0] * 7
    v = velocity(history)
    assert v.per_day_7 == 4.0
    assert v.per_day_28 == pytest.approx((21 * 2 + 7 * 4) / 28)
    assert v.per_day_90 == pytest.approx((62 + 42 + 28) / 90)


def test_velocity_counts_days_before_the_history_as_no_sales():
    v = velocity([3.0] * 10)
    assert (v.per_day_7, v.per_day_28, v.per_day_90) == (3.0, 30 / 28, 30 / 90)
    assert v.trend == SalesTrend.STEADY  # under 28 days of history: no trend is called


@pytest.mark.parametrize(
    ("last_week", "expected"),
    [
        (3.0, SalesTrend.ACCELERATING),  # 3/day vs 28-day 2.25/day = 1.33x
        (1.0, SalesTrend.SLOWING),  # 1/day vs 28-day 1.75/day = 0.57x
        (2.0, SalesTrend.STEADY),
    ],
)
def test_velocity_trend_compares_the_last_week_with_the_last_four(last_week, expected):
    assert velocity([2.0] * 83 + [last_week] * 7).trend == expected


def test_a_trend_needs_a_few_units_sold():
    assert velocity([0.0] * 83 + [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0]).trend == SalesTrend.STEADY
    assert velocity([0.0] * 83 + [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]).trend == (
        SalesTrend.ACCELERATING
    )


def test_nothing_sold_in_ninety_days_is_no_sales():
    assert velocity([9.0] * 10 + [0.0] * 90).trend == SalesTrend.NO_SALES
    assert velocity([]).trend == SalesTrend.NO_SALES
    assert velocity([]).per_day_7 == 0.0
