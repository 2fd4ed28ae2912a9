"""The inbox: every signed webhook accepted, once per platform delivery id, with its fate.

A delivery the platform repeats (same ``X-Shopify-Webhook-Id``) finds its row and changes
nothing; a refused order stays here with the refusal, visible through the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from ordermesh.connectors.model import InboxStatus
from ordermesh.connectors.tables import connector_inbox
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.ids import new_id
from ordermesh.kit.upsert import insert_ignore_returning

PLACING = (InboxStatus.PLACED, InboxStatus.ALREADY_PLACED)


@dataclass(frozen=True)
class InboxEntry:
    id: str
    webhook_id: str
    topic: str
    external_id: str | None
    status: InboxStatus
    order_id: str | None
    reason: dict[str, Any] | None
    received_at: datetime


def _entry(row) -> InboxEntry:
    return InboxEntry(row.id, row.webhook_id, row.topic, row.external_id,
                      InboxStatus(row.status), row.order_id, row.reason,
                      as_utc(row.received_at))


def find(uow: UnitOfWork, account_id: str, webhook_id: str) -> InboxEntry | None:
    row = uow.execute(select(connector_inbox).where(
        connector_inbox.c.account_id == account_id,
        connector_inbox.c.webhook_id == webhook_id)).first()
    return _entry(row) if row else None


def record(uow: UnitOfWork, account_id: str, webhook_id: str, topic: str,
           external_id: str | None, status: InboxStatus, payload: Any,
           order_id: str | None = None, reason: dict[str, Any] | None = None) -> bool:
    """Store the delivery; False when it was stored before (a concurrent repeat)."""
    return insert_ignore_returning(uow, connector_inbox, ("account_id", "webhook_id"), "id", {
        "id": new_id("inb"), "account_id": account_id, "webhook_id": webhook_id,
        "topic": topic, "external_id": external_id, "status": status.value,
        "order_id": order_id, "reason": reason, "payload": payload,
        "received_at": uow.clock.now()}) is not None


def entries(uow: UnitOfWork, account_id: str, status: InboxStatus | None, limit: int,
            before: int | None = None) -> list[tuple[int, InboxEntry]]:
    """Newest first, with each one's position for the next page."""
    query = (select(connector_inbox).where(connector_inbox.c.account_id == account_id)
             .order_by(connector_inbox.c.seq.desc()).limit(limit))
    if status is not None:
        query = query.where(connector_inbox.c.status == status.value)
    if before is not None:
        query = query.where(connector_inbox.c.seq < before)
    return [(row.seq, _entry(row)) for row in uow.execute(query)]


def set_order(uow: UnitOfWork, account_id: str, webhook_id: str, order_id: str) -> None:
    uow.execute(update(connector_inbox).where(connector_inbox.c.account_id == account_id,
                                              connector_inbox.c.webhook_id == webhook_id)
                .values(order_id=order_id))


def received_order(uow: UnitOfWork, account_id: str, external_id: str) -> dict | None:
    """The platform's order as it came with the delivery that placed it (or found it
    placed): its line ids are what the platform's fulfilments name."""
    return uow.execute(select(connector_inbox.c.payload).where(
        connector_inbox.c.account_id == account_id,
        connector_inbox.c.external_id == external_id,
        connector_inbox.c.status.in_([s.value for s in PLACING]))
        .order_by(connector_inbox.c.seq).limit(1)).scalar()
