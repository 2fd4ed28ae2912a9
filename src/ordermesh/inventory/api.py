from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.http.schemas import CODE_PATTERN, SKU_PATTERN
from ordermesh.inventory import service
from ordermesh.inventory.model import AdjustmentReason
from ordermesh.kit.db import UnitOfWork

router = APIRouter(prefix="/api/v1/inventory", tags=["inventory"])

MAX_ADJUSTMENT = 1_000_000


class AdjustmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(pattern=SKU_PATTERN)
    location: str = Field(pattern=CODE_PATTERN, description="Location code")
    quantity_delta: int = Field(
        strict=True, ge=-MAX_ADJUSTMENT, le=MAX_ADJUSTMENT,
        description="Units added (positive) or removed (negative); never zero",
    )
    reason: AdjustmentReason
    note: str | None = Field(None, max_length=500)

    @field_validator("quantity_delta")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("quantity_delta must not be zero")
        return value


class LocationStock(BaseModel):
    location: str = Field(description="Location code")
    location_id: str
    on_hand: int
    reserved: int
    available: int


class StockTotals(BaseModel):
    on_hand: int
    reserved: int
    available: int


class SkuStockRead(BaseModel):
    sku: str
    product_id: str
    locations: list[LocationStock]
    totals: StockTotals

    @classmethod
    def of(cls, s: service.SkuStock) -> SkuStockRead:
        return cls(
            sku=s.sku, product_id=s.product_id,
            locations=[LocationStock(location=lv.location_code, location_id=lv.location_id,
                                     on_hand=lv.on_hand, reserved=lv.reserved,
                                     available=lv.available) for lv in s.levels],
            totals=StockTotals(on_hand=s.on_hand, reserved=s.reserved, available=s.available),
        )


@router.post("/adjustments", status_code=201, summary="Add or remove stock at a location")
def adjust(body: AdjustmentCreate, ctx: WriteContext) -> SkuStockRead:
    """Books a movement in the ledger and changes `on_hand`. Stock that is reserved for
    orders cannot be removed: such an adjustment is refused with 409."""
    cmd = service.AdjustStock(body.sku, body.location, body.quantity_delta, body.reason, body.note)
    idem = ctx.idempotency(body)

    def adjust_now(uow: UnitOfWork) -> service.SkuStock:
        result = service.adjust_stock(uow, cmd, idem)
        uow.commit()
        return result

    return SkuStockRead.of(ctx.run(adjust_now))


@router.get("/{sku}", summary="Stock of one SKU per location, with totals")
def get_stock(sku: str, ctx: ReadContext) -> SkuStockRead:
    with ctx.read_uow() as uow:
        return SkuStockRead.of(service.stock_for_sku(uow, sku))
