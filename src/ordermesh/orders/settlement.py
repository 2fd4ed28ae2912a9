"""Settling the money when an order's value changes (cancellation, edit).

What the customer owes is the order total less what was refunded after the sale. When
more was captured than that, the difference is refunded; authorised money that is no
longer needed is voided; when the order grew, an extra authorisation is asked for with
the method of the latest payment (and captured at once when the channel captures at
order). An order nobody has paid for yet simply shows a new balance.

The payments are asked, not answered, here: each move is a payment intent sent once the
caller's transaction commits (``payments/order_payments.py``). A ``Settlement`` says what
was asked for; the payments say what the provider answered. What the order's payments
are counted as is what they will hold once the moves still under way are approved, so a
settlement never voids money a capture under way takes, nor refunds it twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import record_event
from ordermesh.orders.queries import order_ref
from ordermesh.orders.tables import order_refunds
from ordermesh.payments.service import (
    authorise_more,
    expected_summary,
    refund_for_order,
    void_for_order,
)


@dataclass(frozen=True)
class Settlement:
    refunded: Money
    voided: Money
    authorised: Money
    captured: Money

    def as_json(self) -> dict:
        return {k: str(getattr(self, k).amount) for k in
                ("refunded", "voided", "authorised", "captured")}


def settle(
    uow: UnitOfWork, order_id: str, refunded_after_sale: Money, kind: str,
    reason: str | None, tax_given_back: Money,
) -> Settlement:
    """Bring the order's payments in line with its (already stored) new total."""
    ref = order_ref(uow, order_id)
    zero = Money.zero(ref.currency)
    due = ref.total - refunded_after_sale
    summary = expected_summary(uow, ref.id)
    key = new_id("set")
    refunded = voided = authorised = captured = zero
    if summary.captured - summary.refunded > due:
        refunded = summary.captured - summary.refunded - due
        refund_for_order(uow, ref.id, refunded, reason or kind, f"{key}:refund")
        record_refund(uow, ref.seq, ref.id, kind, refunded, min(tax_given_back, refunded),
                      reason)
    still_to_capture = due - (summary.captured - summary.refunded - refunded)
    if summary.open_authorised > still_to_capture:
        voided = void_for_order(uow, ref.id, f"{key}:void",
                                summary.open_authorised - max(still_to_capture, zero))
    elif still_to_capture > summary.open_authorised and summary.authorised > zero \
            and not summary.pending.amount:  # a pending payment decides first
        # declined or pending: the order shows a balance still to pay
        authorised = authorise_more(uow, ref, still_to_capture - summary.open_authorised,
                                    f"{key}:authorise")
        if ref.capture_policy == "order":
            captured = authorised  # asked with it, made once it is approved
    return Settlement(refunded, voided, authorised, captured)


def record_refund(
    uow: UnitOfWork, order_seq: int, order_id: str, kind: str, amount: Money, tax: Money,
    reason: str | None, lines: list[dict] | None = None, refund_id: str | None = None,
) -> str:
    refund_id = refund_id or new_id("rfd")
    uow.execute(insert(order_refunds).values(
        id=refund_id, order_seq=order_seq, kind=kind, amount=amount.amount, tax_amount=tax.amount,
        currency=amount.currency, lines=lines, reason=reason, actor=uow.actor,
        created_at=uow.clock.now()))
    record_event(uow, "refund.issued", "order", order_id, {
        "refund_id": refund_id, "kind": kind, "amount": str(amount.amount),
        "tax": str(tax.amount), "currency": amount.currency, "lines": lines, "reason": reason})
    return refund_id
