"""Editing a confirmed (and perhaps paid) order: quantities, lines, shipping address
(``POST /orders/{id}/edits``).

One edit is one transaction and one new version: it re-prices what it adds, re-taxes
the whole order (the destination may have changed), reserves or releases stock, sources
the added units (with their fulfilment orders), moves the fulfilment orders still to ship
to a new address, books the tax difference, and settles the money difference (an extra
authorisation, a void or a refund). Units that have shipped or been refunded cannot be
edited. The order's own part of it is ``orders/edits.py``.
"""

from __future__ import annotations

from dataclasses import asdict

from ordermesh.fulfilment.sync import address_changed
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import IllegalTransition, InvalidInput
from ordermesh.kit.money import MAX_AMOUNT, Money
from ordermesh.kit.outbox import record_event
from ordermesh.orders.changes import record_transition
from ordermesh.orders.edits import (
    EDITABLE,
    Edit,
    edit_changes,
    move_stock,
    plan_edit,
    write_lines,
)
from ordermesh.orders.invoicing import correct_invoices
from ordermesh.orders.model import Order, OrderStatus
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
from ordermesh.orders.versions import record_version
from ordermesh.sourcing.service import source_added_units


def edit_order(
    uow: UnitOfWork, order_id: str, edits: list[Edit], reason: str | None,
    idem: idempotency.IdempotencyKey | None = None,
) -> Order:
    if prior := idempotency.claim(uow, idem):
        return load_order(uow, prior.resource_id)
    order = load_order(uow, order_id, for_update=True)
    if order.status not in EDITABLE:
        raise IllegalTransition(f"An order that is {order.status} cannot be edited",
                                extra={"current_status": order.status.value})
    if not edits:
        raise InvalidInput.for_field("edits", "give at least one edit")
    plan = plan_edit(uow, order, edits)
    move_stock(uow, order, plan)
    address = asdict(plan.address) if plan.address else None
    setup = order_setup(uow, order, address)
    lines = [plan.lines[n] for n in sorted(plan.lines)]
    amounts = amounts_for(lines, order.totals.shipping, Money.zero(order.currency), setup)
    if amounts.totals.total.amount >= MAX_AMOUNT:
        raise InvalidInput.for_field(
            "edits", f"the order total {amounts.totals.total} is beyond what one order may "
            "hold", "amount_out_of_range")
    check_refunds_covered(order, amounts)
    write_lines(uow, order, plan, amounts)
    source_added_units(uow, order.id, plan.reserve)  # sourced, with their fulfilment orders
    refunded = min(order.totals.refunded, amounts.totals.total)  # as on cancellation
    header = {"version": order.version + 1,
              "refunded_amount": refunded.amount,
              "reverse_charge": setup.reverse_charge, "updated_at": uow.clock.now()}
    if plan.address_changed:
        header.update(shipping_address=address,
                      tax_country=setup.destination.country if setup.destination else None,
                      tax_region=setup.destination.region if setup.destination else None)
    store_amounts(uow, order.seq, amounts, **header)
    if plan.address_changed:
        address_changed(uow, order.id, address)  # fulfilment orders still to ship follow
    tax_given_back = book_towards(uow, order.id, "edit", f"{order.id}:v{order.version + 1}",
                                  uow.clock.now().date(), order.currency,
                                  breakdown_json(amounts))
    settlement = settle(uow, order.id, refunded, "edit", reason, tax_given_back)
    updated = load_order(uow, order.id)
    if updated.status == OrderStatus.PARTIALLY_SHIPPED and all(
            ln.cancellable_quantity == 0 for ln in updated.lines):
        record_transition(uow, updated, OrderStatus.SHIPPED, "nothing left to ship")
        updated = load_order(uow, order.id)
    correct_invoices(uow, order, updated, f"{order.id}:v{updated.version}", reason)
    changes = edit_changes(edits)
    record_version(uow, updated, changes, settlement.as_json(), reason)
    payload = order_event_payload(updated)
    payload.update(previous_total=str(order.totals.total.amount), changes=changes,
                   settlement=settlement.as_json(), reason=reason)
    record_event(uow, "order.edited", "order", order.id, payload)
    idempotency.complete(uow, idem, "order", order.id, 200)
    uow.commit()  # then the money it settles is sent: read the order after that
    return load_order(uow, order.id)
