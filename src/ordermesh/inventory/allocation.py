"""How much of a product one channel may sell, and where: safety stock, location
eligibility, quotas and exclusions. Pure rules over a snapshot of stock rows.

The model, in the words a merchant uses:

- **Safety stock** at a location is never sold on any channel.
- **Free** stock at a location is on hand minus reserved minus safety stock.
- A **quota** rings fence a number of units of a product for one channel: a fixed
  number, or a share of the sellable stock (on hand minus safety, over every location).
  The channel's own open reservations (orders and holds) count against it. A channel
  with a quota sells at most its quota; the unused part is set aside at the locations
  that may serve that channel (a quota nobody can reach sets nothing aside), and
  channels without a quota share what is left.
- An **exclusion** means the channel never sells the product.
- A channel sells only from the locations it may be served from.

When quotas add up to more than the free stock, channels with a quota are served first
come, first served, and channels without one get nothing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import NamedTuple

BASIS_POINTS = 10_000


class RuleKind(enum.StrEnum):
    QUOTA = "quota"
    EXCLUDE = "exclude"


class RuleScope(enum.StrEnum):
    SKU = "sku"
    CATEGORY = "category"


class StockRow(NamedTuple):
    """One stock row as a reservation sees it. A tuple: ATP builds thousands per
    request, and a frozen dataclass costs several times more to create."""

    location_id: str
    on_hand: int
    reserved: int
    safety: int = 0

    @property
    def free(self) -> int:
        return max(0, self.on_hand - self.reserved - self.safety)

    @property
    def sellable(self) -> int:
        return max(0, self.on_hand - self.safety)


@dataclass(frozen=True)
class ChannelRule:
    """The rule that applies to one channel for one product."""

    kind: RuleKind
    units: int | None = None
    share_bp: int | None = None

    def quota(self, sellable: int) -> int:
        if self.units is not None:
            return self.units
        return sellable * (self.share_bp or 0) // BASIS_POINTS


@dataclass(frozen=True)
class QuotaUse:
    allocated: int  # units the quota gives the channel now
    reserved: int  # units the channel holds reserved
    remaining: int  # what it may still sell


@dataclass(frozen=True)
class ChannelAvailability:
    """What one channel may sell of one product now, and why."""

    available: int
    by_location: dict[str, int]  # free units at each location the channel may use
    on_hand: int  # at those locations
    reserved: int
    safety: int
    fenced_for_others: int  # free units the channel may not take: others' quotas
    quota: QuotaUse | None = None
    excluded: bool = False
    free_elsewhere: int = 0  # free units at locations this channel may not use
    notes: list[str] = field(default_factory=list)


def channel_availability(
    rows: list[StockRow],
    channel_id: str,
    rules: dict[str, ChannelRule],
    channel_reserved: dict[str, int],
    eligible: frozenset[str] | None = None,
    reach: dict[str, frozenset[str] | None] | None = None,
) -> ChannelAvailability:
    """What ``channel_id`` may sell, given every stock row of the product, the rule of
    each channel that has one (``rules``), the units each of those channels holds
    reserved, the locations that may serve this channel (``None``: all) and those that
    may serve each channel with a quota (``reach``; missing: all)."""
    # One pass over the rows: ATP runs this for every SKU of a batch.
    by_location: dict[str, int] = {}
    total_free = sellable = on_hand = reserved = safety = 0
    for location_id, row_on_hand, row_reserved, row_safety in rows:
        unreserved = max(0, row_on_hand - row_reserved)
        free = max(0, unreserved - row_safety)
        total_free += free
        sellable += max(0, row_on_hand - row_safety)
        if eligible is None or location_id in eligible:
            on_hand += row_on_hand
            reserved += row_reserved
            safety += min(row_safety, unreserved)
            if free > 0:
                by_location[location_id] = free
    reachable = sum(by_location.values())
    remaining = {
        other: max(0, rule.quota(sellable) - channel_reserved.get(other, 0))
        for other, rule in rules.items() if rule.kind is RuleKind.QUOTA
    }
    common = {"by_location": by_location, "on_hand": on_hand, "reserved": reserved,
              "safety": safety, "free_elsewhere": total_free - reachable}
    own = rules.get(channel_id)
    if own is not None and own.kind is RuleKind.EXCLUDE:
        return ChannelAvailability(0, **{**common, "by_location": {}}, fenced_for_others=0,
                                   excluded=True)
    if own is not None:
        use = QuotaUse(own.quota(sellable), channel_reserved.get(channel_id, 0),
                       remaining[channel_id])
        return ChannelAvailability(min(use.remaining, reachable), **common,
                                   fenced_for_others=0, quota=use)
    left = _after_fences(by_location, rows, remaining, eligible, reach or {})
    fenced = reachable - sum(left.values())
    return ChannelAvailability(sum(left.values()), **{**common, "by_location": left},
                               fenced_for_others=fenced)


def _after_fences(
    by_location: dict[str, int], rows: list[StockRow], remaining: dict[str, int],
    eligible: frozenset[str] | None, reach: dict[str, frozenset[str] | None],
) -> dict[str, int]:
    """Free units per usable location once every quota's unused part is set aside.

    A quota's units are set aside at the locations that may serve its channel (a quota
    nobody can reach fences nothing), taken first where this channel may not sell, so
    that as little as possible is taken from it. Quotas are set aside one channel after
    the other: with overlapping sources this is a good split, not always the best one.
    """
    free = {r.location_id: max(0, r.on_hand - r.reserved - r.safety) for r in rows}
    for other in sorted(remaining):
        need = remaining[other]
        allowed = reach.get(other)
        places = sorted((loc for loc, units in free.items()
                         if units > 0 and (allowed is None or loc in allowed)),
                        key=lambda loc: (eligible is None or loc in eligible, -free[loc], loc))
        for loc in places:
            if need == 0:
                break
            take = min(need, free[loc])
            free[loc] -= take
            need -= take
    return {loc: free[loc] for loc in by_location if free[loc] > 0}


def effective_rule(
    product_rule: ChannelRule | None, category_rule: ChannelRule | None
) -> ChannelRule | None:
    """A rule for the product itself wins over one for its category."""
    return product_rule if product_rule is not None else category_rule
