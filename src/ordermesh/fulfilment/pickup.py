"""Click-and-collect: ready for pickup with a code, picked up when the code matches, and
not collected within the location's hold time: the units are cancelled on the order
(refund or void through the order's cancellation) and go back to stock.

The code is shown once (response and the ``fulfilment.ready_for_pickup`` event, for the
message to the customer); only its hash is stored. Wrong codes are counted; after
``MAX_ATTEMPTS`` the counter locks the pickup until a new code is issued.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from ordermesh.fulfilment.model import FulfilmentOrder, FulfilmentStatus, check_transition
from ordermesh.fulfilment.queries import lock_fulfilment_order
from ordermesh.fulfilment.service import (
    apply_status,
    check_units_to_send,
    complete_order_if_done,
    event_payload,
    send_units,
)
from ordermesh.fulfilment.tables import fulfilment_lines, fulfilment_orders
from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, DomainError, InvalidInput
from ordermesh.kit.outbox import record_event
from ordermesh.locations.service import get_location
from ordermesh.payments.gate import require_payment

log = logging.getLogger("ordermesh.fulfilment")

S = FulfilmentStatus
FO = fulfilment_orders.c
FL = fulfilment_lines.c
MAX_ATTEMPTS = 5
CODE_DIGITS = 6
PICKUP_CARRIER = "pickup"


def _hash(fo_id: str, code: str) -> str:
    return hashlib.sha256(f"{fo_id}:{code.strip()}".encode()).hexdigest()


@dataclass(frozen=True)
class ReadyForPickup:
    fulfilment_order: FulfilmentOrder
    pickup_code: str
    hold_until: object  # datetime


def _customer(uow: UnitOfWork, order_id: str) -> dict:
    from ordermesh.orders.queries import order_for_fulfilment

    order = order_for_fulfilment(uow, order_id)
    return {"name": order.customer_name, "email": order.customer_email,
            "phone": order.customer_phone}


def _issue_code(uow: UnitOfWork, fo: FulfilmentOrder) -> str:
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    uow.execute(update(fulfilment_orders).where(FO.id == fo.id)
                .values(pickup_code_hash=_hash(fo.id, code), pickup_attempts=0))
    return code


def ready_for_pickup(uow: UnitOfWork, fo_id: str, reason: str | None) -> ReadyForPickup:
    """Everything is picked (or packed) and at the counter: issue the pickup code. Commits."""
    fo = lock_fulfilment_order(uow, fo_id)
    check_transition(fo.kind, fo.status, S.READY_FOR_PICKUP, fo.number)
    if fo.open_units == 0 or any(ln.to_pick for ln in fo.lines):
        raise Conflict(f"{fo.number} has units still to pick: confirm the pick first",
                       extra={"lines": [ln.line_no for ln in fo.lines if ln.to_pick]})
    location = get_location(uow, fo.location_id)
    now = uow.clock.now()
    hold_until = now + timedelta(days=location.fulfilment.pickup_hold_days)
    code = _issue_code(uow, fo)
    updated = apply_status(
        uow, fo, S.READY_FOR_PICKUP, reason,
        {"hold_until": hold_until.isoformat()}, ready_at=now, pickup_hold_until=hold_until,
        event_extra={"pickup_code": code, "hold_until": hold_until.isoformat(),
                     "customer": _customer(uow, fo.order_id),
                     "pickup_location": {"code": location.code, "name": location.name,
                                         "address": _address(location)}})
    uow.commit()
    return ReadyForPickup(updated, code, hold_until)


def _address(location) -> dict | None:
    a = location.address
    if a is None:
        return None
    return {"line1": a.line1, "line2": a.line2, "city": a.city, "postal_code": a.postal_code,
            "region": a.region, "country": a.country}


def reissue_code(uow: UnitOfWork, fo_id: str) -> ReadyForPickup:
    """A new pickup code (the old one stops working, the wrong-code counter restarts)."""
    fo = lock_fulfilment_order(uow, fo_id)
    if fo.status != S.READY_FOR_PICKUP:
        raise Conflict(f"{fo.number} is {fo.status}, not ready for pickup",
                       extra={"current_status": fo.status.value})
    code = _issue_code(uow, fo)
    hold_until = as_utc(_hold_until(uow, fo.id))
    record_event(uow, "fulfilment.pickup_code_issued", "fulfilment_order", fo.id,
                 event_payload(fo, pickup_code=code, hold_until=hold_until.isoformat(),
                               customer=_customer(uow, fo.order_id)))
    uow.commit()
    return ReadyForPickup(fo, code, hold_until)


def pick_up(uow: UnitOfWork, fo_id: str, code: str,
            idem: idempotency.IdempotencyKey | None = None) -> FulfilmentOrder:
    """The customer collects: the code must match. A wrong code is counted (committed)
    and refused with 422; nothing else changes. Commits."""
    from ordermesh.fulfilment.queries import get_fulfilment_order

    if prior := idempotency.claim(uow, idem):
        return get_fulfilment_order(uow, prior.resource_id)
    fo = lock_fulfilment_order(uow, fo_id)
    require_payment(uow, fo.order_id, "be collected")
    check_transition(fo.kind, fo.status, S.PICKED_UP, fo.number)
    row = uow.execute(select(FO.pickup_code_hash, FO.pickup_attempts).where(FO.id == fo.id)
                      ).one()
    if row.pickup_attempts >= MAX_ATTEMPTS:
        raise Conflict(f"{fo.number}: {MAX_ATTEMPTS} wrong pickup codes; issue a new code "
                       "after checking the customer's identity", extra={"attempts":
                                                                       row.pickup_attempts})
    if row.pickup_code_hash is None or not hmac.compare_digest(row.pickup_code_hash,
                                                               _hash(fo.id, code)):
        attempts = row.pickup_attempts + 1
        uow.execute(update(fulfilment_orders).where(FO.id == fo.id)
                    .values(pickup_attempts=attempts))
        record_event(uow, "fulfilment.pickup_code_rejected", "fulfilment_order", fo.id,
                     event_payload(fo, attempts=attempts, max_attempts=MAX_ATTEMPTS))
        idempotency.release(uow, idem)  # a refusal: the key may be retried
        uow.commit()  # the count stays; nothing else changed
        raise InvalidInput.for_field("code", f"Wrong pickup code for {fo.number} (attempt "
                                     f"{attempts} of {MAX_ATTEMPTS})", "wrong_code")
    units = {ln.line_no: ln.open for ln in fo.lines if ln.open}  # packed or not: all
    check_units_to_send(fo, units)
    shipment = send_units(uow, fo, units, PICKUP_CARRIER, None)
    now = uow.clock.now()
    updated = apply_status(uow, fo, S.PICKED_UP, "pickup code verified",
                           {"shipment_id": shipment["id"]}, delivered_at=now,
                           pickup_code_hash=None)
    complete_order_if_done(uow, fo.order_id)
    idempotency.complete(uow, idem, "fulfilment_order", fo.id, 200)
    uow.commit()
    return updated


def _hold_until(uow: UnitOfWork, fo_id: str):
    return uow.execute(select(FO.pickup_hold_until).where(FO.id == fo_id)).scalar_one()


def due_for_expiry(uow: UnitOfWork, limit: int) -> list[str]:
    """Fulfilment orders ready for pickup past the hold the customer was told when they
    became ready (a later change of the location's hold time does not move it)."""
    return list(uow.execute(
        select(FO.id).where(FO.status == S.READY_FOR_PICKUP.value,
                            FO.pickup_hold_until <= uow.clock.now())
        .order_by(FO.pickup_hold_until, FO.id).limit(limit)).scalars())


def expire_pickup(uow: UnitOfWork, fo_id: str) -> bool:
    """Not collected in time: the status becomes ``not_collected`` and the units are
    cancelled on the order (its cancellation refunds or voids the money and gives the
    stock back). Commits; False when it was no longer waiting."""
    from ordermesh.orders.changes import cancel_order
    from ordermesh.orders.model import CancelRequest

    fo = lock_fulfilment_order(uow, fo_id)
    if fo.status != S.READY_FOR_PICKUP:
        return False
    hold_until = as_utc(_hold_until(uow, fo.id))
    days = round((hold_until - fo.ready_at).total_seconds() / 86_400) if fo.ready_at else 0
    units = {ln.line_no: ln.open for ln in fo.lines if ln.open}
    for ln in fo.lines:
        if ln.open:
            uow.execute(update(fulfilment_lines).where(FL.fo_id == fo.id,
                                                       FL.line_no == ln.line_no)
                        .values(cancelled_quantity=FL.cancelled_quantity + ln.open,
                                picked_quantity=FL.picked_quantity
                                - min(ln.picked_quantity, ln.open)))
    reason = f"{fo.number} not collected within {days} day(s)"
    apply_status(uow, fo, S.NOT_COLLECTED, reason,
                 {"hold_days": days, "hold_until": hold_until.isoformat(),
                  "cancelled": {str(n): q for n, q in units.items()}},
                 pickup_code_hash=None)
    cancel_order(uow, fo.order_id,
                 [CancelRequest(n, q) for n, q in sorted(units.items())], reason,
                 reserved_at=fo.location_id)
    uow.commit()
    return True


def expire_due_pickups(engine, clock, limit: int = 100) -> int:
    """One transaction per fulfilment order: an order that cannot be cancelled (e.g. it
    was partly shipped meanwhile) is logged and skipped, not retried in a loop."""
    with UnitOfWork(engine, clock, write=False) as uow:
        due = due_for_expiry(uow, limit)
    done = 0
    for fo_id in due:
        try:
            with UnitOfWork(engine, clock, actor="worker:pickup-expiry") as uow:
                done += expire_pickup(uow, fo_id)
        except DomainError as exc:
            log.warning("pickup expiry of %s failed: %s", fo_id, exc.detail)
    return done
