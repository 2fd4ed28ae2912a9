"""Suppliers and the terms on which they sell each product: the domain, no database."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money


class SupplierKind(enum.StrEnum):
    GOODS = "goods"
    PACKAGING = "packaging"
    THREE_PL = "3pl"
    CARRIER = "carrier"
    SERVICES = "services"


# What a supplier of a kind stands behind (suppliers/links.py): the field of the links
# and the one kind of supplier that may hold it.
LINKED_KIND = {"carrier_accounts": SupplierKind.CARRIER, "locations": SupplierKind.THREE_PL}


class SupplierStatus(enum.StrEnum):
    ACTIVE = "active"  # purchase orders may be drafted and sent
    ON_HOLD = "on_hold"  # drafts only: nothing is sent to an on-hold supplier
    BLOCKED = "blocked"  # no new purchase orders at all


@dataclass(frozen=True)
class Contact:
    name: str
    role: str | None = None
    email: str | None = None
    phone: str | None = None


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
class Certification:
    name: str
    expires_on: date | None = None

    def valid_on(self, day: date) -> bool:
        return self.expires_on is None or self.expires_on >= day


@dataclass(frozen=True)
class Supplier:
    id: str
    code: str
    name: str
    kind: SupplierKind
    status: SupplierStatus
    currency: str
    payment_terms: str | None
    incoterm: str | None
    lead_time_days: int | None
    lead_time_variability_days: int | None
    minimum_order: Money | None
    tags: tuple[str, ...]
    contacts: tuple[Contact, ...]
    addresses: tuple[Address, ...]
    certifications: tuple[Certification, ...]
    terms: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def country(self) -> str | None:
        """The country of the first address: what a search by country looks at."""
        return self.addresses[0].country if self.addresses else None

    @property
    def ordering_contact(self) -> Contact | None:
        """Who receives our purchase orders: the contact of role ``ordering`` with an
        e-mail, else the first contact with an e-mail; None when no contact has one."""
        with_email = [c for c in self.contacts if c.email]
        ordering = [c for c in with_email if (c.role or "").strip().lower() == "ordering"]
        return (ordering or with_email or [None])[0]


@dataclass(frozen=True)
class PriceBreak:
    """The unit cost from ``min_quantity`` units per order, between two dates."""

    cost: Money
    min_quantity: int = 1
    valid_from: date | None = None
    valid_to: date | None = None

    def applies(self, currency: str, quantity: int, day: date) -> bool:
        return (self.cost.currency == currency and quantity >= self.min_quantity
                and (self.valid_from is None or self.valid_from <= day)
                and (self.valid_to is None or day <= self.valid_to))


@dataclass(frozen=True)
class SupplierProduct:
    supplier_id: str
    product_id: str
    sku: str
    supplier_sku: str | None
    pack_size: int
    moq: int
    lead_time_days: int | None
    preferred: bool
    prices: tuple[PriceBreak, ...] = field(default_factory=tuple)
    updated_at: datetime | None = None

    def cost(self, currency: str, quantity: int, day: date) -> Money | None:
        """The unit cost of ``quantity`` units ordered on ``day``: the break with the
        highest minimum quantity that applies; None when no price applies."""
        applying = [p for p in self.prices if p.applies(currency, quantity, day)]
        if not applying:
            return None
        return max(applying, key=lambda p: p.min_quantity).cost

    def order_quantity(self, wanted: int) -> int:
        """The least quantity of at least ``wanted`` units that meets the minimum order
        quantity and is whole packs."""
        need = max(wanted, self.moq, 1)
        return -(-need // self.pack_size) * self.pack_size


def check_prices(prices: list[PriceBreak]) -> None:
    """No negative cost, and validity periods that end after they start."""
    for i, p in enumerate(prices):
        if p.cost.is_negative():
            raise InvalidInput.for_field(f"prices.{i}.cost.amount", "a cost cannot be negative",
                                         "negative_cost")
        if p.valid_from and p.valid_to and p.valid_to < p.valid_from:
            raise InvalidInput.for_field(f"prices.{i}.valid_to",
                                         "valid_to is before valid_from", "invalid_period")
    seen: set[tuple] = set()
    for i, p in enumerate(prices):
        key = (p.cost.currency, p.min_quantity, p.valid_from, p.valid_to)
        if key in seen:
            raise InvalidInput.for_field(f"prices.{i}", "the same currency, minimum quantity "
                                         "and period appear twice", "duplicate_price")
        seen.add(key)


def normal_tags(tags: list[str]) -> tuple[str, ...]:
    """Tags are searched case-insensitively: kept lower case, once each, sorted."""
    return tuple(sorted({t.strip().lower() for t in tags if t.strip()}))
