"""Queueing messages from the outbox: one message per (event, recipient, type).

The job follows the outbox with a cursor of its own (``events.cursors``), locked, read
and moved in one transaction, and the unique (source event, recipient, type) makes a
second reading of the same event queue nothing. Each message goes by the medium the
customer prefers when it is configured and they have an address on it (SMS), else by
e-mail; it is rendered here, in the customer's language, and stored with its rules
decided: ``queued`` to be sent, or ``suppressed`` with the reason (no consent for that
medium, no address, an address that bounced). Nothing is sent here; the rules that
depend on the moment of sending (quiet hours, the cap) are ``checks.py``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select

from ordermesh.customers.consent import may_contact
from ordermesh.customers.identities import identities_of, undeliverable
from ordermesh.customers.model import Customer
from ordermesh.customers.service import get_customer
from ordermesh.events.cursors import advance_cursor, lock_cursor
from ordermesh.fulfilment.queries import get_fulfilment_order
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import Event, read_events, record_event
from ordermesh.kit.upsert import insert_ignore_returning
from ordermesh.messaging.checks import bounce_reason, recipient_identity
from ordermesh.messaging.coalescing import (
    Joining,
    add_source,
    already_told,
    as_part,
    held_until,
    join_open,
    render_parts,
    window_of,
)
from ordermesh.messaging.model import (
    PURPOSE,
    TRIGGERS,
    MessageStatus,
    MessageType,
    choose_locale,
    consent_reason,
)
from ordermesh.messaging.tables import message_history, messages
from ordermesh.messaging.templates import has_sms
from ordermesh.orders.queries import load_order
from ordermesh.shipping.service import get_shipment

CURSOR = "messaging"
EMAIL, SMS = "email", "sms"
# An event older than this queues nothing: switching messaging on for a shop with a long
# history (or after a long outage) must not mail every past customer.
STALE_AFTER = timedelta(days=2)


def _order_facts(order) -> dict:
    return {"order_id": order.id, "order_number": order.number,
            "customer_id": order.customer_id}


def _confirmation(uow: UnitOfWork, event: Event) -> dict:
    order = load_order(uow, event.aggregate_id)
    return {**_order_facts(order), "placed_at": event.occurred_at,
            "currency": order.currency, "total": str(order.totals.total.amount),
            "lines": [{"sku": ln.sku, "name": ln.name, "unit_price": str(ln.unit_price.amount),
                       "quantity": ln.quantity - ln.cancelled_quantity}
                      for ln in order.lines if ln.quantity > ln.cancelled_quantity]}


def _shipped(uow: UnitOfWork, event: Event) -> dict:
    fo = get_fulfilment_order(uow, event.aggregate_id)
    try:
        shipment = get_shipment(uow, fo.id)
    except NotFound:  # handed over without a booking here: the numbers were given
        shipment = None
    details = event.payload.get("details") or {}
    numbers = ([p.tracking_number for p in shipment.parcels] if shipment
               else [n for n in details.get("tracking_numbers") or [] if n])
    return {**_order_facts(load_order(uow, fo.order_id)), "shipped_at": event.occurred_at,
            "carrier": shipment.carrier if shipment else fo.carrier,
            "tracking_numbers": numbers}


def _delivered(uow: UnitOfWork, event: Event) -> dict:
    fo = get_fulfilment_order(uow, event.aggregate_id)
    return {**_order_facts(load_order(uow, fo.order_id)),
            "delivered_at": fo.delivered_at or event.occurred_at}


def _refund(uow: UnitOfWork, event: Event) -> dict:
    return {**_order_facts(load_order(uow, event.aggregate_id)),
            "refunded_at": event.occurred_at, "amount": event.payload["amount"],
            "currency": event.payload["currency"]}


def _feedback(uow: UnitOfWork, event: Event) -> dict:
    p = event.payload
    return {"order_id": p["order_id"], "order_number": p["order_number"],
            "customer_id": p["customer_id"], "email": p["email"], "link": p["link"],
            "expires_at": p["expires_at"]}


def _delayed(uow: UnitOfWork, event: Event) -> dict:
    p = event.payload
    return {**_order_facts(load_order(uow, p["order_id"])), "carrier": p["carrier"],
            "promised_date": p["promised_date"], "estimated_delivery": p["estimated_delivery"],
            "tracking_numbers": p["tracking_numbers"], "shipment_id": p["shipment_id"]}


FACTS = {MessageType.ORDER_CONFIRMATION: _confirmation, MessageType.SHIPPED: _shipped,
         MessageType.DELIVERED: _delivered, MessageType.REFUND: _refund,
         MessageType.FEEDBACK_REQUEST: _feedback, MessageType.DELAYED: _delayed}


@dataclass(frozen=True)
class Route:
    medium: str
    recipient: str  # "" when the customer has no address on that medium


def phone_of(uow: UnitOfWork, customer: Customer) -> str:
    if customer.phone:
        return customer.phone
    phones = [i["value"] for i in identities_of(uow, [customer.id]) if i["kind"] == "phone"]
    return phones[0] if phones else ""


def route(uow: UnitOfWork, customer: Customer, facts: dict, message_type: MessageType,
          language: str, media: frozenset[str]) -> Route:
    """The medium the customer chose (``preferred_contact``) when it is configured, they
    have an address on it and there is a template for it; else e-mail."""
    email = (facts.pop("email", None) or customer.email or "").strip()
    if customer.preferred_contact == SMS and SMS in media and has_sms(message_type, language):
        phone = phone_of(uow, customer)
        if phone:
            return Route(SMS, phone)
    return Route(EMAIL, email)


def _reason(uow: UnitOfWork, customer: Customer, to: Route,
            message_type: MessageType) -> str | None:
    """Why this message must not be sent, or None. Every rule of queueing is here."""
    if not to.recipient:
        return "the customer has no e-mail address"
    if not may_contact(uow.conn, customer.id, PURPOSE[message_type], to.medium):
        return consent_reason(PURPOSE[message_type], to.medium)
    bounced = undeliverable(uow, recipient_identity(to.medium, to.recipient))
    return None if bounced is None else bounce_reason(to.medium, *bounced)


def _delay_key(facts: dict) -> str:
    return f"delayed:{facts['order_id']}:{facts['estimated_delivery']}"


# Types sent at most once per key, whichever event causes them.
DEDUP = {MessageType.DELAYED: _delay_key}


def _dedup_key(uow: UnitOfWork, message_type: MessageType, facts: dict) -> str | bool | None:
    """The message's dedup key; False when a message with it exists already."""
    key_of = DEDUP.get(message_type)
    if key_of is None:
        return None
    key = key_of(facts)
    taken = uow.execute(select(messages.c.id).where(messages.c.dedup_key == key)).first()
    return False if taken else key


def queue_message(uow: UnitOfWork, event: Event, message_type: MessageType,
                  media: frozenset[str] = frozenset({EMAIL}),
                  windows: dict[str, int] | None = None) -> str | None:
    """Render and store the message ``event`` causes, or add the event to the open message
    of its order and type (``coalescing``); the message's id, or None when there is nobody
    to write to or the event was told before."""
    facts = FACTS[message_type](uow, event)
    if facts["customer_id"] is None:
        return None  # a guest order without a customer record: nobody to write to
    customer = get_customer(uow, facts["customer_id"])
    language, locale = choose_locale(customer.language, customer.locale)
    to = route(uow, customer, facts, message_type, language, media)
    if already_told(uow, event.id, to.recipient, message_type):
        return None
    part = as_part(facts)
    reason = _reason(uow, customer, to, message_type)
    window = window_of(windows or {}, message_type) if reason is None else timedelta(0)
    if window and facts["order_id"]:
        joined = join_open(uow, Joining(event, message_type, facts["order_id"], to.medium,
                                        to.recipient, customer.name, part))
        if joined is not None:
            return joined
    dedup_key = _dedup_key(uow, message_type, facts)
    if dedup_key is False:
        return None
    rendered = render_parts(message_type, to.medium, language, locale, customer.name, [part])
    status = MessageStatus.QUEUED if reason is None else MessageStatus.SUPPRESSED
    now = uow.clock.now()
    message_id = new_id("msg")
    inserted = insert_ignore_returning(
        uow, messages, ("source_event_id", "recipient", "type"), "id", {
            "id": message_id, "source_event_id": event.id, "source_event_type": event.type,
            "type": message_type.value, "medium": to.medium, "recipient": to.recipient,
            "customer_id": customer.id, "order_id": facts["order_id"],
            "order_number": facts["order_number"], "language": language, "locale": locale,
            "subject": rendered.subject, "body_text": rendered.text,
            "body_html": rendered.html, "status": status.value, "reason": reason,
            "attempts": 0,
            "next_attempt_at": (None if reason is not None
                                else held_until(now, event.occurred_at, window)),
            "last_error": None, "created_at": now, "sent_at": None,
            "finished_at": None if reason is None else now, "parts": 1,
            "coalesce_until": event.occurred_at + window if window else None,
            "dedup_key": dedup_key})
    if inserted is None:
        return None
    add_source(uow, message_id, event, to.recipient, message_type, part)
    uow.execute(insert(message_history).values(
        message_id=message_id, status=status.value, attempt=None, detail=reason, at=now))
    payload = {"id": message_id, "type": message_type.value, "medium": to.medium,
               "customer_id": customer.id, "order_id": facts["order_id"],
               "source_event_id": event.id, "language": language}
    if reason is None:
        record_event(uow, "message.queued", "message", message_id, payload)
    else:
        record_event(uow, "message.suppressed", "message", message_id,
                     {**payload, "reason": reason})
    return message_id


def queue_from_events(uow: UnitOfWork, limit: int,
                      media: frozenset[str] = frozenset({EMAIL}),
                      windows: dict[str, int] | None = None) -> int:
    """Queue the messages of up to ``limit`` events after the cursor, on ``media`` (those
    configured), coalesced within ``windows`` (seconds per type); commits. Returns how many
    events were read."""
    after = lock_cursor(uow, CURSOR)
    events = read_events(uow, after=after, limit=limit)
    oldest = uow.clock.now() - STALE_AFTER
    for event in events:
        message_type = TRIGGERS.get(event.type)
        if message_type is not None and event.occurred_at >= oldest:
            queue_message(uow, event, message_type, media, windows)
    if events:
        advance_cursor(uow, CURSOR, events[-1].position)
    uow.commit()
    return len(events)
