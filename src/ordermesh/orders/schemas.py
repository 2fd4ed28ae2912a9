"""Request and response shapes of the orders API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from ordermesh.http.schemas import (
    SKU_PATTERN,
    AddressIn,
    CurrencyCode,
    Identifier,
    MoneyOut,
    MoneyString,
)
from ordermesh.kit.money import Money
from ordermesh.orders.model import (
    FulfilmentMethod,
    Order,
    OrderLine,
    OrderStatus,
    ServiceLevel,
)
from ordermesh.orders.service import MAX_LINES
from ordermesh.payments.schemas import OrderPaymentOut
from ordermesh.payments.standing import OrderPaymentStatus

MAX_QUANTITY = 100_000


class CustomerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr | None = Field(None, max_length=254)
    name: str | None = Field(None, min_length=1, max_length=200)
    phone: str | None = Field(
        None, min_length=3, max_length=32, pattern=r"^\+?[0-9 ()./\-]+$",
        description="With + and the country code, or national in the shipping country")
    account_id: str | None = Field(
        None, min_length=1, max_length=100, pattern=r"^\S+$",
        description="The channel's own id for the buyer: a marketplace buyer id, a shop's "
        "customer id")


class ShippingAddressIn(AddressIn):
    name: str = Field(min_length=1, max_length=200, description="The recipient")
    latitude: float | None = Field(None, ge=-90, le=90, description=(
        "Optional: sourcing measures distance from here (else from the centre of the "
        "region or country)"))
    longitude: float | None = Field(None, ge=-180, le=180)


class FulfilmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: FulfilmentMethod = Field(FulfilmentMethod.SHIP, description=(
        "ship (needs the order's `shipping_address`), pickup at `pickup_location`, or "
        "counter: sold at the store `pickup_location` and carried away by the customer"))
    pickup_location: str | None = Field(
        None, min_length=1, max_length=40,
        description="Code of the location (with the pickup capability) the customer "
                    "collects from (pickup) or buys at (counter); only for those methods, "
                    "which source only there")
    service_level: ServiceLevel = ServiceLevel.STANDARD


class OrderLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(pattern=SKU_PATTERN)
    quantity: int = Field(gt=0, le=MAX_QUANTITY, strict=True)
    unit_price: MoneyString | None = Field(
        None, description="The price per unit the customer pays before discounts (including "
                          "tax when the channel's prices do). Leave out to take the channel's "
                          "price list; a channel that owns its prices (a marketplace) sends "
                          "its own and the difference to our list price is shown")
    discount: MoneyString | None = Field(None, description="Off the whole line")
    discount_reason: str | None = Field(None, min_length=1, max_length=200)


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str = Field(min_length=1, max_length=40, description="Channel code")
    external_id: Identifier | None = Field(
        None, min_length=1, max_length=100, description="The channel's own order number"
    )
    currency: CurrencyCode | None = Field(None, description="Defaults to the channel's")
    customer: CustomerIn | None = None
    shipping_address: ShippingAddressIn | None = Field(None, description=(
        "Where the order ships: required for fulfilment method ship (the default); "
        "optional for pickup and counter"))
    lines: list[OrderLineIn] = Field(min_length=1, max_length=MAX_LINES)
    shipping_price: MoneyString = Decimal(0)
    discount: MoneyString | None = Field(
        None, description="Off the whole order; shared over the lines in proportion to "
                          "their amounts so that each line's tax stays right")
    discount_reason: str | None = Field(None, min_length=1, max_length=200)
    buyer_vat_id: str | None = Field(
        None, min_length=4, max_length=20,
        description="The buyer's VAT id. A valid EU VAT id from another member state than "
                    "the seller's makes the sale a reverse-charge supply: no VAT is charged "
                    "and the invoice says so")
    note: str | None = Field(None, max_length=500)
    fulfilment: FulfilmentIn | None = Field(
        None, description="How the customer gets the order; default ship, standard")
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


class TaxComponentOut(BaseModel):
    jurisdiction: str = Field(description="Country, or country-region (e.g. `IN-KA`)")
    name: str = Field(description="VAT, GST, CGST, SGST, IGST, HST, PST, sales tax, ...")
    rate_percent: str
    taxable: str
    tax: str
    reason_code: str | None = Field(None, description="Why it is taxed so: `export_outside_eu`"
                                    ", `not_registered` (an export, zero-rated), "
                                    "`distance_sale_below_threshold`, `oss_opt_in`, "
                                    "`oss_threshold`; absent for an ordinary sale")
    reason: str | None = Field(None, description="The same for people; printed on invoices")


class OrderLineOut(BaseModel):
    line_no: int
    sku: str
    product_id: str
    name: str
    quantity: int
    cancelled_quantity: int
    open_quantity: int
    shipped_quantity: int
    refunded_quantity: int
    backordered_quantity: int = Field(
        description="Open units not sourced yet (no stock held): they are sourced "
                    "automatically when supply arrives")
    backorder_promised_date: date | None = Field(
        description="Expected date of the incoming supply that covers the backordered "
                    "units (first come, first served); null when none is known")
    unit_price: MoneyOut = Field(description="What the channel sells a unit at")
    list_price: MoneyOut | None = Field(description="Our price list's price at the order")
    price_difference: MoneyOut | None = Field(description="unit_price - list_price")
    line_total: MoneyOut = Field(description="unit_price x open units, before discounts")
    discount: MoneyOut = Field(description="Off this line for its open units, including its "
                                           "share of the order discount")
    discount_reason: str | None
    tax_class: str
    tax_rate_percent: str
    net: MoneyOut
    tax: MoneyOut
    gross: MoneyOut = Field(description="What the customer pays for this line")
    tax_components: list[TaxComponentOut]
    refunded: MoneyOut
    allocations: list[AllocationOut]


class TotalsOut(BaseModel):
    subtotal: MoneyOut = Field(description="Sum of line totals, before discounts")
    discount: MoneyOut
    shipping: MoneyOut = Field(description="As charged")
    tax: MoneyOut = Field(description="Included in total; of it, shipping_tax on shipping")
    total: MoneyOut = Field(description="What the customer pays")
    refunded: MoneyOut = Field(description="Given back after the sale (returns, shipping, "
                                           "goodwill); cancellations lower total instead")


class TaxOut(BaseModel):
    pricing_mode: str = Field(description="`inclusive`: prices include tax")
    country: str | None = Field(description="Where the tax was decided (destination); null "
                                            "when no destination was known")
    region: str | None
    tax_point: date | None
    reverse_charge: bool
    buyer_vat_id: str | None
    shipping_tax: MoneyOut
    breakdown: list[TaxComponentOut] = Field(description="Per jurisdiction, tax and rate")


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
    payment_status: OrderPaymentStatus = Field(
        description="From the order's payments: `unpaid`, `authorised`, `partly_paid`, "
        "`paid`, `partly_refunded` or `refunded` (see docs/payments.md)")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def _common(o: Order) -> dict:
        return {
            "id": o.id, "number": o.number, "channel": o.channel_code,
            "external_id": o.external_id, "status": o.status, "currency": o.currency,
            "customer_id": o.customer_id,
            "totals": _totals(o), "payment_status": o.payment_standing.status,
            "created_at": o.created_at, "updated_at": o.updated_at,
        }

    @classmethod
    def of(cls, o: Order) -> OrderSummary:
        return cls(**cls._common(o))


class OrderRead(OrderSummary):
    shipping_address: ShippingAddressIn | None
    fulfilment_method: FulfilmentMethod
    pickup_location: str | None = Field(description="Code of the pick-up location")
    service_level: ServiceLevel
    version: int = Field(description="1 as placed; each edit adds one")
    discount_reason: str | None
    tax: TaxOut | None
    lines: list[OrderLineOut]
    history: list[StatusChangeOut]
    payment: OrderPaymentOut = Field(description="What the order's payments add up to, "
                                     "their methods, and an operator's override if any")

    @classmethod
    def of(cls, o: Order) -> OrderRead:
        return cls(
            **cls._common(o), payment=OrderPaymentOut.of(o.payment_standing),
            shipping_address=ShippingAddressIn(**vars(o.shipping_address))
            if o.shipping_address else None,
            fulfilment_method=o.fulfilment_method, pickup_location=o.pickup_location,
            service_level=o.service_level,
            version=o.version, discount_reason=o.discount_reason, tax=_tax(o),
            lines=[_line(o, ln) for ln in o.lines],
            history=[StatusChangeOut(from_status=h.from_status, to_status=h.to_status,
                                     actor=h.actor, reason=h.reason, at=h.at)
                     for h in o.history],
        )


class OrderPage(BaseModel):
    items: list[OrderSummary]
    next_cursor: str | None


def _totals(o: Order) -> TotalsOut:
    t, zero = o.totals, MoneyOut.of(Money.zero(o.currency))
    return TotalsOut(
        subtotal=MoneyOut.of(t.subtotal), shipping=MoneyOut.of(t.shipping),
        total=MoneyOut.of(t.total), discount=MoneyOut.of(t.discount) if t.discount else zero,
        tax=MoneyOut.of(t.tax) if t.tax else zero,
        refunded=MoneyOut.of(t.refunded) if t.refunded else zero)


def _tax(o: Order) -> TaxOut | None:
    if o.tax is None:
        return None
    t = o.tax
    return TaxOut(pricing_mode=t.pricing_mode, country=t.country, region=t.region,
                  tax_point=t.tax_point, reverse_charge=t.reverse_charge,
                  buyer_vat_id=t.buyer_vat_id, shipping_tax=MoneyOut.of(t.shipping_tax),
                  breakdown=[TaxComponentOut(**c) for c in t.breakdown])


def _line(o: Order, ln: OrderLine) -> OrderLineOut:
    m = ln.money  # always set on orders placed or read: amounts are stored per line
    return OrderLineOut(
        line_no=ln.line_no, sku=ln.sku, product_id=ln.product_id, name=ln.name,
        quantity=ln.quantity, cancelled_quantity=ln.cancelled_quantity,
        open_quantity=ln.open_quantity, shipped_quantity=ln.shipped_quantity,
        refunded_quantity=ln.refunded_quantity, backordered_quantity=ln.backordered_quantity,
        backorder_promised_date=ln.backorder_promised_date,
        unit_price=MoneyOut.of(ln.unit_price),
        list_price=MoneyOut.of(ln.list_price) if ln.list_price else None,
        price_difference=MoneyOut.of(ln.unit_price - ln.list_price) if ln.list_price else None,
        line_total=MoneyOut.of(ln.line_total),
        discount=MoneyOut.of(m.discount), discount_reason=ln.discount_reason,
        tax_class=ln.tax_class, tax_rate_percent=format(m.rate_percent.normalize(), "f"),
        net=MoneyOut.of(m.net), tax=MoneyOut.of(m.tax), gross=MoneyOut.of(m.gross),
        tax_components=[TaxComponentOut(**c) for c in m.components],
        refunded=MoneyOut.of(ln.refunded or Money.zero(o.currency)),
        allocations=[AllocationOut(location=a.location_code, location_id=a.location_id,
                                   quantity=a.quantity)
                     for a in o.allocations if a.line_no == ln.line_no],
    )
