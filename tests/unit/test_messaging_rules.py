"""The rules before sending, as pure decisions: quiet hours and contact hours in the
customer's time zone (across a DST change, past midnight), the time zone a locale
implies, which messages may override, and the frequency cap."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from ordermesh.messaging.model import MessageType
from ordermesh.messaging.rules import (
    SendRules,
    Window,
    capped,
    customer_zone,
    deferral,
    next_allowed,
    parse_window,
)

RULES = SendRules(parse_window("21:00-08:00"), False, 3, timedelta(hours=24))
BERLIN_NIGHT = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)  # 23:30 in Berlin


def test_a_shipping_notice_at_night_in_berlin_waits_for_eight_in_the_morning_there():
    until, why = deferral(RULES, MessageType.SHIPPED, None, "de_DE", BERLIN_NIGHT)
    assert until == datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
    assert why == "quiet hours in the customer's time zone (Europe/Berlin)"


def test_the_same_moment_is_afternoon_in_new_york_and_the_message_goes():
    hours = {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00",
             "time_zone": "America/New_York"}
    assert deferral(RULES, MessageType.SHIPPED, hours, "de_DE", BERLIN_NIGHT) is None


def test_contact_hours_on_weekdays_move_a_friday_evening_message_to_monday_morning():
    hours = {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "17:00",
             "time_zone": "America/New_York"}
    friday_evening = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)  # 18:00 in New York
    until, why = deferral(RULES, MessageType.DELIVERED, hours, None, friday_evening)
    assert until == datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # Monday 09:00 EST
    assert why == "outside the customer's contact hours (America/New_York)"


def test_an_order_confirmation_is_never_deferred():
    assert deferral(RULES, MessageType.ORDER_CONFIRMATION, None, "de_DE", BERLIN_NIGHT) is None


def test_the_seller_may_let_transactional_messages_through_but_never_feedback_requests():
    lenient = SendRules(RULES.quiet_hours, True, 3, timedelta(hours=24))
    assert deferral(lenient, MessageType.REFUND, None, "de_DE", BERLIN_NIGHT) is None
    assert deferral(lenient, MessageType.FEEDBACK_REQUEST, None, "de_DE", BERLIN_NIGHT)


def test_without_a_known_time_zone_nothing_is_deferred():
    assert customer_zone(None, "en") is None
    assert customer_zone(None, "en_US") is None  # the United States keeps several times
    assert deferral(RULES, MessageType.SHIPPED, None, "en_US", BERLIN_NIGHT) is None


def test_a_country_with_one_time_gives_its_zone():
    assert customer_zone(None, "de_AT").key == "Europe/Vienna"
    assert customer_zone(None, "de-DE").key == "Europe/Berlin"
    assert customer_zone({"time_zone": "Asia/Tokyo"}, "de_DE").key == "Asia/Tokyo"


def test_the_end_of_quiet_hours_is_local_time_across_the_change_to_summer_time():
    berlin = customer_zone(None, "de_DE")
    night_before = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # 00:00 CET, DST at 02:00
    until = next_allowed(night_before, berlin, parse_window("21:00-08:00"), False)
    assert until == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # 08:00 CEST


def test_contact_hours_past_midnight_belong_to_the_day_they_start_on():
    window = Window(time(20), time(2), frozenset({"fri"}))
    saturday_1am = datetime(2026, 11, 28, 1, 0)
    assert window.contains(saturday_1am)
    assert not window.contains(datetime(2026, 11, 29, 1, 0))  # Sunday 01:00: Saturday's


def test_the_cap_suppresses_only_what_is_not_transactional():
    assert capped(RULES, MessageType.FEEDBACK_REQUEST, 2) is None
    assert capped(RULES, MessageType.FEEDBACK_REQUEST, 3) == (
        "frequency cap: 3 messages sent to the customer in the last 24 hours (at most 3)")
    assert capped(RULES, MessageType.SHIPPED, 30) is None
    assert capped(SendRules(None, False, 0, timedelta(hours=1)),
                  MessageType.FEEDBACK_REQUEST, 99) is None
