"""Connector accounts over HTTP: set up (admin), and what each received and pushed."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Query

from ordermesh.connectors import accounts, inbox, polls, pushes
from ordermesh.connectors.health import health
from ordermesh.connectors.model import InboxStatus, PushStatus
from ordermesh.connectors.schemas import (
    ConnectorIn,
    ConnectorList,
    ConnectorPatch,
    ConnectorRead,
    HealthRead,
    InboxPage,
    InboxRead,
    PollRead,
    PushPage,
    PushRead,
)
from ordermesh.http.deps import AdminContext, ReadContext, WriteContext
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.pagination import decode_cursor, encode_cursor

router = APIRouter(prefix="/api/v1/connectors", tags=["connectors"])
NOT_FOUND = {404: {"description": "No connector with that code"}}
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=100)]
T = TypeVar("T")


def _page(rows: list[tuple[int, T]], limit: int) -> tuple[list[T], str | None]:
    """A page of (position, item) rows read one past ``limit``: the items, and the cursor
    of the next page (None on the last)."""
    more = rows[limit - 1][0] if len(rows) > limit else None
    return [item for _, item in rows[:limit]], encode_cursor(more) if more is not None else None


@router.post("", status_code=201, summary="Connect a shop platform (admin)",
             responses={409: {"description": "A connector with that code exists"},
                        422: {"description": "Unknown channel, missing credential or "
                                             "setting; nothing was written"}})
def create_connector(body: ConnectorIn, ctx: AdminContext) -> ConnectorRead:
    """The credentials are encrypted at rest with `ORDERMESH_SECRET_KEYS` and never
    returned; the platform's webhooks are then sent to
    `POST /api/v1/connectors/{code}/webhooks`."""
    idem = ctx.idempotency(body)
    return ConnectorRead.of(ctx.run(lambda uow: accounts.create_account(
        uow, body.code, body.platform, body.channel, body.base_url, body.credentials,
        body.settings, idem)))


@router.get("", summary="Connector accounts")
def list_connectors(ctx: ReadContext) -> ConnectorList:
    with ctx.read_uow() as uow:
        return ConnectorList(items=[ConnectorRead.of(v) for v in accounts.list_views(uow)])


@router.get("/{code}", summary="One connector account", responses=NOT_FOUND)
def get_connector(code: str, ctx: ReadContext) -> ConnectorRead:
    with ctx.read_uow() as uow:
        return ConnectorRead.of(accounts.get_view(uow, code))


@router.patch("/{code}", summary="Change a connector account (admin)", responses=NOT_FOUND)
def patch_connector(code: str, body: ConnectorPatch, ctx: AdminContext) -> ConnectorRead:
    """`credentials` replaces all of them; an inactive connector accepts no webhooks and
    pushes nothing."""
    changes = body.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None:
            raise InvalidInput.for_field(name, f"{name} cannot be null")
    return ConnectorRead.of(ctx.run(lambda uow: accounts.update_account(uow, code, changes)))


@router.get("/{code}/inbox", summary="Webhooks received, newest first", responses=NOT_FOUND)
def list_inbox(code: str, ctx: ReadContext,
               status: Annotated[InboxStatus | None, Query(description="Only these")] = None,
               limit: Limit = 50, cursor: Cursor = None) -> InboxPage:
    """Every signed delivery accepted, once per delivery id, with what came of it: the
    order placed, or why it was refused (`reason`, the problem the placement answered)."""
    with ctx.read_uow() as uow:
        account = accounts.get_view(uow, code)
        rows = inbox.entries(uow, account.id, status, limit + 1, decode_cursor(cursor))
    items, next_cursor = _page(rows, limit)
    return InboxPage(items=[InboxRead.of(e) for e in items], next_cursor=next_cursor)


@router.get("/{code}/pushes", summary="What was and will be told to the platform",
            responses=NOT_FOUND)
def list_pushes(code: str, ctx: ReadContext,
                status: Annotated[PushStatus | None, Query(description="Only these")] = None,
                limit: Limit = 50, cursor: Cursor = None) -> PushPage:
    """Stock levels, fulfilments with tracking, cancellations: each recorded before it is
    sent, then sent by the worker with retries; the platform's last answer is kept."""
    with ctx.read_uow() as uow:
        account = accounts.get_view(uow, code)
        rows = pushes.pushes_of(uow, account.id, status, limit + 1, decode_cursor(cursor))
    items, next_cursor = _page(rows, limit)
    return PushPage(items=[PushRead.of(p) for p in items], next_cursor=next_cursor)


@router.get("/{code}/health", summary="A connector's health", responses=NOT_FOUND)
def connector_health(code: str, ctx: ReadContext) -> HealthRead:
    """Last webhook, refused orders, pushes waiting (and since when), failed, the last
    error, and when the platform's listings and our stock were last compared."""
    with ctx.read_uow() as uow:
        return HealthRead.of(health(uow, accounts.get_view(uow, code).id))


@router.post("/{code}/poll", status_code=202, summary="Poll the platform for orders now",
             responses=NOT_FOUND)
def poll_connector(code: str, ctx: WriteContext) -> PollRead:
    """The worker asks the platform for orders updated since the last poll on its next
    pass instead of waiting for `ORDERMESH_CONNECTOR_POLL_INTERVAL_S`; what it finds is
    taken in as its webhook would have been. Answers the poll's state (`due_at` now)."""
    def work(uow) -> PollRead:
        found = polls.poll_soon(uow, accounts.get_view(uow, code).id)
        uow.commit()
        return PollRead.of(found)
    return ctx.run(work)
