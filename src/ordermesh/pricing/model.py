"""Price lists: validity windows and which list's price wins.

A price list belongs to one channel and one currency and is valid in a half-open window
``[valid_from, valid_to)``; either end may be open (``None``: since always / for ever).

Several lists of a channel and currency may be valid at the same instant (a base list
and a weekend promotion, say). The price of a product is then decided per product, among
the valid lists that have a price for it:

1. the highest ``priority`` wins;
2. on equal priority, the list that started latest (``valid_from``; an open start counts
   as the earliest of all) — the newer, more specific list;
3. on a tie still, the smallest ``code`` (plain string order), so the answer never
   depends on the order rows come back in.

A product none of the valid lists prices has no price. So a promotion list that prices
only a few SKUs overrides the base list for those and leaves the rest to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money

MAX_PRIORITY = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Validity:
    """``[valid_from, valid_to)``; ``None`` leaves that end open."""

    valid_from: datetime | None = None
    valid_to: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("valid_from", "valid_to"):
            value = getattr(self, name)
            if value is None:
                continue
            if value.tzinfo is None:
                raise InvalidInput.for_field(name, f"{name} needs a time zone (e.g. 'Z')",
                                             "naive_datetime")
            try:  # kept in UTC, so that SQLite compares the stored text correctly
                object.__setattr__(self, name, value.astimezone(UTC))
            except OverflowError as exc:
                raise InvalidInput.for_field(name, f"{name} is out of range") from exc
        if (self.valid_from is not None and self.valid_to is not None
                and self.valid_to <= self.valid_from):
            raise InvalidInput.for_field(
                "valid_to", f"valid_to ({self.valid_to.isoformat()}) must be after valid_from "
                f"({self.valid_from.isoformat()})", "invalid_validity")

    def contains(self, at: datetime) -> bool:
        return ((self.valid_from is None or self.valid_from <= at)
                and (self.valid_to is None or at < self.valid_to))


def check_priority(priority: int) -> int:
    if isinstance(priority, bool) or not isinstance(priority, int) or not (
            0 <= priority <= MAX_PRIORITY):
        raise InvalidInput.for_field("priority", f"priority must be an integer from 0 to "
                                     f"{MAX_PRIORITY}, got {priority!r}")
    return priority


@dataclass(frozen=True, slots=True)
class PriceList:
    id: str
    code: str
    name: str
    channel_id: str
    channel_code: str
    currency: str
    validity: Validity
    priority: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Price:
    sku: str
    product_id: str
    amount: Money
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Candidate:
    """One valid list's price for one product: what the selection looks at."""

    price_list_code: str
    priority: int
    valid_from: datetime | None
    amount: Money


def _preference(c: Candidate) -> tuple[int, timedelta, str]:
    """Smaller is better: higher priority, then later start (open = earliest), then code."""
    started = timedelta.max if c.valid_from is None else -(c.valid_from - _EPOCH)
    return (-c.priority, started, c.price_list_code)


def winner(candidates: Iterable[Candidate]) -> Candidate | None:
    """The candidate whose price applies, or None when there is none."""
    return min(candidates, key=_preference, default=None)


def winners(rows: Iterable[tuple[str, Candidate]]) -> dict[str, Candidate]:
    """``(product_id, candidate)`` pairs to the winning candidate of each product."""
    best: dict[str, Candidate] = {}
    for product_id, candidate in rows:
        current = best.get(product_id)
        if current is None or _preference(candidate) < _preference(current):
            best[product_id] = candidate
    return best
