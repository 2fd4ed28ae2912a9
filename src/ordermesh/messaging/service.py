"""Reading messages: the list (filtered, newest first, keyset pages) and one message with
its rendered content and status history."""

from __future__ import annotations

from sqlalchemy import select

from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import NotFound
from ordermesh.messaging.tables import message_history, message_sources, messages


def _when(value):
    return as_utc(value) if value is not None else None


def _summary(row) -> dict:
    return {"id": row.id, "type": row.type, "medium": row.medium, "status": row.status,
            "recipient": row.recipient, "customer_id": row.customer_id,
            "order_id": row.order_id, "order_number": row.order_number,
            "language": row.language, "locale": row.locale, "subject": row.subject,
            "reason": row.reason, "attempts": row.attempts,
            "next_attempt_at": _when(row.next_attempt_at), "last_error": row.last_error,
            "source_event_id": row.source_event_id,
            "source_event_type": row.source_event_type, "created_at": as_utc(row.created_at),
            "sent_at": _when(row.sent_at), "finished_at": _when(row.finished_at),
            "provider_id": row.provider_id, "delivered_at": _when(row.delivered_at)}


def list_messages(uow: UnitOfWork, *, customer_id: str | None = None,
                  order_id: str | None = None, status: str | None = None,
                  type_: str | None = None, before: int | None = None, limit: int = 50
                  ) -> tuple[list[dict], int | None]:
    """Newest first; and the cursor of the next page (None on the last)."""
    m = messages.c
    query = select(messages)
    for column, wanted in ((m.customer_id, customer_id), (m.order_id, order_id),
                           (m.status, status), (m.type, type_)):
        if wanted is not None:
            query = query.where(column == wanted)
    if before is not None:
        query = query.where(m.seq < before)
    rows = uow.execute(query.order_by(m.seq.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [_summary(r) for r in rows], rows[-1].seq if more else None


def get_message(uow: UnitOfWork, message_id: str) -> dict:
    row = uow.execute(select(messages).where(messages.c.id == message_id)).first()
    if row is None:
        raise NotFound(f"Message '{message_id}' does not exist")
    h = message_history.c
    history = [{"status": e.status, "attempt": e.attempt, "detail": e.detail,
                "at": as_utc(e.at)}
               for e in uow.execute(select(message_history).where(h.message_id == row.id)
                                    .order_by(h.id))]
    s = message_sources.c
    sources = [{"id": e.source_event_id, "type": e.source_event_type,
                "occurred_at": as_utc(e.occurred_at)}
               for e in uow.execute(select(message_sources).where(s.message_id == row.id)
                                    .order_by(s.occurred_at, s.id))]
    return {**_summary(row), "body_text": row.body_text, "body_html": row.body_html,
            "source_events": sources or [{"id": row.source_event_id,
                                          "type": row.source_event_type,
                                          "occurred_at": None}],
            "history": history}


def message_ids_of(uow: UnitOfWork, customer_ids: list[str], limit: int) -> list[str]:
    """The newest ``limit`` messages to these customer records (their timeline)."""
    m = messages.c
    return [r.id for r in uow.execute(select(m.id).where(m.customer_id.in_(customer_ids))
                                      .order_by(m.seq.desc()).limit(limit))]
