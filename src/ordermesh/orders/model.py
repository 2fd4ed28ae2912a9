"""Orders: lines, totals and the status state machine. No database, no web."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from ordermesh.kit.errors import FieldError, IllegalTransition, InvalidInput
from ordermesh.kit.money import Money, total

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


@dataclass(frozen=True)
class OrderLine:
    line_no: int
    product_id: str
    sku: str
    name: str
    quantity: int
    unit_price: Money
    cancelled_quantity: int = 0

    @property
    def open_quantity(self) -> int:
        return self.quantity - self.cancelled_quantity

    @property
    def line_total(self) -> Money:
        return self.unit_price.times(self.open_quantity)


@dataclass(frozen=True)
class Totals:
    subtotal: Money
    shipping: Money
    total: Money


def compute_totals(lines: list[OrderLine], shipping: Money, currency: str) -> Totals:
    """Line totals are exact (price x whole units); the order total is their plain sum."""
    subtotal = total((line.line_total for line in lines), currency)
    return Totals(subtotal=subtotal, shipping=shipping, total=subtotal + shipping)


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

    @property
    def number(self) -> str:
        return order_number(self.seq)


@dataclass(frozen=True)
class CancelRequest:
    """Cancel ``quantity`` units of line ``line_no``."""

    line_no: int
    quantity: int


def plan_cancellation(
    lines: list[OrderLine], requests: list[CancelRequest] | None
) -> dict[int, int]:
    """Units to cancel per line number; ``None`` means everything still open."""
    by_no = {line.line_no: line for line in lines}
    if requests is None:
        return {n: line.open_quantity for n, line in by_no.items() if line.open_quantity > 0}
    plan: dict[int, int] = {}
    errors = []
    for i, req in enumerate(requests):
        line = by_no.get(req.line_no)
        if line is None:
            errors.append(FieldError(f"lines.{i}.line_no", f"No line {req.line_no} in this order"))
            continue
        wanted = plan.get(req.line_no, 0) + req.quantity
        if wanted > line.open_quantity:
            errors.append(FieldError(
                f"lines.{i}.quantity",
                f"Line {req.line_no} has {line.open_quantity} open units, cannot cancel {wanted}",
                "exceeds_open_quantity",
            ))
            continue
        plan[req.line_no] = wanted
    if errors:
        raise InvalidInput("Some lines cannot be cancelled as asked", errors=errors)
    return plan
