"""Orders: lines, totals and the status state machine. No database, no web."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ordermesh.kit.errors import FieldError, IllegalTransition, InvalidInput
from ordermesh.kit.money import Money
from ordermesh.payments.standing import LedgerTotals, PaymentStanding

NUMBER_PREFIX = "OM-"


class OrderStatus(enum.StrEnum):
    PENDING = "pending"  # received, stock not yet reserved
    CONFIRMED = "confirmed"  # every line reserved
    ON_HOLD = "on_hold"  # stopped by a person (fraud check, customer request, ...)
    PROCESSING = "processing"  # released to fulfilment
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING: frozenset({S.CONFIRMED, S.ON_HOLD, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.PROCESSING, S.ON_HOLD, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.PENDING, S.CONFIRMED, S.PROCESSING, S.CANCELLED}),
    S.PROCESSING: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.ON_HOLD, S.CANCELLED}),
    S.PARTIALLY_SHIPPED: frozenset({S.SHIPPED}),
    S.SHIPPED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}
CANCELLABLE = frozenset(s for s, targets in TRANSITIONS.items() if S.CANCELLED in targets)


def check_transition(current: OrderStatus, target: OrderStatus) -> None:
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        raise IllegalTransition(
            f"An order that is {current} cannot become {target} (allowed: {allowed})",
            extra={"current_status": current.value, "requested_status": target.value},
        )


def order_number(seq: int) -> str:
    return f"{NUMBER_PREFIX}{seq:06d}"


def parse_order_number(number: str) -> int | None:
    digits = number[len(NUMBER_PREFIX):]
    if (not number.startswith(NUMBER_PREFIX) or not digits.isascii() or not digits.isdigit()
            or len(digits) > 18):
        return None
    return int(number[len(NUMBER_PREFIX):])


@dataclass(frozen=True)
class ShippingAddress:
    name: str
    line1: str
    city: str
    country: str
    line2: str | None = None
    region: str | None = None
    postal_code: str | None = None
    latitude: float | None = None  # optional: sourcing measures distance from them
    longitude: float | None = None


class FulfilmentMethod(enum.StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"  # click-and-collect at ``pickup_location_id``
    # sold at the store's counter and carried away by the customer: no address; sourced
    # only at the store (``pickup_location_id``) and handed over as a pick-up is
    COUNTER = "counter"

    @property
    def at_location(self) -> bool:
        """Handed over at a location (``pickup_location_id``) rather than shipped."""
        return self is not FulfilmentMethod.SHIP


class ServiceLevel(enum.StrEnum):
    STANDARD = "standard"
    EXPRESS = "express"


@dataclass(frozen=True)
class LineMoney:
    """A line's amounts for its open units, after its share of every discount."""

    discount: Money
    net: Money
    tax: Money
    gross: Money
    rate_percent: Decimal
    components: tuple[dict, ...] = ()  # {jurisdiction, name, rate_percent, taxable, tax}


@dataclass(frozen=True)
class OrderLine:
    line_no: int
    product_id: str
    sku: str
    name: str
    quantity: int
    unit_price: Money
    cancelled_quantity: int = 0
    list_price: Money | None = None
    discount: Money | None = None  # for the whole ordered quantity
    discount_reason: str | None = None
    order_discount_share: Money | None = None  # its part of the order discount, as placed
    tax_class: str = "standard"
    money: LineMoney | None = None
    shipped_quantity: int = 0
    refunded_quantity: int = 0
    refunded_unshipped: int = 0  # refunded units that had not shipped: never sent now
    refunded: Money | None = None
    refunded_tax: Money | None = None
    # units still to ship that hold no stock yet: sourced when supply arrives (issue 4)
    backordered_quantity: int = 0
    backorder_promised_date: date | None = None  # when incoming supply covers them

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.cancelled_quantity

    @property
    def line_total(self) -> Money:
        """Unit price x open units, before discounts."""
        return self.unit_price.times(self.open_quantity)

    @property
    def cancellable_quantity(self) -> int:
        """Open units that have neither shipped nor been refunded: those still to ship."""
        return self.open_quantity - self.shipped_quantity - self.refunded_unshipped

    @property
    def reserved_quantity(self) -> int:
        """Units still to ship that hold stock: those that can ship now."""
        return self.cancellable_quantity - self.backordered_quantity

    def unshipped_share_of_refund(self, units: int) -> int:
        """Of ``units`` refunded now, how many had not shipped: shipped units that were not
        refunded yet are taken first (a return), then units still waiting to ship."""
        shipped_unrefunded = self.shipped_quantity - (self.refunded_quantity
                                                      - self.refunded_unshipped)
        return max(units - shipped_unrefunded, 0)

    @property
    def line_discount(self) -> Money:
        return self.discount or Money.zero(self.unit_price.currency)

    @property
    def total_discount(self) -> Money:
        """Its own discount and its share of the order's, for the whole ordered quantity:
        fixed when placed, so cancelling other lines never moves money onto this one."""
        share = self.order_discount_share or Money.zero(self.unit_price.currency)
        return self.line_discount + share


@dataclass(frozen=True)
class Totals:
    subtotal: Money
    shipping: Money
    total: Money
    discount: Money | None = None
    tax: Money | None = None
    refunded: Money | None = None
    shipping_refunded: Money | None = None


@dataclass(frozen=True)
class TaxDetails:
    pricing_mode: str
    country: str | None
    region: str | None
    tax_point: date | None
    reverse_charge: bool
    buyer_vat_id: str | None
    shipping_tax: Money
    breakdown: tuple[dict, ...]
    shipping_components: tuple[dict, ...] = ()


@dataclass(frozen=True)
class StatusChange:
    from_status: OrderStatus | None
    to_status: OrderStatus
    actor: str
    reason: str | None
    at: datetime


@dataclass(frozen=True)
class LineAllocation:
    line_no: int
    location_id: str
    location_code: str
    quantity: int


@dataclass(frozen=True)
class Order:
    id: str
    seq: int
    channel_id: str
    channel_code: str
    external_id: str | None
    status: OrderStatus
    currency: str
    customer_id: str | None
    shipping_address: ShippingAddress | None
    lines: list[OrderLine]
    totals: Totals
    created_at: datetime
    updated_at: datetime
    history: list[StatusChange] = field(default_factory=list)
    allocations: list[LineAllocation] = field(default_factory=list)
    discount_reason: str | None = None
    tax: TaxDetails | None = None
    legal_entity_id: str | None = None
    version: int = 1
    order_discount_amount: Money | None = None
    capture_policy: str = "order"  # the channel's when placed: "order" or "shipment"
    invoicing: str = "order"  # when invoices are issued: "order" or "shipment"
    fulfilment_method: FulfilmentMethod = FulfilmentMethod.SHIP
    pickup_location_id: str | None = None
    service_level: ServiceLevel = ServiceLevel.STANDARD
    pickup_location: str | None = None  # its code
    payment: PaymentStanding | None = None  # read with the order; None: no payment yet

    @property
    def owed(self) -> Money:
        """What the customer owes: the total less refunds after the sale."""
        return self.totals.total - (self.totals.refunded or Money.zero(self.currency))

    @property
    def payment_standing(self) -> PaymentStanding:
        return self.payment or PaymentStanding(LedgerTotals.nothing(self.owed))

    @property
    def order_discount(self) -> Money:
        return self.order_discount_amount or Money.zero(self.currency)

    @property
    def shipping_gross(self) -> Money:
        """The shipping charge as the customer pays it, tax included."""
        shipping = self.totals.shipping
        if self.tax is None or self.tax.pricing_mode == "inclusive":
            return shipping
        return shipping + self.tax.shipping_tax

    @property
    def number(self) -> str:
        return order_number(self.seq)


@dataclass(frozen=True)
class CancelRequest:
    """Cancel ``quantity`` units of line ``line_no``."""

    line_no: int
    quantity: int


def units_per_line(
    lines: list[OrderLine], requests: list, available: Callable[[OrderLine], int],
    what: str, verb: str, code: str, done: str | None = None,
) -> dict[int, int]:
    """Add up requests (``line_no``, ``quantity``) per line, each line's total at most
    ``available(line)`` (``what`` those units are); every problem is named by field."""
    by_no = {line.line_no: line for line in lines}
    plan: dict[int, int] = {}
    errors = []
    for i, req in enumerate(requests):
        line = by_no.get(req.line_no)
        if line is None:
            errors.append(FieldError(f"lines.{i}.line_no", f"No line {req.line_no} in this order"))
            continue
        wanted = plan.get(req.line_no, 0) + req.quantity
        if wanted > available(line):
            errors.append(FieldError(
                f"lines.{i}.quantity",
                f"Line {req.line_no} has {available(line)} units {what}, cannot {verb} {wanted}",
                code))
            continue
        plan[req.line_no] = wanted
    if errors:
        raise InvalidInput(f"Some lines cannot be {done or verb + 'ed'} as asked",
                           errors=errors)
    return plan


def plan_cancellation(
    lines: list[OrderLine], requests: list[CancelRequest] | None
) -> dict[int, int]:
    """Units to cancel per line number; ``None`` means everything still open."""
    if requests is None:
        return {line.line_no: line.cancellable_quantity for line in lines
                if line.cancellable_quantity > 0}
    return units_per_line(lines, requests, lambda line: line.cancellable_quantity,
                          "that are open and neither shipped nor refunded", "cancel",
                          "exceeds_open_quantity", "cancelled")
