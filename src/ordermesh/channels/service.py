from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from sqlalchemy import Engine, bindparam, select, update

from ordermesh.channels.model import (
    CapturePolicy,
    Channel,
    ChannelKind,
    ChannelMoney,
    PricingMode,
    TaxPoint,
)
from ordermesh.channels.tables import channels
from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.config_cache import cached
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.lookup import row_by_id_or_key
from ordermesh.kit.money import check_currency
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_ignore_returning


@dataclass(frozen=True)
class CreateChannel:
    code: str
    name: str
    kind: ChannelKind
    currency: str
    money: ChannelMoney = field(default_factory=ChannelMoney)


_BY_CODE = select(channels).where(channels.c.code == bindparam("code"))
# Channels cannot be changed once created, so each process may remember those it has
# looked up in each database (every order needs one). Allowing edits or deletes means
# clearing this.
_by_code: weakref.WeakKeyDictionary[Engine, dict[str, Channel]] = weakref.WeakKeyDictionary()


def _to_channel(row) -> Channel:
    return Channel(row.id, row.code, row.name, ChannelKind(row.kind), row.currency,
                   as_utc(row.created_at))


def create_channel(
    uow: UnitOfWork, cmd: CreateChannel, idem: idempotency.IdempotencyKey | None = None
) -> Channel:
    if prior := idempotency.claim(uow, idem):
        return get_channel(uow, prior.resource_id)
    check_currency(cmd.currency)
    channel = Channel(new_id("chn"), cmd.code, cmd.name, cmd.kind, cmd.currency, uow.clock.now())
    inserted = insert_ignore_returning(uow, channels, ("code",), "id", dict(
        id=channel.id, code=channel.code, name=channel.name, kind=channel.kind.value,
        currency=channel.currency, created_at=channel.created_at,
        **_money_columns(cmd.money),
    ))
    if inserted is None:
        raise Conflict(f"A channel with code '{cmd.code}' already exists")
    record_event(uow, "channel.created", "channel", channel.id,
                 {"code": channel.code, "kind": channel.kind.value, "currency": channel.currency,
                  **_money_columns(cmd.money)})
    idempotency.complete(uow, idem, "channel", channel.id, 201)
    uow.commit()
    return channel


def get_channel(uow: UnitOfWork, channel_id: str) -> Channel:
    row = uow.execute(select(channels).where(channels.c.id == channel_id)).first()
    if row is None:
        raise NotFound(f"Channel '{channel_id}' does not exist")
    return _to_channel(row)


def find_channel(uow: UnitOfWork, ref: str) -> Channel:
    """A channel by id or code: how the API addresses channels everywhere."""
    row = row_by_id_or_key(uow, channels, channels.c.code, ref)
    if row is None:
        raise NotFound(f"No channel with id or code '{ref}'")
    return _to_channel(row)


def channel_by_code(uow: UnitOfWork, code: str, field: str = "channel") -> Channel:
    """For callers that were handed a code in their input: an unknown one is bad input."""
    cache = _by_code.setdefault(uow.engine, {})
    if (known := cache.get(code)) is not None:
        return known
    row = uow.execute(_BY_CODE, {"code": code}).first()
    if row is None:
        raise InvalidInput.for_field(field, f"Unknown channel '{code}'", "unknown_channel")
    channel = _to_channel(row)
    cache[code] = channel
    return channel


def list_channels(uow: UnitOfWork, code: str | None = None) -> list[Channel]:
    query = select(channels).order_by(channels.c.code)
    if code is not None:
        query = query.where(channels.c.code == code)
    return [_to_channel(r) for r in uow.execute(query)]


def _money_columns(money: ChannelMoney) -> dict:
    return {"pricing_mode": money.pricing_mode.value,
            "capture_policy": money.capture_policy.value, "tax_point": money.tax_point.value,
            "legal_entity_id": money.legal_entity_id}


_MONEY = select(channels.c.pricing_mode, channels.c.capture_policy, channels.c.tax_point,
                channels.c.legal_entity_id).where(channels.c.id == bindparam("id"))


def channel_money(uow: UnitOfWork, channel_id: str) -> ChannelMoney:
    def load() -> ChannelMoney:
        row = uow.execute(_MONEY, {"id": channel_id}).one()
        return ChannelMoney(PricingMode(row.pricing_mode), CapturePolicy(row.capture_policy),
                            TaxPoint(row.tax_point), row.legal_entity_id)

    return cached(uow, ("channel_money", channel_id), load)


def update_channel_money(uow: UnitOfWork, channel_id: str, changes: dict) -> ChannelMoney:
    """Change some money settings (keys of ``ChannelMoney``); orders placed keep theirs."""
    get_channel(uow, channel_id)
    current = channel_money(uow, channel_id)
    updated = ChannelMoney(**{**current.__dict__, **changes})
    if updated == current:
        return current
    uow.execute(update(channels).where(channels.c.id == channel_id)
                .values(**_money_columns(updated)))
    record_event(uow, "channel.updated", "channel", channel_id, _money_columns(updated))
    uow.commit()
    return updated
