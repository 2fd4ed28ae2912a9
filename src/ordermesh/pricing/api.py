"""Price lists per channel and currency, their prices, and the effective price of a SKU.

One router serves both ``/api/v1/price-lists`` and ``/api/v1/prices`` (it has no
prefix), so the app registers only ``router``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.http.schemas import (
    CODE_PATTERN,
    SKU_PATTERN,
    AmountOut,
    CurrencyCode,
    DecimalAmount,
    MoneyOut,
)
from ordermesh.kit.clock import as_utc
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.pagination import MAX_PAGE_SIZE
from ordermesh.pricing import queries, service
from ordermesh.pricing.model import MAX_PRIORITY, Price, PriceList, Validity
from ordermesh.pricing.service import KEEP, MAX_PRICES_PER_REQUEST

router = APIRouter(tags=["prices"])

LISTS = "/api/v1/price-lists"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_SKUS_PER_QUERY = 200

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Priority = Annotated[int, Field(ge=0, le=MAX_PRIORITY, strict=True, description=(
    "When several lists are valid at once, a SKU takes its price from the list with the "
    "highest priority that prices it"))]


def _iso_only(value: object) -> object:
    """An instant travels as an ISO 8601 string: pydantic would read 0 or "0" as 1970."""
    text = value.strip() if isinstance(value, str) else None
    if isinstance(value, int | float) or (
            text is not None and text.lstrip("+-").replace(".", "", 1).isdigit()):
        raise ValueError("an instant is a string like 2026-12-01T00:00:00Z")
    return value


Instant = Annotated[AwareDatetime, BeforeValidator(_iso_only),
                    Field(examples=["2026-12-24T00:00:00Z"])]
ValidFrom = Annotated[Instant | None, Field(description=(
    "First instant the list is valid (inclusive, ISO 8601 with a time zone); null: "
    "since always"))]
ValidTo = Annotated[Instant | None, Field(description=(
    "First instant the list is no longer valid (exclusive); null: for ever. Must be "
    "after valid_from"))]
Sku = Annotated[str, StringConstraints(pattern=SKU_PATTERN)]
_422 = {422: {"description": "Invalid input; nothing was written"}}
_404 = {404: {"description": "No price list with this code"}}


class PriceListCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=CODE_PATTERN, description="Short unique code, e.g. 'web-eur'")
    name: Name = Field(description="What people call the list")
    channel: str = Field(pattern=CODE_PATTERN, description="The channel's code")
    currency: CurrencyCode | None = Field(None, description=(
        "ISO 4217 code; it must be the channel's currency. Default: the channel's"))
    valid_from: ValidFrom = None
    valid_to: ValidTo = None
    priority: Priority = 0


class PriceListUpdate(BaseModel):
    """Only the fields sent change; `null` opens a validity end."""

    model_config = ConfigDict(extra="forbid")
    name: Name | None = Field(None, description="New name (not null)")
    valid_from: ValidFrom = None
    valid_to: ValidTo = None
    priority: Priority | None = Field(None, description="New priority (not null)")


class PriceListRead(BaseModel):
    id: str
    code: str
    name: str
    channel: str = Field(description="The channel's code")
    currency: str
    valid_from: datetime | None = Field(description="Inclusive; null: since always")
    valid_to: datetime | None = Field(description="Exclusive; null: for ever")
    priority: int
    created_at: datetime
    updated_at: datetime = Field(description="Last change of the list or of its prices")

    @classmethod
    def of(cls, p: PriceList) -> PriceListRead:
        return cls(id=p.id, code=p.code, name=p.name, channel=p.channel_code,
                   currency=p.currency, valid_from=p.validity.valid_from,
                   valid_to=p.validity.valid_to, priority=p.priority,
                   created_at=p.created_at, updated_at=p.updated_at)


class PriceListPage(BaseModel):
    items: list[PriceListRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class PriceOut(BaseModel):
    sku: str
    amount: AmountOut = Field(description="In the list's currency", examples=["19.99"])
    updated_at: datetime

    @classmethod
    def of(cls, p: Price) -> PriceOut:
        return cls(sku=p.sku, amount=p.amount.amount, updated_at=p.updated_at)


class PriceListDetail(PriceListRead):
    price_count: int = Field(description="How many SKUs the list prices in all")
    prices: list[PriceOut] = Field(description="One page of prices, ordered by SKU")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page of prices")


class PriceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: Sku = Field(description="An existing SKU, at most once per request")
    amount: DecimalAmount = Field(description=(
        "Decimal string (or number), not negative, with no more decimals than the "
        "currency has (2 for EUR, 0 for JPY, 3 for KWD)"), examples=["19.99"])


class PricesSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prices: list[PriceIn] = Field(min_length=1, max_length=MAX_PRICES_PER_REQUEST, description=(
        f"1 to {MAX_PRICES_PER_REQUEST:,} prices; SKUs not named keep their price"))


class PricesSetResult(BaseModel):
    price_list: str = Field(description="The price list's code")
    currency: str
    set: int = Field(description="How many prices were inserted or replaced")


class EffectivePriceOut(BaseModel):
    sku: str
    price: MoneyOut | None = Field(description="null: no list valid at that instant prices it")
    price_list: str | None = Field(description="Code of the list the price comes from")


class EffectivePrices(BaseModel):
    channel: str
    currency: str
    at: datetime = Field(description="The instant the prices are valid at")
    items: list[EffectivePriceOut] = Field(description="One per SKU asked, in that order")


def _utc(value: datetime, field: str) -> datetime:
    try:
        return as_utc(value)
    except OverflowError as exc:
        raise InvalidInput.for_field(field, f"{field} is out of range") from exc


@router.post(LISTS, status_code=201, summary="Create a price list",
             responses={409: {"description": "A price list with this code exists"}, **_422})
def create_price_list(
    body: PriceListCreate, ctx: WriteContext, response: Response
) -> PriceListRead:
    """A list for one channel, in the channel's currency, valid from `valid_from` until
    `valid_to`; its prices are set with `PUT /api/v1/price-lists/{code}/prices`. Retries
    are safe with an `Idempotency-Key`."""
    cmd = service.CreatePriceList(body.code, body.name, body.channel, body.currency,
                                  Validity(body.valid_from, body.valid_to), body.priority)
    idem = ctx.idempotency(body)
    created = ctx.run(lambda uow: service.create_price_list(uow, cmd, idem))
    if created.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return PriceListRead.of(created.price_list)


@router.get(LISTS, summary="List price lists, ordered by code", responses=_422)
def list_price_lists(
    ctx: ReadContext,
    channel: Annotated[str | None, Query(pattern=CODE_PATTERN,
                                         description="Only this channel's lists")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> PriceListPage:
    with ctx.read_uow() as uow:
        page = queries.list_price_lists(uow, channel=channel, limit=limit, cursor=cursor)
    return PriceListPage(items=[PriceListRead.of(p) for p in page.items],
                         next_cursor=page.next_cursor)


@router.get(LISTS + "/{code}", summary="Get a price list with a page of its prices",
            responses=_404)
def get_price_list(
    code: str, ctx: ReadContext,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Prices per page")] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> PriceListDetail:
    with ctx.read_uow() as uow:
        plist = queries.get_price_list(uow, code)
        page, count = queries.prices_in(uow, plist, limit=limit, cursor=cursor)
    return PriceListDetail(**PriceListRead.of(plist).model_dump(), price_count=count,
                           prices=[PriceOut.of(p) for p in page.items],
                           next_cursor=page.next_cursor)


@router.patch(LISTS + "/{code}", summary="Change a price list's name, validity or priority",
              responses={**_404, **_422})
def update_price_list(code: str, body: PriceListUpdate, ctx: WriteContext) -> PriceListRead:
    """Only the fields sent change. Channel and currency cannot change: create another
    list. A future `valid_from` makes the list take over at that instant; a past
    `valid_to` ends it."""
    sent = body.model_fields_set
    for name in ("name", "priority"):
        if name in sent and getattr(body, name) is None:
            raise InvalidInput.for_field(name, f"{name} cannot be null")
    patch = service.PriceListPatch(
        name=body.name if "name" in sent else KEEP,
        valid_from=body.valid_from if "valid_from" in sent else KEEP,
        valid_to=body.valid_to if "valid_to" in sent else KEEP,
        priority=body.priority if "priority" in sent else KEEP)
    return PriceListRead.of(ctx.run(lambda uow: service.update_price_list(uow, code, patch)))


@router.put(LISTS + "/{code}/prices", summary="Set the prices of up to 1,000 SKUs",
            responses={**_404, **_422})
def set_prices(code: str, body: PricesSet, ctx: WriteContext) -> PricesSetResult:
    """Inserts or replaces the price of each SKU named; the others keep theirs. All or
    nothing: an unknown or repeated SKU, a negative amount or one with more decimals than
    the list's currency has refuses the whole request, each problem named in `errors`."""
    items = [service.SkuAmount(p.sku, p.amount) for p in body.prices]
    done = ctx.run(lambda uow: service.set_prices(uow, code, items))
    return PricesSetResult(price_list=done.price_list.code, currency=done.price_list.currency,
                           set=done.count)


@router.delete(LISTS + "/{code}/prices/{sku}", status_code=204,
               summary="Remove a SKU's price from a price list",
               responses={404: {"description": "No such price list, or it has no price "
                                               "for this SKU"}})
def delete_price(code: str, sku: str, ctx: WriteContext) -> Response:
    """The SKU then takes its price from the next valid list that has one, if any."""
    ctx.run(lambda uow: service.delete_price(uow, code, sku))
    return Response(status_code=204)


@router.get("/api/v1/prices", summary="Effective prices of SKUs for a channel at an instant",
            responses=_422)
def effective_prices(
    ctx: ReadContext,
    channel: Annotated[str, Query(pattern=CODE_PATTERN, description="The channel's code")],
    sku: Annotated[list[Sku], Query(description=(
        f"Repeat for several SKUs (1 to {MAX_SKUS_PER_QUERY})"))],
    at: Annotated[Instant | None, Query(description=(
        "ISO 8601 with a time zone; default: now"))] = None,
) -> EffectivePrices:
    """The price an order would take for each SKU: among the channel's lists valid at
    `at` that price the SKU, the one with the highest priority, then the latest
    `valid_from`, then the smallest code. `price` is null when none does."""
    if not 1 <= len(sku) <= MAX_SKUS_PER_QUERY:
        raise InvalidInput.for_field("query.sku", f"ask for 1 to {MAX_SKUS_PER_QUERY} SKUs")
    with ctx.read_uow() as uow:
        when = _utc(at, "query.at") if at is not None else uow.clock.now()
        channel_, found = queries.effective_prices(
            uow, channel, sku, when, [f"query.sku.{i}" for i in range(len(sku))],
            "query.channel")
    return EffectivePrices(
        channel=channel_.code, currency=channel_.currency, at=when,
        items=[EffectivePriceOut(sku=e.sku, price=MoneyOut.of(e.price) if e.price else None,
                                 price_list=e.price_list_code) for e in found])
