"""Returns (RMA): the state machine, the channel's return policy and the eligibility rules.

A return asks for units of shipped order lines back. Each requested line is judged by
the rules below; a refused line names the rule that refused it, so the caller can tell a
customer why. An operator may override the time window and final sale with a reason,
never the quantity rules (a unit is returned at most once, and only once it shipped).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from ordermesh.kit.errors import IllegalTransition
from ordermesh.kit.money import Money


class ReturnStatus(enum.StrEnum):
    REQUESTED = "requested"  # waits for an operator to authorise or reject it
    AUTHORISED = "authorised"  # the customer may send the units
    REJECTED = "rejected"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"  # every unit asked for arrived and was graded
    INSPECTED = "inspected"  # every unit received was inspected and graded again
    RESOLVED = "resolved"  # refunded
    CANCELLED = "cancelled"


S = ReturnStatus
_TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    S.REQUESTED: frozenset({S.AUTHORISED, S.REJECTED, S.CANCELLED}),
    S.AUTHORISED: frozenset({S.PARTIALLY_RECEIVED, S.RECEIVED, S.RESOLVED, S.CANCELLED}),
    S.PARTIALLY_RECEIVED: frozenset({S.PARTIALLY_RECEIVED, S.RECEIVED, S.RESOLVED}),
    S.RECEIVED: frozenset({S.INSPECTED, S.RESOLVED}),
    S.INSPECTED: frozenset({S.RESOLVED}),
    S.REJECTED: frozenset(),
    S.RESOLVED: frozenset(),
    S.CANCELLED: frozenset(),
}
# units of these returns no longer count as "in a return" (they may be asked for again)
CLOSED_WITHOUT_UNITS = frozenset({S.REJECTED, S.CANCELLED})


def check_transition(current: ReturnStatus, target: ReturnStatus, number: str) -> None:
    if target not in _TRANSITIONS[current]:
        raise IllegalTransition(f"Return {number} is {current}: it cannot become {target}",
                                extra={"current_status": current.value})


class Resolution(enum.StrEnum):
    REFUND = "refund"  # to the original payment
    STORE_CREDIT = "store_credit"
    EXCHANGE = "exchange"


class Grade(enum.StrEnum):
    AS_NEW = "as_new"
    OPEN_BOX = "open_box"
    DAMAGED = "damaged"
    DEFECTIVE = "defective"


class Disposition(enum.StrEnum):
    RESTOCK = "restock"  # back to sellable stock at the receiving location
    REFURBISH = "refurbish"  # held aside (not sellable) until refurbished
    QUARANTINE = "quarantine"  # held aside (not sellable)
    SCRAP = "scrap"  # booked in and written off at once


class ExchangeReserve(enum.StrEnum):
    AT_ONCE = "at_once"  # the replacement order may be placed once the return is authorised
    AT_RECEIPT = "at_receipt"  # only once every unit came back


class RefundRelease(enum.StrEnum):
    MANUAL = "manual"  # an operator refunds (POST /returns/{id}/refund) once units arrived
    RECEIPT = "receipt"  # refunded by the receipt that brings the last unit
    INSPECTION = "inspection"  # refunded by the inspection, never before it


# the seller's fault: no fee is kept when the customer returns for one of these
SELLER_FAULT_REASONS = ("damaged_in_transit", "defective", "wrong_item", "not_as_described",
                        "arrived_late")


@dataclass(frozen=True)
class ReturnFees:
    """What the policy keeps back from a refund; a return keeps the fees of its request."""

    return_shipping: Decimal | None = None  # flat, once per return whose units ship back
    restocking_percent: Decimal | None = None  # of the value of the units refunded
    free_reasons: tuple[str, ...] = SELLER_FAULT_REASONS

    def as_json(self) -> dict:
        return {"return_shipping": None if self.return_shipping is None
                else str(self.return_shipping),
                "restocking_percent": None if self.restocking_percent is None
                else f"{self.restocking_percent.normalize():f}",
                "free_reasons": list(self.free_reasons)}

    @classmethod
    def from_json(cls, data: dict | None) -> ReturnFees:
        if not data:
            return cls()
        def number(key: str) -> Decimal | None:
            return None if data.get(key) is None else Decimal(data[key])
        return cls(number("return_shipping"), number("restocking_percent"),
                   tuple(data.get("free_reasons", SELLER_FAULT_REASONS)))


@dataclass(frozen=True)
class Deduction:
    kind: str  # return_shipping_fee, restocking_fee
    description: str  # as the credit note shows it
    amount: Money


def deductions(fees: ReturnFees, lines: list[tuple[str, Money]], ships_back: bool,
               currency: str) -> list[Deduction]:
    """The fees kept back from refunding ``lines`` (reason, value refunded). Units returned
    for a reason in ``free_reasons`` bear no fee, nor does a returnless return (nothing
    ships back or is restocked); the shipping fee is charged once, when some units bear
    fees. Never more than the refund: the restocking fee is capped first, then the
    shipping fee."""
    value = sum((v for _, v in lines), Money.zero(currency))
    charged = sum((v for r, v in lines if r not in fees.free_reasons), Money.zero(currency))
    found: list[Deduction] = []
    left = value
    if not ships_back:
        return found
    if fees.restocking_percent and charged.amount:
        fee = min(Money.of(charged.amount * fees.restocking_percent / 100, currency), left)
        found.append(Deduction("restocking_fee",
                               f"Restocking fee ({fees.restocking_percent.normalize():f}%)",
                               fee))
        left = left - fee
    if fees.return_shipping and charged.amount:
        found.append(Deduction("return_shipping_fee", "Return shipping fee",
                               min(Money.of(fees.return_shipping, currency), left)))
    return [d for d in found if d.amount.amount > 0]


@dataclass(frozen=True)
class ReturnPolicy:
    """A channel's return policy; a channel without one stored gets ``ReturnPolicy()``."""

    window_days: int = 30  # after delivery, or after shipment when no delivery is known
    final_sale_categories: tuple[str, ...] = ()
    resolutions: tuple[Resolution, ...] = (Resolution.REFUND,)
    auto_authorise: bool = True  # else every return waits for an operator
    returnless_below: Decimal | None = None  # refund without a shipment below this value
    fees: ReturnFees = ReturnFees()
    refund_release: RefundRelease = RefundRelease.MANUAL
    exchange_reserve: ExchangeReserve = ExchangeReserve.AT_ONCE


@dataclass(frozen=True)
class LineFacts:
    """What the rules need to know about one order line."""

    line_no: int
    sku: str
    category: str | None
    shipped: int
    in_returns: int  # units in open or refunded returns
    refunded_shipped: int  # shipped units refunded without a return

    @property
    def returnable(self) -> int:
        return max(self.shipped - self.in_returns - self.refunded_shipped, 0)


@dataclass(frozen=True)
class AskedLine:
    order_line_no: int
    quantity: int
    reason: str
    resolution: Resolution
    comment: str | None = None
    exchange_for: str | None = None  # the SKU wanted instead (resolution exchange)


@dataclass(frozen=True)
class Refusal:
    index: int  # position of the line in the request
    rule: str
    message: str


@dataclass
class Judgement:
    refusals: list[Refusal] = field(default_factory=list)
    overridden: list[Refusal] = field(default_factory=list)  # rules an operator waived


def window_ends(policy: ReturnPolicy, started: datetime | None) -> datetime | None:
    return started + timedelta(days=policy.window_days) if started else None


def judge(policy: ReturnPolicy, asked: list[AskedLine], facts: dict[int, LineFacts],
          reasons: set[str], window_start: datetime | None, now: datetime,
          override: bool) -> Judgement:
    """Every rule that refuses a line. With ``override`` the window and final-sale rules
    are recorded as waived instead of refusing."""
    result = Judgement()
    seen: set[int] = set()
    ends = window_ends(policy, window_start)
    for i, line in enumerate(asked):
        def refuse(rule: str, message: str, *, waivable: bool = False, i: int = i) -> None:
            target = result.overridden if waivable and override else result.refusals
            target.append(Refusal(i, rule, message))

        fact = facts.get(line.order_line_no)
        if fact is None:
            refuse("unknown_line", f"the order has no line {line.order_line_no}")
            continue
        if line.order_line_no in seen:
            refuse("line_twice", f"line {line.order_line_no} is asked for twice: ask once "
                   "with the whole quantity")
            continue
        seen.add(line.order_line_no)
        if line.reason not in reasons:
            refuse("unknown_reason", f"{line.reason!r} is not a return reason "
                   "(GET /api/v1/return-reasons)")
        if (line.resolution is Resolution.EXCHANGE) != (line.exchange_for is not None):
            refuse("exchange_sku", "an exchange names the SKU wanted (exchange_for), and "
                   "only an exchange does")
        if line.resolution not in policy.resolutions:
            refuse("resolution_not_offered", f"the channel does not offer {line.resolution} "
                   f"(offered: {', '.join(policy.resolutions)})")
        if fact.shipped == 0:
            refuse("not_shipped", f"no unit of line {line.order_line_no} ({fact.sku}) has "
                   "shipped")
        elif line.quantity > fact.returnable:
            refuse("exceeds_returnable", f"{line.quantity} of line {line.order_line_no} "
                   f"({fact.sku}) asked for, {fact.returnable} returnable: {fact.shipped} "
                   f"shipped, {fact.in_returns} already in a return, "
                   f"{fact.refunded_shipped} refunded")
        if fact.category and fact.category in policy.final_sale_categories:
            refuse("final_sale", f"{fact.sku} is in the final-sale category "
                   f"{fact.category!r}", waivable=True)
        if ends is not None and now > ends:
            refuse("outside_window", f"the {policy.window_days}-day return window ended "
                   f"{ends.date().isoformat()}", waivable=True)
    wanted = {line.resolution for line in asked}
    if {Resolution.REFUND, Resolution.STORE_CREDIT} <= wanted:
        # one return's money goes one way: to the payment or to store credit
        for i, line in enumerate(asked):
            if line.resolution is Resolution.STORE_CREDIT:
                result.refusals.append(Refusal(
                    i, "mixed_refund_and_store_credit", "one return refunds to the payment "
                    "or to store credit, not both: ask for the others in another return"))
    return result


def return_number(order_number: str, nth: int) -> str:
    """``R-000123-2``: the order's second return."""
    digits = order_number.split("-", 1)[-1]
    return f"R-{digits}-{nth}"
