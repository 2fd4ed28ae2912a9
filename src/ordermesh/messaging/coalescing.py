"""Coalescing: the events of one order and message type within a window become one message.

A message of a type with a window (``ORDERMESH_MESSAGE_COALESCE_S``, ``shipped``: 300 s by
default) is queued held: ``next_attempt_at`` and ``coalesce_until`` are the first event's
time plus the window. An event of the same order, type, medium and recipient that happened
before ``coalesce_until`` joins it while it is still untried (``queued``, no attempt):
its facts are added to ``message_sources`` and the message is rendered again from all of
them. The sender claims it when the window has closed (``next_attempt_at``), and only as
rendered when it read it (``parts`` is part of the claim's condition), so an event that
joins while a sender takes the message starts a message of its own instead of getting lost.

Every message records the events it tells of in ``message_sources``, unique by (event,
recipient, type): an event read twice is told once, alone or coalesced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy import insert, select, update

from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import Event
from ordermesh.messaging.model import NEVER_COALESCED, MessageStatus, MessageType
from ordermesh.messaging.tables import message_history, message_sources, messages
from ordermesh.messaging.templates import Rendered, render, render_sms


def window_of(windows: dict[str, int], message_type: MessageType) -> timedelta:
    if message_type in NEVER_COALESCED:
        return timedelta(0)
    return timedelta(seconds=windows.get(message_type.value, 0))


def as_part(facts: dict) -> dict:
    """The facts as they are stored (JSON: dates as ISO strings, which the templates'
    ``date`` filter reads as well)."""
    return orjson.loads(orjson.dumps(facts))


def render_parts(message_type: MessageType, medium: str, language: str, locale: str,
                 customer_name: str | None, parts: list[dict]) -> Rendered:
    """The message telling of every part, oldest first: the first part's facts at the top
    level (a message of one event reads as before), and all of them as ``parts``."""
    facts = {**parts[0], "parts": parts, "customer_name": customer_name}
    return (render_sms if medium == "sms" else render)(message_type, language, locale,
                                                       facts)


def already_told(uow: UnitOfWork, event_id: str, recipient: str,
                 message_type: MessageType) -> bool:
    s = message_sources.c
    return uow.execute(select(s.id).where(
        s.source_event_id == event_id, s.recipient == recipient,
        s.type == message_type.value)).first() is not None


def add_source(uow: UnitOfWork, message_id: str, event: Event, recipient: str,
               message_type: MessageType, part: dict) -> None:
    uow.execute(insert(message_sources).values(
        message_id=message_id, source_event_id=event.id, source_event_type=event.type,
        recipient=recipient, type=message_type.value, facts=part,
        occurred_at=event.occurred_at))


@dataclass(frozen=True)
class Joining:
    """An event that may join an open message: what it is about and what it says."""

    event: Event
    message_type: MessageType
    order_id: str
    medium: str
    recipient: str
    customer_name: str | None
    part: dict


def join_open(uow: UnitOfWork, joining: Joining) -> str | None:
    """Add the event to the open message of its order and type; that message's id, or
    None when there is none open (or it was claimed meanwhile)."""
    m = messages.c
    row = uow.execute(select(messages).where(
        m.order_id == joining.order_id, m.type == joining.message_type.value,
        m.medium == joining.medium, m.recipient == joining.recipient,
        m.status == MessageStatus.QUEUED.value, m.attempts == 0,
        m.coalesce_until > joining.event.occurred_at).order_by(m.seq.desc()).limit(1)).first()
    if row is None:
        return None
    s = message_sources.c
    parts = [r.facts for r in uow.execute(select(s.facts).where(s.message_id == row.id)
                                          .order_by(s.occurred_at, s.id))]
    if not parts:
        return None  # queued before coalescing existed: nothing to render it again from
    parts.append(joining.part)
    rendered = render_parts(joining.message_type, row.medium, row.language, row.locale,
                            joining.customer_name, parts)
    if uow.execute(update(messages).where(
            m.id == row.id, m.status == MessageStatus.QUEUED.value, m.attempts == 0,
            m.parts == row.parts).values(
            subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
            parts=row.parts + 1)).rowcount != 1:
        return None
    add_source(uow, row.id, joining.event, joining.recipient, joining.message_type,
               joining.part)
    uow.execute(insert(message_history).values(
        message_id=row.id, status="coalesced", attempt=None, at=uow.clock.now(),
        detail=f"{joining.event.type} {joining.event.id} joined: {row.parts + 1} events"))
    return row.id


def held_until(now: datetime, occurred_at: datetime, window: timedelta) -> datetime:
    """When a message opened by an event at ``occurred_at`` may go: when its window
    closes, or now when that has passed (the queueing job ran late); without a window,
    now."""
    return max(now, as_utc(occurred_at) + window) if window else now
