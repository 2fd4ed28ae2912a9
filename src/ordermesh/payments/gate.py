"""The payment gate of shipping and pickup, and the operator override that opens it.

Every use case that lets goods leave (a shipment recorded on the order, a fulfilment
order booked with a carrier, a click-and-collect handed over) calls ``require_payment``
first; the rule itself is ``standing.check_may_leave``.
"""

from __future__ import annotations

from sqlalchemy import insert

from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, IllegalTransition, InvalidInput
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.orders.model import OrderStatus
from ordermesh.orders.queries import OrderRef, order_ref
from ordermesh.payments import ledger
from ordermesh.payments.standing import PaymentStanding, check_may_leave
from ordermesh.payments.tables import payment_overrides

MAX_REASON = 500


def standing_of(uow: UnitOfWork, order: OrderRef) -> PaymentStanding:
    return ledger.standings(uow, {order.id: order.payable})[order.id]


def require_payment(uow: UnitOfWork, order_id: str, action: str = "ship") -> None:
    """``PaymentRequired`` (409) unless the order's payments (or an operator's override)
    let its goods leave under the capture policy it was placed with."""
    order = order_ref(uow, order_id)
    check_may_leave(order.number, order.capture_policy, standing_of(uow, order), action)


def override_payment(uow: UnitOfWork, order_id: str, reason: str,
                     idem: idempotency.IdempotencyKey | None = None
                     ) -> tuple[PaymentStanding, bool]:
    """Release the order to ship or be collected without the payment its policy needs;
    who did it and why are kept and shown on the order. Once per order. Commits; returns
    the order's standing and whether this was a replay of an earlier request."""
    if prior := idempotency.claim(uow, idem):
        return standing_of(uow, order_ref(uow, prior.resource_id)), True
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput.for_field("reason", "an override needs a reason", "missing")
    order = order_ref(uow, order_id, for_update=True)
    if order.status is OrderStatus.CANCELLED:
        raise IllegalTransition(f"Order {order.number} is cancelled: nothing to release",
                                extra={"current_status": order.status.value})
    before = standing_of(uow, order)
    if before.override is not None:
        raise Conflict(
            f"Order {order.number} was released without payment already, by "
            f"{before.override.actor}: {before.override.reason}",
            extra={"order_id": order.id, "actor": before.override.actor})
    now = uow.clock.now()
    uow.execute(insert(payment_overrides).values(
        id=new_id("pov"), order_id=order.id, reason=reason[:MAX_REASON], actor=uow.actor,
        created_at=now))
    record_event(uow, "order.payment_override", "order", order.id, {
        "order_id": order.id, "order_number": order.number, "reason": reason,
        "actor": uow.actor, "payment_status": before.status.value,
        "capture_policy": order.capture_policy, "owed": str(order.payable.amount),
        "currency": order.currency})
    idempotency.complete(uow, idem, "order", order.id, 201)
    uow.commit()
    return standing_of(uow, order), False
