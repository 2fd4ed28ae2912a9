"""Promise dates: cut-offs, weekends, holidays, processing days and service levels."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from ordermesh.kit.errors import InvalidInput
from ordermesh.shipping.model import (
    Calendar,
    CarrierService,
    ServiceLevel,
    add_delivery_days,
    days_late,
    handover_day,
    pickup_ready_date,
    promise_dates,
)
from ordermesh.shipping.simulated import SERVICES

EXPRESS, STANDARD, ECONOMY = SERVICES
UTC_CAL = Calendar()
BERLIN = Calendar("Europe/Berlin")

# 2026-11-23 is a Monday.
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 11, 23 + i) for i in range(7))
NEXT_MON, NEXT_TUE, NEXT_WED = date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)


def at(day: date, hh: int, mm: int = 0, tz=UTC) -> datetime:
    return datetime.combine(day, time(hh, mm), tz)


def test_order_before_the_cut_off_leaves_the_same_day():
    p = promise_dates(UTC_CAL, STANDARD, at(MON, 15, 59), 0)
    assert (p.ship_by, p.promised_date) == (MON, THU)


def test_order_at_or_after_the_cut_off_leaves_the_next_working_day():
    assert promise_dates(UTC_CAL, STANDARD, at(MON, 16, 0), 0).ship_by == TUE
    assert promise_dates(UTC_CAL, STANDARD, at(MON, 16, 0), 0).promised_date == FRI


def test_friday_evening_order_leaves_on_monday_and_skips_the_weekend():
    p = promise_dates(UTC_CAL, STANDARD, at(FRI, 18), 0)
    assert (p.ship_by, p.promised_date) == (NEXT_MON, date(2026, 12, 3))


def test_friday_afternoon_standard_delivery_crosses_the_weekend():
    p = promise_dates(UTC_CAL, STANDARD, at(FRI, 10), 0)
    assert (p.ship_by, p.promised_date) == (FRI, NEXT_WED)


def test_weekend_orders_leave_on_monday():
    assert promise_dates(UTC_CAL, STANDARD, at(SAT, 9), 0).ship_by == NEXT_MON
    assert promise_dates(UTC_CAL, STANDARD, at(SUN, 23, 59), 0).ship_by == NEXT_MON


def test_express_has_an_earlier_cut_off_and_arrives_the_next_day():
    assert promise_dates(UTC_CAL, EXPRESS, at(MON, 13, 59), 0).promised_date == TUE
    assert promise_dates(UTC_CAL, EXPRESS, at(MON, 14, 0), 0).promised_date == WED


def test_express_delivers_on_saturday_but_standard_does_not():
    assert promise_dates(UTC_CAL, EXPRESS, at(FRI, 9), 0).promised_date == SAT
    assert promise_dates(UTC_CAL, STANDARD, at(WED, 9), 0).promised_date == NEXT_MON


def test_economy_takes_five_working_days():
    p = promise_dates(UTC_CAL, ECONOMY, at(MON, 16, 30), 0)
    assert (p.ship_by, p.promised_date) == (MON, NEXT_MON)


def test_processing_days_add_working_days_before_the_hand_over():
    assert promise_dates(UTC_CAL, STANDARD, at(MON, 9), 2).ship_by == WED
    assert promise_dates(UTC_CAL, STANDARD, at(THU, 9), 2).ship_by == NEXT_MON
    assert promise_dates(UTC_CAL, STANDARD, at(THU, 17), 2).ship_by == NEXT_TUE


def test_cut_off_is_read_in_the_carriers_time_zone():
    # 15:30 UTC in November is 16:30 in Berlin: past the 16:00 cut-off there.
    assert promise_dates(UTC_CAL, STANDARD, at(MON, 15, 30), 0).ship_by == MON
    assert promise_dates(BERLIN, STANDARD, at(MON, 15, 30), 0).ship_by == TUE


def test_local_date_decides_near_midnight():
    # Sunday 23:30 UTC is already Monday 00:30 in Berlin, before the cut-off.
    assert handover_day(BERLIN, time(16), at(SUN, 23, 30), 0) == NEXT_MON
    # Monday 23:30 UTC is Tuesday 00:30 in Berlin.
    assert handover_day(BERLIN, time(16), at(MON, 23, 30), 0) == TUE
    assert handover_day(UTC_CAL, time(16), at(MON, 23, 30), 0) == TUE


def test_summer_time_moves_the_utc_cut_off():
    july_mon = date(2026, 7, 6)
    # 14:30 UTC is 16:30 in Berlin during summer time.
    assert handover_day(BERLIN, time(16), at(july_mon, 14, 30), 0) == date(2026, 7, 7)
    assert handover_day(BERLIN, time(16), at(july_mon, 13, 30), 0) == july_mon


def test_holidays_are_neither_pick_up_nor_delivery_days():
    cal = Calendar("UTC", frozenset({TUE, THU}))
    p = promise_dates(cal, STANDARD, at(TUE, 9), 0)
    assert p.ship_by == WED
    assert p.promised_date == NEXT_TUE  # Thu is a holiday: Fri, Mon, Tue
    assert add_delivery_days(cal, MON, 2, False) == FRI


def test_christmas_week():
    cal = Calendar("UTC", frozenset({date(2026, 12, 24), date(2026, 12, 25)}))
    p = promise_dates(cal, STANDARD, at(date(2026, 12, 23), 17), 0)
    assert (p.ship_by, p.promised_date) == (date(2026, 12, 28), date(2026, 12, 31))


def test_delay_days_push_the_delivery():
    assert promise_dates(UTC_CAL, STANDARD, at(MON, 9), 0, delay_days=2).promised_date == \
        NEXT_MON


def test_saturday_delivery_service_still_has_no_pick_up_on_saturday():
    sat_express = CarrierService("x", ServiceLevel.EXPRESS, 1, time(14), True)
    p = promise_dates(UTC_CAL, sat_express, at(SAT, 9), 0)
    assert (p.ship_by, p.promised_date) == (NEXT_MON, NEXT_TUE)


def test_negative_processing_days_are_refused():
    with pytest.raises(InvalidInput):
        promise_dates(UTC_CAL, STANDARD, at(MON, 9), -1)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        promise_dates(UTC_CAL, STANDARD, datetime(2026, 11, 23, 9), 0)


def test_pickup_is_ready_the_same_day_before_the_cut_off_even_on_weekends():
    assert pickup_ready_date(UTC_CAL, time(16), at(SAT, 10), 0) == SAT
    assert pickup_ready_date(UTC_CAL, time(16), at(SAT, 17), 0) == SUN
    assert pickup_ready_date(UTC_CAL, time(16), at(MON, 10), 2) == WED


@pytest.mark.parametrize(("delivered", "promised", "late"), [
    (MON, WED, 0), (WED, WED, 0), (THU, WED, 1), (NEXT_MON, WED, 5)])
def test_days_late_counts_calendar_days_after_the_promise(delivered, promised, late):
    assert days_late(delivered, promised) == late


def test_unknown_time_zone_is_invalid_input():
    with pytest.raises(InvalidInput):
        Calendar("Mars/Olympus").zone()
