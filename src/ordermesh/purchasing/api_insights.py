"""What purchasing knows about suppliers and what to buy: a product's suppliers side by
side, the purchasing part of supplier scorecards (served with the service part by
``flows/supplier_api.py``) and replenishment suggestions (one call makes a draft PO)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.http.schemas import CODE_PATTERN, SKU_PATTERN, MoneyOut
from ordermesh.kit.errors import InvalidInput
from ordermesh.purchasing import replenishment, scorecards
from ordermesh.purchasing.schemas import PORead, _Body
from ordermesh.suppliers.model import SupplierStatus

products_router = APIRouter(prefix="/api/v1/products", tags=["purchasing"])
replenishment_router = APIRouter(prefix="/api/v1/replenishment", tags=["purchasing"])


class LearnedRead(BaseModel):
    samples: int = Field(description="Lines received so far")
    median_days: float | None
    p90_days: float | None


class SupplierOptionRead(BaseModel):
    supplier_id: str
    supplier: str = Field(description="Supplier code")
    name: str
    status: SupplierStatus
    preferred: bool
    supplier_sku: str | None
    pack_size: int
    moq: int
    quantity: int = Field(description="The quantity costed: whole packs, at least the MOQ")
    unit_cost: MoneyOut | None = Field(description="null: no price for that quantity today")
    promised_lead_time_days: int | None
    learned_lead_time: LearnedRead
    score: float | None = Field(description="On time in full over the last year (0..1)")

    @classmethod
    def of(cls, o: scorecards.SupplierOption) -> SupplierOptionRead:
        return cls(supplier_id=o.supplier.id, supplier=o.supplier.code, name=o.supplier.name,
                   status=o.supplier.status, preferred=o.offer.preferred,
                   supplier_sku=o.offer.supplier_sku, pack_size=o.offer.pack_size,
                   moq=o.offer.moq, quantity=o.quantity,
                   unit_cost=MoneyOut.of(o.unit_cost) if o.unit_cost else None,
                   promised_lead_time_days=o.promised_lead_time_days,
                   learned_lead_time=LearnedRead(**vars(o.learned)), score=o.score)


class ProductSuppliersRead(BaseModel):
    sku: str
    suppliers: list[SupplierOptionRead]


@products_router.get("/{sku}/suppliers", summary="A product's suppliers side by side",
                     responses={404: {"description": "No such product"}})
def product_suppliers(
    sku: Annotated[str, Path(description="The product's id or SKU")], ctx: ReadContext,
    quantity: Annotated[int | None, Query(ge=1, le=1_000_000,
                                          description="Cost this many units")] = None,
) -> ProductSuppliersRead:
    """Preferred supplier first, then by unit cost: cost today for the quantity (rounded
    up to whole packs and the MOQ), promised lead time, lead time learned from receipts
    (median and 90th percentile) and the supplier's score."""
    with ctx.read_uow() as uow:
        found, options = scorecards.product_suppliers(uow, sku, quantity)
    return ProductSuppliersRead(sku=found,
                                suppliers=[SupplierOptionRead.of(o) for o in options])


class DropshipRecordRead(BaseModel):
    requested: int
    accepted: int = Field(description="Accepted, or shipped without an acceptance")
    rejected: int
    acceptance_rate: float | None = Field(description="Accepted over accepted + rejected")
    median_hours_to_ship: float | None = Field(description="From requested to the first "
                                               "parcel")


class ScorecardRead(BaseModel):
    supplier_id: str
    supplier: str
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    lines_due: int = Field(description="Sent lines whose (confirmed) due date is in the period")
    on_time_in_full: float | None = Field(description="Share of lines complete by their due "
                                          "date")
    on_time_against_confirmed: float | None = Field(
        description="Share of confirmed lines whose first units came by the confirmed date")
    fill_rate: float | None = Field(description="Units accepted over units due")
    lead_time_actual_days: float | None = Field(description="Mean days from sent to complete")
    lead_time_promised_days: float | None = Field(description="Mean days from sent to due")
    units_due: int
    units_received: int
    units_rejected: int = Field(description="Damaged or refused on arrival")
    price_variance: MoneyOut | None = Field(description="Paid minus list price on the day "
                                            "sent; positive: paid more")
    price_variance_percent: float | None
    dropship: DropshipRecordRead = Field(description="Drop-ship orders requested in the "
                                         "period (docs/dropship.md)")

    model_config = {"populate_by_name": True}

    @classmethod
    def of(cls, sc: scorecards.Scorecard, **extra):
        return cls(
            supplier_id=sc.supplier.id, supplier=sc.supplier.code, start=sc.start, end=sc.end,
            lines_due=sc.lines_due, on_time_in_full=sc.on_time_in_full,
            on_time_against_confirmed=sc.on_time_against_confirmed, fill_rate=sc.fill_rate,
            lead_time_actual_days=sc.lead_time_actual_days,
            lead_time_promised_days=sc.lead_time_promised_days, units_due=sc.units_due,
            units_received=sc.units_received, units_rejected=sc.units_rejected,
            price_variance=MoneyOut.of(sc.price_variance) if sc.price_variance else None,
            price_variance_percent=sc.price_variance_percent,
            dropship=DropshipRecordRead(**asdict(sc.dropship)), **extra)


class SuggestionRead(BaseModel):
    sku: str
    location: str
    needed: int = Field(description="Order-up-to quantity from inventory health")
    quantity: int = Field(description="What to order: whole packs, at least the MOQ")
    supplier: SupplierOptionRead | None = Field(description="null: no active supplier "
                                                "with a price")
    line_cost: MoneyOut | None
    other_suppliers: int
    risk: str
    why: str

    @classmethod
    def of(cls, s: replenishment.Suggestion) -> SuggestionRead:
        return cls(sku=s.sku, location=s.location, needed=s.needed, quantity=s.quantity,
                   supplier=SupplierOptionRead.of(s.option) if s.option else None,
                   line_cost=MoneyOut.of(s.line_cost) if s.line_cost else None,
                   other_suppliers=s.alternatives, risk=s.row.risk.value, why=s.why)


class SuggestionList(BaseModel):
    items: list[SuggestionRead]


@replenishment_router.get("/suggestions", summary="What to buy, how much, from whom, why")
def suggestions(
    ctx: ReadContext,
    location: Annotated[str | None, Query(max_length=40, pattern=CODE_PATTERN)] = None,
    supplier: Annotated[str | None, Query(max_length=40)] = None,
    sku: Annotated[str | None, Query(max_length=64, pattern=SKU_PATTERN)] = None,
) -> SuggestionList:
    """Every SKU and location whose forecast demand over lead time and review period
    exceeds available plus incoming stock (inventory health's order-up-to quantity),
    rounded to the chosen supplier's packs and MOQ: the preferred supplier when it is
    active and has a price, else the cheapest active one."""
    with ctx.read_uow() as uow:
        found = replenishment.suggestions(uow, location, supplier, sku)
    return SuggestionList(items=[SuggestionRead.of(s) for s in found])


class OrderSuggestionsIn(_Body):
    supplier: str = Field(min_length=1, max_length=40, description="Supplier id or code")
    location: str = Field(pattern=CODE_PATTERN)
    skus: list[str] | None = Field(None, min_length=1, max_length=200,
                                   description="Only these suggestions; omitted: all")


@replenishment_router.post("/purchase-orders", status_code=201,
                           summary="Turn suggestions into a draft purchase order",
                           responses={404: {"description": "No such supplier"},
                                      422: {"description": "Nothing suggested to buy"}})
def order_suggestions(body: OrderSuggestionsIn, ctx: WriteContext) -> PORead:
    """The current suggestions for one supplier at one location become one draft
    purchase order at the supplier's prices. Writes `purchase_order.created`."""
    if body.skus is not None and len(set(body.skus)) != len(body.skus):
        raise InvalidInput.for_field("skus", "a SKU is named twice", "duplicate_sku")
    idem = ctx.idempotency(body)
    return PORead.of(ctx.run(lambda uow: replenishment.order_suggestions(
        uow, body.supplier, body.location, body.skus, idem)))
