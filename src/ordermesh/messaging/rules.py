"""The rules a message meets right before it is sent, as pure functions: when the
customer may be written to (quiet hours in their time zone) and whether a frequency cap
is reached. The sender (``sending.claim_due``) asks them for every message it takes.

Decisions (docs/messaging.md, "Rules before sending"):

* The customer's own contact hours (``contact_hours`` on the profile) decide when they may
  be written to; a customer without them gets the seller's quiet hours
  (``ORDERMESH_MESSAGE_QUIET_HOURS``, 21:00-08:00 by default) in their time zone.
* Their time zone is the one of their contact hours, else the one of their locale's
  country when that country keeps one time (``de_AT``: Europe/Vienna). Without either
  there is no "night" to respect and nothing is deferred.
* An order confirmation answers what the customer has just done: it is never deferred.
  Other transactional messages wait (for the end of the quiet hours, or the next contact
  hours) unless the seller allows them at any hour
  (``ORDERMESH_MESSAGE_TRANSACTIONAL_IN_QUIET_HOURS``); feedback requests (and every
  other purpose) always wait.
* The frequency cap counts the messages sent to the customer in a rolling period; a
  message that is not transactional is suppressed when the cap is reached (a late survey
  is worse than none); transactional messages are never capped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.core import get_global

from ordermesh.messaging.model import PURPOSE, MessageType

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_LOOK_AHEAD_DAYS = 8  # a week of contact days always has a next allowed moment in it


@dataclass(frozen=True)
class Window:
    """Local times ``start`` to ``end`` on ``days``; ``start > end`` runs past midnight
    (and then belongs to the day it starts on)."""

    start: time
    end: time
    days: frozenset[str] = frozenset(WEEKDAYS)

    def contains(self, local: datetime) -> bool:
        t = local.time().replace(tzinfo=None)
        if self.start <= self.end:
            return WEEKDAYS[local.weekday()] in self.days and self.start <= t < self.end
        if t >= self.start:
            return WEEKDAYS[local.weekday()] in self.days
        return t < self.end and WEEKDAYS[(local.weekday() - 1) % 7] in self.days


@dataclass(frozen=True)
class SendRules:
    quiet_hours: Window | None  # the seller's, when the customer has no contact hours
    transactional_in_quiet_hours: bool
    cap: int  # messages per period; 0: no cap
    cap_period: timedelta


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def parse_window(value: str) -> Window:
    """'21:00-08:00' as a window (every day)."""
    start, end = value.split("-")
    return Window(parse_hhmm(start.strip()), parse_hhmm(end.strip()))


def _zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def customer_zone(contact_hours: dict | None, locale: str | None) -> ZoneInfo | None:
    """The time zone of the contact hours, else the one of the locale's country when all
    of that country's zones share one offset rule (CLDR meta zone); else unknown."""
    zone = _zone((contact_hours or {}).get("time_zone"))
    if zone is not None or not locale or "_" not in locale.replace("-", "_"):
        return zone
    territory = locale.replace("-", "_").split("_")[-1].upper()
    zones = get_global("territory_zones").get(territory) or []
    meta = get_global("meta_zones")
    if not zones or len({meta.get(z, z) for z in zones}) != 1:
        return None
    return _zone(zones[0])


def contact_window(contact_hours: dict | None) -> Window | None:
    if not contact_hours:
        return None
    return Window(parse_hhmm(contact_hours.get("from", "09:00")),
                  parse_hhmm(contact_hours.get("to", "18:00")),
                  frozenset(contact_hours.get("days") or WEEKDAYS))


def _candidates(day: date, window: Window, zone: ZoneInfo) -> list[datetime]:
    return [datetime.combine(day, t, zone) for t in (time(0), window.start, window.end)]


def next_allowed(now: datetime, zone: ZoneInfo, window: Window, allowed_inside: bool
                 ) -> datetime | None:
    """None when a message may go at ``now``; else the first moment (UTC) it may: inside
    ``window`` when ``allowed_inside``, outside it otherwise (quiet hours)."""
    def ok(moment: datetime) -> bool:
        return window.contains(moment.astimezone(zone)) == allowed_inside

    if ok(now):
        return None
    today = now.astimezone(zone).date()
    moments = sorted(c for d in range(_LOOK_AHEAD_DAYS)
                     for c in _candidates(today + timedelta(days=d), window, zone)
                     if c > now and ok(c))
    return moments[0].astimezone(UTC) if moments else None


def deferral(rules: SendRules, message_type: MessageType, contact_hours: dict | None,
             locale: str | None, now: datetime) -> tuple[datetime, str] | None:
    """(when, why) a message must wait for, or None when it may go now."""
    if message_type is MessageType.ORDER_CONFIRMATION or (
            PURPOSE[message_type] == "transactional" and rules.transactional_in_quiet_hours):
        return None
    zone = customer_zone(contact_hours, locale)
    if zone is None:
        return None
    own = contact_window(contact_hours)
    if own is not None:
        until = next_allowed(now, zone, own, allowed_inside=True)
        why = f"outside the customer's contact hours ({zone.key})"
    else:
        if rules.quiet_hours is None:
            return None
        until = next_allowed(now, zone, rules.quiet_hours, allowed_inside=False)
        why = f"quiet hours in the customer's time zone ({zone.key})"
    return None if until is None else (until, why)


def capped(rules: SendRules, message_type: MessageType, sent_in_period: int) -> str | None:
    """Why the frequency cap stops this message, or None."""
    if rules.cap == 0 or PURPOSE[message_type] == "transactional":
        return None
    if sent_in_period < rules.cap:
        return None
    hours = int(rules.cap_period.total_seconds() // 3600)
    return (f"frequency cap: {sent_in_period} messages sent to the customer in the last "
            f"{hours} hours (at most {rules.cap})")
