"""Reading prices: the order-placement lookup, effective prices, price lists and their
prices."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, or_, select

from ordermesh.catalog.service import resolve_skus
from ordermesh.channels.model import Channel
from ordermesh.channels.service import channel_by_code, get_channel, list_channels
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import NotFound
from ordermesh.kit.money import Money
from ordermesh.kit.pagination import Page, decode_cursor, encode_cursor
from ordermesh.kit.types import UtcDateTime
from ordermesh.pricing.model import Candidate, Price, PriceList, Validity, winners
from ordermesh.pricing.tables import price_lists, prices

_AT = bindparam("at", type_=UtcDateTime)
# Every price of the given products in the lists of one channel and currency that are
# valid at ``at``: ix_price_lists_channel_currency finds the lists, the primary key of
# ``prices`` the rows. The winner per product is chosen by ``model.winners``.
_CANDIDATES = (
    select(prices.c.product_id, prices.c.amount, price_lists.c.code, price_lists.c.priority,
           price_lists.c.valid_from)
    .select_from(price_lists.join(prices, prices.c.price_list_id == price_lists.c.id))
    .where(price_lists.c.channel_id == bindparam("channel_id"),
           price_lists.c.currency == bindparam("currency"),
           or_(price_lists.c.valid_from.is_(None), price_lists.c.valid_from <= _AT),
           or_(price_lists.c.valid_to.is_(None), price_lists.c.valid_to > _AT),
           prices.c.product_id.in_(bindparam("product_ids", expanding=True)))
)


# The same, at every time: what a batch of orders reads once (``PriceBook``).
_ALL_CANDIDATES = (
    select(prices.c.product_id, prices.c.amount, price_lists.c.code, price_lists.c.priority,
           price_lists.c.valid_from, price_lists.c.valid_to)
    .select_from(price_lists.join(prices, prices.c.price_list_id == price_lists.c.id))
    .where(price_lists.c.channel_id == bindparam("channel_id"),
           price_lists.c.currency == bindparam("currency"),
           prices.c.product_id.in_(bindparam("product_ids", expanding=True)))
)


@dataclass(frozen=True)
class PriceBook:
    """Every list price of some products for one channel and currency, read once, from
    which ``list_prices`` answers at any time as its query would (a batch of orders
    reads one book instead of one query per order)."""

    channel_id: str
    currency: str
    product_ids: frozenset[str]
    by_product: dict[str, list[tuple[Candidate, datetime | None]]]  # (price, valid_to)

    def covers(self, channel_id: str, currency: str, product_ids: Collection[str]) -> bool:
        return (channel_id, currency) == (self.channel_id, self.currency) \
            and self.product_ids.issuperset(product_ids)

    def at(self, product_ids: Collection[str], at: datetime) -> dict[str, Money]:
        at = as_utc(at)
        found = winners(
            (product_id, c) for product_id in product_ids
            for c, valid_to in self.by_product.get(product_id, ())
            if (c.valid_from is None or c.valid_from <= at)
            and (valid_to is None or valid_to > at))
        return {product_id: c.amount for product_id, c in found.items()}


def price_book(uow: UnitOfWork, channel_id: str, currency: str,
               product_ids: Collection[str]) -> PriceBook:
    rows = uow.execute(_ALL_CANDIDATES, {"channel_id": channel_id, "currency": currency,
                                         "product_ids": sorted(product_ids)})
    by_product: dict[str, list[tuple[Candidate, datetime | None]]] = {}
    for r in rows:
        by_product.setdefault(r.product_id, []).append(
            (Candidate(r.code, r.priority, _utc(r.valid_from), Money.of(r.amount, currency)),
             _utc(r.valid_to)))
    return PriceBook(channel_id, currency, frozenset(product_ids), by_product)


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def to_price_list(row: Any, channel_code: str) -> PriceList:
    return PriceList(
        id=row.id, code=row.code, name=row.name, channel_id=row.channel_id,
        channel_code=channel_code, currency=row.currency,
        validity=Validity(_utc(row.valid_from), _utc(row.valid_to)), priority=row.priority,
        created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at))


def _candidates(
    uow: UnitOfWork, channel_id: str, currency: str, product_ids: Collection[str],
    at: datetime,
) -> dict[str, Candidate]:
    rows = uow.execute(_CANDIDATES, {"channel_id": channel_id, "currency": currency,
                                     "at": as_utc(at), "product_ids": list(product_ids)})
    return winners(
        (r.product_id, Candidate(r.code, r.priority, _utc(r.valid_from),
                                 Money.of(r.amount, currency)))
        for r in rows)


def list_prices(
    uow: UnitOfWork, channel_id: str, currency: str, product_ids: Collection[str],
    at: datetime, books: Collection[PriceBook] = (),
) -> dict[str, Money]:
    """The list price of each product for a channel and currency at ``at``, in one query
    (none when one of ``books``, read earlier in the transaction, holds them).

    A product missing from the answer has no price in any list valid then. Which list
    wins when several are valid: see ``pricing.model``. A naive ``at`` is taken as UTC.
    """
    if not product_ids:
        return {}
    for book in books:
        if book.covers(channel_id, currency, product_ids):
            return book.at(product_ids, at)
    found = _candidates(uow, channel_id, currency, product_ids, at)
    return {product_id: c.amount for product_id, c in found.items()}


@dataclass(frozen=True)
class EffectivePrice:
    sku: str
    product_id: str
    price: Money | None  # None: no list valid at that instant prices the SKU
    price_list_code: str | None


def effective_prices(
    uow: UnitOfWork, channel_code: str, skus: list[str], at: datetime,
    fields: list[str] | None = None, channel_field: str = "channel",
) -> tuple[Channel, list[EffectivePrice]]:
    """The price of each SKU (once each, in the order given) for a channel, in the
    channel's currency, and the list it comes from. Unknown channel or SKUs: InvalidInput
    (the channel named as field ``channel_field``, each SKU as ``fields[i]``)."""
    channel = channel_by_code(uow, channel_code, channel_field)
    wanted = list(dict.fromkeys(skus))
    products = resolve_skus(uow, skus, fields or [f"sku.{i}" for i in range(len(skus))])
    found = _candidates(uow, channel.id, channel.currency,
                        [products[s].id for s in wanted], at)
    answer = []
    for sku in wanted:
        product_id = products[sku].id
        hit = found.get(product_id)
        answer.append(EffectivePrice(sku, product_id, hit.amount if hit else None,
                                     hit.price_list_code if hit else None))
    return channel, answer


def _one(uow: UnitOfWork, where: Any, missing: str) -> PriceList:
    row = uow.execute(select(price_lists).where(where)).first()
    if row is None:
        raise NotFound(missing)
    return to_price_list(row, get_channel(uow, row.channel_id).code)


def get_price_list(uow: UnitOfWork, code: str) -> PriceList:
    return _one(uow, price_lists.c.code == code, f"Price list '{code}' does not exist")


def price_list_by_id(uow: UnitOfWork, price_list_id: str) -> PriceList:
    return _one(uow, price_lists.c.id == price_list_id,
                f"Price list '{price_list_id}' does not exist")


def list_price_lists(
    uow: UnitOfWork, *, channel: str | None = None, limit: int = 50, cursor: str | None = None,
) -> Page[PriceList]:
    """Ordered by code; ``channel`` (a code) keeps only that channel's lists."""
    offset = decode_cursor(cursor) or 0
    query = select(price_lists).order_by(price_lists.c.code)
    if channel is not None:
        query = query.where(
            price_lists.c.channel_id == channel_by_code(uow, channel, "query.channel").id)
    rows = list(uow.execute(query.offset(offset).limit(limit + 1)))
    codes = {c.id: c.code for c in list_channels(uow)} if rows else {}
    next_cursor = encode_cursor(offset + limit) if len(rows) > limit else None
    return Page([to_price_list(r, codes[r.channel_id]) for r in rows[:limit]], next_cursor)


def prices_in(
    uow: UnitOfWork, plist: PriceList, *, limit: int = 50, cursor: str | None = None,
) -> tuple[Page[Price], int]:
    """A page of the list's prices ordered by SKU, and how many prices it has in all."""
    offset = decode_cursor(cursor) or 0
    rows = list(uow.execute(
        select(prices.c.sku, prices.c.product_id, prices.c.amount, prices.c.updated_at)
        .where(prices.c.price_list_id == plist.id).order_by(prices.c.sku)
        .offset(offset).limit(limit + 1)))
    count = uow.execute(select(func.count()).select_from(prices)
                        .where(prices.c.price_list_id == plist.id)).scalar_one()
    next_cursor = encode_cursor(offset + limit) if len(rows) > limit else None
    items = [Price(r.sku, r.product_id, Money.of(r.amount, plist.currency),
                   as_utc(r.updated_at)) for r in rows[:limit]]
    return Page(items, next_cursor), count
