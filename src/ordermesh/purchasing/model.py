"""Purchase orders: the state machine, lines at cost and the receipt rules."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from ordermesh.kit.errors import IllegalTransition
from ordermesh.kit.money import Money


class POStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    CONFIRMED = "confirmed"
    PARTLY_RECEIVED = "partly_received"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


S = POStatus
# What each use case may start from.
SENDABLE = frozenset({S.DRAFT})
CONFIRMABLE = frozenset({S.SENT})
RECEIVABLE = frozenset({S.SENT, S.CONFIRMED, S.PARTLY_RECEIVED})
CLOSABLE = frozenset({S.SENT, S.CONFIRMED, S.PARTLY_RECEIVED, S.RECEIVED})
CANCELLABLE = frozenset({S.DRAFT, S.SENT, S.CONFIRMED})
# Orders whose e-mail to the supplier may be sent again.
RESENDABLE = frozenset({S.SENT, S.CONFIRMED, S.PARTLY_RECEIVED})

DEFAULT_TOLERANCE_PERCENT = 5


def require(status: POStatus, allowed: frozenset[POStatus], action: str) -> None:
    if status not in allowed:
        raise IllegalTransition(
            f"A purchase order that is {status.value} cannot {action}",
            extra={"current_status": status.value,
                   "allowed_from": sorted(s.value for s in allowed)})


@dataclass(frozen=True)
class POLine:
    line_no: int
    product_id: str
    sku: str
    quantity: int  # ordered
    unit_cost: Money
    expected_date: date
    confirmed_quantity: int | None
    confirmed_date: date | None
    received: int  # accepted into stock
    rejected: int  # damaged or refused on arrival, not stocked
    supply_id: str | None

    @property
    def due(self) -> int:
        """What the supplier owes: the confirmed quantity once confirmed."""
        return self.confirmed_quantity if self.confirmed_quantity is not None else self.quantity

    @property
    def open(self) -> int:
        return max(self.due - self.received, 0)

    @property
    def due_date(self) -> date:
        return self.confirmed_date or self.expected_date

    @property
    def total(self) -> Money:
        return self.unit_cost.times(self.quantity)

    def most_receivable(self, tolerance_percent: int) -> int:
        """Units that may still be accepted: the rest due plus the over-delivery
        tolerance (a percentage of what is due, rounded down)."""
        return self.due + self.due * tolerance_percent // 100 - self.received


class NotificationStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for the mailer (first attempt or a retry)
    SENDING = "sending"  # claimed by a mailer for one attempt
    SENT = "sent"  # the supplier's mail server accepted it
    FAILED = "failed"  # refused for good, or the last attempt failed
    SKIPPED = "skipped"  # nobody to send it to


@dataclass(frozen=True)
class Notification:
    """One e-mail of the purchase order (its PDF attached) to the supplier's ordering
    contact: when the order is sent, and each time it is sent again by hand."""

    id: str
    trigger: str  # sent | resend
    recipient: str | None
    status: NotificationStatus
    reason: str | None  # why skipped
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class PurchaseOrder:
    id: str
    number: str
    supplier_id: str
    supplier_code: str
    location_id: str
    location_code: str
    currency: str
    status: POStatus
    expected_date: date
    tolerance_percent: int
    note: str | None
    lines: tuple[POLine, ...]
    sent_at: datetime | None
    confirmed_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    notifications: tuple[Notification, ...] = ()

    @property
    def total(self) -> Money:
        result = Money.zero(self.currency)
        for line in self.lines:
            result = result + line.total
        return result

    def line(self, line_no: int) -> POLine | None:
        return next((ln for ln in self.lines if ln.line_no == line_no), None)


def status_after_receipt(lines: list[POLine]) -> POStatus:
    return S.RECEIVED if all(ln.open == 0 for ln in lines) else S.PARTLY_RECEIVED
