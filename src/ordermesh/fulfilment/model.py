"""Fulfilment orders: what one location sends (or hands over) for one order, and the state
machine it moves through. No database, no web."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from ordermesh.kit.errors import IllegalTransition

NUMBER_PREFIX = "FO-"
HANDOFF_VERSION = "1.0"


class FulfilmentStatus(enum.StrEnum):
    RELEASED = "released"  # assigned to the location, nobody has looked at it yet
    ACCEPTED = "accepted"  # the location (or the 3PL) will do it
    PICKING = "picking"  # on a pick list / being picked
    PICKED = "picked"  # the pick is confirmed: every open unit is off the shelf
    PACKED = "packed"  # everything picked is in packages
    LABEL_CREATED = "label_created"  # booked with the carrier, labels printed; still here
    SHIPPED = "shipped"  # handed to the carrier: the order records the shipment
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    DELIVERY_FAILED = "delivery_failed"  # a failed attempt; the carrier tries again
    DAMAGED = "damaged"
    RETURNED_TO_SENDER = "returned_to_sender"
    READY_FOR_PICKUP = "ready_for_pickup"  # click-and-collect: waiting at the counter
    PICKED_UP = "picked_up"
    NOT_COLLECTED = "not_collected"  # hold time over: units cancelled and back to stock
    REJECTED = "rejected"  # the location will not do it: its units are sourced again
    CANCELLED = "cancelled"  # nothing left on it (order cancelled or edited)


class FulfilmentKind(enum.StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"


F = FulfilmentStatus
_IN_FLIGHT = frozenset({F.IN_TRANSIT, F.OUT_FOR_DELIVERY, F.DELIVERED, F.DELIVERY_FAILED,
                        F.DAMAGED, F.RETURNED_TO_SENDER})
# Any FO still at its location -> shipped: its last units shipped by hand
# (POST /orders/{id}/shipments) without its pick and pack.
TRANSITIONS: dict[FulfilmentStatus, frozenset[FulfilmentStatus]] = {
    F.RELEASED: frozenset({F.ACCEPTED, F.PICKING, F.SHIPPED, F.REJECTED, F.CANCELLED}),
    F.ACCEPTED: frozenset({F.PICKING, F.SHIPPED, F.REJECTED, F.CANCELLED}),
    # picking -> packed: a 3PL reports its packages without a pick confirmation here
    F.PICKING: frozenset({F.PICKED, F.PACKED, F.SHIPPED, F.REJECTED, F.CANCELLED}),
    # pickup FOs go to the counter once picked, without packing
    F.PICKED: frozenset({F.PACKED, F.SHIPPED, F.READY_FOR_PICKUP, F.CANCELLED}),
    # packed -> shipped: handed over without a booking here (carrier and tracking given)
    F.PACKED: frozenset({F.LABEL_CREATED, F.SHIPPED, F.READY_FOR_PICKUP, F.CANCELLED}),
    F.LABEL_CREATED: frozenset({F.SHIPPED}),
    F.SHIPPED: _IN_FLIGHT,
    F.IN_TRANSIT: _IN_FLIGHT - {F.IN_TRANSIT},
    F.OUT_FOR_DELIVERY: _IN_FLIGHT - {F.OUT_FOR_DELIVERY},
    F.DELIVERY_FAILED: _IN_FLIGHT - {F.DELIVERY_FAILED},
    F.DAMAGED: frozenset({F.IN_TRANSIT, F.DELIVERED, F.RETURNED_TO_SENDER}),
    F.READY_FOR_PICKUP: frozenset({F.PICKED_UP, F.NOT_COLLECTED, F.CANCELLED}),
    F.DELIVERED: frozenset(),
    F.RETURNED_TO_SENDER: frozenset(),
    F.PICKED_UP: frozenset(),
    F.NOT_COLLECTED: frozenset(),
    F.REJECTED: frozenset(),
    F.CANCELLED: frozenset(),
}
# Statuses that belong to one kind only.
SHIP_ONLY = frozenset({F.LABEL_CREATED, F.SHIPPED} | _IN_FLIGHT)
PICKUP_ONLY = frozenset({F.READY_FOR_PICKUP, F.PICKED_UP, F.NOT_COLLECTED})
FINAL = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
# Statuses in which the FO's units have left the location (or are leaving for good).
GONE = frozenset({F.SHIPPED, F.PICKED_UP} | _IN_FLIGHT)
# An order is complete once each of its FOs is in one of these.
DONE = frozenset({F.DELIVERED, F.PICKED_UP, F.NOT_COLLECTED, F.REJECTED, F.CANCELLED})
# FOs that may still be worked (picked, packed, cancelled, ...) at their location.
WORKABLE = frozenset({F.RELEASED, F.ACCEPTED, F.PICKING, F.PICKED, F.PACKED,
                      F.LABEL_CREATED, F.READY_FOR_PICKUP})
# FOs not yet picked: units an edit adds at their location join them (their pick list).
JOINABLE = frozenset({F.RELEASED, F.ACCEPTED, F.PICKING})


def allowed_targets(kind: FulfilmentKind, current: FulfilmentStatus) -> frozenset[FulfilmentStatus]:
    excluded = PICKUP_ONLY if kind == FulfilmentKind.SHIP else SHIP_ONLY
    return TRANSITIONS[current] - excluded


def can_transition(kind: FulfilmentKind, current: FulfilmentStatus,
                   target: FulfilmentStatus) -> bool:
    return target in allowed_targets(kind, current)


def check_transition(kind: FulfilmentKind, current: FulfilmentStatus,
                     target: FulfilmentStatus, number: str = "") -> None:
    if not can_transition(kind, current, target):
        allowed = ", ".join(sorted(allowed_targets(kind, current))) or "none"
        what = f"Fulfilment order {number}" if number else "A fulfilment order"
        raise IllegalTransition(
            f"{what} ({kind}) that is {current} cannot become {target} (allowed: {allowed})",
            extra={"current_status": current.value, "requested_status": target.value})


def fulfilment_number(order_seq: int, index: int) -> str:
    """``FO-000042-2``: the order's sequence and the FO's place among its FOs."""
    return f"{NUMBER_PREFIX}{order_seq:06d}-{index}"


@dataclass(frozen=True)
class FulfilmentLine:
    line_no: int
    product_id: str
    sku: str
    name: str
    quantity: int  # units assigned to this FO
    picked_quantity: int = 0
    short_quantity: int = 0  # missing at pick time: written off and sourced again
    packed_quantity: int = 0
    cancelled_quantity: int = 0  # taken off: order cancelled/edited, shipped by hand, ...
    rejected_quantity: int = 0  # refused by the location: sourced again
    shipped_quantity: int = 0  # left with this FO (shipped or picked up)

    @property
    def open(self) -> int:
        """Units this FO still has to send or hand over."""
        return (self.quantity - self.cancelled_quantity - self.rejected_quantity
                - self.short_quantity - self.shipped_quantity)

    @property
    def to_pick(self) -> int:
        return max(self.open - self.picked_quantity, 0)


@dataclass(frozen=True)
class HistoryEntry:
    from_status: FulfilmentStatus | None
    to_status: FulfilmentStatus
    actor: str
    reason: str | None
    details: dict | None
    at: datetime


@dataclass(frozen=True)
class FulfilmentOrder:
    id: str
    number: str
    order_id: str
    order_seq: int
    order_number: str
    channel_id: str
    location_id: str
    location_code: str
    location_kind: str
    kind: FulfilmentKind
    status: FulfilmentStatus
    lines: list[FulfilmentLine]
    shipping_address: dict | None
    service_level: str
    carrier: str | None
    carrier_service: str | None
    ship_by: date | None
    promised_date: date | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime
    decision_id: str | None = None
    ready_at: datetime | None = None
    history: list[HistoryEntry] = field(default_factory=list)

    @property
    def open_units(self) -> int:
        return sum(line.open for line in self.lines)

    def line(self, line_no: int) -> FulfilmentLine | None:
        return next((ln for ln in self.lines if ln.line_no == line_no), None)


def take_off(lines: list[FulfilmentLine], line_no: int, units: int,
             protect_packed: bool = True) -> tuple[int, int]:
    """How ``units`` of line ``line_no`` come off a FO: ``(unpicked, picked)`` units.

    Unpicked units go first; picked units next (they go back to the shelf). With
    ``protect_packed``, packed units are never taken: the caller gets fewer units back."""
    line = next((ln for ln in lines if ln.line_no == line_no), None)
    if line is None or units <= 0:
        return 0, 0
    unpicked = min(units, line.to_pick)
    loose_picked = line.picked_quantity - (line.packed_quantity if protect_packed else 0)
    picked = min(units - unpicked, max(min(loose_picked, line.open), 0))
    return unpicked, picked


def sort_key_for_bin(bin_code: str | None, sku: str) -> tuple:
    """Walk order through a location: by bin (natural order: A2 before A10), unbinned
    items last, then by SKU."""
    if not bin_code:
        return (1, (), sku)
    parts: list[tuple[int, int | str]] = []
    token = ""
    for ch in bin_code:
        if token and ch.isdigit() != token[-1].isdigit():
            parts.append((0, int(token)) if token.isdigit() else (1, token.upper()))
            token = ""
        token += ch
    if token:
        parts.append((0, int(token)) if token.isdigit() else (1, token.upper()))
    return (0, tuple(parts), sku)
