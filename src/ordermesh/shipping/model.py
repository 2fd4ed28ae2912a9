"""Carriers, tracking and promise dates: the pure domain (stdlib + kit only).

Dates and times
---------------
A carrier service has a daily *cut-off* (local wall-clock time) and a number of *transit
business days*. Local time is the carrier account's ``timezone`` setting (an IANA name,
default ``UTC``): the cut-off is the time the carrier's van leaves the location, so it is
naturally expressed where the location is.

* A *pick-up day* is Monday to Friday and not a holiday of the carrier.
* A *delivery day* is Monday to Friday (and Saturday when the service delivers on
  Saturday), not a holiday.
* Hand-over (``ship_by``): the first pick-up day on which the parcel can be ready before
  the cut-off. An order released before the cut-off of a pick-up day with
  ``processing_days == 0`` leaves the same day; after the cut-off, on a weekend or a
  holiday it leaves the next pick-up day. ``processing_days`` adds that many further
  pick-up days.
* Promised delivery: ``transit_days`` delivery days after the hand-over day.
* Click-and-collect: ready ``processing_days`` calendar days after release (stores open
  every day); before the cut-off of the day (the store's "order by" time), else one day
  later.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money


class ServiceLevel(enum.StrEnum):
    STANDARD = "standard"
    EXPRESS = "express"
    ECONOMY = "economy"


class TrackingStatus(enum.StrEnum):
    """Our normalised tracking statuses (every carrier's codes map onto these)."""

    LABEL_CREATED = "label_created"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    DELIVERY_FAILED = "delivery_failed"
    DAMAGED = "damaged"
    RETURNED_TO_SENDER = "returned_to_sender"


# How far along a parcel is: an event never moves a fulfilment order to a lower rank
# than the one it is at, and of two events the later one (by carrier time) wins.
RANK: dict[TrackingStatus, int] = {
    TrackingStatus.LABEL_CREATED: 0,
    TrackingStatus.PICKED_UP: 1,
    TrackingStatus.IN_TRANSIT: 1,
    TrackingStatus.OUT_FOR_DELIVERY: 2,
    TrackingStatus.DELIVERY_FAILED: 3,
    TrackingStatus.DAMAGED: 3,
    TrackingStatus.DELIVERED: 4,
    TrackingStatus.RETURNED_TO_SENDER: 4,
}

# The fulfilment status (F's FulfilmentStatus value) a tracking status moves an FO to;
# label_created moves nothing (the FO is already label_created). The first scan after it
# is the hand-over: a booked FO becomes shipped before it moves on.
FULFILMENT_STATUS: dict[TrackingStatus, str | None] = {
    TrackingStatus.LABEL_CREATED: None,
    TrackingStatus.PICKED_UP: "shipped",
    TrackingStatus.IN_TRANSIT: "in_transit",
    TrackingStatus.OUT_FOR_DELIVERY: "out_for_delivery",
    TrackingStatus.DELIVERED: "delivered",
    TrackingStatus.DELIVERY_FAILED: "delivery_failed",
    TrackingStatus.DAMAGED: "damaged",
    TrackingStatus.RETURNED_TO_SENDER: "returned_to_sender",
}

FINAL = frozenset({TrackingStatus.DELIVERED, TrackingStatus.RETURNED_TO_SENDER})


class UnknownCarrierStatus(InvalidInput):
    code = "unknown-carrier-status"
    title = "Unknown carrier status"


class CarrierUnavailable(Exception):
    """The carrier gave no answer to a booking (a timeout, a lost connection, a 5xx):
    whether it booked is unknown. Booking again with the same idempotency key finds out
    without booking twice."""


@dataclass(frozen=True)
class CarrierService:
    code: str
    level: ServiceLevel
    transit_days: int
    cutoff: time
    saturday_delivery: bool = False
    name: str = ""


@dataclass(frozen=True)
class Calendar:
    """Where a carrier works: its time zone and holidays."""

    timezone: str = "UTC"
    holidays: frozenset[date] = field(default_factory=frozenset)

    def zone(self) -> ZoneInfo:
        return zone(self.timezone)

    def local(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("aware datetimes only")
        return at.astimezone(self.zone())

    def is_pickup_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def is_delivery_day(self, day: date, saturday: bool) -> bool:
        limit = 6 if saturday else 5
        return day.weekday() < limit and day not in self.holidays


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput.for_field("settings.timezone", f"Unknown time zone '{name}'",
                                     "unknown_timezone") from exc


@dataclass(frozen=True)
class PromiseDates:
    ship_by: date
    promised_date: date


def next_pickup_day(cal: Calendar, day: date) -> date:
    while not cal.is_pickup_day(day):
        day += timedelta(days=1)
    return day


def add_pickup_days(cal: Calendar, day: date, n: int) -> date:
    for _ in range(n):
        day = next_pickup_day(cal, day + timedelta(days=1))
    return day


def add_delivery_days(cal: Calendar, day: date, n: int, saturday: bool) -> date:
    for _ in range(n):
        day += timedelta(days=1)
        while not cal.is_delivery_day(day, saturday):
            day += timedelta(days=1)
    return day


def handover_day(cal: Calendar, cutoff: time, released_at: datetime,
                 processing_days: int) -> date:
    """The pick-up day the parcel leaves the location (see the module docstring)."""
    if processing_days < 0:
        raise InvalidInput.for_field("processing_days", "must not be negative")
    local = cal.local(released_at)
    day = local.date()
    if not cal.is_pickup_day(day) or local.time() >= cutoff:
        day = next_pickup_day(cal, day + timedelta(days=1))
    return add_pickup_days(cal, day, processing_days)


def promise_dates(cal: Calendar, service: CarrierService, released_at: datetime,
                  processing_days: int, delay_days: int = 0) -> PromiseDates:
    ship_by = handover_day(cal, service.cutoff, released_at, processing_days)
    delivered = add_delivery_days(cal, ship_by, service.transit_days + delay_days,
                                  service.saturday_delivery)
    return PromiseDates(ship_by, delivered)


def pickup_ready_date(cal: Calendar, cutoff: time, released_at: datetime,
                      processing_days: int) -> date:
    local = cal.local(released_at)
    day = local.date() if local.time() < cutoff else local.date() + timedelta(days=1)
    return day + timedelta(days=processing_days)


def days_late(delivered_on: date, promised: date) -> int:
    """Calendar days after the promised date (0 when on time or early)."""
    return max(0, (delivered_on - promised).days)


@dataclass(frozen=True)
class PackageSpec:
    package_id: str
    weight_g: int
    dimensions_mm: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class ShipmentSpec:
    """What a carrier needs to quote or book.

    ``reference`` is our unique booking reference (a real carrier keeps it as the
    customer reference); ``sequence`` is the carrier account's booking counter, unique
    per account, and ``account`` the account's code (the simulated carrier builds its
    tracking numbers from both, so two accounts never share a number)."""

    reference: str
    service: str
    origin: dict | None
    destination: dict | None
    packages: tuple[PackageSpec, ...]
    currency: str = "EUR"
    sequence: int = 0
    ready_at: datetime | None = None
    account: str = "sim"


@dataclass(frozen=True)
class RateQuote:
    service: str
    price: Money
    transit_days: int


@dataclass(frozen=True)
class PickupWindow:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Booking:
    tracking_numbers: dict[str, str]  # package id -> tracking number
    pickup: PickupWindow
    label_reference: str
    booked_at: datetime


@dataclass(frozen=True)
class CarrierEvent:
    """One tracking event as a carrier reports it."""

    event_id: str
    tracking_number: str
    carrier_status: str
    occurred_at: datetime
    description: str = ""
    location: str | None = None
    estimated_delivery: date | None = None  # when the carrier now expects to deliver


def latest_first(events: Iterable[CarrierEvent]) -> list[CarrierEvent]:
    return sorted(events, key=lambda e: e.occurred_at, reverse=True)


@dataclass(frozen=True)
class Parcel:
    """What the core tells an adapter about a parcel it booked (a real carrier only needs
    the tracking number; the simulator derives its whole history from the rest)."""

    tracking_number: str
    service: str
    booked_at: datetime
    destination: dict | None = None


CLOCK_SKEW = timedelta(minutes=15)


def implausible(occurred_at: datetime, received_at: datetime, not_before: datetime | None,
                skew: timedelta = CLOCK_SKEW) -> str | None:
    """Why a carrier event cannot be believed, or None. ``not_before``: when the parcel's
    label was created (None when unknown, e.g. booked by a 3PL). ``skew`` allows for
    clocks that disagree a little."""
    if occurred_at > received_at + skew:
        return (f"dated in the future: {occurred_at.isoformat()} is more than "
                f"{_minutes(skew)} after it was received ({received_at.isoformat()})")
    if not_before is not None and occurred_at < not_before - skew:
        return (f"dated before the label was created: {occurred_at.isoformat()} is more "
                f"than {_minutes(skew)} before {not_before.isoformat()}")
    return None


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@dataclass(frozen=True)
class ParcelLimits:
    """What a carrier (service) takes as a parcel: beyond any of these a package is
    *oversize* (a bulky-goods surcharge or freight), whatever box it is in. Girth is
    measured around the two smaller sides: length + girth = L + 2 x (W + H)."""

    max_length_mm: int = 1200
    max_length_girth_mm: int = 3000
    max_weight_g: int = 31_500

    def exceeded_by(self, dimensions_mm: tuple[int, int, int] | None,
                    weight_g: int | None) -> str | None:
        """Why a package of this size and weight is oversize, or None (unknown dimensions
        or weight are not held against it)."""
        reasons = []
        if dimensions_mm is not None:
            length, width, height = sorted(dimensions_mm, reverse=True)
            if length > self.max_length_mm:
                reasons.append(f"length {_cm(length)} cm > {_cm(self.max_length_mm)} cm")
            girth = length + 2 * (width + height)
            if girth > self.max_length_girth_mm:
                reasons.append(f"length + girth {_cm(girth)} cm > "
                               f"{_cm(self.max_length_girth_mm)} cm")
        if weight_g is not None and weight_g > self.max_weight_g:
            reasons.append(f"weight {_kg(weight_g)} kg > {_kg(self.max_weight_g)} kg")
        return "; ".join(reasons) or None


PARCEL_LIMITS = ParcelLimits()


def _cm(mm: int) -> str:
    return f"{mm / 10:g}"


def _kg(g: int) -> str:
    return f"{g / 1000:g}"
