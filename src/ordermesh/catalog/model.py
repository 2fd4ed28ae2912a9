"""Products: what can be sold, and what a warehouse must know to handle it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from ordermesh.kit.money import Money
from ordermesh.tax.model import TaxClass  # the tax engine's classes: one list


class Handling(enum.StrEnum):
    FRAGILE = "fragile"
    HAZMAT = "hazmat"
    COLD_CHAIN = "cold_chain"
    OVERSIZE = "oversize"
    HIGH_VALUE = "high_value"
    PERISHABLE = "perishable"


@dataclass(frozen=True)
class Dimensions:
    length_mm: int
    width_mm: int
    height_mm: int


@dataclass(frozen=True)
class Product:
    id: str
    sku: str
    name: str
    price: Money | None = None
    tax_class: TaxClass = TaxClass.STANDARD
    category: str | None = None
    weight_grams: int | None = None
    dimensions: Dimensions | None = None
    handling: frozenset[Handling] = field(default_factory=frozenset)
    created_at: datetime | None = None
    backorderable: bool = False  # may be sold short and shipped when supply arrives
