"""How a connector is doing: what came in, what waits to go out, and what failed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ordermesh.connectors.listings import refreshed_at
from ordermesh.connectors.model import InboxStatus, PushStatus
from ordermesh.connectors.polls import PollState, state
from ordermesh.connectors.tables import connector_inbox, connector_listings, connector_pushes
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork

P, INBOX = connector_pushes.c, connector_inbox.c


@dataclass(frozen=True)
class Health:
    last_webhook_at: datetime | None
    webhooks_refused: int
    pushes_waiting: int
    pushes_failed: int
    oldest_waiting_since: datetime | None
    last_push_ok_at: datetime | None
    last_error: str | None
    listings: int
    listings_refreshed_at: datetime | None
    stock_compared_at: datetime | None
    poll: PollState | None  # None: never polled yet


def _at(value) -> datetime | None:
    return as_utc(value) if value is not None else None


def health(uow: UnitOfWork, account_id: str) -> Health:
    last_webhook, refused = uow.execute(select(
        func.max(INBOX.received_at),
        func.count().filter(INBOX.status == InboxStatus.REFUSED.value))
        .where(INBOX.account_id == account_id)).one()
    waiting, failed, oldest, last_ok = uow.execute(select(
        func.count().filter(P.status == PushStatus.PENDING.value),
        func.count().filter(P.status == PushStatus.FAILED.value),
        func.min(P.created_at).filter(P.status == PushStatus.PENDING.value),
        func.max(P.finished_at).filter(P.status == PushStatus.SUCCEEDED.value))
        .where(P.account_id == account_id)).one()
    last_error = uow.execute(select(P.last_error).where(
        P.account_id == account_id, P.last_error.is_not(None))
        .order_by(P.seq.desc()).limit(1)).scalar()
    listed = uow.execute(select(func.count()).select_from(connector_listings)
                         .where(connector_listings.c.account_id == account_id)).scalar_one()
    listings_at, swept_at = refreshed_at(uow, account_id)
    return Health(_at(last_webhook), refused, waiting, failed, _at(oldest), _at(last_ok),
                  last_error, listed, listings_at, swept_at, state(uow, account_id))
