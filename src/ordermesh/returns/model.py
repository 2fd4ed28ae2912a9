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


class ReturnStatus(enum.StrEnum):
    REQUESTED = "requested"  # waits for an operator to authorise or reject it
    AUTHORISED = "authorised"  # the customer may send the units
    REJECTED = "rejected"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"  # every unit asked for arrived and was graded
    RESOLVED = "resolved"  # refunded
    CANCELLED = "cancelled"


S = ReturnStatus
_TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    S.REQUESTED: frozenset({S.AUTHORISED, S.REJECTED, S.CANCELLED}),
    S.AUTHORISED: frozenset({S.PARTIALLY_RECEIVED, S.RECEIVED, S.RESOLVED, S.CANCELLED}),
    S.PARTIALLY_RECEIVED: frozenset({S.PARTIALLY_RECEIVED, S.RECEIVED, S.RESOLVED}),
    S.RECEIVED: frozenset({S.RESOLVED}),
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


@dataclass(frozen=True)
class ReturnPolicy:
    """A channel's return policy; a channel without one stored gets ``ReturnPolicy()``."""

    window_days: int = 30  # after delivery, or after shipment when no delivery is known
    final_sale_categories: tuple[str, ...] = ()
    resolutions: tuple[Resolution, ...] = (Resolution.REFUND,)
    auto_authorise: bool = True  # else every return waits for an operator
    returnless_below: Decimal | None = None  # refund without a shipment below this value


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
    return result


def return_number(order_number: str, nth: int) -> str:
    """``R-000123-2``: the order's second return."""
    digits = order_number.split("-", 1)[-1]
    return f"R-{digits}-{nth}"
