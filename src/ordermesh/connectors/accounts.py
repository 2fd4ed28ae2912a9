"""Connector accounts: which platform, which of our channels, where, and its credentials.

Credentials (the platform's access token and the secret its webhooks are signed with)
are stored as one JSON text sealed with ``ORDERMESH_SECRET_KEYS`` (``kit.secrets``, as the
carriers' secrets are); they are opened only for the connector itself and are never
returned by the API, which shows only their names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import insert, select, update

from ordermesh.channels.service import channel_by_code
from ordermesh.connectors.model import Account, Platform
from ordermesh.connectors.platforms import check_setup
from ordermesh.connectors.tables import connector_accounts
from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.kit.secrets import open_secret, seal


@dataclass(frozen=True)
class AccountView:
    """An account as anyone may see it: credential names, never their values."""

    id: str
    code: str
    platform: Platform
    channel: str
    base_url: str
    settings: dict[str, Any]
    credential_names: list[str]
    active: bool
    created_at: datetime
    updated_at: datetime


def _check_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment:
        raise InvalidInput.for_field("base_url", "must be an http(s) URL of the shop, "
                                     "without query or fragment (https://shop.myshopify.com)")
    return base_url.rstrip("/")


def _row(uow: UnitOfWork, code: str, for_update: bool = False):
    query = select(connector_accounts).where(connector_accounts.c.code == code)
    row = uow.execute(query.with_for_update() if for_update else query).first()
    if row is None:
        raise NotFound(f"Connector '{code}' does not exist")
    return row


def _credentials(uow: UnitOfWork, stored: str) -> dict[str, str]:
    return orjson.loads(open_secret(uow.engine, stored))


def _view(row, uow: UnitOfWork) -> AccountView:
    return AccountView(row.id, row.code, Platform(row.platform), row.channel_code,
                       row.base_url, dict(row.settings), sorted(_credentials(uow, row.credentials)),
                       row.active, as_utc(row.created_at), as_utc(row.updated_at))


def account(uow: UnitOfWork, code: str) -> Account:
    """The account with its credentials open, for the connector only."""
    row = _row(uow, code)
    return Account(row.id, row.code, Platform(row.platform), row.channel_code, row.base_url,
                   _credentials(uow, row.credentials), dict(row.settings), row.active)


def account_by_id(uow: UnitOfWork, account_id: str) -> Account:
    code = uow.execute(select(connector_accounts.c.code)
                       .where(connector_accounts.c.id == account_id)).scalar_one()
    return account(uow, code)


def active_accounts(uow: UnitOfWork) -> list[Account]:
    codes = uow.execute(select(connector_accounts.c.code).where(connector_accounts.c.active)
                        .order_by(connector_accounts.c.code)).scalars().all()
    return [account(uow, code) for code in codes]


def accounts_of_channel(uow: UnitOfWork, channel: str) -> list[Account]:
    return [a for a in active_accounts(uow) if a.channel == channel]


def get_view(uow: UnitOfWork, code: str) -> AccountView:
    return _view(_row(uow, code), uow)


def list_views(uow: UnitOfWork) -> list[AccountView]:
    rows = uow.execute(select(connector_accounts).order_by(connector_accounts.c.code)).all()
    return [_view(r, uow) for r in rows]


def create_account(uow: UnitOfWork, code: str, platform: Platform, channel: str,
                   base_url: str, credentials: dict[str, str], settings: dict[str, Any],
                   idem: idempotency.IdempotencyKey | None = None) -> AccountView:
    """Commits."""
    if prior := idempotency.claim(uow, idem):
        return get_view(uow, prior.resource_id)
    channel_by_code(uow, channel)  # unknown channel -> 422
    url = _check_url(base_url)
    settings = check_setup(platform, credentials, settings)
    if uow.execute(select(connector_accounts.c.id)
                   .where(connector_accounts.c.code == code)).first() is not None:
        raise Conflict(f"A connector with code '{code}' already exists")
    now = uow.clock.now()
    account_id = new_id("con")
    uow.execute(insert(connector_accounts).values(
        id=account_id, code=code, platform=platform.value, channel_code=channel, base_url=url,
        credentials=seal(uow.engine, orjson.dumps(credentials).decode()), settings=settings,
        active=True, created_at=now, updated_at=now))
    record_event(uow, "connector.created", "connector", account_id,
                 {"code": code, "platform": platform.value, "channel": channel})
    idempotency.complete(uow, idem, "connector", code, 201)
    view = get_view(uow, code)
    uow.commit()
    return view


def update_account(uow: UnitOfWork, code: str, changes: dict[str, Any]) -> AccountView:
    """``changes``: any of base_url, credentials (replaced whole), settings, active.
    Commits."""
    row = _row(uow, code, for_update=True)
    platform = Platform(row.platform)
    credentials = changes.get("credentials") or _credentials(uow, row.credentials)
    settings = check_setup(platform, credentials, changes.get("settings", dict(row.settings)))
    values: dict[str, Any] = {"settings": settings, "updated_at": uow.clock.now()}
    if "credentials" in changes:
        values["credentials"] = seal(uow.engine, orjson.dumps(credentials).decode())
    if "base_url" in changes:
        values["base_url"] = _check_url(changes["base_url"])
    if "active" in changes:
        values["active"] = changes["active"]
    uow.execute(update(connector_accounts).where(connector_accounts.c.id == row.id)
                .values(**values))
    record_event(uow, "connector.updated", "connector", row.id,
                 {"code": code, "changed": sorted(changes)})
    view = get_view(uow, code)
    uow.commit()
    return view


def reseal_credentials(uow: UnitOfWork) -> int:
    """Every account's credentials sealed again with the newest key (plain ones, stored
    before a key was configured, sealed for the first time); commits. Returns how many."""
    rows = uow.execute(select(connector_accounts.c.id, connector_accounts.c.credentials)
                       .with_for_update().order_by(connector_accounts.c.id)).all()
    for row in rows:
        uow.execute(update(connector_accounts).where(connector_accounts.c.id == row.id)
                    .values(credentials=seal(uow.engine, open_secret(uow.engine,
                                                                      row.credentials))))
    uow.commit()
    return len(rows)
