"""Sourcing's domain: rules, candidates, decisions (pure). The search is in
``sourcing.engine`` (``decide``), its explanation in ``sourcing.explain``.

Pure: the service hands it a snapshot (free units per location as the channel may use
them, taken under the stock row locks, the candidate locations with their settings, the
destination, the channel's rule chain) and gets back assignments, what could not be
sourced, and an explanation that names every candidate.

Two ways of choosing, depending on the chain:

- **per line** (chains without ``fewest_shipments`` and without a ``max_splits`` limit):
  each product's units go to the best-ranked location that has them all, else they are
  split over the ranked locations in order. With the default chain and no distance known
  this is exactly the old ``plan_reservation`` (most available first, ties by id).
- **per order** (``fewest_shipments`` in the chain or ``max_splits`` set): sets of
  locations are compared as a whole: first the units they can cover (most first), then
  the chain in its order (``fewest_shipments`` = number of shipments, ``distance`` =
  unit-weighted mean km, ``shipping_cost`` = total estimate, ``priority`` = unit-weighted
  mean, ``stock`` = most free units), then the ids. ``capacity`` and ``eligibility`` are
  filters, not scores.
  Every set of up to ``max_splits + 1`` locations is tried when at most
  ``EXACT_LIMIT`` locations hold stock (2^10 sets at most); beyond that a greedy set
  cover (the location covering most of what is left first) decides.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

from ordermesh.kit.money import Money

EXACT_LIMIT = 10
UNLIMITED = 10**9


class SourcingRule(enum.StrEnum):
    ELIGIBILITY = "eligibility"  # channel, ship/pickup capability, region (always applied)
    STOCK = "stock"  # free units for the channel (always a filter; as a rule: most first)
    DISTANCE = "distance"  # km from the location to the destination, nearest first
    SHIPPING_COST = "shipping_cost"  # base per shipment + per kg per 100 km, cheapest first
    FEWEST_SHIPMENTS = "fewest_shipments"  # one location with everything, else fewest
    MAX_SPLITS = "max_splits"  # at most max_splits + 1 shipments (the limit is a setting)
    PRIORITY = "priority"  # the location's priority, lower first
    CAPACITY = "capacity"  # locations whose daily capacity is used up are left out (filter)


DEFAULT_RULES: tuple[SourcingRule, ...] = (
    SourcingRule.ELIGIBILITY, SourcingRule.CAPACITY, SourcingRule.DISTANCE,
    SourcingRule.STOCK, SourcingRule.PRIORITY)


class Trigger(enum.StrEnum):
    PLACEMENT = "placement"
    HOLD = "hold"  # placed from a hold: the hold's locations are kept
    REJECTED = "rejected"  # a location rejected units
    SHORT_PICK = "short_pick"
    BACKORDER = "backorder"  # supply arrived for backordered units


@dataclass(frozen=True)
class Assignment:
    """What one location supplies of one line."""

    location_id: str
    line_no: int
    quantity: int


@dataclass(frozen=True)
class ShippingRates:
    shipment_base: Money
    per_kg_100km: Money


@dataclass(frozen=True)
class SourcingSettings:
    rules: tuple[SourcingRule, ...] = DEFAULT_RULES
    max_splits: int | None = None  # extra shipments allowed beyond the first; None = any
    allow_backorders: bool = False
    rates: ShippingRates | None = None

    @property
    def per_order(self) -> bool:
        return SourcingRule.FEWEST_SHIPMENTS in self.rules or self.max_splits is not None


@dataclass(frozen=True)
class Site:
    """A candidate location with what sourcing needs of its settings."""

    id: str
    code: str
    can_ship: bool
    can_pickup: bool
    latitude: float | None = None
    longitude: float | None = None
    priority: int = 100
    regions: tuple[str, ...] | None = None
    daily_capacity: int | None = None
    used_today: int = 0

    @property
    def capacity_left(self) -> int | None:
        if self.daily_capacity is None:
            return None
        return max(self.daily_capacity - self.used_today, 0)


@dataclass(frozen=True)
class Destination:
    country: str | None = None
    region: str | None = None  # "CC-RR" or "RR"
    latitude: float | None = None
    longitude: float | None = None
    basis: str = "unknown"  # "address", "region centroid", "country centroid", "unknown"
    pickup_location_id: str | None = None  # pick-up: only this location may supply

    @property
    def region_code(self) -> str | None:
        if not self.region or not self.country:
            return None
        region = self.region.strip().upper()
        return region if "-" in region else f"{self.country.upper()}-{region}"

    def label(self) -> str:
        return self.region_code or (self.country or "").upper() or "unknown destination"


@dataclass(frozen=True)
class Demand:
    line_no: int
    product_id: str
    sku: str
    quantity: int
    weight_g: int | None = None
    exclude: frozenset[str] = frozenset()  # locations that may not supply this line


@dataclass(frozen=True)
class SourcingProblem:
    demands: tuple[Demand, ...]
    free: dict[str, dict[str, int]]  # product -> location -> free units for the channel
    caps: dict[str, int]  # product -> most units the channel may take in all
    sites: tuple[Site, ...]
    destination: Destination
    settings: SourcingSettings = field(default_factory=SourcingSettings)


@dataclass(frozen=True)
class CandidateReport:
    location_id: str
    code: str
    eligible: bool
    reasons: tuple[str, ...]  # why not eligible
    scores: dict[str, object]  # per rule of the chain: the value it compared
    chosen: bool
    units: int  # units assigned to it


@dataclass(frozen=True)
class SourcingResult:
    assignments: tuple[Assignment, ...]
    unsourced: dict[int, int]  # line_no -> units
    candidates: tuple[CandidateReport, ...]
    explanation: str
    method: str  # "per_line", "per_order_exact", "per_order_greedy"

    @property
    def chosen(self) -> list[str]:
        return sorted({a.location_id for a in self.assignments})


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on a sphere of the Earth's mean radius (6371.0088 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))
