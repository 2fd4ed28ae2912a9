"""The simulated carrier: behaves like a parcel carrier, deterministically, without a network.

Services (transit in delivery days after the hand-over day, cut-off in the account's
time zone):

============  =======  =======  =======  ==================================
code          level    transit  cut-off  price (domestic; abroad x2)
============  =======  =======  =======  ==================================
sim-express   express  1        14:00    9.90 + 2.00 per started kg, Sat.
sim-standard  standard 3        16:00    4.90 + 1.00 per started kg
sim-economy   economy  5        17:00    3.50 + 0.60 per started kg
============  =======  =======  =======  ==================================

Tracking numbers: the carrier account's code in capitals + 10 digits (account booking
sequence x 100 + package index) + a Luhn check digit, e.g. ``SIM00000001016`` for the
built-in account ``sim`` and ``SIM-EU00000001016`` for an account ``sim-eu``.
Deterministic: the same account and booking sequence give the same numbers; two
accounts never give the same number (their codes differ, and the digits have a fixed
length).

Tracking progression, computed from the booking and the clock (nothing is stored by the
carrier): ``LBL`` label created at booking; ``PCK`` picked up at the end of the pick-up
window (the cut-off of the hand-over day); ``DEP`` departed the origin hub 3 h later;
``ARR`` arrived at the delivery hub at 05:00 on the delivery day; ``OFD`` out for delivery
at 08:00; ``DLV`` delivered at 13:00. The delivery day is the hand-over day plus the
transit days plus ``delay_days`` (settings). Exceptions: a destination postal code in
``fail_postal_codes`` (or a parcel picked by the seeded ``exception_rate``) ends with
``NDL`` (not delivered) at 13:00 and ``RTS`` (returned to sender) at 10:00 two pick-up
days later; one in ``damage_postal_codes`` ends with ``DMG`` at 05:00 instead of
``ARR``.

Parcel limits (beyond any of them a package is oversize): length 120 cm, length + girth
300 cm, weight 31.5 kg; ``sim-economy`` takes at most 20 kg. The setting
``parcel_limits`` (``max_length_mm``, ``max_length_girth_mm``, ``max_weight_g``, each
optional) replaces them for every service.

Settings (all optional): ``timezone`` (IANA, default UTC), ``holidays`` (ISO dates),
``delay_days``, ``fail_postal_codes``, ``damage_postal_codes``, ``exception_rate``
(decimal string 0..1), ``seed``, ``parcel_limits``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from stdnum import luhn

from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money
from ordermesh.shipping.model import (
    Booking,
    Calendar,
    CarrierEvent,
    CarrierService,
    Parcel,
    ParcelLimits,
    PickupWindow,
    RateQuote,
    ServiceLevel,
    ShipmentSpec,
    TrackingStatus,
    UnknownCarrierStatus,
    add_delivery_days,
    add_pickup_days,
    handover_day,
)

SERVICES = (
    CarrierService("sim-express", ServiceLevel.EXPRESS, 1, time(14, 0), True, "Express"),
    CarrierService("sim-standard", ServiceLevel.STANDARD, 3, time(16, 0), False, "Standard"),
    CarrierService("sim-economy", ServiceLevel.ECONOMY, 5, time(17, 0), False, "Economy"),
)
_PRICES = {  # base, per started kg
    "sim-express": (Decimal("9.90"), Decimal("2.00")),
    "sim-standard": (Decimal("4.90"), Decimal("1.00")),
    "sim-economy": (Decimal("3.50"), Decimal("0.60")),
}

STATUS_CODES: dict[str, TrackingStatus] = {
    "LBL": TrackingStatus.LABEL_CREATED,
    "PCK": TrackingStatus.PICKED_UP,
    "DEP": TrackingStatus.IN_TRANSIT,
    "ARR": TrackingStatus.IN_TRANSIT,
    "OFD": TrackingStatus.OUT_FOR_DELIVERY,
    "DLV": TrackingStatus.DELIVERED,
    "NDL": TrackingStatus.DELIVERY_FAILED,
    "DMG": TrackingStatus.DAMAGED,
    "RTS": TrackingStatus.RETURNED_TO_SENDER,
}
_DESCRIPTIONS = {
    "LBL": "Shipment information received", "PCK": "Picked up by the driver",
    "DEP": "Departed origin hub", "ARR": "Arrived at delivery hub",
    "OFD": "Out for delivery", "DLV": "Delivered", "NDL": "Delivery attempt failed",
    "DMG": "Parcel damaged in transit", "RTS": "Returned to sender",
}
PICKUP_WINDOW = timedelta(hours=2)
_LIMITS = {"sim-economy": ParcelLimits(max_weight_g=20_000)}  # others: ParcelLimits()


MAX_SEQUENCE = 10**8 - 1  # the digits keep their fixed length


def tracking_number(sequence: int, index: int, account: str = "sim") -> str:
    if not 0 <= sequence <= MAX_SEQUENCE or not 1 <= index <= 99:
        raise InvalidInput.for_field("sequence", "the account's booking numbers are used up")
    body = f"{sequence * 100 + index:010d}"
    return f"{account.upper()}{body}{luhn.calc_check_digit(body)}"


def valid_tracking_number(number: str, account: str = "sim") -> bool:
    prefix = account.upper()
    digits = number[len(prefix):]
    return (number.startswith(prefix) and len(digits) == 11 and digits.isdigit()
            and luhn.is_valid(digits))


@dataclass(frozen=True)
class SimulatedCarrier:
    calendar: Calendar = field(default_factory=Calendar)
    delay_days: int = 0
    fail_postal_codes: frozenset[str] = frozenset()
    damage_postal_codes: frozenset[str] = frozenset()
    exception_rate: Decimal = Decimal(0)
    seed: int = 0
    limits: tuple[tuple[str, int], ...] = ()  # parcel_limits overrides

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> SimulatedCarrier:
        def field_error(name: str, message: str) -> InvalidInput:
            return InvalidInput.for_field(f"settings.{name}", message)

        try:
            holidays = frozenset(date.fromisoformat(d) for d in settings.get("holidays") or ())
        except (TypeError, ValueError) as exc:
            raise field_error("holidays", "holidays must be ISO dates (YYYY-MM-DD)") from exc
        calendar = Calendar(str(settings.get("timezone") or "UTC"), holidays)
        calendar.zone()  # unknown zone -> 422
        delay = settings.get("delay_days", 0)
        if not isinstance(delay, int) or isinstance(delay, bool) or not 0 <= delay <= 60:
            raise field_error("delay_days", "delay_days must be an integer from 0 to 60")
        try:
            rate = Decimal(str(settings.get("exception_rate", "0")))
        except InvalidOperation as exc:
            raise field_error("exception_rate", "exception_rate must be a decimal") from exc
        if not rate.is_finite() or not 0 <= rate <= 1:
            raise field_error("exception_rate", "exception_rate must be between 0 and 1")
        seed = settings.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise field_error("seed", "seed must be an integer")
        codes = {}
        for name in ("fail_postal_codes", "damage_postal_codes"):
            value = settings.get(name) or []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise field_error(name, f"{name} must be a list of strings")
            codes[name] = frozenset(_norm(v) for v in value)
        limits = settings.get("parcel_limits") or {}
        known = {f.name for f in fields(ParcelLimits)}
        if not isinstance(limits, dict) or not all(
                k in known and isinstance(v, int) and not isinstance(v, bool) and v > 0
                for k, v in limits.items()):
            raise field_error("parcel_limits", "parcel_limits takes positive integers for "
                              f"{', '.join(sorted(known))}")
        return cls(calendar, delay, codes["fail_postal_codes"], codes["damage_postal_codes"],
                   rate, seed, tuple(sorted(limits.items())))

    # -- the adapter interface -------------------------------------------------------

    def services(self) -> list[CarrierService]:
        return list(SERVICES)

    def quote(self, shipment: ShipmentSpec) -> list[RateQuote]:
        abroad = _country(shipment.origin) != _country(shipment.destination)
        quotes = []
        for service in SERVICES:
            base, per_kg = _PRICES[service.code]
            price = sum((base + per_kg * -(-p.weight_g // 1000) for p in shipment.packages),
                        Decimal(0))
            quotes.append(RateQuote(service.code, Money.of(price * (2 if abroad else 1),
                                                           shipment.currency),
                                    service.transit_days))
        return quotes

    def book(self, shipment: ShipmentSpec, idempotency_key: str | None = None) -> Booking:
        """Deterministic: the same shipment (account, sequence) gives the same booking,
        so asking again with the same key books nothing twice."""
        service = self._service(shipment.service)
        if not shipment.packages:
            raise InvalidInput.for_field("packages", "nothing to ship: no packages")
        if len(shipment.packages) > 99:
            raise InvalidInput.for_field("packages", "at most 99 packages per shipment")
        booked_at = shipment.ready_at
        if booked_at is None:
            raise InvalidInput.for_field("ready_at", "the booking time is required")
        numbers = {p.package_id: tracking_number(shipment.sequence, i, shipment.account)
                   for i, p in enumerate(shipment.packages, start=1)}
        end = self._pickup_at(service, booked_at)
        return Booking(numbers, PickupWindow(end - PICKUP_WINDOW, end),
                       f"SIMLBL-{shipment.sequence:08d}", booked_at)

    def parcel_limits(self, service: str) -> ParcelLimits:
        return replace(_LIMITS.get(self._service(service).code, ParcelLimits()),
                       **dict(self.limits))

    def track(self, parcel: Parcel, now: datetime) -> list[CarrierEvent]:
        return [e for e in self.history(parcel) if e.occurred_at <= now]

    def normalise(self, carrier_status: str) -> TrackingStatus:
        try:
            return STATUS_CODES[carrier_status]
        except KeyError:
            raise UnknownCarrierStatus.for_field(
                "status", f"Unknown carrier status '{carrier_status}' "
                f"(known: {', '.join(STATUS_CODES)})", "unknown_status") from None

    # -- the simulation ----------------------------------------------------------------

    def history(self, parcel: Parcel) -> list[CarrierEvent]:
        """The parcel's whole life, including what has not happened yet."""
        service = self._service(parcel.service)
        cal, zone = self.calendar, self.calendar.zone()
        picked = self._pickup_at(service, parcel.booked_at)
        ship_day = picked.astimezone(zone).date()
        day = add_delivery_days(cal, ship_day, service.transit_days + self.delay_days,
                                service.saturday_delivery)

        def at(d: date, hour: int) -> datetime:
            return datetime.combine(d, time(hour), zone)

        steps = [("LBL", parcel.booked_at), ("PCK", picked),
                 ("DEP", picked + timedelta(hours=3))]
        outcome = self._outcome(parcel)
        if outcome == "DMG":
            steps.append(("DMG", at(day, 5)))
        else:
            steps += [("ARR", at(day, 5)), ("OFD", at(day, 8))]
            if outcome == "NDL":
                steps += [("NDL", at(day, 13)), ("RTS", at(add_pickup_days(cal, day, 2), 10))]
            else:
                steps.append(("DLV", at(day, 13)))
        return [CarrierEvent(f"{parcel.tracking_number}-{code}", parcel.tracking_number, code,
                             when, _DESCRIPTIONS[code]) for code, when in steps]

    def _outcome(self, parcel: Parcel) -> str:
        postal = _norm((parcel.destination or {}).get("postal_code") or "")
        if postal and postal in self.damage_postal_codes:
            return "DMG"
        if postal and postal in self.fail_postal_codes:
            return "NDL"
        if self.exception_rate > 0:
            digest = hashlib.sha256(f"{self.seed}:{parcel.tracking_number}".encode()).digest()
            draw = Decimal(int.from_bytes(digest[:8], "big")) / Decimal(2 ** 64)
            if draw < self.exception_rate:
                return "NDL"
        return "DLV"

    def _pickup_at(self, service: CarrierService, booked_at: datetime) -> datetime:
        day = handover_day(self.calendar, service.cutoff, booked_at, 0)
        return datetime.combine(day, service.cutoff, self.calendar.zone())

    def _service(self, code: str) -> CarrierService:
        for service in SERVICES:
            if service.code == code:
                return service
        raise InvalidInput.for_field("service", f"Unknown service '{code}' of the simulated "
                                     f"carrier (known: {', '.join(s.code for s in SERVICES)})",
                                     "unknown_service")


def _norm(postal: str) -> str:
    return postal.replace(" ", "").upper()


def _country(address: dict | None) -> str | None:
    return (address or {}).get("country")
