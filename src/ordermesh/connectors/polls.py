"""Where each connector account's polling for missed orders stands (``connector_polls``).

A walk reads the orders updated since ``mark`` less an overlap, page by page; the cursor
of the next page is written only after a page's orders were recorded, and the mark moves
to the walk's start only after its last page was. A worker that dies between reading a
page and recording it leaves the cursor where it was: the page is read again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ordermesh.connectors.model import CallResult
from ordermesh.connectors.tables import connector_accounts, connector_polls
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.upsert import insert_ignore_returning

C = connector_polls.c


@dataclass(frozen=True)
class PollState:
    account_id: str
    mark: datetime
    walk_started_at: datetime | None
    cursor: str | None
    due_at: datetime
    failures: int
    orders_read: int
    last_poll_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None


def _at(value) -> datetime | None:
    return as_utc(value) if value is not None else None


def _state(row) -> PollState:
    return PollState(row.account_id, as_utc(row.mark), _at(row.walk_started_at), row.cursor,
                     as_utc(row.due_at), row.failures, row.orders_read,
                     _at(row.last_poll_at), _at(row.last_ok_at), row.last_error,
                     _at(row.last_error_at))


def state(uow: UnitOfWork, account_id: str) -> PollState | None:
    row = uow.execute(select(connector_polls).where(C.account_id == account_id)).first()
    return _state(row) if row else None


def connected_at(uow: UnitOfWork, account_id: str) -> datetime:
    """When the account was connected: orders the platform took before are not ours."""
    return as_utc(uow.execute(select(connector_accounts.c.created_at).where(
        connector_accounts.c.id == account_id)).scalar_one())


def _ensure(uow: UnitOfWork, account_id: str) -> None:
    """The account's row, its first mark the moment the account was connected."""
    connected = connected_at(uow, account_id)
    insert_ignore_returning(uow, connector_polls, ("account_id",), "account_id", {
        "account_id": account_id, "mark": connected, "walk_started_at": None,
        "cursor": None, "due_at": uow.clock.now(), "failures": 0, "orders_read": 0})


def due(uow: UnitOfWork, account_ids: list[str]) -> list[str]:
    """Of these accounts, those whose poll is due now or that were never polled: read
    only, so a pass with nothing due writes nothing (``claim`` still decides)."""
    if not account_ids:
        return []
    waiting = {r.account_id for r in uow.execute(
        select(C.account_id).where(C.account_id.in_(account_ids),
                                   C.due_at > uow.clock.now()))}
    return [a for a in account_ids if a not in waiting]


def claim(uow: UnitOfWork, account_id: str, lease: timedelta) -> PollState | None:
    """The account's state if its poll is due, leased to the caller for ``lease`` (other
    workers leave it); a walk not under way starts now. None when not due."""
    _ensure(uow, account_id)
    now = uow.clock.now()
    taken = uow.execute(update(connector_polls).where(
        C.account_id == account_id, C.due_at <= now).values(due_at=now + lease))
    if taken.rowcount != 1:
        return None
    uow.execute(update(connector_polls).where(
        C.account_id == account_id, C.walk_started_at.is_(None))
        .values(walk_started_at=now, cursor=None))
    return state(uow, account_id)


def record_page(uow: UnitOfWork, account_id: str, walk_started_at: datetime,
                next_cursor: str | None, orders: int) -> None:
    """A page's orders are recorded: on to the next page, or (the last page) the mark
    moves to when the walk started."""
    now = uow.clock.now()
    values: dict = {"cursor": next_cursor, "failures": 0, "last_poll_at": now,
                    "last_ok_at": now, "orders_read": C.orders_read + orders}
    if next_cursor is None:
        values |= {"mark": walk_started_at, "walk_started_at": None}
    uow.execute(update(connector_polls).where(C.account_id == account_id).values(**values))


def record_failure(uow: UnitOfWork, account_id: str, result: CallResult,
                   next_at: datetime, restart_walk: bool) -> None:
    """The platform did not answer with a page: nothing moves but when to try again.
    ``restart_walk`` forgets a cursor the platform refused (an expired one)."""
    now = uow.clock.now()
    what = f"{result.status_code} {result.detail or ''}".strip() \
        if result.status_code is not None else (result.detail or "no answer")
    values: dict = {"failures": C.failures + 1, "last_poll_at": now, "due_at": next_at,
                    "last_error": what[:300], "last_error_at": now}
    if restart_walk:
        values |= {"cursor": None, "walk_started_at": None}
    uow.execute(update(connector_polls).where(C.account_id == account_id).values(**values))


def release(uow: UnitOfWork, account_id: str, due_at: datetime) -> None:
    uow.execute(update(connector_polls).where(C.account_id == account_id)
                .values(due_at=due_at))


def poll_soon(uow: UnitOfWork, account_id: str) -> PollState:
    """Due now: the worker polls the account on its next pass. Should a poll be under way,
    a second worker may read its pages again; what they read is recorded once."""
    _ensure(uow, account_id)
    release(uow, account_id, uow.clock.now())
    found = state(uow, account_id)
    assert found is not None
    return found
