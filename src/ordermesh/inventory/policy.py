"""Reading what limits a sale: safety stock, channel sources, quotas and exclusions.

Used inside reservations (under the product's stock row locks) and by availability.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import and_, bindparam, literal, null, or_, select, union_all

from ordermesh.catalog.tables import products
from ordermesh.inventory.allocation import ChannelRule, RuleKind, RuleScope, effective_rule
from ordermesh.inventory.tables import (
    allocation_rules,
    channel_reserved,
    channel_sources,
    safety_stock_defaults,
    stock_policies,
)
from ordermesh.kit.db import UnitOfWork
from ordermesh.locations.tables import locations


class SourceKind:
    LOCATION = "location"
    LOCATION_KIND = "location_kind"
    COUNTRY = "country"
    REGION = "region"  # value "<country>:<region>", the region lower-cased


def region_key(country: str, region: str) -> str:
    return f"{country.upper()}:{region.strip().lower()}"


@dataclass(frozen=True)
class ProductPolicy:
    category: str | None
    low_stock_threshold: int | None
    lead_time_days: int | None
    rules: dict[str, ChannelRule]  # the effective rule of every channel that has one
    channel_reserved: dict[str, int]  # units held by each channel with a quota


@dataclass(frozen=True)
class Policies:
    products: dict[str, ProductPolicy]
    safety_defaults: dict[tuple[str, str], int]  # (location, category or '') -> units
    eligible: frozenset[str] | None  # locations that may serve the channel; None: all
    reach: dict[str, frozenset[str] | None] = field(default_factory=dict)  # quota channels'

    def safety(self, product_id: str, location_id: str, own: int | None) -> int:
        if own is not None:
            return own
        category = self.products[product_id].category or ""
        found = self.safety_defaults.get((location_id, category))
        if found is None:
            found = self.safety_defaults.get((location_id, ""), 0)
        return found


_PRODUCTS = (
    select(products.c.id, products.c.category, stock_policies.c.low_stock_threshold,
           stock_policies.c.lead_time_days)
    .select_from(products.outerjoin(stock_policies, stock_policies.c.product_id == products.c.id))
    .where(products.c.id.in_(bindparam("ids", expanding=True))))
_SOURCES = select(channel_sources.c.channel_id, channel_sources.c.kind,
                  channel_sources.c.value).where(
    channel_sources.c.channel_id.in_(bindparam("channels", expanding=True)))
# Rules, safety defaults and channel sources in one round trip: every reservation reads
# them, and they are small. Columns: tag, then three texts, then three texts/numbers.
_r, _d, _s = allocation_rules.c, safety_stock_defaults.c, channel_sources.c
_SETTINGS = union_all(
    select(literal("rule").label("tag"), _r.channel_id.label("a"), _r.scope.label("b"),
           _r.scope_value.label("c"), _r.kind.label("d"), _r.units.label("n1"),
           _r.share_bp.label("n2")).where(or_(
        and_(_r.scope == RuleScope.SKU.value,
             _r.scope_value.in_(bindparam("ids", expanding=True))),
        and_(_r.scope == RuleScope.CATEGORY.value,
             _r.scope_value.in_(bindparam("cats", expanding=True))))),
    select(literal("safety"), _d.location_id, _d.category, null(), null(), _d.quantity,
           null()).where(_d.category.in_(bindparam("safety_cats", expanding=True))),
    select(literal("source"), _s.channel_id, _s.kind, _s.value, null(), null(), null()),
)
_CHANNEL_RESERVED = select(channel_reserved).where(
    channel_reserved.c.product_id.in_(bindparam("ids", expanding=True)),
    channel_reserved.c.channel_id.in_(bindparam("channels", expanding=True)))


def eligible_locations(uow: UnitOfWork, channel_id: str) -> frozenset[str] | None:
    """The locations that may serve the channel; ``None``: every location."""
    return locations_serving(uow, [channel_id])[channel_id]


_LOCATIONS = select(locations.c.id, locations.c.kind, locations.c.address)


def locations_serving(uow: UnitOfWork, channel_ids: Iterable[str],
                      sources: list[tuple[str, str, str]] | None = None,
                      location_rows: list | None = None,
                      ) -> dict[str, frozenset[str] | None]:
    """``eligible_locations`` of several channels, in at most two queries (none when the
    caller has read the ``(channel, kind, value)`` source rows and the locations)."""
    ids = sorted(set(channel_ids))
    if sources is None:
        sources = list(uow.execute(_SOURCES, {"channels": ids})) if ids else []
    wanted: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for channel, kind, value in sources:
        if channel in ids:
            wanted[channel][kind].add(value)
    result: dict[str, frozenset[str] | None] = dict.fromkeys(ids)
    if wanted:
        rows = location_rows if location_rows is not None else read_locations(uow)
        for channel, kinds in wanted.items():
            result[channel] = frozenset(
                r.id for r in rows
                if r.id in kinds[SourceKind.LOCATION]
                or r.kind in kinds[SourceKind.LOCATION_KIND]
                or (r.address or {}).get("country") in kinds[SourceKind.COUNTRY]
                or _region_of(r.address) in kinds[SourceKind.REGION])
    return result


def _region_of(address: dict | None) -> str | None:
    if not address or not address.get("region") or not address.get("country"):
        return None
    return region_key(address["country"], address["region"])


def read_locations(uow: UnitOfWork) -> list:
    """Every location's id, kind and address (what ``locations_serving`` matches)."""
    return list(uow.execute(_LOCATIONS))


def read_settings(uow: UnitOfWork, product_ids: Iterable[str], categories: Iterable[str]
                  ) -> list[tuple]:
    """The allocation rules of these products and categories, the safety stock defaults
    of these categories and every channel's sources, in one query (``load_policies``;
    read once per batch of orders by ``inventory.stock_snapshot``)."""
    cats = sorted(set(categories))
    return [tuple(r) for r in uow.execute(_SETTINGS, {
        "ids": sorted(set(product_ids)), "cats": cats, "safety_cats": [*cats, ""]})]


class _Meta(NamedTuple):
    category: str | None
    low_stock_threshold: int | None = None
    lead_time_days: int | None = None


def load_policies(
    uow: UnitOfWork, channel_id: str | None, product_ids: Iterable[str],
    categories_known: dict[str, str | None] | None = None,
    settings: list[tuple] | None = None, location_rows: list | None = None,
) -> Policies:
    """Everything that limits selling these products on ``channel_id`` (``None``: no
    particular channel, every location eligible). A caller that already read the
    products' categories passes them (``categories_known``) and saves a query; the
    stock policies (threshold, lead time) are then not read. One that read the
    settings (``read_settings``, for these products and categories or more) and the
    locations (``read_locations``) passes them too."""
    ids = sorted(set(product_ids))
    if categories_known is None:
        meta = {r.id: _Meta(r.category, r.low_stock_threshold, r.lead_time_days)
                for r in uow.execute(_PRODUCTS, {"ids": ids})}
    else:
        meta = {pid: _Meta(categories_known.get(pid)) for pid in ids}
    categories = sorted({r.category for r in meta.values() if r.category})
    by_sku: dict[str, dict[str, ChannelRule]] = defaultdict(dict)
    by_category: dict[str, dict[str, ChannelRule]] = defaultdict(dict)
    safety: dict[tuple[str, str], int] = {}
    sources: list[tuple[str, str, str]] = []
    if settings is None:
        settings = read_settings(uow, ids, categories)
    for tag, a, b, c, d, n1, n2 in settings:
        if tag == "rule":
            target = by_sku if b == RuleScope.SKU.value else by_category
            target[c][a] = ChannelRule(RuleKind(d), n1, n2)
        elif tag == "safety":
            safety[(a, b)] = n1
        else:
            sources.append((a, b, c))
    effective: dict[str, dict[str, ChannelRule]] = {}
    quota_channels: set[str] = set()
    for pid in ids:
        category = meta[pid].category if pid in meta else None
        own, shared = by_sku.get(pid, {}), by_category.get(category or "", {})
        rules = {c: rule for c in own.keys() | shared.keys()
                 if (rule := effective_rule(own.get(c), shared.get(c))) is not None}
        effective[pid] = rules
        quota_channels |= {c for c, r in rules.items() if r.kind is RuleKind.QUOTA}
    held: dict[str, dict[str, int]] = defaultdict(dict)
    if quota_channels:
        for row in uow.execute(_CHANNEL_RESERVED, {"ids": ids,
                                                   "channels": sorted(quota_channels)}):
            held[row.product_id][row.channel_id] = row.reserved
    policies = {
        pid: ProductPolicy(
            meta[pid].category, meta[pid].low_stock_threshold, meta[pid].lead_time_days,
            effective[pid], held.get(pid, {}))
        for pid in ids if pid in meta
    }
    serving = locations_serving(uow, [*quota_channels, *([channel_id] if channel_id else [])],
                                sources, location_rows)
    eligible = serving[channel_id] if channel_id else None
    return Policies(policies, safety, eligible,
                    {c: serving[c] for c in quota_channels})
