"""Drop-ship: a supplier ships our customer's order from its own stock.

Pure: rules, the drop-ship purchase order and its state machine. A rule routes order
lines to a supplier by product, by channel, or both; ``always`` sends them to the
supplier whatever our stock, ``when_short`` only the units our own locations cannot
supply. The most specific rule that matches a line decides (product and channel, then
product, then channel, then a rule for everything the supplier carries; the oldest
first among equals).

A drop-ship purchase order (``DS-…``) goes to one supplier for one customer order. It
carries the customer's address, the supplier's cost per unit (in the supplier's
currency) and our price to the customer (in the order's currency), kept apart.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from ordermesh.kit.errors import IllegalTransition
from ordermesh.kit.money import Money

NUMBER_PREFIX = "DS-"


class RoutingMode(enum.StrEnum):
    ALWAYS = "always"  # the supplier ships these lines, whatever our stock
    WHEN_SHORT = "when_short"  # only the units our own locations cannot supply


class DropshipStatus(enum.StrEnum):
    REQUESTED = "requested"  # sent to the supplier, not answered yet
    ACCEPTED = "accepted"  # the supplier will ship it
    PARTLY_SHIPPED = "partly_shipped"  # some units shipped, the rest still open
    SHIPPED = "shipped"  # nothing open: every unit shipped (some may have been short)
    SHORT = "short"  # nothing open and nothing shipped: the supplier had none
    REJECTED = "rejected"  # refused whole: its units went back to sourcing
    CANCELLED = "cancelled"  # the customer's order gave up its units before they shipped
    # nothing open, the merchant cancelled units the supplier has not answered about yet
    CANCEL_REQUESTED = "cancel_requested"
    # nothing open, the supplier refused a cancellation: it had shipped them already
    CANCEL_REFUSED = "cancel_refused"


OPEN = frozenset({DropshipStatus.REQUESTED, DropshipStatus.ACCEPTED,
                  DropshipStatus.PARTLY_SHIPPED})
ANSWERABLE = frozenset({DropshipStatus.REQUESTED, DropshipStatus.ACCEPTED})


@dataclass(frozen=True)
class DropshipRule:
    id: str
    supplier_id: str
    supplier_code: str
    product_id: str | None
    sku: str | None
    channel_id: str | None
    channel_code: str | None
    mode: RoutingMode
    created_at: datetime

    def matches(self, product_id: str, channel_id: str) -> bool:
        return (self.product_id in (None, product_id)
                and self.channel_id in (None, channel_id))

    @property
    def rank(self) -> tuple:
        """Most specific first, then the oldest."""
        return (self.product_id is None, self.channel_id is None, self.created_at, self.id)


def rule_for(rules: tuple[DropshipRule, ...], product_id: str, channel_id: str
             ) -> DropshipRule | None:
    matching = [r for r in rules if r.matches(product_id, channel_id)]
    return min(matching, key=lambda r: r.rank) if matching else None


@dataclass(frozen=True)
class DropshipLine:
    line_no: int
    product_id: str
    sku: str
    supplier_sku: str | None
    name: str
    quantity: int
    shipped: int
    short: int
    rejected: int
    unit_cost: Money | None  # the supplier's, None when its price list has no price
    unit_price: Money  # ours to the customer
    # taken off by the merchant (order cancelled or edited): read from the fulfilment
    # order, which is where a cancellation lands
    cancelled: int = 0
    # the supplier's side of those units: told (``dropship.cancel_requested``), and its
    # answer: cancelled on its side too, or refused (it had shipped them already)
    cancel_requested: int = 0
    cancel_accepted: int = 0
    cancel_refused: int = 0

    @property
    def open(self) -> int:
        return max(self.quantity - self.shipped - self.short - self.rejected
                   - self.cancelled, 0)

    @property
    def cancel_pending(self) -> int:
        """Units the merchant cancelled that the supplier has not answered about."""
        return max(self.cancelled - self.cancel_accepted - self.cancel_refused, 0)

    @property
    def wanted(self) -> int:
        """Units the supplier ships or has shipped: what it charges us for (a refused
        cancellation's units shipped all the same)."""
        return (self.quantity - self.short - self.rejected - self.cancelled
                + self.cancel_refused)


@dataclass(frozen=True)
class DropshipShipment:
    id: str
    carrier: str
    tracking_number: str
    lines: tuple[tuple[int, int], ...]
    order_shipment_id: str
    shipped_at: datetime


@dataclass(frozen=True)
class DropshipOrder:
    id: str
    number: str
    supplier_id: str
    supplier_code: str
    order_id: str
    order_number: str
    fo_id: str
    status: DropshipStatus
    ship_to: dict
    service_level: str
    cost_currency: str
    price_currency: str
    supplier_reference: str | None
    reason: str | None
    lines: tuple[DropshipLine, ...]
    shipments: tuple[DropshipShipment, ...]
    created_at: datetime
    accepted_at: datetime | None
    first_shipped_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime

    cancel_refusal: dict | None = None  # the supplier's reason, carrier, tracking number

    def line(self, line_no: int) -> DropshipLine | None:
        return next((ln for ln in self.lines if ln.line_no == line_no), None)

    @property
    def open_units(self) -> int:
        return sum(ln.open for ln in self.lines)

    @property
    def cancel_pending(self) -> int:
        return sum(ln.cancel_pending for ln in self.lines)

    @property
    def cancellation(self) -> str | None:
        """Where the merchant's cancellation stands with the supplier: ``requested``
        (units await its answer), ``refused`` (it had shipped some), ``accepted``."""
        if self.cancel_pending:
            return "requested"
        if any(ln.cancel_refused for ln in self.lines):
            return "refused"
        return "accepted" if any(ln.cancel_accepted for ln in self.lines) else None

    @property
    def cost_total(self) -> Money | None:
        """What the supplier charges for the units it ships or still has to ship."""
        if any(ln.unit_cost is None for ln in self.lines):
            return None
        total = Money.zero(self.cost_currency)
        for ln in self.lines:
            total = total + ln.unit_cost.times(ln.wanted)
        return total

    @property
    def price_total(self) -> Money:
        total = Money.zero(self.price_currency)
        for ln in self.lines:
            total = total + ln.unit_price.times(ln.wanted)
        return total


def dropship_number(order_seq: int, index: int) -> str:
    """``DS-000042-1``: the customer order's sequence and the PO's place among its POs."""
    return f"{NUMBER_PREFIX}{order_seq:06d}-{index}"


def effective_status(stored: DropshipStatus, lines: tuple[DropshipLine, ...]
                     ) -> DropshipStatus:
    """An open drop-ship order whose last open units the merchant cancelled is closed:
    ``shipped`` when something shipped; else ``cancel_requested`` until the supplier
    answers, ``cancel_refused`` when it had shipped them already, ``cancelled``."""
    if stored not in OPEN or any(ln.open for ln in lines):
        return stored
    if any(ln.shipped for ln in lines):
        return DropshipStatus.SHIPPED
    if any(ln.cancel_pending for ln in lines):
        return DropshipStatus.CANCEL_REQUESTED
    if any(ln.cancel_refused for ln in lines):
        return DropshipStatus.CANCEL_REFUSED
    return DropshipStatus.CANCELLED if any(ln.cancelled for ln in lines) else stored


def status_after(ds: DropshipOrder, shipped: dict[int, int], short: dict[int, int]
                 ) -> DropshipStatus:
    """The status once ``shipped`` and ``short`` units (per line) are booked."""
    open_left = sum(ln.open - shipped.get(ln.line_no, 0) - short.get(ln.line_no, 0)
                    for ln in ds.lines)
    any_shipped = any(ln.shipped for ln in ds.lines) or any(shipped.values())
    if open_left:
        return DropshipStatus.PARTLY_SHIPPED if any_shipped else ds.status
    return DropshipStatus.SHIPPED if any_shipped else DropshipStatus.SHORT


def check_answerable(ds: DropshipOrder, what: str) -> None:
    """Accept and reject answer a PO nothing of which has shipped yet."""
    if ds.status not in ANSWERABLE:
        raise IllegalTransition(
            f"Drop-ship order {ds.number} is {ds.status}: it cannot be {what}",
            extra={"current_status": ds.status.value})


def check_open(ds: DropshipOrder, what: str) -> None:
    if ds.status not in OPEN:
        raise IllegalTransition(
            f"Drop-ship order {ds.number} is {ds.status}: nothing on it can be {what}",
            extra={"current_status": ds.status.value})
