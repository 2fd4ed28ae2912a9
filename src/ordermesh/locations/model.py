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
