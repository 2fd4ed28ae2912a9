"""Price lists: create and change them, set and delete their prices.

Reads — the order-placement lookup ``list_prices``, effective prices and listings — are
in ``pricing.queries``.

Every change of a price list or its prices first locks the price list's row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite lets one writer in at a time), so
concurrent changes of one list queue instead of interleaving, and the upserts of a bulk
set are sent in product order.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update

from ordermesh.catalog.service import resolve_skus
from ordermesh.channels.service import channel_by_code, get_channel
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, FieldError, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money, check_currency
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import dialect_insert, insert_ignore_returning
from ordermesh.pricing.model import PriceList, Validity, check_priority
from ordermesh.pricing.queries import list_prices as list_prices  # the contract's lookup
from ordermesh.pricing.queries import price_list_by_id, to_price_list
from ordermesh.pricing.tables import price_lists, prices

MAX_PRICES_PER_REQUEST = 1_000


class Keep(enum.Enum):
    """A field a patch leaves as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class CreatePriceList:
    code: str
    name: str
    channel: str  # the channel's code
    currency: str | None = None  # None: the channel's currency
    validity: Validity = field(default_factory=Validity)
    priority: int = 0


@dataclass(frozen=True)
class PriceListPatch:
    """``KEEP`` leaves a field unchanged; ``None`` for a validity end opens it."""

    name: str | Keep = KEEP
    valid_from: datetime | Keep | None = KEEP
    valid_to: datetime | Keep | None = KEEP
    priority: int | Keep = KEEP


@dataclass(frozen=True)
class PriceListCreated:
    price_list: PriceList
    replayed: bool = False  # an earlier request with the same Idempotency-Key created it


@dataclass(frozen=True)
class SkuAmount:
    sku: str
    amount: Decimal | str


@dataclass(frozen=True)
class PricesSet:
    price_list: PriceList
    count: int  # prices inserted or replaced


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= 200:
        raise InvalidInput.for_field("name", "name must be 1 to 200 characters")
    return name


def create_price_list(
    uow: UnitOfWork, cmd: CreatePriceList, idem: idempotency.IdempotencyKey | None = None
) -> PriceListCreated:
    if prior := idempotency.claim(uow, idem):
        return PriceListCreated(price_list_by_id(uow, prior.resource_id),
                                replayed=True)
    _check_name(cmd.name)
    check_priority(cmd.priority)
    channel = channel_by_code(uow, cmd.channel)
    currency = check_currency(cmd.currency) if cmd.currency is not None else channel.currency
    if currency != channel.currency:
        raise InvalidInput.for_field(
            "currency", f"Channel '{channel.code}' sells in {channel.currency}, not {currency}",
            "currency_mismatch")
    now = uow.clock.now()
    plist = PriceList(new_id("prl"), cmd.code, cmd.name, channel.id, channel.code, currency,
                      cmd.validity, cmd.priority, now, now)
    inserted = insert_ignore_returning(uow, price_lists, ("code",), "id", dict(
        id=plist.id, code=plist.code, name=plist.name, channel_id=plist.channel_id,
        currency=plist.currency, valid_from=plist.validity.valid_from,
        valid_to=plist.validity.valid_to, priority=plist.priority, created_at=now,
        updated_at=now))
    if inserted is None:
        raise Conflict(f"A price list with code '{cmd.code}' already exists")
    record_event(uow, "price_list.created", "price_list", plist.id, {
        "code": plist.code, "name": plist.name, "channel": channel.code,
        "currency": currency, "valid_from": _iso(plist.validity.valid_from),
        "valid_to": _iso(plist.validity.valid_to), "priority": plist.priority})
    idempotency.complete(uow, idem, "price_list", plist.id, 201)
    uow.commit()
    return PriceListCreated(plist)


def _lock(uow: UnitOfWork, code: str) -> PriceList:
    """The price list, its row locked until the transaction ends; NotFound if unknown."""
    row = uow.execute(select(price_lists).where(price_lists.c.code == code)
                      .with_for_update()).first()
    if row is None:
        raise NotFound(f"Price list '{code}' does not exist")
    return to_price_list(row, get_channel(uow, row.channel_id).code)


def _touch(uow: UnitOfWork, plist: PriceList, now: datetime, **values: Any) -> None:
    uow.execute(update(price_lists).where(price_lists.c.id == plist.id)
                .values(updated_at=now, **values))


def update_price_list(uow: UnitOfWork, code: str, patch: PriceListPatch) -> PriceList:
    """Change name, validity or priority; a patch that changes nothing writes nothing."""
    current = _lock(uow, code)
    old = current.validity
    validity = Validity(
        old.valid_from if patch.valid_from is KEEP else patch.valid_from,
        old.valid_to if patch.valid_to is KEEP else patch.valid_to)
    name = current.name if patch.name is KEEP else _check_name(patch.name)
    priority = current.priority if patch.priority is KEEP else check_priority(patch.priority)
    changes: dict[str, Any] = {}
    if name != current.name:
        changes["name"] = name
    if validity.valid_from != old.valid_from:
        changes["valid_from"] = validity.valid_from
    if validity.valid_to != old.valid_to:
        changes["valid_to"] = validity.valid_to
    if priority != current.priority:
        changes["priority"] = priority
    if not changes:
        return current
    now = uow.clock.now()
    _touch(uow, current, now, **changes)
    record_event(uow, "price_list.updated", "price_list", current.id, {
        "code": current.code,
        "changes": {k: _iso(v) if isinstance(v, datetime) or v is None else v
                    for k, v in changes.items()}})
    updated = PriceList(current.id, current.code, name, current.channel_id,
                        current.channel_code, current.currency, validity, priority,
                        current.created_at, now)
    uow.commit()
    return updated


def _amounts(items: Sequence[SkuAmount], currency: str) -> tuple[list[Money], list[FieldError]]:
    """Every amount exact in the currency and not negative; SKUs each named once."""
    errors: list[FieldError] = []
    amounts: list[Money] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.sku in seen:
            errors.append(FieldError(f"prices.{i}.sku", f"SKU '{item.sku}' is already priced "
                                     f"at prices.{seen[item.sku]}", "duplicate_sku"))
        seen.setdefault(item.sku, i)
        try:
            money = Money.exact(item.amount, currency, f"prices.{i}.amount")
        except InvalidInput as exc:
            errors.extend(exc.errors)
            continue
        if money.is_negative():
            errors.append(FieldError(f"prices.{i}.amount",
                                     f"a price cannot be negative, got '{item.amount}'",
                                     "negative_amount"))
        amounts.append(money)
    return amounts, errors


def set_prices(uow: UnitOfWork, code: str, items: Sequence[SkuAmount]) -> PricesSet:
    """Insert or replace the price of each SKU in the list; SKUs not named keep theirs.

    All or nothing: an unknown SKU, a repeated SKU or a bad amount refuses the whole
    request, every problem named in the error."""
    if not 1 <= len(items) <= MAX_PRICES_PER_REQUEST:
        raise InvalidInput.for_field(
            "prices", f"send 1 to {MAX_PRICES_PER_REQUEST} prices, got {len(items)}")
    plist = _lock(uow, code)
    amounts, errors = _amounts(items, plist.currency)
    skus = [item.sku for item in items]
    try:
        products = resolve_skus(uow, skus, [f"prices.{i}.sku" for i in range(len(skus))])
    except InvalidInput as exc:
        errors.extend(exc.errors)
    if errors:
        errors.sort(key=lambda e: int(e.field.split(".")[1]))
        raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors[:5]),
                           errors=errors)
    now = uow.clock.now()
    rows = sorted(({"price_list_id": plist.id, "product_id": products[sku].id, "sku": sku,
                    "amount": money.amount, "updated_at": now}
                   for sku, money in zip(skus, amounts, strict=True)),
                  key=lambda r: r["product_id"])
    stmt = dialect_insert(uow, prices)
    uow.execute(stmt.on_conflict_do_update(
        index_elements=[prices.c.price_list_id, prices.c.product_id],
        set_={"amount": stmt.excluded.amount, "updated_at": stmt.excluded.updated_at}), rows)
    _touch(uow, plist, now)
    record_event(uow, "prices.set", "price_list", plist.id, {
        "code": plist.code, "currency": plist.currency,
        "prices": [{"sku": sku, "amount": str(money.amount)}
                   for sku, money in zip(skus, amounts, strict=True)]})
    uow.commit()
    return PricesSet(plist, len(rows))


def delete_price(uow: UnitOfWork, code: str, sku: str) -> Money:
    """Remove a SKU's price from the list; returns the price it had."""
    plist = _lock(uow, code)
    row = uow.execute(delete(prices).where(prices.c.price_list_id == plist.id,
                                           prices.c.sku == sku)
                      .returning(prices.c.amount)).first()
    if row is None:
        raise NotFound(f"Price list '{code}' has no price for SKU '{sku}'")
    was = Money.of(row.amount, plist.currency)
    _touch(uow, plist, uow.clock.now())
    record_event(uow, "price.deleted", "price_list", plist.id, {
        "code": plist.code, "sku": sku, "amount": str(was.amount),
        "currency": plist.currency})
    uow.commit()
    return was
