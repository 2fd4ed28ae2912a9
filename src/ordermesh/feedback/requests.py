"""Feedback requests: scheduled from the outbox (a delivery, a resolved return), sent or
suppressed when due, each with a single-use signed link.

Scheduling follows the outbox with a cursor of its own (``events.cursors``), locked, read
and moved in one transaction, so a crash or a second worker never schedules twice (and
``source_event_id`` is unique besides). Sending claims due rows with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL. Every reason not to ask is in one place,
``_suppression_reason``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from ordermesh.customers.consent import may_contact
from ordermesh.customers.service import get_customer
from ordermesh.events.cursors import advance_cursor, lock_cursor
from ordermesh.feedback.model import RequestStatus, Trigger, sign_token
from ordermesh.feedback.tables import feedback_requests
from ordermesh.fulfilment.queries import get_fulfilment_order
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import Event, read_events, record_event
from ordermesh.kit.upsert import insert_ignore_returning
from ordermesh.orders.queries import load_order
from ordermesh.returns.model import CLOSED_WITHOUT_UNITS, ReturnStatus
from ordermesh.returns.queries import list_returns
from ordermesh.shipping.service import get_shipment

CURSOR = "feedback"
TRIGGERS = {"fulfilment.delivered": Trigger.DELIVERED,
            "fulfilment.picked_up": Trigger.DELIVERED,
            "return.resolved": Trigger.RETURN_RESOLVED}
# Events older than the delay plus this are not scheduled: switching feedback on for a
# shop with a long history must not ask every past customer at once.
STALE_AFTER = timedelta(days=7)
_OPEN_RETURNS = frozenset(ReturnStatus) - CLOSED_WITHOUT_UNITS - {ReturnStatus.RESOLVED}
_ASKED = (RequestStatus.SENT.value, RequestStatus.ANSWERED.value)


@dataclass(frozen=True)
class RequestPolicy:
    """What the settings say about feedback requests."""

    secret: str | None
    public_url: str
    delay: timedelta
    quiet: timedelta
    link_life: timedelta

    @classmethod
    def of(cls, settings: Any) -> RequestPolicy:
        secret = settings.feedback_secret
        return cls(secret.get_secret_value() if secret else None, settings.public_url,
                   timedelta(days=settings.feedback_delay_days),
                   timedelta(days=settings.feedback_quiet_days),
                   timedelta(days=settings.feedback_link_days))

    def link(self, request_id: str, expires_at: datetime) -> str:
        if self.secret is None:
            raise RuntimeError("ORDERMESH_FEEDBACK_SECRET is not set")
        token = sign_token(self.secret, request_id, expires_at)
        return f"{self.public_url.rstrip('/')}/feedback/{token}"


# --- scheduling ---------------------------------------------------------------------

def _lines(order, line_nos: set[int] | None) -> list[dict]:
    return [{"line_no": ln.line_no, "product_id": ln.product_id, "sku": ln.sku,
             "name": ln.name} for ln in order.lines
            if line_nos is None or ln.line_no in line_nos]


def _delivered(uow: UnitOfWork, event: Event) -> dict:
    fo = get_fulfilment_order(uow, event.aggregate_id)
    order = load_order(uow, fo.order_id)
    try:
        shipment = get_shipment(uow, fo.id)
    except NotFound:  # collected at a store, or shipped by hand without a booking
        shipment = None
    shipped = {ln.line_no for ln in fo.lines if ln.shipped_quantity > 0}
    return {"order": order, "fo_id": fo.id, "channel_id": fo.channel_id,
            "location_id": fo.location_id, "shipment_id": shipment.id if shipment else None,
            "carrier": shipment.carrier if shipment else fo.carrier,
            "lines": _lines(order, shipped or None), "return_id": None,
            "at": fo.delivered_at or event.occurred_at}  # the scan, not when it was heard


def _resolved(uow: UnitOfWork, event: Event) -> dict:
    order = load_order(uow, event.payload["order_id"])
    returned = {line["order_line_no"] for line in event.payload.get("lines", [])}
    return {"order": order, "fo_id": None, "channel_id": order.channel_id,
            "location_id": None, "shipment_id": None, "carrier": None,
            "lines": _lines(order, returned or None), "return_id": event.aggregate_id,
            "at": event.occurred_at}


def schedule_from_events(uow: UnitOfWork, policy: RequestPolicy, limit: int) -> int:
    """Schedule a request for each delivery and resolved return among up to ``limit``
    events after the cursor; commits. Returns how many events were read."""
    after = lock_cursor(uow, CURSOR)
    events = read_events(uow, after=after, limit=limit)
    now = uow.clock.now()
    for event in events:
        trigger = TRIGGERS.get(event.type)
        if trigger is None or event.occurred_at < now - policy.delay - STALE_AFTER:
            continue
        facts = (_delivered if trigger == Trigger.DELIVERED else _resolved)(uow, event)
        order, happened = facts.pop("order"), facts.pop("at")
        insert_ignore_returning(uow, feedback_requests, ("source_event_id",), "id", {
            "id": new_id("fbr"), "source_event_id": event.id, "trigger": trigger.value,
            "status": RequestStatus.SCHEDULED.value, "customer_id": order.customer_id,
            "order_id": order.id, "order_number": order.number, **facts,
            "due_at": happened + policy.delay, "sent_at": None, "expires_at": None,
            "answered_at": None, "suppressed_reason": None, "created_at": now})
    if events:
        advance_cursor(uow, CURSOR, events[-1].position)
    uow.commit()
    return len(events)


# --- sending ------------------------------------------------------------------------

def _suppression_reason(uow: UnitOfWork, row, policy: RequestPolicy) -> str | None:
    """Why this request must not be sent, or None. Every rule is here."""
    if row.customer_id is None:
        return "the order has no customer"
    customer = get_customer(uow, row.customer_id)
    if not customer.email:
        return "the customer has no e-mail address"
    if not may_contact(uow.conn, row.customer_id, "feedback", "email"):
        return "the customer has not agreed to feedback e-mails"
    returns, _ = list_returns(uow, order_id=row.order_id, limit=100)
    still_open = [r["number"] for r in returns if r["status"] in _OPEN_RETURNS]
    if still_open:
        return f"a return is open on the order ({', '.join(still_open)})"
    last = uow.execute(
        select(func.max(feedback_requests.c.sent_at))
        .where(feedback_requests.c.customer_id == row.customer_id,
               feedback_requests.c.status.in_(_ASKED))).scalar_one_or_none()
    if last is not None and as_utc(last) > uow.clock.now() - policy.quiet:
        return f"the customer was asked on {as_utc(last).date().isoformat()}"
    return None


def send_due_requests(uow: UnitOfWork, policy: RequestPolicy, limit: int) -> int:
    """Send or suppress up to ``limit`` scheduled requests whose time has come; commits.
    Returns how many were decided."""
    now = uow.clock.now()
    query = (select(feedback_requests)
             .where(feedback_requests.c.status == RequestStatus.SCHEDULED.value,
                    feedback_requests.c.due_at <= now)
             .order_by(feedback_requests.c.due_at, feedback_requests.c.id).limit(limit))
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True)
    due = list(uow.execute(query))
    for row in due:
        reason = _suppression_reason(uow, row, policy)
        if reason is not None:
            _set(uow, row.id, status=RequestStatus.SUPPRESSED.value, suppressed_reason=reason)
            record_event(uow, "feedback.suppressed", "feedback_request", row.id, {
                "id": row.id, "order_id": row.order_id, "customer_id": row.customer_id,
                "trigger": row.trigger, "reason": reason})
            continue
        expires = now + policy.link_life
        _set(uow, row.id, status=RequestStatus.SENT.value, sent_at=now, expires_at=expires)
        record_event(uow, "feedback.requested", "feedback_request", row.id, {
            "id": row.id, "order_id": row.order_id, "order_number": row.order_number,
            "customer_id": row.customer_id, "email": get_customer(uow, row.customer_id).email,
            "trigger": row.trigger, "link": policy.link(row.id, expires),
            "expires_at": expires.isoformat()})
    uow.commit()
    return len(due)


def _set(uow: UnitOfWork, request_id: str, **values) -> None:
    uow.execute(update(feedback_requests).where(feedback_requests.c.id == request_id)
                .values(**values))


# --- reading ------------------------------------------------------------------------

def request_read(row) -> dict:
    return {"id": row.id, "trigger": row.trigger, "status": row.status,
            "customer_id": row.customer_id, "order_id": row.order_id,
            "order_number": row.order_number, "fo_id": row.fo_id,
            "shipment_id": row.shipment_id, "carrier": row.carrier,
            "location_id": row.location_id, "channel_id": row.channel_id,
            "return_id": row.return_id, "lines": row.lines, "due_at": as_utc(row.due_at),
            "sent_at": as_utc(row.sent_at) if row.sent_at else None,
            "expires_at": as_utc(row.expires_at) if row.expires_at else None,
            "answered_at": as_utc(row.answered_at) if row.answered_at else None,
            "suppressed_reason": row.suppressed_reason}


def list_requests(uow: UnitOfWork, *, status: str | None = None, order_id: str | None = None,
                  limit: int = 50) -> list[dict]:
    """Newest first."""
    query = select(feedback_requests).order_by(feedback_requests.c.id.desc()).limit(limit)
    if status:
        query = query.where(feedback_requests.c.status == status)
    if order_id:
        query = query.where(feedback_requests.c.order_id == order_id)
    return [request_read(r) for r in uow.execute(query)]

