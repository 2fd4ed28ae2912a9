"""Request and response bodies of the drop-ship routes (merchant and partner)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ordermesh.dropship.model import (
    DropshipLine,
    DropshipOrder,
    DropshipRule,
    DropshipStatus,
    RoutingMode,
)
from ordermesh.http.schemas import CODE_PATTERN, SKU_PATTERN


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    supplier: str = Field(max_length=40, description="The supplier's id or code")
    sku: str | None = Field(None, pattern=SKU_PATTERN, description=(
        "Only this product (the supplier must carry it); none: every product it carries"))
    channel: str | None = Field(None, pattern=CODE_PATTERN, description=(
        "Only orders of this channel (id or code); none: every channel"))
    mode: RoutingMode = Field(RoutingMode.ALWAYS, description=(
        "`always`: the supplier ships these lines whatever our stock; `when_short`: only "
        "the units our own locations cannot supply"))


class RuleRead(BaseModel):
    id: str
    supplier: str = Field(description="The supplier's code")
    supplier_id: str
    sku: str | None
    channel: str | None = Field(description="The channel's code, none: every channel")
    mode: RoutingMode
    created_at: datetime

    @classmethod
    def of(cls, r: DropshipRule) -> RuleRead:
        return cls(id=r.id, supplier=r.supplier_code, supplier_id=r.supplier_id, sku=r.sku,
                   channel=r.channel_code, mode=r.mode, created_at=r.created_at)


class RuleList(BaseModel):
    items: list[RuleRead]


class ShipmentRead(BaseModel):
    id: str
    carrier: str
    tracking_number: str
    lines: list[dict] = Field(description="[{line_no, quantity}] in this parcel")
    shipped_at: datetime


class PartnerLineRead(BaseModel):
    line_no: int = Field(description="The customer order's line number")
    sku: str
    supplier_sku: str | None
    name: str
    quantity: int
    shipped: int
    short: int
    rejected: int
    cancelled: int = Field(description="Taken off by the merchant (the customer's order "
                           "was cancelled or edited): not to be shipped")
    cancel_requested: int = Field(description="Of the cancelled units, those awaiting "
                                  "your answer: accept or refuse the cancellation")
    cancel_accepted: int = Field(description="Cancelled units you will not ship")
    cancel_refused: int = Field(description="Cancelled units that had shipped already")
    open: int = Field(description="Units still to ship")
    unit_cost: str | None = Field(description="What you charge us per unit, in "
                                  "cost_currency; none when your price list has no price")


class LineRead(PartnerLineRead):
    unit_price: str = Field(description="Our price to the customer per unit (before "
                            "discounts and tax), in price_currency")


def _line(ln: DropshipLine) -> dict:
    return {"line_no": ln.line_no, "sku": ln.sku, "supplier_sku": ln.supplier_sku,
            "name": ln.name, "quantity": ln.quantity, "shipped": ln.shipped,
            "short": ln.short, "rejected": ln.rejected, "cancelled": ln.cancelled,
            "cancel_requested": ln.cancel_pending, "cancel_accepted": ln.cancel_accepted,
            "cancel_refused": ln.cancel_refused, "open": ln.open,
            "unit_cost": str(ln.unit_cost.amount) if ln.unit_cost else None}


class PartnerDropshipRead(BaseModel):
    """A drop-ship purchase order as the supplier sees it: our price to the customer is
    not on it."""

    id: str
    number: str
    status: DropshipStatus
    order_number: str = Field(description="The customer order, for the packing slip")
    ship_to: dict = Field(description="The customer's address: ship there, never to us")
    service_level: str
    cost_currency: str
    cost_total: str | None = Field(description="Your cost of the units not short or "
                                   "rejected")
    supplier_reference: str | None
    cancellation: str | None = Field(description=(
        "The merchant's cancellation of units: `requested` (awaiting the supplier's "
        "answer), `accepted`, `refused` (they had shipped), or none"))
    cancel_refusal: dict | None = Field(description="Why the supplier refused it: "
                                        "`reason`, `carrier`, `tracking_number`, `at`")
    lines: list[PartnerLineRead]
    shipments: list[ShipmentRead]
    created_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None

    @classmethod
    def of(cls, ds: DropshipOrder) -> PartnerDropshipRead:
        return cls(**_common(ds), lines=[PartnerLineRead(**_line(ln)) for ln in ds.lines])


def _common(ds: DropshipOrder) -> dict:
    return dict(
        id=ds.id, number=ds.number, status=ds.status, order_number=ds.order_number,
        ship_to=ds.ship_to, service_level=ds.service_level, cost_currency=ds.cost_currency,
        cost_total=str(ds.cost_total.amount) if ds.cost_total else None,
        supplier_reference=ds.supplier_reference, cancellation=ds.cancellation,
        cancel_refusal=ds.cancel_refusal,
        shipments=[ShipmentRead(id=s.id, carrier=s.carrier, tracking_number=s.tracking_number,
                                lines=[{"line_no": n, "quantity": q} for n, q in s.lines],
                                shipped_at=s.shipped_at) for s in ds.shipments],
        created_at=ds.created_at, accepted_at=ds.accepted_at, closed_at=ds.closed_at)


class DropshipRead(PartnerDropshipRead):
    """The merchant's view: the supplier's cost and our price side by side."""

    supplier: str
    supplier_id: str
    order_id: str
    fulfilment_order_id: str
    price_currency: str
    price_total: str = Field(description="Our price to the customer of the units not "
                             "short or rejected (before discounts and tax)")
    reason: str | None
    first_shipped_at: datetime | None
    lines: list[LineRead]  # type: ignore[assignment]

    @classmethod
    def of(cls, ds: DropshipOrder) -> DropshipRead:  # type: ignore[override]
        return cls(**_common(ds), supplier=ds.supplier_code, supplier_id=ds.supplier_id,
                   order_id=ds.order_id, fulfilment_order_id=ds.fo_id,
                   price_currency=ds.price_currency,
                   price_total=str(ds.price_total.amount), reason=ds.reason,
                   first_shipped_at=ds.first_shipped_at,
                   lines=[LineRead(**_line(ln), unit_price=str(ln.unit_price.amount))
                          for ln in ds.lines])


class PartnerDropshipList(BaseModel):
    items: list[PartnerDropshipRead]


class DropshipList(BaseModel):
    items: list[DropshipRead]
