"""Configuring channel allocation: where a channel may be served from, safety stock,
quotas and exclusions, and each product's stock policy (low-stock threshold, lead
time). Reservations and availability read these through ``policy``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import delete, func, select

from ordermesh.catalog.service import find_product, resolve_skus
from ordermesh.catalog.tables import products
from ordermesh.channels.service import channel_by_code, find_channel
from ordermesh.channels.tables import channels
from ordermesh.inventory.allocation import BASIS_POINTS, RuleKind, RuleScope
from ordermesh.inventory.policy import SourceKind, region_key
from ordermesh.inventory.tables import (
    allocation_rules,
    channel_sources,
    safety_stock_defaults,
    stock,
    stock_policies,
)
from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_ignore_returning, upsert
from ordermesh.locations.service import location_by_code
from ordermesh.locations.tables import locations


@dataclass(frozen=True)
class ChannelSources:
    channel: str
    locations: list[str]  # codes
    location_kinds: list[str]
    countries: list[str]
    regions: list[tuple[str, str]] = ()  # (country, region as in location addresses)


def set_channel_sources(uow: UnitOfWork, cmd: ChannelSources) -> ChannelSources:
    """Replace the locations that may serve a channel (``cmd.channel``: id or code; all
    empty: every location)."""
    channel = find_channel(uow, cmd.channel)
    ids = [location_by_code(uow, code, f"locations.{i}").id
           for i, code in enumerate(cmd.locations)]
    uow.execute(delete(channel_sources).where(channel_sources.c.channel_id == channel.id))
    rows = ([(SourceKind.LOCATION, v) for v in ids]
            + [(SourceKind.LOCATION_KIND, v) for v in cmd.location_kinds]
            + [(SourceKind.COUNTRY, v) for v in cmd.countries]
            + [(SourceKind.REGION, region_key(c, r)) for c, r in cmd.regions])
    if rows:
        uow.execute(channel_sources.insert(), [
            {"channel_id": channel.id, "kind": kind, "value": value}
            for kind, value in sorted(set(rows))])
    record_event(uow, "channel.sources_set", "channel", channel.id, {
        "channel": channel.code, "locations": sorted(set(cmd.locations)),
        "location_kinds": sorted(set(cmd.location_kinds)),
        "countries": sorted(set(cmd.countries)),
        "regions": sorted({region_key(c, r) for c, r in cmd.regions})})
    result = get_channel_sources(uow, channel.code)
    uow.commit()
    return result


def get_channel_sources(uow: UnitOfWork, channel_ref: str) -> ChannelSources:
    channel = find_channel(uow, channel_ref)
    rows = list(uow.execute(select(channel_sources.c.kind, channel_sources.c.value)
                            .where(channel_sources.c.channel_id == channel.id)))
    location_ids = [v for k, v in rows if k == SourceKind.LOCATION]
    codes = {r.id: r.code for r in uow.execute(select(locations.c.id, locations.c.code)
                                               .where(locations.c.id.in_(location_ids)))}
    return ChannelSources(
        channel.code, sorted(codes[i] for i in location_ids if i in codes),
        sorted(v for k, v in rows if k == SourceKind.LOCATION_KIND),
        sorted(v for k, v in rows if k == SourceKind.COUNTRY),
        sorted(tuple(v.split(":", 1)) for k, v in rows if k == SourceKind.REGION))


@dataclass(frozen=True)
class AllocationRule:
    id: str
    channel: str
    scope: RuleScope
    scope_value: str  # the SKU or the category
    kind: RuleKind
    units: int | None
    share_bp: int | None
    created_at: datetime


@dataclass(frozen=True)
class CreateRule:
    channel: str
    kind: RuleKind
    sku: str | None = None
    category: str | None = None
    units: int | None = None
    share_bp: int | None = None


def _check_rule(cmd: CreateRule) -> None:
    if (cmd.sku is None) == (cmd.category is None):
        raise InvalidInput.for_field("sku", "give either sku or category, not both or neither")
    if cmd.kind is RuleKind.EXCLUDE and (cmd.units is not None or cmd.share_bp is not None):
        raise InvalidInput.for_field("units", "an exclusion has no units or share")
    if cmd.kind is RuleKind.QUOTA and (cmd.units is None) == (cmd.share_bp is None):
        raise InvalidInput.for_field("units", "a quota has either units or share_percent")
    if cmd.share_bp is not None and not 0 <= cmd.share_bp <= BASIS_POINTS:
        raise InvalidInput.for_field("share_percent", "a share is between 0 and 100 percent",
                                     "out_of_range")


def create_rule(
    uow: UnitOfWork, cmd: CreateRule, idem: idempotency.IdempotencyKey | None = None
) -> AllocationRule:
    if prior := idempotency.claim(uow, idem):
        return get_rule(uow, prior.resource_id)
    _check_rule(cmd)
    channel = channel_by_code(uow, cmd.channel)
    if cmd.sku is not None:
        scope, value = RuleScope.SKU, resolve_skus(uow, [cmd.sku], ["sku"])[cmd.sku].id
    else:
        scope, value = RuleScope.CATEGORY, cmd.category
        if uow.execute(select(func.count()).select_from(products)
                       .where(products.c.category == value)).scalar_one() == 0:
            raise InvalidInput.for_field("category", f"No product is in category '{value}'",
                                         "unknown_category")
    if cmd.share_bp is not None:
        others = uow.execute(select(func.coalesce(func.sum(allocation_rules.c.share_bp), 0))
                             .where(allocation_rules.c.scope == scope.value,
                                    allocation_rules.c.scope_value == value)).scalar_one()
        if others + cmd.share_bp > BASIS_POINTS:
            raise InvalidInput.for_field(
                "share_percent", f"shares for this {scope.value} would add up to "
                f"{(others + cmd.share_bp) / 100:g}%, more than 100%", "out_of_range")
    now = uow.clock.now()
    rule_id = new_id("alr")
    key = ("channel_id", "scope", "scope_value")
    inserted = insert_ignore_returning(uow, allocation_rules, key, "id", {
        "id": rule_id, "channel_id": channel.id, "scope": scope.value, "scope_value": value,
        "kind": cmd.kind.value, "units": cmd.units, "share_bp": cmd.share_bp,
        "created_at": now, "updated_at": now})
    if inserted is None:
        raise Conflict(f"Channel '{channel.code}' already has a rule for this {scope.value}; "
                       "delete it first")
    rule = get_rule(uow, rule_id)
    record_event(uow, "allocation_rule.created", "allocation_rule", rule_id, _rule_payload(rule))
    idempotency.complete(uow, idem, "allocation_rule", rule_id, 201)
    uow.commit()
    return rule


def _rule_payload(rule: AllocationRule) -> dict:
    return {"channel": rule.channel, "scope": rule.scope.value, "target": rule.scope_value,
            "kind": rule.kind.value, "units": rule.units, "share_bp": rule.share_bp}


def _to_rule(row) -> AllocationRule:
    value = row.sku if row.scope == RuleScope.SKU.value else row.scope_value
    return AllocationRule(row.id, row.channel_code, RuleScope(row.scope), value,
                          RuleKind(row.kind), row.units, row.share_bp, as_utc(row.created_at))


def _rules_query():
    return (select(allocation_rules, channels.c.code.label("channel_code"),
                   products.c.sku.label("sku"))
            .select_from(allocation_rules
                         .join(channels, channels.c.id == allocation_rules.c.channel_id)
                         .outerjoin(products, (allocation_rules.c.scope == RuleScope.SKU.value)
                                    & (products.c.id == allocation_rules.c.scope_value))))


def get_rule(uow: UnitOfWork, rule_id: str) -> AllocationRule:
    row = uow.execute(_rules_query().where(allocation_rules.c.id == rule_id)).first()
    if row is None:
        raise NotFound(f"Allocation rule '{rule_id}' does not exist")
    return _to_rule(row)


def list_rules(uow: UnitOfWork, channel: str | None = None) -> list[AllocationRule]:
    query = _rules_query().order_by(allocation_rules.c.created_at, allocation_rules.c.id)
    if channel is not None:
        query = query.where(allocation_rules.c.channel_id == channel_by_code(uow, channel).id)
    return [_to_rule(r) for r in uow.execute(query)]


def delete_rule(uow: UnitOfWork, rule_id: str) -> None:
    rule = get_rule(uow, rule_id)
    uow.execute(delete(allocation_rules).where(allocation_rules.c.id == rule_id))
    record_event(uow, "allocation_rule.deleted", "allocation_rule", rule_id, _rule_payload(rule))
    uow.commit()


def set_safety_stock(uow: UnitOfWork, sku: str, location: str, quantity: int | None) -> None:
    """Safety stock of one SKU at one location; ``None`` falls back to the defaults."""
    product = resolve_skus(uow, [sku], ["sku"])[sku]
    loc = location_by_code(uow, location)
    uow.execute(upsert(uow, stock, ["product_id", "location_id"], {
        "product_id": product.id, "location_id": loc.id, "on_hand": 0, "reserved": 0,
        "safety_stock": quantity, "updated_at": uow.clock.now()}, ["safety_stock"]))
    record_event(uow, "inventory.safety_stock_set", "product", product.id,
                 {"sku": sku, "location": location, "safety_stock": quantity})
    uow.commit()


def set_safety_default(uow: UnitOfWork, location: str, category: str | None,
                       quantity: int | None) -> None:
    """Default safety stock at a location, for one category or (``None``) every one;
    ``quantity`` None removes the default."""
    loc = location_by_code(uow, location)
    key = (safety_stock_defaults.c.location_id == loc.id) & (
        safety_stock_defaults.c.category == (category or ""))
    uow.execute(delete(safety_stock_defaults).where(key))
    if quantity is not None:
        uow.execute(safety_stock_defaults.insert().values(
            location_id=loc.id, category=category or "", quantity=quantity,
            updated_at=uow.clock.now()))
    record_event(uow, "inventory.safety_default_set", "location", loc.id,
                 {"location": location, "category": category, "safety_stock": quantity})
    uow.commit()


def list_safety_defaults(uow: UnitOfWork) -> list[tuple[str, str | None, int]]:
    rows = uow.execute(select(locations.c.code, safety_stock_defaults.c.category,
                              safety_stock_defaults.c.quantity)
                       .join(locations, locations.c.id == safety_stock_defaults.c.location_id)
                       .order_by(locations.c.code, safety_stock_defaults.c.category))
    return [(code, category or None, quantity) for code, category, quantity in rows]


@dataclass(frozen=True)
class StockPolicy:
    sku: str
    low_stock_threshold: int | None
    lead_time_days: int | None


def set_stock_policy(uow: UnitOfWork, policy: StockPolicy) -> StockPolicy:
    """``policy.sku``: the product's SKU or id; the policy returned names its SKU."""
    product = find_product(uow, policy.sku)
    policy = replace(policy, sku=product.sku)
    uow.execute(upsert(uow, stock_policies, ["product_id"], {
        "product_id": product.id, "low_stock_threshold": policy.low_stock_threshold,
        "lead_time_days": policy.lead_time_days, "updated_at": uow.clock.now()},
        ["low_stock_threshold", "lead_time_days", "updated_at"]))
    record_event(uow, "product.stock_policy_set", "product", product.id, {
        "sku": policy.sku, "low_stock_threshold": policy.low_stock_threshold,
        "lead_time_days": policy.lead_time_days})
    uow.commit()
    return policy


def get_stock_policy(uow: UnitOfWork, sku: str) -> StockPolicy:
    product = find_product(uow, sku)
    row = uow.execute(select(stock_policies).where(
        stock_policies.c.product_id == product.id)).first()
    return StockPolicy(product.sku, row.low_stock_threshold if row else None,
                       row.lead_time_days if row else None)
