"""Where an order stands with its money, and whether that lets its goods leave.

An order's payment status is a pure function of its payment ledger's totals and of what
the customer owes (the order total less refunds after the sale)::

    refunded > 0        -> refunded when nothing captured is kept, else partly_refunded
    captured >= owed    -> paid
    captured > 0        -> partly_paid
    authorised, open    -> authorised (includes cash on delivery and invoice terms)
    otherwise           -> unpaid (no payment, or only pending, declined or voided ones)

The ship gate (``check_may_leave``) follows the capture policy the order was placed
with: capture "at order" needs the money captured, capture "per shipment" needs it
authorised. Cash on delivery and invoice terms cover what they promise under either
policy, and an operator's recorded override releases the order whatever it owes.

No database, no web: this module imports the standard library, ``kit`` and the payments
model only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from ordermesh.kit.errors import Conflict
from ordermesh.kit.money import Money
from ordermesh.payments.model import PaymentMethod


class OrderPaymentStatus(enum.StrEnum):
    UNPAID = "unpaid"
    AUTHORISED = "authorised"  # promised (a card hold, cash on delivery, invoice terms)
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    PARTLY_REFUNDED = "partly_refunded"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class LedgerTotals:
    """An order's payments that hold money, added up, and what the customer owes."""

    owed: Money
    authorised: Money
    captured: Money
    refunded: Money
    voided: Money
    deferred_open: Money  # open money of cash-on-delivery and invoice-terms payments

    @classmethod
    def nothing(cls, owed: Money) -> LedgerTotals:
        zero = Money.zero(owed.currency)
        return cls(owed, zero, zero, zero, zero, zero)

    @property
    def open(self) -> Money:
        return self.authorised - self.captured - self.voided

    @property
    def kept(self) -> Money:
        """Captured and not given back."""
        return self.captured - self.refunded


def order_payment_status(t: LedgerTotals) -> OrderPaymentStatus:
    if t.refunded.amount > 0:
        return (OrderPaymentStatus.REFUNDED if t.kept.amount == 0
                else OrderPaymentStatus.PARTLY_REFUNDED)
    if t.captured.amount >= t.owed.amount:  # a free order owes nothing: paid
        return OrderPaymentStatus.PAID
    if t.captured.amount > 0:
        return OrderPaymentStatus.PARTLY_PAID
    if t.open.amount > 0:
        return OrderPaymentStatus.AUTHORISED
    return OrderPaymentStatus.UNPAID


@dataclass(frozen=True)
class PaymentOverride:
    """An operator released the order to ship without the payment its policy needs."""

    actor: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class PaymentStanding:
    totals: LedgerTotals
    methods: tuple[PaymentMethod, ...] = ()  # of the payments holding money, oldest first
    due_date: date | None = None  # the earliest due date of invoice-terms payments
    override: PaymentOverride | None = None
    status: OrderPaymentStatus = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", order_payment_status(self.totals))


class PaymentRequired(Conflict):
    """The order's payments do not meet its channel's rule for goods to leave."""

    code = "payment-required"
    title = "Payment required"


_NEEDS = {
    "order": ("captured", "the channel captures payment at order: the order must be paid "
              "(captured), or carry cash on delivery or invoice terms"),
    "shipment": ("authorised", "the channel captures payment per shipment: the order must "
                 "be authorised, or carry cash on delivery or invoice terms"),
}


def check_may_leave(order_number: str, capture_policy: str, standing: PaymentStanding,
                    action: str = "ship") -> None:
    """Refuse (``PaymentRequired``) goods leaving an order whose payments do not cover
    what the customer owes by the order's capture policy (``order`` unless ``shipment``).
    """
    if standing.override is not None:
        return
    t = standing.totals
    policy = "shipment" if capture_policy == "shipment" else "order"
    covered = t.kept + (t.deferred_open if policy == "order" else t.open)
    if covered.amount >= t.owed.amount:
        return
    what, rule = _NEEDS[policy]
    raise PaymentRequired(
        f"Order {order_number} cannot {action}: {rule}. It owes {t.owed}, of which "
        f"{t.kept} is captured and {t.open} authorised (payment status "
        f"{standing.status}). Take the payment, or record an operator override",
        extra={"order_number": order_number, "capture_policy": policy, "needs": what,
               "payment_status": standing.status.value, "owed": str(t.owed.amount),
               "captured": str(t.kept.amount), "authorised": str(t.open.amount),
               "currency": t.owed.currency})
