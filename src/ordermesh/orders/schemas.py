"""Request and response shapes of the orders API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from ordermesh.http.schemas import (
    SKU_PATTERN,
    AddressIn,
    CurrencyCode,
    MoneyOut,
    MoneyString,
)
from ordermesh.orders.model import Order, OrderStatus
from ordermesh.orders.service import MAX_LINES

MAX_QUANTITY = 100_000


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr | None = Field(None, max_length=254)
    name: str | None = Field(None, min_length=1, max_length=200)
    phone: str | None = Field(None, min_length=3, max_length=32, pattern=r"^\+?[0-9 ()./\-]+$")


class ShippingAddressIn(AddressIn):
    name: str = Field(min_length=1, max_length=200, description="The recipient")


class OrderLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(pattern=SKU_PATTERN)
    quantity: int = Field(gt=0, le=MAX_QUANTITY, strict=True)
    unit_price: MoneyString


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str = Field(min_length=1, max_length=40, description="Channel code")
    external_id: str | None = Field(
        None, min_length=1, max_length=100, description="The channel's own order number"
    )
    currency: CurrencyCode | None = Field(None, description="Defaults to the channel's")
    customer: CustomerIn | None = None
    shipping_address: ShippingAddressIn | None = None
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)
    shipping_price: MoneyString = Decimal(0)
    note: str | None = Field(None, max_length=500)
    reservation_id: str | None = Field(
        None, min_length=1, max_length=40,
        description="A hold of the same channel (`POST /api/v1/reservations`) whose units "
                    "the order takes over; units beyond it are reserved as usual and the "
                    "rest of the hold is released")


class CancelLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_no: int = Field(ge=1, strict=True)
    quantity: int = Field(gt=0, le=MAX_QUANTITY, strict=True)


class OrderCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[CancelLineIn] | None = Field(
        None, min_length=1, max_length=MAX_LINES,
        description="Units to cancel per line; leave out to cancel the whole order",
    )
    reason: str | None = Field(None, max_length=500)


class OrderHold(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class OrderReleaseHold(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(None, max_length=500)


class AllocationOut(BaseModel):
    location: str
    location_id: str
    quantity: int


class OrderLineOut(BaseModel):
    line_no: int
    sku: str
    product_id: str
    name: str
    quantity: int
    cancelled_quantity: int
    open_quantity: int
    unit_price: MoneyOut
    line_total: MoneyOut
    allocations: list[AllocationOut]


class TotalsOut(BaseModel):
    subtotal: MoneyOut
    shipping: MoneyOut
    total: MoneyOut


class StatusChangeOut(BaseModel):
    from_status: OrderStatus | None
    to_status: OrderStatus
    actor: str
    reason: str | None
    at: datetime


class OrderSummary(BaseModel):
    id: str
    number: str
    channel: str
    external_id: str | None
    status: OrderStatus
    currency: str
    customer_id: str | None
    totals: TotalsOut
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def _common(o: Order) -> dict:
        return {
            "id": o.id, "number": o.number, "channel": o.channel_code,
            "external_id": o.external_id, "status": o.status, "currency": o.currency,
            "customer_id": o.customer_id,
            "totals": TotalsOut(subtotal=MoneyOut.of(o.totals.subtotal),
                                shipping=MoneyOut.of(o.totals.shipping),
                                total=MoneyOut.of(o.totals.total)),
            "created_at": o.created_at, "updated_at": o.updated_at,
        }

    @classmethod
    def of(cls, o: Order) -> OrderSummary:
        return cls(**cls._common(o))


class OrderRead(OrderSummary):
    shipping_address: ShippingAddressIn | None
    lines: list[OrderLineOut]
    history: list[StatusChangeOut]

    @classmethod
    def of(cls, o: Order) -> OrderRead:
        return cls(
            **cls._common(o),
            shipping_address=ShippingAddressIn(**vars(o.shipping_address))
            if o.shipping_address else None,
            lines=[
                OrderLineOut(
                    line_no=ln.line_no, sku=ln.sku, product_id=ln.product_id, name=ln.name,
                    quantity=ln.quantity, cancelled_quantity=ln.cancelled_quantity,
                    open_quantity=ln.open_quantity, unit_price=MoneyOut.of(ln.unit_price),
                    line_total=MoneyOut.of(ln.line_total),
                    allocations=[AllocationOut(location=a.location_code,
                                               location_id=a.location_id, quantity=a.quantity)
                                 for a in o.allocations if a.line_no == ln.line_no],
                )
                for ln in o.lines
            ],
            history=[StatusChangeOut(from_status=h.from_status, to_status=h.to_status,
                                     actor=h.actor, reason=h.reason, at=h.at)
                     for h in o.history],
        )


class OrderPage(BaseModel):
    items: list[OrderSummary]
    next_cursor: str | None
