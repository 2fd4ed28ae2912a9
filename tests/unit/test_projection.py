import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordermesh.inventory.projection import (
    Receipt,
    project,
    reorder_point,
    suggested_order_quantity,
)

TODAY = datetime.date(2025, 3, 10)


def day(offset: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=offset)


def test_ten_units_at_one_a_day_last_ten_days_and_run_out_on_the_eleventh():
    p = project(10, [1.0] * 30, [], TODAY)
    assert p.days_of_cover == 10.0
    assert p.stockout_date == day(10)
    assert p.next_receipt_date is None
    assert p.demand_until_next_receipt == 30.0
    assert p.balance_at_next_receipt == -20.0
    assert p.short_before_supply is True


def test_a_receipt_landing_in_time_postpones_the_stockout():
    p = project(10, [1.0] * 30, [Receipt(day(8), 5)], TODAY)
    assert p.stockout_date == day(15)
    assert p.next_receipt_date == day(8)
    assert p.demand_until_next_receipt == 8.0
    assert p.balance_at_next_receipt == 2.0
    assert p.short_before_supply is False
    assert p.days_of_cover == 10.0  # cover counts stock on hand only


def test_a_receipt_landing_after_the_stockout_does_not_move_it():
    p = project(10, [1.0] * 30, [Receipt(day(12), 50)], TODAY)
    assert p.stockout_date == day(10)
    assert p.balance_at_next_receipt == -2.0
    assert p.short_before_supply is True


def test_a_receipt_lands_in_time_for_that_days_demand():
    p = project(2, [1.0] * 10, [Receipt(day(2), 1)], TODAY)
    assert p.stockout_date == day(3)
    assert p.balance_at_next_receipt == 0.0
    assert p.short_before_supply is False


def test_a_late_receipt_counts_as_landing_today():
    p = project(0, [2.0] * 10, [Receipt(day(-3), 6), Receipt(day(5), 100)], TODAY)
    assert p.next_receipt_date == TODAY
    assert p.demand_until_next_receipt == 0.0
    assert p.balance_at_next_receipt == 0.0
    assert p.short_before_supply is False
    assert p.stockout_date == day(3)


def test_receipts_on_the_same_day_add_up_and_empty_ones_are_ignored():
    p = project(1, [1.0] * 10, [Receipt(day(1), 0), Receipt(day(2), 2), Receipt(day(2), 3)], TODAY)
    assert p.next_receipt_date == day(2)
    assert p.stockout_date == day(1)
    assert p.demand_until_next_receipt == 2.0


def test_no_demand_means_no_stockout_and_no_cover_figure():
    p = project(5, [0.0] * 30, [], TODAY)
    assert p.days_of_cover is None
    assert p.stockout_date is None
    assert p.demand_until_next_receipt == 0.0
    assert p.balance_at_next_receipt == 5.0
    assert p.short_before_supply is False


def test_nothing_in_stock_and_no_demand_is_not_a_stockout():
    assert project(0, [0.0] * 5, [], TODAY).stockout_date is None


def test_enough_stock_for_the_whole_forecast_has_no_stockout_date():
    p = project(100, [1.5] * 60, [], TODAY)
    assert p.stockout_date is None
    assert p.days_of_cover == pytest.approx(100 / 1.5)
    assert p.balance_at_next_receipt == 10.0
    assert p.short_before_supply is False


def test_oversold_stock_is_out_today_with_no_cover():
    p = project(-3, [1.0] * 10, [], TODAY)
    assert p.stockout_date == TODAY
    assert p.days_of_cover == 0.0
    assert p.short_before_supply is True


def test_fractional_demand_runs_out_on_the_day_it_first_exceeds_stock():
    p = project(1, [0.1] * 30, [], TODAY)  # ten days of 0.1 make exactly 1.0
    assert p.stockout_date == day(10)


def test_a_weekly_forecast_runs_out_on_the_busy_day():
    p = project(10, [2.0, 2.0, 2.0, 2.0, 2.0, 6.0, 6.0] * 4, [], TODAY)
    assert p.stockout_date == day(5)


def test_a_receipt_beyond_the_forecast_is_reached_at_the_forecasts_last_week_rate():
    daily = [5.0] * 7 + [1.0] * 7  # 14 days known, then 1/day assumed
    p = project(100, daily, [Receipt(day(20), 10)], TODAY)
    assert p.demand_until_next_receipt == 35.0 + 7.0 + 6.0
    assert p.balance_at_next_receipt == 52.0


def test_negative_demand_or_receipts_are_refused():
    with pytest.raises(ValueError):
        project(1, [1.0, -1.0], [], TODAY)
    with pytest.raises(ValueError):
        project(1, [1.0], [Receipt(TODAY, -1)], TODAY)


@given(
    available=st.integers(-50, 500),
    daily=st.lists(st.floats(0.0, 100.0, allow_nan=False), max_size=120),
    receipts=st.lists(
        st.builds(Receipt, st.dates(day(-30), day(200)), st.integers(0, 500)), max_size=6
    ),
)
def test_a_projection_never_crashes_and_never_runs_out_before_today(available, daily, receipts):
    p = project(available, daily, receipts, TODAY)
    if p.stockout_date is not None:
        assert TODAY <= p.stockout_date < day(len(daily))
    if p.next_receipt_date is not None:
        assert p.next_receipt_date >= TODAY
    assert p.balance_at_next_receipt == pytest.approx(available - p.demand_until_next_receipt)
    assert isinstance(p.balance_at_next_receipt, float)
    assert p.days_of_cover is None or p.days_of_cover >= 0.0
    if daily and not receipts and p.balance_at_next_receipt < -1e-6:
        assert p.stockout_date is not None


def test_reorder_point_covers_lead_time_demand_at_the_service_level():
    # 10/day for 4 days = 40, plus 1.645 * 3 * sqrt(4) = 9.87 -> 49.87 -> 50
    assert reorder_point(10.0, 3.0, 4) == 50
    assert reorder_point(10.0, 3.0, 4, safety_stock=5) == 55
    # 99 %: z = 2.326 -> 40 + 13.96 = 53.96 -> 54
    assert reorder_point(10.0, 3.0, 4, service_level=0.99) == 54


def test_reorder_point_with_certain_demand_is_exactly_the_lead_time_demand():
    assert reorder_point(2.0, 0.0, 7) == 14
    assert reorder_point(0.1, 0.0, 30) == 3
    assert reorder_point(2.0, 0.0, 7, service_level=0.5) == 14


def test_a_zero_lead_time_needs_only_the_safety_stock():
    assert reorder_point(10.0, 3.0, 0, safety_stock=4) == 4


def test_the_order_brings_the_position_up_to_cover_lead_time_and_review():
    # P = 4 + 5 = 9 days: 90 + 1.645 * 3 * 3 = 104.80 -> 105
    assert suggested_order_quantity(10.0, 3.0, 4, 5, position=30) == 75
    assert suggested_order_quantity(10.0, 3.0, 4, 5, position=30, safety_stock=10) == 85


def test_a_backordered_position_orders_the_backorders_too():
    assert suggested_order_quantity(1.0, 0.0, 5, 5, position=-4) == 14


def test_a_position_above_the_order_up_to_level_orders_nothing():
    assert suggested_order_quantity(10.0, 3.0, 4, 5, position=500) == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mean_daily": -1.0},
        {"sigma_daily": -0.1},
        {"mean_daily": float("nan")},
        {"lead_time_days": -1},
        {"review_days": -2},
        {"safety_stock": -1},
        {"service_level": 1.0},
        {"service_level": 0.4},
    ],
)
def test_impossible_reorder_arguments_are_refused(kwargs):
    args = {"mean_daily": 1.0, "sigma_daily": 1.0, "lead_time_days": 3, "review_days": 7}
    args.update(kwargs)
    with pytest.raises(ValueError):
        suggested_order_quantity(**args, position=0)
    if "review_days" not in kwargs:
        args.pop("review_days")
        with pytest.raises(ValueError):
            reorder_point(**args)
