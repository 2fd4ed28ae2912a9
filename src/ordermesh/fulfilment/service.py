"""Fulfilment orders: moving them through their states (``release.py`` releases them).

Other features call in here: sourcing releases fulfilment orders
(``release.release_fulfilment``) and reads capacity use (``released_on``); packing and
shipping move them (``set_status``). Nothing here commits: the outermost use case does.

Side effects of a status change:

* ``picking``: the order goes ``confirmed`` -> ``processing`` (an order on hold cannot be
  picked).
* ``packed``: the packed units are recorded per line (packing's packages).
* ``shipped`` / ``picked_up``: the units leave the location through the order's existing
  ``record_shipment`` (order status, stock, per-shipment capture and invoice), from the
  fulfilment order's own location. ``picked``, ``label_created``: none (the order is not
  shipped until the hand-over).
* ``delivered`` / ``picked_up`` of the order's last open fulfilment order: the order is
  ``completed``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import insert, update

from ordermesh.fulfilment.model import (
    DONE,
    FulfilmentOrder,
    FulfilmentStatus,
    check_transition,
)
from ordermesh.fulfilment.queries import (
    fulfilment_for_order,
    get_fulfilment_order,
    lock_fulfilment_order,
    released_on,
)
from ordermesh.fulfilment.tables import fulfilment_history, fulfilment_lines, fulfilment_orders
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, FieldError, IllegalTransition, InvalidInput
from ordermesh.kit.outbox import record_event

__all__ = [
    "apply_status", "fulfilment_for_order", "get_fulfilment_order", "lock_fulfilment_order",
    "released_on", "set_status",
]

S = FulfilmentStatus
FO = fulfilment_orders.c
FL = fulfilment_lines.c


def event_payload(fo: FulfilmentOrder, **extra) -> dict:
    return {"id": fo.id, "number": fo.number, "order_id": fo.order_id,
            "order_number": fo.order_number, "location": fo.location_code,
            "location_kind": fo.location_kind, "kind": fo.kind.value,
            "status": fo.status.value, **extra}


def iso_or_none(value) -> str | None:
    """A date or datetime as ISO 8601 for event payloads, None as None."""
    return value.isoformat() if value is not None else None


# --- status changes ----------------------------------------------------------------

def _history(uow: UnitOfWork, fo_id: str, from_status: FulfilmentStatus | None,
             to_status: FulfilmentStatus, reason: str | None, details: dict | None,
             at: datetime) -> None:
    uow.execute(insert(fulfilment_history), {
        "fo_id": fo_id, "from_status": from_status.value if from_status else None,
        "to_status": to_status.value, "actor": uow.actor, "reason": reason,
        "details": details, "occurred_at": at})


def apply_status(uow: UnitOfWork, fo: FulfilmentOrder, target: FulfilmentStatus,
                 reason: str | None, details: dict | None = None,
                 at: datetime | None = None, event_extra: dict | None = None,
                 **columns) -> FulfilmentOrder:
    """Check the state machine, write the status (and ``columns``), the history entry and
    the event ``fulfilment.<status>`` (with ``event_extra``, which the history does not
    keep). No side effects: the callers do them."""
    check_transition(fo.kind, fo.status, target, fo.number)
    now = uow.clock.now()
    uow.execute(update(fulfilment_orders).where(FO.id == fo.id)
                .values(status=target.value, updated_at=now, **columns))
    _history(uow, fo.id, fo.status, target, reason, details, at or now)
    updated = get_fulfilment_order(uow, fo.id)
    record_event(uow, f"fulfilment.{target.value}", "fulfilment_order", fo.id, event_payload(
        updated, from_status=fo.status.value, reason=reason, details=details,
        at=(at or now).isoformat(), **(event_extra or {})))
    return updated


def set_status(uow: UnitOfWork, fo_id: str, target: FulfilmentStatus, reason: str | None,
               details: dict | None = None, at: datetime | None = None) -> FulfilmentOrder:
    """Move a fulfilment order (illegal moves: ``IllegalTransition``), with the side
    effects of the target status. Does not commit."""
    fo = lock_fulfilment_order(uow, fo_id)
    target = FulfilmentStatus(target)
    if target in (S.READY_FOR_PICKUP, S.PICKED_UP, S.NOT_COLLECTED):
        raise Conflict(f"{fo.number}: '{target}' is reached through the click-and-collect "
                       "endpoints (ready-for-pickup, pickup) and the pickup-expiry job")
    if target == S.CANCELLED:
        raise Conflict(f"{fo.number}: a fulfilment order is cancelled by cancelling its "
                       "units on the order (POST /api/v1/orders/{id}/cancel)")
    if target == S.REJECTED:  # its units are sourced again: flows/resourcing.py
        raise Conflict(f"{fo.number}: a fulfilment order is rejected through "
                       "POST /api/v1/fulfilment-orders/{id}/reject")
    check_transition(fo.kind, fo.status, target, fo.number)
    columns: dict = {}
    details = dict(details or {})
    if target == S.PICKING:
        start_order_processing(uow, fo)
    elif target == S.PACKED:
        _record_packed(uow, fo)
    elif target == S.SHIPPED:
        details["shipment_id"] = _ship(uow, fo, details)["id"]
    elif target == S.DELIVERED:
        columns["delivered_at"] = at or uow.clock.now()
    updated = apply_status(uow, fo, target, reason, details or None, at, **columns)
    if target == S.DELIVERED:
        complete_order_if_done(uow, fo.order_id)
    return updated


def start_order_processing(uow: UnitOfWork, fo: FulfilmentOrder) -> None:
    """Picking starts: an order still ``confirmed`` becomes ``processing``."""
    from ordermesh.orders.changes import record_transition
    from ordermesh.orders.model import OrderStatus
    from ordermesh.orders.queries import load_order

    order = load_order(uow, fo.order_id, for_update=True)
    if order.status == OrderStatus.ON_HOLD:
        raise IllegalTransition(f"Order {order.number} is on hold: {fo.number} cannot be "
                                "picked until the hold is released",
                                extra={"order_status": order.status.value})
    if order.status == OrderStatus.CONFIRMED:
        reason = f"picking started ({fo.number})"
        record_transition(uow, order, OrderStatus.PROCESSING, reason)
        record_event(uow, "order.processing", "order", order.id, {
            "id": order.id, "number": order.number, "from_status": order.status.value,
            "status": OrderStatus.PROCESSING.value, "reason": reason})


def packed_units(uow: UnitOfWork, fo: FulfilmentOrder) -> dict[int, int]:
    """Units per line in the fulfilment order's packages (packing's record: packed here
    or reported by a 3PL)."""
    from ordermesh.packing.service import packages_for  # packing imports this module

    units: dict[int, int] = defaultdict(int)
    for package in packages_for(uow, fo.id):
        for line_no, quantity in package.lines:
            units[line_no] += quantity
    return dict(units)


def _record_packed(uow: UnitOfWork, fo: FulfilmentOrder) -> None:
    unpicked = [ln.line_no for ln in fo.lines if ln.to_pick]
    if unpicked:
        raise Conflict(f"{fo.number} still has units to pick on lines "
                       f"{', '.join(map(str, unpicked))}: confirm the pick first",
                       extra={"lines": unpicked})
    units = packed_units(uow, fo)
    for ln in fo.lines:
        uow.execute(update(fulfilment_lines).where(FL.fo_id == fo.id, FL.line_no == ln.line_no)
                    .values(packed_quantity=min(units.get(ln.line_no, 0), ln.open)))


def _ship(uow: UnitOfWork, fo: FulfilmentOrder, details: dict) -> dict:
    """The order records the shipment of the packed units, from this location."""
    units = packed_units(uow, fo)
    check_units_to_send(fo, units)
    numbers = [n for n in details.get("tracking_numbers") or [] if n]
    tracking = numbers[0] if len(numbers) == 1 else (", ".join(numbers)[:100] or None)
    carrier = details.get("carrier") or fo.carrier
    return send_units(uow, fo, units, carrier, tracking)


def check_units_to_send(fo: FulfilmentOrder, units: dict[int, int]) -> None:
    """What leaves must be exactly the fulfilment order's open units: units of a
    cancelled line, or more than are open, are refused; open units left behind too."""
    errors = []
    for no, quantity in sorted(units.items()):
        line = fo.line(no)
        if line is None or quantity > line.open:
            left = line.open if line else 0
            errors.append(FieldError(f"lines.{no}", f"{fo.number} has {left} open units of "
                                     f"line {no}, cannot send {quantity}",
                                     "exceeds_open_quantity"))
    for line in fo.lines:
        if line.open and units.get(line.line_no, 0) < line.open:
            errors.append(FieldError(
                f"lines.{line.line_no}", f"{fo.number}: {line.open - units.get(line.line_no, 0)}"
                f" open units of line {line.line_no} are in no package: pack them or report "
                "them short", "units_left_behind"))
    if errors:
        raise InvalidInput(f"{fo.number} cannot be sent as it is", errors=errors)
    if not any(units.values()):
        raise InvalidInput.for_field("lines", f"{fo.number} has nothing to send",
                                     "nothing_to_send")


def send_units(uow: UnitOfWork, fo: FulfilmentOrder, units: dict[int, int],
               carrier: str | None, tracking: str | None,
               picked: dict[int, int] | None = None) -> dict:
    """``units`` leave with this fulfilment order (``picked``: how many of them were
    counted as picked): its lines first, then the order records the shipment from its
    location (status, stock, capture, invoice)."""
    from ordermesh.orders.queries import order_ref
    from ordermesh.orders.shipments import SHIPPABLE, ShipLine, record_shipment

    status = order_ref(uow, fo.order_id).status
    if status not in SHIPPABLE:  # checked before anything is written
        raise IllegalTransition(f"An order that is {status} cannot ship",
                                extra={"current_status": status.value})
    for no, quantity in units.items():
        if quantity:
            uow.execute(update(fulfilment_lines).where(FL.fo_id == fo.id, FL.line_no == no)
                        .values(shipped_quantity=FL.shipped_quantity + quantity,
                                picked_quantity=FL.picked_quantity
                                - (picked or {}).get(no, 0)))
    lines = [ShipLine(no, q) for no, q in sorted(units.items()) if q]
    return record_shipment(uow, fo.order_id, lines, carrier, tracking,
                           location_id=fo.location_id)


def send_by_hand(uow: UnitOfWork, fo: FulfilmentOrder, units: dict[int, int],
                 carrier: str | None, tracking: str | None) -> dict:
    """Units shipped without this fulfilment order's pick and pack (recorded on the
    order by hand) leave through it: they count as shipped on its lines, never as
    cancelled; once nothing is left open it is ``shipped``. Unpicked units go first, then
    picked ones; packed units are in a labelled package, which ships whole (hand-over).
    Does not commit."""
    from ordermesh.fulfilment.model import take_off

    picked: dict[int, int] = {}
    for no, quantity in sorted(units.items()):
        unpicked, loose = take_off(fo.lines, no, quantity)
        if unpicked + loose < quantity:
            raise Conflict(f"{quantity - unpicked - loose} unit(s) of line {no} are packed on "
                           f"{fo.number}: its packages ship whole; hand it over "
                           "(POST /api/v1/fulfilment-orders/{id}/handover)",
                           extra={"line_no": no, "fulfilment_order": fo.number})
        picked[no] = loose
    shipment = send_units(uow, fo, units, carrier, tracking, picked)
    reason = f"shipped by hand ({shipment['id']})"
    lines_changed_event(uow, fo, "shipped", units, reason, shipment_id=shipment["id"])
    updated = get_fulfilment_order(uow, fo.id)
    if updated.open_units == 0:
        apply_status(uow, updated, S.SHIPPED, reason, {"shipment_id": shipment["id"],
                                                       "carrier": carrier,
                                                       "tracking_number": tracking})
    return shipment


def complete_order_if_done(uow: UnitOfWork, order_id: str) -> bool:
    """Once every unit has shipped and every fulfilment order is delivered, picked up or
    closed, the order is ``completed``."""
    from ordermesh.orders.changes import record_transition
    from ordermesh.orders.model import OrderStatus
    from ordermesh.orders.queries import load_order

    fos = fulfilment_for_order(uow, order_id)
    if not fos or any(fo.status not in DONE for fo in fos):
        return False
    order = load_order(uow, order_id, for_update=True)
    if order.status != OrderStatus.SHIPPED:
        return False
    reason = "every fulfilment order delivered or picked up"
    record_transition(uow, order, OrderStatus.COMPLETED, reason)
    record_event(uow, "order.completed", "order", order.id, {
        "id": order.id, "number": order.number, "from_status": order.status.value,
        "status": OrderStatus.COMPLETED.value, "reason": reason,
        "fulfilment_orders": [fo.number for fo in fos]})
    return True


def lines_changed_event(uow: UnitOfWork, fo: FulfilmentOrder, what: str,
                        units: dict[int, int], reason: str | None, **extra) -> None:
    record_event(uow, f"fulfilment.lines_{what}", "fulfilment_order", fo.id, event_payload(
        get_fulfilment_order(uow, fo.id), reason=reason,
        lines=[{"line_no": n, "quantity": q} for n, q in sorted(units.items()) if q], **extra))
