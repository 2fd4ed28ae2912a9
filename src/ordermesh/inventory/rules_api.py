"""Channel allocation settings: sources, quotas and exclusions, safety stock, stock
policies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.http.schemas import CODE_PATTERN, SKU_PATTERN, CountryCode
from ordermesh.inventory import rules
from ordermesh.inventory.allocation import RuleKind
from ordermesh.locations.model import LocationKind

router = APIRouter(prefix="/api/v1", tags=["allocation"])

Units = Field(None, strict=True, ge=0, le=1_000_000_000)


class RegionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    country: CountryCode
    region: str = Field(min_length=1, max_length=35, examples=["Bayern"])

    @field_validator("region")
    @classmethod
    def _fits_once_lower_cased(cls, value: str) -> str:
        if len(value.lower()) > 35:  # some letters grow when lower-cased
            raise ValueError("region is too long")
        return value


class ChannelSourcesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    locations: list[str] = Field([], max_length=500, description="Location codes")
    location_kinds: list[LocationKind] = Field([], max_length=10)
    countries: list[CountryCode] = Field([], max_length=300)
    regions: list[RegionIn] = Field(
        [], max_length=500, description="Matched against the region of a location's "
                                        "address, ignoring case")


class ChannelSourcesRead(ChannelSourcesBody):
    channel: str


def _sources_read(s: rules.ChannelSources) -> ChannelSourcesRead:
    return ChannelSourcesRead(channel=s.channel, locations=s.locations,
                              location_kinds=[LocationKind(k) for k in s.location_kinds],
                              countries=s.countries,
                              regions=[RegionIn(country=c, region=r) for c, r in s.regions])


@router.put("/channels/{code}/sources", summary="Set the locations that may serve a channel")
def put_sources(code: str, body: ChannelSourcesBody, ctx: WriteContext) -> ChannelSourcesRead:
    """A location may serve the channel when it is listed, is of a listed kind, or is
    in a listed country or region. All empty: every location may serve it (the
    default)."""
    cmd = rules.ChannelSources(code, body.locations, [k.value for k in body.location_kinds],
                               body.countries, [(r.country, r.region) for r in body.regions])
    return _sources_read(ctx.run(lambda uow: rules.set_channel_sources(uow, cmd)))


@router.get("/channels/{code}/sources", summary="The locations that may serve a channel")
def get_sources(code: str, ctx: ReadContext) -> ChannelSourcesRead:
    with ctx.read_uow() as uow:
        return _sources_read(rules.get_channel_sources(uow, code))


class RuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str = Field(pattern=CODE_PATTERN)
    kind: RuleKind = Field(description="`quota` ring-fences units for the channel and caps "
                                       "it there; `exclude` never sells it on the channel")
    sku: str | None = Field(None, pattern=SKU_PATTERN)
    category: str | None = Field(None, min_length=1, max_length=100)
    units: int | None = Units
    share_percent: Decimal | None = Field(
        None, gt=0, le=100, decimal_places=2, allow_inf_nan=False,
        description="A share of the sellable stock (on hand minus safety stock)")


class RuleRead(BaseModel):
    id: str
    channel: str
    sku: str | None
    category: str | None
    kind: RuleKind
    units: int | None
    share_percent: str | None
    created_at: datetime

    @classmethod
    def of(cls, r: rules.AllocationRule) -> RuleRead:
        share = None if r.share_bp is None else f"{Decimal(r.share_bp) / 100:.2f}"
        is_sku = r.scope.value == "sku"
        return cls(id=r.id, channel=r.channel, sku=r.scope_value if is_sku else None,
                   category=None if is_sku else r.scope_value, kind=r.kind, units=r.units,
                   share_percent=share, created_at=r.created_at)


class RuleList(BaseModel):
    items: list[RuleRead]


@router.post("/allocation-rules", status_code=201, summary="Add a quota or an exclusion")
def create_rule(body: RuleCreate, ctx: WriteContext) -> RuleRead:
    """One rule per channel and SKU or category; a SKU's rule wins over its category's.
    Shares for one SKU or category may add up to at most 100%."""
    share_bp = None if body.share_percent is None else int(body.share_percent * 100)
    cmd = rules.CreateRule(body.channel, body.kind, body.sku, body.category, body.units,
                           share_bp)
    idem = ctx.idempotency(body)
    return RuleRead.of(ctx.run(lambda uow: rules.create_rule(uow, cmd, idem)))


@router.get("/allocation-rules", summary="Quotas and exclusions")
def list_rules(ctx: ReadContext, channel: str | None = None) -> RuleList:
    with ctx.read_uow() as uow:
        return RuleList(items=[RuleRead.of(r) for r in rules.list_rules(uow, channel)])


@router.get("/allocation-rules/{rule_id}", summary="One quota or exclusion")
def get_rule(rule_id: str, ctx: ReadContext) -> RuleRead:
    with ctx.read_uow() as uow:
        return RuleRead.of(rules.get_rule(uow, rule_id))


@router.delete("/allocation-rules/{rule_id}", status_code=204, summary="Remove a rule")
def delete_rule(rule_id: str, ctx: WriteContext) -> Response:
    ctx.run(lambda uow: rules.delete_rule(uow, rule_id))
    return Response(status_code=204)


class SafetyStockBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(pattern=SKU_PATTERN)
    location: str = Field(pattern=CODE_PATTERN)
    quantity: int | None = Field(strict=True, ge=0, le=1_000_000_000,
                                 description="null: use the location's default")


class SafetyDefaultBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    location: str = Field(pattern=CODE_PATTERN)
    category: str | None = Field(None, min_length=1, max_length=100,
                                 description="null: every category")
    quantity: int | None = Field(strict=True, ge=0, le=1_000_000_000,
                                 description="null: remove this default")


class SafetyDefaultList(BaseModel):
    items: list[SafetyDefaultBody]


@router.put("/inventory/safety-stock", summary="Safety stock of a SKU at a location")
def put_safety_stock(body: SafetyStockBody, ctx: WriteContext) -> SafetyStockBody:
    """Units no channel may sell at that location."""
    ctx.run(lambda uow: rules.set_safety_stock(uow, body.sku, body.location, body.quantity))
    return body


@router.put("/inventory/safety-stock/defaults", summary="Default safety stock at a location")
def put_safety_default(body: SafetyDefaultBody, ctx: WriteContext) -> SafetyDefaultBody:
    """Applies to stock rows without their own safety stock: the category's default
    first, then the location-wide one."""
    ctx.run(lambda uow: rules.set_safety_default(uow, body.location, body.category,
                                                 body.quantity))
    return body


@router.get("/inventory/safety-stock/defaults", summary="Default safety stock per location")
def get_safety_defaults(ctx: ReadContext) -> SafetyDefaultList:
    with ctx.read_uow() as uow:
        return SafetyDefaultList(items=[
            SafetyDefaultBody(location=loc, category=cat, quantity=q)
            for loc, cat, q in rules.list_safety_defaults(uow)])


class StockPolicyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    low_stock_threshold: int | None = Field(
        None, strict=True, ge=1, le=1_000_000_000,
        description="An `inventory.low_stock` event fires when available stock over all "
                    "locations falls below this")
    lead_time_days: int | None = Field(None, strict=True, ge=0, le=730,
                                       description="Days from ordering supply to receiving it")


class StockPolicyRead(StockPolicyBody):
    sku: str


@router.put("/products/{sku}/stock-policy", summary="Low-stock threshold and lead time")
def put_stock_policy(sku: str, body: StockPolicyBody, ctx: WriteContext) -> StockPolicyRead:
    policy = rules.StockPolicy(sku, body.low_stock_threshold, body.lead_time_days)
    saved = ctx.run(lambda uow: rules.set_stock_policy(uow, policy))
    return StockPolicyRead(sku=saved.sku, **body.model_dump())


@router.get("/products/{sku}/stock-policy", summary="Low-stock threshold and lead time")
def get_stock_policy(sku: str, ctx: ReadContext) -> StockPolicyRead:
    with ctx.read_uow() as uow:
        p = rules.get_stock_policy(uow, sku)
    return StockPolicyRead(sku=p.sku, low_stock_threshold=p.low_stock_threshold,
                           lead_time_days=p.lead_time_days)


