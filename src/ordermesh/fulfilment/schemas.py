"""Request and response shapes of the fulfilment API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ordermesh.fulfilment.model import FulfilmentOrder, FulfilmentStatus
from ordermesh.fulfilment.picking import PickList
from ordermesh.http.schemas import CODE_PATTERN, SKU_PATTERN, Identifier
from ordermesh.orders.schemas import MAX_QUANTITY

MAX_LINES = 500


class FulfilmentLineRead(BaseModel):
    line_no: int
    sku: str
    name: str
    quantity: int = Field(description="Units assigned to this fulfilment order")
    open: int = Field(description="Units it still has to send or hand over")
    picked_quantity: int
    packed_quantity: int
    shipped_quantity: int
    short_quantity: int
    rejected_quantity: int
    cancelled_quantity: int


class TimelineEntry(BaseModel):
    type: str = Field(description="`status` (our status history) or `tracking` (carrier)")
    at: datetime
    status: str | None = None
    from_status: str | None = None
    reason: str | None = None
    actor: str | None = None
    details: dict[str, Any] | None = None


class FulfilmentOrderRead(BaseModel):
    id: str
    number: str
    order_id: str
    order_number: str
    location: str
    location_id: str
    location_kind: str
    kind: str
    status: FulfilmentStatus = Field(description=(
        "What happened last: `picking` (on a pick list), `picked` (pick confirmed), "
        "`packed`, `label_created` (carrier booked, parcels still here; the order has not "
        "shipped), `shipped` (handed to the carrier: the order records the shipment), "
        "then the carrier's statuses; see docs/fulfilment.md"))
    lines: list[FulfilmentLineRead]
    shipping_address: dict | None
    service_level: str
    carrier: str | None
    carrier_service: str | None
    ship_by: date | None
    promised_date: date | None
    delivered_at: datetime | None
    decision_id: str | None
    ready_at: datetime | None
    created_at: datetime
    updated_at: datetime
    timeline: list[TimelineEntry] | None = Field(
        None, description="Status history and carrier tracking events, oldest first "
                          "(single fulfilment order reads only)")

    @classmethod
    def of(cls, fo: FulfilmentOrder, timeline: list[dict] | None = None) -> FulfilmentOrderRead:
        return cls(
            id=fo.id, number=fo.number, order_id=fo.order_id, order_number=fo.order_number,
            location=fo.location_code, location_id=fo.location_id,
            location_kind=fo.location_kind, kind=fo.kind.value, status=fo.status,
            lines=[FulfilmentLineRead(
                line_no=ln.line_no, sku=ln.sku, name=ln.name, quantity=ln.quantity,
                open=ln.open, picked_quantity=ln.picked_quantity,
                packed_quantity=ln.packed_quantity, shipped_quantity=ln.shipped_quantity,
                short_quantity=ln.short_quantity, rejected_quantity=ln.rejected_quantity,
                cancelled_quantity=ln.cancelled_quantity) for ln in fo.lines],
            shipping_address=fo.shipping_address, service_level=fo.service_level,
            carrier=fo.carrier, carrier_service=fo.carrier_service, ship_by=fo.ship_by,
            promised_date=fo.promised_date, delivered_at=fo.delivered_at,
            decision_id=fo.decision_id, ready_at=fo.ready_at, created_at=fo.created_at,
            updated_at=fo.updated_at,
            timeline=[TimelineEntry(**t) for t in timeline] if timeline is not None else None)


class FulfilmentOrderPage(BaseModel):
    items: list[FulfilmentOrderRead]
    next_cursor: str | None


class OrderFulfilment(BaseModel):
    order_id: str
    order_number: str
    fulfilment_orders: list[FulfilmentOrderRead]


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(None, max_length=500)


class LineQuantityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_no: int = Field(ge=1, strict=True)
    quantity: int = Field(gt=0, le=MAX_QUANTITY, strict=True)


def line_units(lines: list[LineQuantityIn] | None) -> dict[int, int] | None:
    if lines is None:
        return None
    units: dict[int, int] = {}
    for ln in lines:
        units[ln.line_no] = units.get(ln.line_no, 0) + ln.quantity
    return units


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[LineQuantityIn] | None = Field(
        None, max_length=MAX_LINES, description="Units refused per line; omitted: the whole "
                                                "fulfilment order (every unit not yet picked)")
    reason: str = Field(min_length=1, max_length=500)


class BinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(pattern=SKU_PATTERN)
    bin: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-/ ]*$")


class BinOut(BaseModel):
    sku: str
    bin: str


class BinList(BaseModel):
    location: str
    items: list[BinOut]


class PickListCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    location: str = Field(pattern=CODE_PATTERN, description="Location code")
    max_orders: int = Field(20, ge=1, le=200, strict=True,
                            description="At most this many fulfilment orders on the list")


class PickItemOut(BaseModel):
    position: int = Field(description="Walk order (by bin)")
    bin: str | None
    sku: str
    quantity: int
    picked_quantity: int | None
    fulfilment_order: str = Field(description="Fulfilment order number")
    fulfilment_order_id: str
    line_no: int


class PickListRead(BaseModel):
    id: str
    location: str
    status: str
    fulfilment_orders: list[str]
    items: list[PickItemOut]
    actor: str
    created_at: datetime
    confirmed_at: datetime | None

    @classmethod
    def of(cls, pl: PickList) -> PickListRead:
        return cls(id=pl.id, location=pl.location_code, status=pl.status,
                   fulfilment_orders=pl.fulfilment_orders, actor=pl.actor,
                   created_at=pl.created_at, confirmed_at=pl.confirmed_at,
                   items=[PickItemOut(position=i.position, bin=i.bin, sku=i.sku,
                                      quantity=i.quantity, picked_quantity=i.picked_quantity,
                                      fulfilment_order=i.fo_number,
                                      fulfilment_order_id=i.fo_id, line_no=i.line_no)
                          for i in pl.items])


class PickedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    position: int = Field(ge=1, strict=True)
    picked_quantity: int = Field(ge=0, le=MAX_QUANTITY, strict=True)


class PickConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[PickedIn] = Field(default_factory=list, max_length=10_000,
                                  description="Picked quantity per item position; items not "
                                              "listed were picked in full")
    reason: str | None = Field(None, max_length=500, description="Why units are short")


class StartPickingOut(BaseModel):
    fulfilment_order: FulfilmentOrderRead
    pick_list: PickListRead


class ReadyForPickupOut(BaseModel):
    fulfilment_order: FulfilmentOrderRead
    pickup_code: str = Field(description="Shown once: give it to the customer")
    hold_until: datetime


class PickupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=20)


class PartnerAcceptedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reference: Identifier | None = Field(None, max_length=100,
                                         description="The 3PL's own id")


class PartnerPackageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tracking_number: Identifier = Field(min_length=1, max_length=100)
    carrier: str | None = Field(None, min_length=1, max_length=40)
    sscc: str | None = Field(None, pattern=r"^\d{18}$")
    weight_g: int | None = Field(None, gt=0, le=10_000_000, strict=True)
    lines: list[LineQuantityIn] = Field(min_length=1, max_length=MAX_LINES)


class PartnerShippedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    packages: list[PartnerPackageIn] = Field(min_length=1, max_length=200)


class PartnerShortIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[LineQuantityIn] = Field(min_length=1, max_length=MAX_LINES)
    reason: str | None = Field(None, max_length=500)
