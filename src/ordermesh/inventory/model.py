"""Stock counters, the movement ledger behind them, and how a reservation is planned."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class MovementKind(enum.StrEnum):
    ADJUSTMENT = "adjustment"  # on_hand changed by a person or a system (loss, correction)
    RECEIPT = "receipt"  # on_hand up: supply arrived (purchase order, return, production)
    COUNT = "count"  # on_hand set to a counted quantity: the difference is booked
    RESERVATION = "reservation"  # reserved up for an order line or a hold
    RELEASE = "release"  # reserved down: cancellation, expired hold
    TRANSFER_OUT = "transfer_out"  # on_hand down at the sender
    TRANSFER_IN = "transfer_in"  # in_transit up at the receiver, later in_transit -> on_hand
    DAMAGE = "damage"  # on_hand <-> damaged, or damaged written off
    SHIPMENT = "shipment"  # reserved units left the building: on_hand and reserved down


class AdjustmentReason(enum.StrEnum):
    RECEIVED = "received"
    RETURNED = "returned"
    FOUND = "found"
    COUNT_CORRECTION = "count_correction"
    DAMAGED = "damaged"
    LOST = "lost"
    EXPIRED = "expired"
    CORRECTION = "correction"
    INITIAL = "initial"


@dataclass(frozen=True)
class StockLevel:
    location_id: str
    location_code: str
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class SkuQuantity:
    """A line of a request: units of a SKU (a hold, a transfer, a receipt of one)."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class ReservationRequest:
    line_no: int
    product_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class Allocation:
    """``quantity`` units of an order line reserved at one location."""

    line_no: int
    product_id: str
    location_id: str
    quantity: int


def plan_reservation(available_by_location: dict[str, int], quantity: int) -> list[tuple[str, int]]:
    """Decide where to reserve ``quantity`` units, from a snapshot of available stock.

    One location that has it all wins (the one with most available, ties by id), so an
    order line is not split needlessly; otherwise the line is split over the locations
    with most available first. Returns ``[]`` when the total is not enough. The plan is
    returned ordered by location id: that is the order rows are locked in.
    """
    candidates = sorted(
        ((loc, avail) for loc, avail in available_by_location.items() if avail > 0),
        key=lambda item: (-item[1], item[0]),
    )
    if sum(avail for _, avail in candidates) < quantity:
        return []
    whole = [loc for loc, avail in candidates if avail >= quantity]
    if whole:
        return [(whole[0], quantity)]
    plan, remaining = [], quantity
    for loc, avail in candidates:
        take = min(avail, remaining)
        plan.append((loc, take))
        remaining -= take
        if remaining == 0:
            break
    return sorted(plan)
