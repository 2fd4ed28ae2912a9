"""The rules asked again right before each attempt (``sending.claim_due``): consent
(withdrawn since it was queued), an address that bounced for good, a delay notice about a
parcel delivered while it waited, the frequency cap (suppressed), and quiet hours or
contact hours (deferred). The pure decisions are in ``rules.py``; this module reads what
they need and records the outcome: a suppressed message is final
(``message.suppressed``), a deferred one stays ``queued`` with a later
``next_attempt_at``, its ``reason`` and a ``deferred`` history entry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update

from ordermesh.customers.consent import may_contact
from ordermesh.customers.identities import undeliverable
from ordermesh.customers.model import Identity, IdentityKind
from ordermesh.customers.service import get_customer
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import record_event
from ordermesh.messaging.model import PURPOSE, MessageStatus, MessageType, consent_reason
from ordermesh.messaging.rules import SendRules, capped, deferral
from ordermesh.messaging.tables import message_history, message_sources, messages
from ordermesh.shipping.tables import shipments

_DUE = (MessageStatus.QUEUED.value, MessageStatus.SENDING.value)
_COUNTED = (MessageStatus.SENT.value, MessageStatus.SENDING.value)
OVERTAKEN = "the parcel was delivered before the delay notice went out"


def recipient_identity(medium: str, recipient: str) -> Identity:
    kind = IdentityKind.EMAIL if medium == "email" else IdentityKind.PHONE
    return Identity(kind, "", recipient)


def bounce_reason(medium: str, since: datetime, why: str) -> str:
    what = "e-mail address" if medium == "email" else "phone number"
    return f"the {what} bounced for good on {since.date().isoformat()}: {why}"[:300]


def _sent_recently(uow: UnitOfWork, customer_id: str, since: datetime) -> int:
    m = messages.c
    return uow.execute(select(func.count()).select_from(messages).where(
        m.customer_id == customer_id, m.status.in_(_COUNTED), m.sent_at >= since)).scalar()


def _suppress_reason(uow: UnitOfWork, row, rules: SendRules, now: datetime) -> str | None:
    if row.customer_id is None:
        return None  # a campaign's test send to the address an operator gave
    message_type = MessageType(row.type)
    purpose = PURPOSE[message_type]
    if not may_contact(uow.conn, row.customer_id, purpose, row.medium):
        return consent_reason(purpose, row.medium)
    bounced = undeliverable(uow, recipient_identity(row.medium, row.recipient))
    if bounced is not None:
        return bounce_reason(row.medium, *bounced)
    if message_type is MessageType.DELAYED and _delivered_since(uow, row.id):
        return OVERTAKEN
    return capped(rules, message_type,
                  _sent_recently(uow, row.customer_id, now - rules.cap_period))


def _delivered_since(uow: UnitOfWork, message_id: str) -> bool:
    """Whether the shipment a delay notice is about was delivered while it waited (for
    quiet hours, a retry, a worker)."""
    s = message_sources.c
    facts = uow.execute(select(s.facts).where(s.message_id == message_id)).scalar() or {}
    if not facts.get("shipment_id"):
        return False
    return uow.execute(select(shipments.c.delivered_at).where(
        shipments.c.id == facts["shipment_id"])).scalar() is not None


def _still_due(row):
    m = messages.c
    return (m.id == row.id, m.attempts == row.attempts, m.status.in_(_DUE))


def held(uow: UnitOfWork, row, rules: SendRules) -> bool:
    """Whether a rule keeps this message from its attempt now (recorded here)."""
    now = uow.clock.now()
    reason = _suppress_reason(uow, row, rules, now)
    if reason is not None:
        suppress(uow, row, reason)
        return True
    if row.customer_id is None:
        return False  # a test send: no customer, no quiet hours of theirs
    customer = get_customer(uow, row.customer_id)
    wait = deferral(rules, MessageType(row.type), customer.contact_hours, customer.locale,
                    now)
    if wait is None:
        return False
    until, why = wait
    detail = f"deferred until {until.isoformat()}: {why}"
    if uow.execute(update(messages).where(*_still_due(row)).values(
            status=MessageStatus.QUEUED.value, next_attempt_at=until, reason=detail)
            ).rowcount == 1:
        uow.execute(insert(message_history).values(
            message_id=row.id, status="deferred", attempt=None, detail=detail, at=now))
    return True


def suppress(uow: UnitOfWork, row, reason: str) -> None:
    now = uow.clock.now()
    if uow.execute(update(messages).where(*_still_due(row)).values(
            status=MessageStatus.SUPPRESSED.value, reason=reason, next_attempt_at=None,
            finished_at=now)).rowcount != 1:
        return  # another sender decided it meanwhile
    uow.execute(insert(message_history).values(
        message_id=row.id, status=MessageStatus.SUPPRESSED.value, attempt=None,
        detail=reason, at=now))
    record_event(uow, "message.suppressed", "message", row.id, {
        "id": row.id, "type": row.type, "medium": row.medium, "customer_id": row.customer_id,
        "order_id": row.order_id, "source_event_id": row.source_event_id,
        "language": row.language, "reason": reason})
