"""Places that hold stock: warehouses, stores, 3PLs, suppliers shipping direct."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class LocationKind(enum.StrEnum):
    WAREHOUSE = "warehouse"
    STORE = "store"
    THREE_PL = "3pl"
    SUPPLIER = "supplier"


class Capability(enum.StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    country: str
    name: str | None = None
    line2: str | None = None
    region: str | None = None
    postal_code: str | None = None


@dataclass(frozen=True)
class FulfilmentSettings:
    """How a location takes part in fulfilment (sourcing, capacity, pick-ups, carriers).

    ``regions`` are "CC" or "CC-RR" codes (ISO 3166-1 alpha-2, optionally with the
    ISO 3166-2 subdivision); ``None`` means the location serves every destination.
    ``daily_capacity`` counts fulfilment orders released per UTC day; ``None`` = unlimited.
    """

    priority: int = 100
    daily_capacity: int | None = None
    regions: tuple[str, ...] | None = None
    pickup_hold_days: int = 3
    carrier: str | None = None
    carrier_service: str | None = None
    processing_days: int = 0

    def serves(self, country: str | None, region: str | None) -> bool:
        """Whether a destination in ``country`` (and ``region``, a subdivision code with or
        without the country prefix) is one this location serves."""
        if self.regions is None:
            return True
        if not country:
            return False
        country = country.upper()
        sub = region_code(country, region)
        return any(r == country or (sub is not None and r == sub) for r in self.regions)


def region_code(country: str, region: str | None) -> str | None:
    """``"US", "ca"`` and ``"US", "US-CA"`` -> ``"US-CA"``; no region -> None."""
    if not region:
        return None
    region = region.strip().upper()
    if "-" in region:
        return region
    return f"{country.upper()}-{region}"


@dataclass(frozen=True)
class Location:
    id: str
    code: str
    name: str
    kind: LocationKind
    address: Address | None
    latitude: float | None
    longitude: float | None
    capabilities: frozenset[Capability] = field(default_factory=frozenset)
    created_at: datetime | None = None
    fulfilment: FulfilmentSettings = field(default_factory=FulfilmentSettings)
