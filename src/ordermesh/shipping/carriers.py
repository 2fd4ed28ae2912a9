"""The carrier adapter interface and the registry of adapters by name.

A carrier account (``POST /api/v1/carriers``) names an ``adapter`` and holds its
``settings``; the registry builds the adapter from those settings. A real carrier is one
more class implementing ``CarrierAdapter`` and one ``register("name", factory)`` call:
nothing in the core changes (see docs/shipping.md, "Writing a real adapter").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from ordermesh.kit.errors import InvalidInput
from ordermesh.shipping.model import (
    PARCEL_LIMITS,
    Booking,
    Calendar,
    CarrierEvent,
    CarrierService,
    Parcel,
    ParcelLimits,
    RateQuote,
    ServiceLevel,
    ShipmentSpec,
    TrackingStatus,
)


class CarrierAdapter(Protocol):
    """What ordermesh needs from a carrier. Adapters hold no state between calls."""

    calendar: Calendar  # the carrier's time zone (cut-offs) and holidays

    def services(self) -> list[CarrierService]:
        """Services offered: code, level, transit business days, cut-off, Saturday."""
        ...

    def quote(self, shipment: ShipmentSpec) -> list[RateQuote]:
        """A price per service for these packages to that destination."""
        ...

    def book(self, shipment: ShipmentSpec, idempotency_key: str | None = None) -> Booking:
        """Books the shipment and its pick-up: a tracking number per package. Called
        outside any database transaction. ``idempotency_key`` is the same on every attempt
        of one booking: a carrier that is asked again with it answers its first booking
        and books nothing twice. Raises ``CarrierUnavailable`` when there is no answer
        (the outcome is unknown: it is asked again later with the same key) and
        ``InvalidInput`` when the carrier refuses the booking itself (nothing booked)."""
        ...

    def track(self, parcel: Parcel, now: datetime) -> list[CarrierEvent]:
        """Every event known for the parcel up to ``now``, oldest first. A real carrier
        asks its API about ``parcel.tracking_number``; the rest is there for simulators."""
        ...

    def normalise(self, carrier_status: str) -> TrackingStatus:
        """The carrier's own status code in our terms; raises UnknownCarrierStatus."""
        ...

    def parcel_limits(self, service: str) -> ParcelLimits:
        """Largest and heaviest package the service takes as a parcel (optional: an
        adapter without it gets the usual parcel-carrier limits, ``PARCEL_LIMITS``)."""
        ...


AdapterFactory = Callable[[Mapping[str, Any]], CarrierAdapter]

_REGISTRY: dict[str, AdapterFactory] = {}
_PUBLIC: dict[str, frozenset[str]] = {}


def register(name: str, factory: AdapterFactory,
             public_settings: frozenset[str] = frozenset()) -> None:
    """Make an adapter available under ``name`` (replacing one of the same name).
    ``public_settings`` names the settings that are not secret: they are stored in clear
    and shown; every other setting (an ``api_key``, a ``password``, ...) is encrypted at
    rest and shown as ``"***"``."""
    _REGISTRY[name] = factory
    _PUBLIC[name] = public_settings


def public_settings(name: str) -> frozenset[str]:
    return _PUBLIC.get(name, frozenset())


def adapter_names() -> list[str]:
    return sorted(_REGISTRY)


def build_adapter(name: str, settings: Mapping[str, Any] | None,
                  field_name: str = "adapter") -> CarrierAdapter:
    factory = _REGISTRY.get(name)
    if factory is None:
        raise InvalidInput.for_field(
            field_name, f"Unknown carrier adapter '{name}' (known: {', '.join(adapter_names())})",
            "unknown_adapter")
    return factory(settings or {})


def service_by_code(adapter: CarrierAdapter, code: str,
                    field_name: str = "service") -> CarrierService:
    for service in adapter.services():
        if service.code == code:
            return service
    known = ", ".join(s.code for s in adapter.services())
    raise InvalidInput.for_field(field_name, f"Unknown carrier service '{code}' (known: {known})",
                                 "unknown_service")


def service_for_level(adapter: CarrierAdapter, level: str,
                      field_name: str = "service_level") -> CarrierService:
    try:
        wanted = ServiceLevel(level)
    except ValueError as exc:
        raise InvalidInput.for_field(field_name, f"Unknown service level '{level}'") from exc
    services = adapter.services()
    for service in services:
        if service.level == wanted:
            return service
    for service in services:  # no such level: the standard one rather than nothing
        if service.level == ServiceLevel.STANDARD:
            return service
    return services[0]


def limits_of(adapter: CarrierAdapter, service: str | None) -> ParcelLimits:
    """The service's parcel limits; the usual ones when the adapter does not say or the
    service is unknown."""
    limits = getattr(adapter, "parcel_limits", None)
    if limits is None or not service:
        return PARCEL_LIMITS
    try:
        return limits(service)
    except InvalidInput:
        return PARCEL_LIMITS


def _register_builtins() -> None:
    from ordermesh.shipping.http_carrier import PUBLIC_SETTINGS, HttpCarrier
    from ordermesh.shipping.simulated import SimulatedCarrier

    register("simulated", SimulatedCarrier.from_settings, frozenset({
        "holidays", "timezone", "delay_days", "exception_rate", "seed", "fail_postal_codes",
        "damage_postal_codes", "parcel_limits"}))
    register("http", HttpCarrier.from_settings, PUBLIC_SETTINGS)


_register_builtins()
