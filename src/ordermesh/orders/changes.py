"""Changing a placed order: cancel (whole or in part), put on hold, release the hold."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import delete, insert, update

from ordermesh.fulfilment.sync import packed_units, units_released
from ordermesh.inventory.model import Allocation
from ordermesh.inventory.reserving import release, ship
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import IllegalTransition
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import record_event
from ordermesh.orders.backorders import cancel_backordered
from ordermesh.orders.invoicing import correct_invoices
from ordermesh.orders.model import (
    CANCELLABLE,
    CancelRequest,
    Order,
    OrderStatus,
    check_transition,
    plan_cancellation,
)
from ordermesh.orders.pricing import (
    amounts_for,
    book_towards,
    breakdown_json,
    check_refunds_covered,
    order_setup,
    store_amounts,
)
from ordermesh.orders.queries import load_order
from ordermesh.orders.service import order_event_payload
from ordermesh.orders.settlement import settle
from ordermesh.orders.tables import order_allocations, order_history, order_lines, orders
from ordermesh.orders.versions import record_version


def record_transition(
    uow: UnitOfWork, order: Order, target: OrderStatus, reason: str | None
) -> None:
    now = uow.clock.now()
    uow.execute(update(orders).where(orders.c.seq == order.seq)
                .values(status=target.value, updated_at=now))
    uow.execute(insert(order_history).values(
        order_seq=order.seq, from_status=order.status.value, to_status=target.value,
        actor=uow.actor, reason=reason, occurred_at=now,
    ))


def releases_for(order: Order, plan: dict[int, int], first: str | None = None,
                 packed: dict[tuple[int, str], int] | None = None) -> list[Allocation]:
    """Which reserved units to give back: per line, from location ``first`` (when given),
    then from where the fewest of them are ``packed`` (units in a labelled package,
    per (line, location)), then from the last location first."""
    lines = {line.line_no: line for line in order.lines}
    packed = packed or {}
    releases = []
    for line_no, units in plan.items():
        remaining = units
        for alloc in sorted((a for a in order.allocations if a.line_no == line_no),
                            key=lambda a: (a.location_id == first,
                                           a.quantity - packed.get((line_no, a.location_id), 0),
                                           a.location_id),
                            reverse=True):
            if remaining == 0:
                break
            take = min(alloc.quantity, remaining)
            releases.append(Allocation(line_no, lines[line_no].product_id, alloc.location_id,
                                       take))
            remaining -= take
    return releases


def give_back(uow: UnitOfWork, order: Order, plan: dict[int, int], *,
              shipped: bool = False, first: str | None = None,
              backorders_first: bool = True) -> list[Allocation]:
    """Release ``plan``'s units (per line), or with ``shipped`` send them out of stock,
    and take them off the order's allocations; returns the reserved units released.

    Units no longer wanted (not ``shipped``) are taken off the line's backorder first
    (unless ``backorders_first`` is False): backordered units hold no stock, so nothing
    goes back for them."""
    if not shipped and backorders_first:
        plan = cancel_backordered(uow, order.seq, {
            ln.line_no: ln.backordered_quantity for ln in order.lines}, plan)
    packed = packed_units(uow, order.id) if not shipped else None
    releases = releases_for(order, {n: q for n, q in plan.items() if q}, first, packed)
    (ship if shipped else release)(uow, releases, ("order", order.id), order.channel_id)
    for rel in releases:
        uow.execute(update(order_allocations).where(
            order_allocations.c.order_seq == order.seq,
            order_allocations.c.line_no == rel.line_no,
            order_allocations.c.location_id == rel.location_id,
        ).values(quantity=order_allocations.c.quantity - rel.quantity))
    uow.execute(delete(order_allocations).where(order_allocations.c.order_seq == order.seq,
                                                order_allocations.c.quantity == 0))
    units_released(uow, order, releases, shipped=shipped)  # fulfilment orders follow
    return releases


def cancel_order(
    uow: UnitOfWork, order_id: str, requests: list[CancelRequest] | None, reason: str | None,
    idem: idempotency.IdempotencyKey | None = None, *, reserved_at: str | None = None,
) -> Order:
    """Cancel the whole order (``requests`` is None) or some units of some lines.
    Backordered units of a line are cancelled before its reserved ones; with
    ``reserved_at`` (a location id) the units reserved there are cancelled instead (a
    pickup not collected gives back what waited at the counter). Does not commit: the
    caller (the route, the pickup-expiry step) does."""
    if prior := idempotency.claim(uow, idem):
        return load_order(uow, prior.resource_id)
    order = load_order(uow, order_id, for_update=True)
    # partly shipped: what has not shipped yet (a backorder, say) may still be cancelled
    rest_only = order.status == OrderStatus.PARTIALLY_SHIPPED
    if order.status not in CANCELLABLE and not rest_only:
        raise IllegalTransition(
            f"An order that is {order.status} cannot be cancelled",
            extra={"current_status": order.status.value},
        )
    plan = plan_cancellation(order.lines, requests)
    if not plan:
        raise IllegalTransition(f"Nothing on order {order.number} is left to cancel: every "
                                "unit has shipped or been refunded",
                                extra={"current_status": order.status.value})
    give_back(uow, order, plan, first=reserved_at, backorders_first=reserved_at is None)
    lines = [replace(line, cancelled_quantity=line.cancelled_quantity + plan.get(line.line_no, 0))
             for line in order.lines]
    for line in lines:
        if line.line_no in plan:
            uow.execute(update(order_lines).where(
                order_lines.c.order_seq == order.seq, order_lines.c.line_no == line.line_no,
            ).values(cancelled_quantity=line.cancelled_quantity))
    # nothing shipped and nothing left to ship (units refunded before shipping never go)
    fully = all(line.cancellable_quantity == 0 and line.shipped_quantity == 0
                for line in lines)
    zero = Money.zero(order.currency)
    setup = order_setup(uow, order)
    amounts = amounts_for(lines, zero if fully else order.totals.shipping, zero, setup)
    check_refunds_covered(order, amounts)
    # refunds after the sale (goodwill) count against what the order is still worth
    refunded = min(order.totals.refunded, amounts.totals.total)
    store_amounts(uow, order.seq, amounts, refunded_amount=refunded.amount,
                  version=order.version + 1, updated_at=uow.clock.now())
    cancellation_id = new_id("cnl")
    tax_given_back = book_towards(uow, order.id, "cancellation", cancellation_id,
                                  uow.clock.now().date(), order.currency,
                                  breakdown_json(amounts))
    if fully:  # allowed: CANCELLABLE are the statuses that may become cancelled
        record_transition(uow, order, OrderStatus.CANCELLED, reason)
    elif rest_only and all(line.cancellable_quantity == 0 for line in lines):
        record_transition(uow, order, OrderStatus.SHIPPED, "the rest was cancelled")
    settlement = settle(uow, order.id, refunded, "cancellation", reason, tax_given_back)
    updated = load_order(uow, order.id)
    correct_invoices(uow, order, updated, cancellation_id, reason)
    cancelled = [{"op": "cancel", "line_no": n, "quantity": q} for n, q in sorted(plan.items())]
    record_version(uow, updated, cancelled, settlement.as_json(), reason)
    payload = order_event_payload(updated)
    payload["reason"] = reason
    payload["cancelled"] = [{"line_no": c["line_no"], "quantity": c["quantity"]}
                            for c in cancelled]
    payload["settlement"] = settlement.as_json()
    record_event(uow, "order.cancelled" if fully else "order.lines_cancelled", "order",
                 order.id, payload)
    idempotency.complete(uow, idem, "order", order.id, 200)
    return updated


def hold_order(
    uow: UnitOfWork, order_id: str, reason: str, idem: idempotency.IdempotencyKey | None = None
) -> Order:
    if prior := idempotency.claim(uow, idem):
        return load_order(uow, prior.resource_id)
    order = load_order(uow, order_id, for_update=True)
    check_transition(order.status, OrderStatus.ON_HOLD)
    record_transition(uow, order, OrderStatus.ON_HOLD, reason)
    record_event(uow, "order.held", "order", order.id,
                 {"id": order.id, "from_status": order.status.value, "reason": reason})
    updated = load_order(uow, order.id)
    idempotency.complete(uow, idem, "order", order.id, 200)
    uow.commit()
    return updated


def release_hold(
    uow: UnitOfWork, order_id: str, reason: str | None,
    idem: idempotency.IdempotencyKey | None = None,
) -> Order:
    """Back to the status the order had before it was put on hold."""
    if prior := idempotency.claim(uow, idem):
        return load_order(uow, prior.resource_id)
    order = load_order(uow, order_id, for_update=True)
    if order.status != OrderStatus.ON_HOLD:
        raise IllegalTransition(f"Order {order.number} is {order.status}, not on hold",
                                extra={"current_status": order.status.value})
    before = next(h.from_status for h in reversed(order.history)
                  if h.to_status == OrderStatus.ON_HOLD)
    target = before or OrderStatus.PENDING
    check_transition(order.status, target)
    record_transition(uow, order, target, reason)
    record_event(uow, "order.hold_released", "order", order.id,
                 {"id": order.id, "to_status": target.value, "reason": reason})
    updated = load_order(uow, order.id)
    idempotency.complete(uow, idem, "order", order.id, 200)
    uow.commit()
    return updated
