"""HTTP routes of a supplier's scorecard (purchasing and, for carriers and 3PLs, the
service they gave: ``flows/supplier_service.py``) and of the carrier accounts and
locations it stands behind (``flows/supplier_links.py``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from ordermesh.flows import supplier_links, supplier_service
from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.http.schemas import CODE_PATTERN, IsoDate
from ordermesh.locations.model import LocationKind
from ordermesh.purchasing import scorecards
from ordermesh.purchasing.api_insights import ScorecardRead
from ordermesh.suppliers.model import SupplierKind

router = APIRouter(prefix="/api/v1/suppliers", tags=["suppliers"])
scorecard_router = APIRouter(prefix="/api/v1/suppliers", tags=["purchasing"])

SupplierRef = Annotated[str, Path(description="The supplier's id or code",
                                  examples=["SWIFT-PARCEL"])]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


# -- links ------------------------------------------------------------------------------


class SupplierLinksIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    carrier_accounts: list[Annotated[str, Field(pattern=CODE_PATTERN)]] = Field(
        default_factory=list, max_length=50,
        description="Codes of carrier accounts (a supplier of kind carrier only)")
    locations: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=50,
        description="Ids or codes of locations of kind 3pl (a supplier of kind 3pl only)")


class LinkedCarrierRead(BaseModel):
    code: str
    name: str
    active: bool


class LinkedLocationRead(BaseModel):
    id: str
    code: str
    name: str
    kind: LocationKind


class SupplierLinksRead(BaseModel):
    supplier_id: str
    supplier: str = Field(description="Supplier code")
    kind: SupplierKind
    carrier_accounts: list[LinkedCarrierRead]
    locations: list[LinkedLocationRead]

    @classmethod
    def of(cls, found: supplier_links.SupplierLinks) -> SupplierLinksRead:
        return cls(supplier_id=found.supplier.id, supplier=found.supplier.code,
                   kind=found.supplier.kind,
                   carrier_accounts=[LinkedCarrierRead(code=a.code, name=a.name,
                                                       active=a.active)
                                     for a in found.carrier_accounts],
                   locations=[LinkedLocationRead(id=loc.id, code=loc.code, name=loc.name,
                                                 kind=loc.kind) for loc in found.locations])


@router.put("/{supplier_id}/links", summary="Set the carrier accounts or 3PL locations a "
            "supplier stands behind",
            responses={404: {"description": "No such supplier"},
                       409: {"description": "An account or location is linked to another "
                             "supplier"},
                       422: {"description": "Unknown account or location, a location that "
                             "is not a 3PL's, or a supplier of another kind"}})
def set_links(supplier_id: SupplierRef, body: SupplierLinksIn,
              ctx: WriteContext) -> SupplierLinksRead:
    """Replaces the whole set: what is left out is unlinked, `{}` unlinks everything. A
    carrier account or location belongs to at most one supplier. Their shipments,
    fulfilment orders and customer feedback then show on the supplier's scorecard.
    Writes `supplier.changed` (`changed: ["links"]`) when something changed."""
    return SupplierLinksRead.of(ctx.run(lambda uow: supplier_links.set_supplier_links(
        uow, supplier_id, body.carrier_accounts, body.locations)))


@router.get("/{supplier_id}/links", summary="The carrier accounts or 3PL locations a "
            "supplier stands behind", responses={404: {"description": "No such supplier"}})
def get_links(supplier_id: SupplierRef, ctx: ReadContext) -> SupplierLinksRead:
    with ctx.read_uow() as uow:
        return SupplierLinksRead.of(supplier_links.supplier_links(uow, supplier_id))


# -- the scorecard ----------------------------------------------------------------------


class ShipmentsRead(BaseModel):
    handed_over: int = Field(description="Shipments handed to the carrier in the period")
    delivered: int
    delivered_on_time: int = Field(description="By the promised date")
    delivered_late: int
    delivered_without_promise: int = Field(description="No promised date to measure by")
    on_time_rate: float | None = Field(description="On time over delivered with a promise")
    with_exception: int = Field(description="Shipments with a failed delivery, damage or "
                                "return scan")
    exceptions: dict[str, int] = Field(description="Shipments per exception scan")
    exception_rate: float | None = Field(description="with_exception over handed_over")
    damage_rate: float | None = Field(description="Shipments scanned damaged over "
                                      "handed_over")
    mean_days_to_delivery: float | None = Field(description="Hand-over to delivery scan")

    @classmethod
    def of(cls, r) -> ShipmentsRead:
        return cls(handed_over=r.handed_over, delivered=r.delivered,
                   delivered_on_time=r.delivered_on_time, delivered_late=r.delivered_late,
                   delivered_without_promise=r.delivered_without_promise,
                   on_time_rate=_rate(r.delivered_on_time,
                                      r.delivered_on_time + r.delivered_late),
                   with_exception=r.with_exception, exceptions=r.exceptions,
                   exception_rate=_rate(r.with_exception, r.handed_over),
                   damage_rate=_rate(r.exceptions["damaged"], r.handed_over),
                   mean_days_to_delivery=_number(r.mean_days_to_delivery))


class FulfilmentRead(BaseModel):
    fulfilment_orders: int = Field(description="Released to the 3PL's locations in the "
                                   "period")
    units_requested: int
    units_short: int = Field(description="Reported short (not found)")
    short_rate: float | None = Field(description="units_short over units_requested")
    orders_with_shorts: int
    handed_over: int
    handed_over_by_ship_by: int = Field(description="Handed to the carrier on or before "
                                        "the ship-by day (UTC)")
    handed_over_late: int
    without_ship_by: int
    ship_on_time_rate: float | None

    @classmethod
    def of(cls, r) -> FulfilmentRead:
        return cls(**vars(r), short_rate=_rate(r.units_short, r.units_requested),
                   ship_on_time_rate=_rate(r.handed_over_by_ship_by,
                                           r.handed_over_by_ship_by + r.handed_over_late))


class KindScoreRead(BaseModel):
    kind: str
    pieces: int
    mean_score: float
    scale: list[int] = Field(description="Lowest and highest score of the kind")


class TopicRead(BaseModel):
    topic: str
    label: str
    mentions: int
    negative: int


class FeedbackSummaryRead(BaseModel):
    pieces: int = Field(description="Received in the period about the carrier accounts or "
                        "locations")
    negative: int = Field(description="Detractor NPS, CSAT or rating 1-2, negative text")
    negative_share: float | None
    scores: list[KindScoreRead]
    topics: list[TopicRead] = Field(description="Most negative first")

    @classmethod
    def of(cls, r) -> FeedbackSummaryRead:
        return cls(pieces=r.pieces, negative=r.negative,
                   negative_share=_number(r.negative_share),
                   scores=[KindScoreRead(kind=s.kind, pieces=s.pieces,
                                         mean_score=float(s.mean_score), scale=list(s.scale))
                           for s in r.scores],
                   topics=[TopicRead(**vars(t)) for t in r.topics])


class NotMeasuredRead(BaseModel):
    metric: str
    why: str


class ServiceRead(BaseModel):
    carrier_accounts: list[str]
    locations: list[str]
    shipments: ShipmentsRead
    fulfilment: FulfilmentRead | None = Field(description="A 3PL's locations only")
    feedback: FeedbackSummaryRead
    not_measured: list[NotMeasuredRead]

    @classmethod
    def of(cls, r: supplier_service.ServiceRecord) -> ServiceRead:
        return cls(carrier_accounts=r.carrier_accounts, locations=r.locations,
                   shipments=ShipmentsRead.of(r.shipments),
                   fulfilment=FulfilmentRead.of(r.fulfilment) if r.fulfilment else None,
                   feedback=FeedbackSummaryRead.of(r.feedback),
                   not_measured=[NotMeasuredRead(metric=m, why=w) for m, w in r.not_measured])


class SupplierScorecardRead(ScorecardRead):
    service: ServiceRead | None = Field(description="Carriers and 3PLs: the service given "
                                        "through their linked carrier accounts and "
                                        "locations; null for other suppliers")


@scorecard_router.get("/{supplier_id}/scorecard", summary="A supplier's scorecard",
                      response_model_by_alias=True,
                      responses={404: {"description": "No such supplier"}})
def scorecard(
    supplier_id: SupplierRef,
    ctx: ReadContext,
    start: Annotated[IsoDate, Query(alias="from", description="First day counted")],
    end: Annotated[IsoDate, Query(alias="to", description="Last day counted")],
) -> SupplierScorecardRead:
    """On time in full, on time against confirmed dates, fill rate, lead time actual vs
    promised, units rejected on arrival and price variance, over the lines due in the
    period, from the receipts booked so far; drop-ship acceptance and time to ship over
    the drop-ship orders requested in the period. For a carrier or 3PL, `service`: the
    shipments its linked carrier accounts or locations handed over in the period, the
    fulfilment orders released to its locations, and the customer feedback about them
    received in the period."""

    with ctx.read_uow() as uow:
        sc = scorecards.scorecard(uow, supplier_id, start, end)
        record = supplier_service.service_record(uow, sc.supplier, start, end)
    return SupplierScorecardRead.of(sc, service=ServiceRead.of(record) if record else None)

