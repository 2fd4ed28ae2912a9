"""Carrier accounts: which adapter, its settings and its webhook secret.

The built-in carrier ``sim`` (adapter ``simulated``, default settings, no webhook secret)
exists without an account so that everything works out of the box; creating an account
with code ``sim`` overrides its settings and gives it a webhook secret.

Besides its adapter's settings an account has ``tracking_clock_skew_minutes`` (default
15, 0 to 1440): how far a tracking event's time may lie after its arrival, or before
the parcel's label, before the event is parked for review (``tracking`` rule 7). An
inactive account (``active: false``) books nothing, is not polled and its webhook
accepts nothing.

Secrets at rest (``kit.secrets``): the webhook secret and every setting its adapter does
not declare public are stored sealed with ``ORDERMESH_SECRET_KEYS``; an account read here
holds them open (the adapter needs them), and ``shown_settings`` is what anyone is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import insert, select, update

from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.config_cache import cached
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.kit.secrets import is_sealed, keyring_of, open_secret, seal
from ordermesh.kit.upsert import insert_ignore_returning
from ordermesh.shipping.carriers import CarrierAdapter, build_adapter, public_settings
from ordermesh.shipping.tables import carrier_accounts

BUILTIN_CARRIER = "sim"
BUILTIN_ADAPTER = "simulated"
SKEW_SETTING = "tracking_clock_skew_minutes"
DEFAULT_SKEW_MINUTES = 15


@dataclass(frozen=True)
class CarrierAccount:
    id: str | None  # None: the built-in carrier without an account row
    code: str
    name: str
    adapter_name: str
    settings: dict[str, Any]
    active: bool
    has_webhook_secret: bool
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def adapter(self) -> CarrierAdapter:
        return build_adapter(self.adapter_name, self.settings)

    @property
    def clock_skew(self) -> timedelta:
        return clock_skew(self.settings)

    def require_active(self) -> None:
        if not self.active:
            raise Conflict(f"Carrier account '{self.code}' is inactive: it books no labels "
                           "and accepts no tracking events (PATCH it with active: true)",
                           extra={"carrier": self.code})


def clock_skew(settings: dict[str, Any]) -> timedelta:
    minutes = settings.get(SKEW_SETTING, DEFAULT_SKEW_MINUTES)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 0 <= minutes <= 1440:
        raise InvalidInput.for_field(f"settings.{SKEW_SETTING}",
                                     f"{SKEW_SETTING} must be an integer from 0 to 1440")
    return timedelta(minutes=minutes)


_BUILTIN = CarrierAccount(None, BUILTIN_CARRIER, "Simulated carrier", BUILTIN_ADAPTER, {},
                          True, False)


REDACTED = "***"


def _public(adapter: str) -> frozenset[str]:
    return public_settings(adapter) | {SKEW_SETTING}


def shown_settings(account: CarrierAccount) -> dict[str, Any]:
    """The settings as anyone may see them: only those the adapter declares public, every
    other value replaced by ``"***"`` (an allow-list: a setting named ``auth_header`` or
    ``credentials`` is as secret as an ``api_key``)."""
    public = _public(account.adapter_name)
    return {k: v if k in public else REDACTED for k, v in account.settings.items()}


def _seal_settings(uow: UnitOfWork, adapter: str, settings: dict[str, Any]) -> dict[str, Any]:
    keyring = keyring_of(uow.engine)
    if keyring is None:  # no key configured: stored in clear, as they are
        return settings
    public = _public(adapter)
    return {k: v if k in public else keyring.seal(orjson.dumps(v).decode())
            for k, v in settings.items()}


def _open_settings(uow: UnitOfWork, stored: dict[str, Any]) -> dict[str, Any]:
    return {k: orjson.loads(open_secret(uow.engine, v))
            if isinstance(v, str) and is_sealed(v) else v for k, v in stored.items()}


def _to_account(uow: UnitOfWork, row) -> CarrierAccount:
    return CarrierAccount(row.id, row.code, row.name, row.adapter,
                          _open_settings(uow, dict(row.settings or {})),
                          row.active, bool(row.webhook_secret), as_utc(row.created_at),
                          as_utc(row.updated_at))


def find_account(uow: UnitOfWork, code: str) -> CarrierAccount | None:
    return cached(uow, ("carrier_account", code), lambda: _read_account(uow, code))


def _read_account(uow: UnitOfWork, code: str) -> CarrierAccount | None:
    row = uow.execute(select(carrier_accounts).where(carrier_accounts.c.code == code)).first()
    if row is not None:
        return _to_account(uow, row)
    return _BUILTIN if code == BUILTIN_CARRIER else None


def get_account(uow: UnitOfWork, code: str) -> CarrierAccount:
    account = find_account(uow, code)
    if account is None:
        raise NotFound(f"Carrier '{code}' does not exist")
    return account


def webhook_secret(uow: UnitOfWork, code: str) -> str | None:
    stored = uow.execute(select(carrier_accounts.c.webhook_secret)
                         .where(carrier_accounts.c.code == code)).scalar()
    return open_secret(uow.engine, stored) if stored else None


def list_accounts(uow: UnitOfWork) -> list[CarrierAccount]:
    rows = uow.execute(select(carrier_accounts).order_by(carrier_accounts.c.code)).all()
    accounts = [_to_account(uow, r) for r in rows]
    if not any(a.code == BUILTIN_CARRIER for a in accounts):
        accounts.insert(0, _BUILTIN)
    return accounts


def _check(adapter: str, settings: dict[str, Any], secret: str | None) -> None:
    build_adapter(adapter, settings)  # unknown adapter or bad settings -> 422
    clock_skew(settings)
    if secret is not None and len(secret) < 16:
        raise InvalidInput.for_field("webhook_secret", "must be at least 16 characters")


def create_account(uow: UnitOfWork, code: str, name: str, adapter: str,
                   settings: dict[str, Any], secret: str | None,
                   idem: idempotency.IdempotencyKey | None = None) -> CarrierAccount:
    if prior := idempotency.claim(uow, idem):
        return get_account(uow, prior.resource_id)
    _check(adapter, settings, secret)
    if uow.execute(select(carrier_accounts.c.id)
                   .where(carrier_accounts.c.code == code)).first() is not None:
        raise Conflict(f"A carrier with code '{code}' already exists")
    now = uow.clock.now()
    account_id = new_id("car")
    uow.execute(insert(carrier_accounts).values(
        id=account_id, code=code, name=name, adapter=adapter,
        webhook_secret=seal(uow.engine, secret) if secret else secret,
        settings=_seal_settings(uow, adapter, settings), active=True, booking_seq=0,
        created_at=now, updated_at=now))
    record_event(uow, "carrier.created", "carrier", account_id,
                 {"code": code, "adapter": adapter})
    idempotency.complete(uow, idem, "carrier", code, 201)
    account = get_account(uow, code)
    uow.commit()
    return account


def _ensure_builtin_row(uow: UnitOfWork) -> None:
    """The built-in carrier gets its account row when first booked or changed."""
    now = uow.clock.now()
    insert_ignore_returning(uow, carrier_accounts, ("code",), "id", dict(
        id=new_id("car"), code=BUILTIN_CARRIER, name=_BUILTIN.name, adapter=BUILTIN_ADAPTER,
        webhook_secret=None, settings={}, active=True, booking_seq=0, created_at=now,
        updated_at=now))


def update_account(uow: UnitOfWork, code: str, changes: dict[str, Any]) -> CarrierAccount:
    """``changes``: any of name, settings, webhook_secret, active. The built-in carrier
    ``sim`` can be changed without creating its account first."""
    if code == BUILTIN_CARRIER:
        _ensure_builtin_row(uow)
    row = uow.execute(select(carrier_accounts).where(carrier_accounts.c.code == code)
                      .with_for_update()).first()
    if row is None:
        raise NotFound(f"Carrier account '{code}' does not exist")
    settings = changes.get("settings", _open_settings(uow, dict(row.settings or {})))
    _check(row.adapter, settings, changes.get("webhook_secret"))
    secret = changes.get("webhook_secret", row.webhook_secret)
    if "webhook_secret" in changes and secret:
        secret = seal(uow.engine, secret)
    values = {k: v for k, v in changes.items() if k in ("name", "active")}
    uow.execute(update(carrier_accounts).where(carrier_accounts.c.id == row.id).values(
        settings=_seal_settings(uow, row.adapter, settings), webhook_secret=secret,
        updated_at=uow.clock.now(), **values))
    record_event(uow, "carrier.updated", "carrier", row.id,
                 {"code": code, "changed": sorted(changes)})
    account = get_account(uow, code)
    uow.commit()
    return account


def reseal_secrets(uow: UnitOfWork) -> int:
    """Every account's secrets sealed again with the newest key (plain ones, stored before
    a key was configured, sealed for the first time): after this the older keys can be
    dropped from ORDERMESH_SECRET_KEYS. Returns how many accounts were rewritten."""
    rows = uow.execute(select(carrier_accounts).with_for_update()
                       .order_by(carrier_accounts.c.id)).all()
    for row in rows:
        stored = row.webhook_secret
        secret = seal(uow.engine, open_secret(uow.engine, stored)) if stored else stored
        uow.execute(update(carrier_accounts).where(carrier_accounts.c.id == row.id).values(
            webhook_secret=secret,
            settings=_seal_settings(uow, row.adapter, _open_settings(uow, dict(row.settings)))
        ).execution_options(config=False))  # the same values: nothing to re-read
    uow.commit()
    return len(rows)


def next_booking_sequence(uow: UnitOfWork, code: str) -> int:
    """The account's next booking number, from a counter row updated in the caller's
    transaction (the row lock serialises concurrent bookings; never reused). The
    built-in carrier gets its account row on first booking."""
    account = find_account(uow, code)
    if account is None:
        raise NotFound(f"Carrier '{code}' does not exist")
    if account.id is None:  # the built-in carrier, not booked or changed before
        _ensure_builtin_row(uow)
    uow.execute(update(carrier_accounts).where(carrier_accounts.c.code == code)
                .values(booking_seq=carrier_accounts.c.booking_seq + 1)
                .execution_options(config=False))  # a counter: not a configuration change
    return uow.execute(select(carrier_accounts.c.booking_seq)
                       .where(carrier_accounts.c.code == code)).scalar_one()
