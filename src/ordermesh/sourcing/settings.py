"""A channel's sourcing settings: its rule chain, split limit, backorders, shipping rates."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from ordermesh.channels.service import find_channel
from ordermesh.kit.config_cache import cached
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import upsert
from ordermesh.sourcing.model import (
    DEFAULT_RULES,
    ShippingRates,
    SourcingRule,
    SourcingSettings,
)
from ordermesh.sourcing.tables import channel_sourcing

MAX_SPLITS = 20


@dataclass(frozen=True)
class ChannelSourcing:
    channel_id: str
    currency: str
    settings: SourcingSettings
    configured: bool  # False: the defaults, nothing stored


def channel_settings(uow: UnitOfWork, channel_id: str) -> SourcingSettings:
    """The channel's settings, or the defaults (kit.config_cache)."""
    def load() -> SourcingSettings:
        row = uow.execute(select(channel_sourcing).where(
            channel_sourcing.c.channel_id == channel_id)).first()
        return _settings(row) if row is not None else SourcingSettings()

    return cached(uow, ("channel_sourcing", channel_id), load)


def _settings(row) -> SourcingSettings:
    return SourcingSettings(
        rules=tuple(SourcingRule(r) for r in row.rules), max_splits=row.max_splits,
        allow_backorders=bool(row.allow_backorders),
        rates=ShippingRates(Money.of(row.shipment_base_amount, row.currency),
                            Money.of(row.per_kg_100km_amount, row.currency)))


def read_channel_sourcing(uow: UnitOfWork, channel_id: str) -> ChannelSourcing:
    channel = find_channel(uow, channel_id)
    row = uow.execute(select(channel_sourcing).where(
        channel_sourcing.c.channel_id == channel.id)).first()
    if row is None:
        return ChannelSourcing(channel.id, channel.currency, SourcingSettings(), False)
    return ChannelSourcing(channel.id, channel.currency, _settings(row), True)


def save_channel_sourcing(
    uow: UnitOfWork, channel_id: str, rules: list[SourcingRule], max_splits: int | None,
    allow_backorders: bool, shipment_base: Decimal, per_kg_100km: Decimal,
) -> ChannelSourcing:
    """Replace the channel's settings (validated: nothing is stored when one is wrong);
    commits. Orders already sourced keep their decisions."""
    channel = find_channel(uow, channel_id)
    if not rules:
        raise InvalidInput.for_field("rules", "give at least one rule")
    if len(set(rules)) != len(rules):
        raise InvalidInput.for_field("rules", "each rule may appear once")
    if max_splits is not None and not 0 <= max_splits <= MAX_SPLITS:
        raise InvalidInput.for_field("max_splits", f"must be 0 to {MAX_SPLITS} or null")
    if SourcingRule.MAX_SPLITS in rules and max_splits is None:
        raise InvalidInput.for_field("max_splits", "the rule max_splits needs a limit")
    amounts = {}
    for field, value in (("shipping_cost.per_shipment", shipment_base),
                         ("shipping_cost.per_kg_per_100km", per_kg_100km)):
        money = Money.exact(value, channel.currency, field)
        if money.is_negative():
            raise InvalidInput.for_field(field, "must not be negative")
        amounts[field] = money.amount
    if SourcingRule.MAX_SPLITS not in rules and max_splits is not None:
        rules = [*rules, SourcingRule.MAX_SPLITS]
    values = {
        "channel_id": channel.id, "rules": [r.value for r in rules], "max_splits": max_splits,
        "allow_backorders": allow_backorders,
        "shipment_base_amount": amounts["shipping_cost.per_shipment"],
        "per_kg_100km_amount": amounts["shipping_cost.per_kg_per_100km"],
        "currency": channel.currency, "updated_at": uow.clock.now(),
    }
    uow.execute(upsert(uow, channel_sourcing, ["channel_id"], values,
                       [c for c in values if c != "channel_id"]))
    record_event(uow, "channel.sourcing_updated", "channel", channel.id, {
        "channel_id": channel.id, "rules": values["rules"], "max_splits": max_splits,
        "allow_backorders": allow_backorders,
        "shipping_cost": {"currency": channel.currency,
                          "per_shipment": str(values["shipment_base_amount"]),
                          "per_kg_per_100km": str(values["per_kg_100km_amount"])}})
    saved = read_channel_sourcing(uow, channel.id)
    uow.commit()
    return saved


DEFAULT_RULE_NAMES = [r.value for r in DEFAULT_RULES]
