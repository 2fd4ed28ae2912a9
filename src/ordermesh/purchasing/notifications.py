"""The supplier hears of its purchase order by e-mail, the PDF attached.

Nothing remote happens in a transaction: sending an order (``service.send_po``) or
asking for it again (``resend``) writes a notification row in the order's transaction
(``queued``, or ``skipped`` with the reason when the supplier has no ordering e-mail).
The worker (``flows/purchase_order_mail.py``) claims due rows (``claim_due``: ``FOR
UPDATE SKIP LOCKED`` on PostgreSQL and a conditional update on the attempt count, then
commit), speaks SMTP with a timeout holding no transaction, and stores the outcome in a
new one (``record``): ``sent``, a retry after an exponential delay, or ``failed`` after
the last attempt or a permanent (5xx) refusal. Each outcome writes its event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.messaging.model import RetryPolicy
from ordermesh.purchasing.model import Notification, NotificationStatus, PurchaseOrder
from ordermesh.purchasing.tables import purchase_order_notifications
from ordermesh.suppliers.model import Supplier

N = purchase_order_notifications.c
MAX_ERROR = 300
NO_EMAIL = "the supplier has no contact with an e-mail address"
_DUE = (NotificationStatus.QUEUED.value, NotificationStatus.SENDING.value)


def _when(value):
    return as_utc(value) if value is not None else None


def notifications_of(uow: UnitOfWork, po_ids: list[str]) -> dict[str, list[Notification]]:
    found: dict[str, list[Notification]] = {i: [] for i in po_ids}
    if not po_ids:
        return found
    for r in uow.execute(select(purchase_order_notifications).where(N.po_id.in_(po_ids))
                         .order_by(N.created_at, N.id)):
        found[r.po_id].append(Notification(
            r.id, r.trigger, r.recipient, NotificationStatus(r.status), r.reason, r.attempts,
            _when(r.next_attempt_at), r.last_error, as_utc(r.created_at), _when(r.sent_at),
            _when(r.finished_at)))
    return found


def _payload(order: PurchaseOrder, notification_id: str, **extra) -> dict:
    return {"purchase_order_id": order.id, "number": order.number,
            "supplier": order.supplier_code, "notification_id": notification_id, **extra}


def queue_notification(uow: UnitOfWork, order: PurchaseOrder, supplier: Supplier,
                       trigger: str) -> str:
    """Record the e-mail to send after commit (or why none goes); does not commit."""
    contact = supplier.ordering_contact
    now = uow.clock.now()
    notification_id = new_id("pon")
    status = NotificationStatus.QUEUED if contact else NotificationStatus.SKIPPED
    uow.execute(purchase_order_notifications.insert().values(
        id=notification_id, po_id=order.id, trigger=trigger,
        recipient=contact.email if contact else None, status=status.value,
        reason=None if contact else NO_EMAIL, attempts=0,
        next_attempt_at=now if contact else None, created_at=now,
        finished_at=None if contact else now))
    if contact:
        record_event(uow, "purchase_order.notification_queued", "purchase_order", order.id,
                     _payload(order, notification_id, trigger=trigger,
                              recipient=contact.email))
    else:
        record_event(uow, "purchase_order.notification_skipped", "purchase_order", order.id,
                     _payload(order, notification_id, trigger=trigger, reason=NO_EMAIL))
    return notification_id


def check_can_resend(supplier: Supplier) -> None:
    if supplier.ordering_contact is None:
        raise Conflict(f"Supplier {supplier.code} has no contact with an e-mail address: "
                       "add one (role `ordering`) before sending the order again",
                       extra={"reason": "no_ordering_email"})


@dataclass(frozen=True)
class ClaimedNotification:
    id: str
    po_id: str
    attempt: int  # the number of this attempt, 1 for the first
    recipient: str
    created_at: datetime
    lease_until: datetime  # not sent after this: another mailer may have claimed it


def claim_due(uow: UnitOfWork, limit: int, policy: RetryPolicy) -> list[ClaimedNotification]:
    """Up to ``limit`` due notifications, each claimed for one attempt; commits."""
    now = uow.clock.now()
    query = (select(N.id, N.po_id, N.attempts, N.recipient, N.created_at)
             .where(N.status.in_(_DUE), N.next_attempt_at <= now)
             .order_by(N.next_attempt_at, N.id).limit(limit))
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = uow.execute(query).all()
    until = now + policy.lease(len(rows))
    claimed = []
    for row in rows:
        taken = uow.execute(update(purchase_order_notifications).where(
            N.id == row.id, N.attempts == row.attempts, N.status.in_(_DUE),
        ).values(status=NotificationStatus.SENDING.value, attempts=row.attempts + 1,
                 next_attempt_at=until)).rowcount
        if taken == 1:
            claimed.append(ClaimedNotification(row.id, row.po_id, row.attempts + 1,
                                               row.recipient, as_utc(row.created_at), until))
    uow.commit()
    return claimed


def record(uow: UnitOfWork, claimed: ClaimedNotification, order: PurchaseOrder,
           error: str | None, permanent: bool, policy: RetryPolicy) -> str:
    """Store the attempt's outcome: sent, a retry, or failed (the last attempt, or a
    permanent refusal); commits. Returns the notification's status."""
    now = uow.clock.now()
    row = uow.execute(select(N.status, N.attempts).where(N.id == claimed.id)
                      .with_for_update()).first()
    if row is None or row.status != NotificationStatus.SENDING or \
            row.attempts != claimed.attempt:
        uow.commit()  # the lease ran out and another mailer claimed it: that claim decides
        return row.status if row else "deleted"
    facts = {"recipient": claimed.recipient, "attempts": claimed.attempt}
    if error is None:
        status = NotificationStatus.SENT
        values = {"sent_at": now, "finished_at": now, "next_attempt_at": None,
                  "last_error": None}
        record_event(uow, "purchase_order.notification_sent", "purchase_order", order.id,
                     _payload(order, claimed.id, **facts))
    else:
        error = error[:MAX_ERROR]
        retry_at = None if permanent else policy.next_attempt(now, claimed.attempt)
        values = {"last_error": error, "next_attempt_at": retry_at}
        if retry_at is None:
            status = NotificationStatus.FAILED
            values["finished_at"] = now
            record_event(uow, "purchase_order.notification_failed", "purchase_order",
                         order.id, _payload(order, claimed.id, **facts, error=error))
        else:
            status = NotificationStatus.QUEUED
    uow.execute(update(purchase_order_notifications).where(N.id == claimed.id)
                .values(status=status.value, **values))
    uow.commit()
    return status.value
