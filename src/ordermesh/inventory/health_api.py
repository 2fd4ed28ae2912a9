"""`GET /api/v1/inventory/health`: expected against actual, per SKU x location."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ordermesh.http.deps import ReadContext
from ordermesh.http.schemas import CODE_PATTERN, SKU_PATTERN
from ordermesh.inventory.health import HealthFilter, HealthRow, Risk, SortBy, inventory_health

router = APIRouter(prefix="/api/v1/inventory", tags=["inventory"])


class IncomingSupply(BaseModel):
    expected_date: date | None
    quantity: int
    source: str
    reference: str | None


class VelocityRead(BaseModel):
    per_day_7: float
    per_day_28: float
    per_day_90: float
    trend: str = Field(description="accelerating, slowing, steady or no_sales")


class ForecastRead(BaseModel):
    method: str = Field(description="holt_winters_weekly, holt_damped, simple_exponential, "
                                    "moving_average or no_sales")
    computed_at: datetime | None = Field(description="null: the worker has not fitted this "
                                                     "row yet; a 28-day average stands in")
    daily_mean: float = Field(description="Units per day expected over the next 28 days")
    sigma: float


class ProjectionRead(BaseModel):
    days_of_cover: float | None
    stockout_date: date | None
    next_receipt_date: date | None
    demand_until_next_receipt: float
    balance_at_next_receipt: float
    short_before_supply: bool


class HealthItem(BaseModel):
    sku: str
    category: str | None
    location: str
    on_hand: int
    reserved: int
    available: int
    damaged: int
    in_transit: int
    safety_stock: int
    returns_expected: int
    incoming: list[IncomingSupply]
    velocity: VelocityRead
    forecast: ForecastRead
    projection: ProjectionRead
    lead_time_days: int
    reorder_point: int
    suggested_order_quantity: int
    risk: Risk


class HealthPage(BaseModel):
    items: list[HealthItem]
    total: int
    limit: int
    offset: int


def _item(r: HealthRow) -> HealthItem:
    p, v, fc = r.projection, r.velocity, r.forecast
    return HealthItem(
        sku=r.sku, category=r.category, location=r.location_code, on_hand=r.on_hand,
        reserved=r.reserved, available=r.available, damaged=r.damaged, in_transit=r.in_transit,
        safety_stock=r.safety_stock, returns_expected=r.returns_expected,
        incoming=[IncomingSupply(expected_date=i.expected_date, quantity=i.quantity,
                                 source=i.source, reference=i.reference) for i in r.incoming],
        velocity=VelocityRead(per_day_7=round(v.per_day_7, 3), per_day_28=round(v.per_day_28, 3),
                              per_day_90=round(v.per_day_90, 3), trend=v.trend.value),
        forecast=ForecastRead(method=fc.method, computed_at=fc.computed_at,
                              daily_mean=round(fc.daily_mean, 3), sigma=round(fc.sigma, 3)),
        projection=ProjectionRead(
            days_of_cover=None if p.days_of_cover is None else round(p.days_of_cover, 1),
            stockout_date=p.stockout_date, next_receipt_date=p.next_receipt_date,
            demand_until_next_receipt=round(p.demand_until_next_receipt, 2),
            balance_at_next_receipt=round(p.balance_at_next_receipt, 2),
            short_before_supply=p.short_before_supply),
        lead_time_days=r.lead_time_days, reorder_point=r.reorder_point,
        suggested_order_quantity=r.suggested_order_quantity, risk=r.risk)


@router.get("/health", summary="Expected against actual for every SKU x location")
def health(
    ctx: ReadContext,
    channel: str | None = Query(None, pattern=CODE_PATTERN,
                                description="Only locations serving it; its sales only"),
    location: str | None = Query(None, pattern=CODE_PATTERN),
    category: str | None = Query(None, min_length=1, max_length=100),
    sku: str | None = Query(None, pattern=SKU_PATTERN),
    risk: Risk | None = None,
    sort: SortBy = SortBy.RISK,
    limit: int = Query(50, ge=1, le=200),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> HealthPage:
    """Stock buckets, supply with dates, velocity over 7/28/90 days, the demand forecast,
    the projected balance until the next receipt, reorder point and suggested order
    quantity, and a risk level (critical, high, watch, ok, overstock, no_demand).
    Sorted by risk by default: what runs out soonest first."""
    f = HealthFilter(channel, location, category, sku, risk, sort, limit, offset)
    with ctx.read_uow() as uow:
        rows, total = inventory_health(uow, f)
    return HealthPage(items=[_item(r) for r in rows], total=total, limit=limit, offset=offset)


