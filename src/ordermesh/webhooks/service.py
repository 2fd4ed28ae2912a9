"""Use cases of webhook endpoints: subscribe, change, rotate the secret, remove."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.webhooks.model import Endpoint, is_pattern, new_secret, secret_problem
from ordermesh.webhooks.tables import webhook_endpoints

MAX_ROTATION_OVERLAP = timedelta(days=7)


def _to_endpoint(row: Any) -> Endpoint:
    return Endpoint(
        id=row.id, url=row.url, description=row.description,
        event_types=tuple(row.event_types), enabled=row.enabled,
        disabled_reason=row.disabled_reason, consecutive_failures=row.consecutive_failures,
        previous_secret_until=as_utc(row.previous_secret_until)
        if row.previous_secret_until else None,
        created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at),
    )


def _checked_types(event_types: list[str]) -> list[str]:
    if not event_types:
        raise InvalidInput.for_field("event_types", "name at least one event type or '*'")
    for pattern in event_types:
        if not is_pattern(pattern):
            raise InvalidInput.for_field(
                "event_types", f"'{pattern}' is not an event type, 'prefix.*' or '*'",
                "unknown_pattern")
    return list(dict.fromkeys(event_types))


def _checked_secret(secret: str | None) -> str:
    if secret is None:
        return new_secret()
    if problem := secret_problem(secret):
        raise InvalidInput.for_field("secret", problem)
    return secret


def create_endpoint(uow: UnitOfWork, url: str, event_types: list[str],
                    description: str | None = None, secret: str | None = None,
                    idem: idempotency.IdempotencyKey | None = None) -> tuple[Endpoint, str]:
    """A new, enabled endpoint and its signing secret (made here unless given); commits.

    It receives the events that occur from now on (earlier ones: replay a time range)."""
    if prior := idempotency.claim(uow, idem):
        return get_endpoint(uow, prior.resource_id), signing_secrets(uow, prior.resource_id)[0]
    types = _checked_types(event_types)
    secret = _checked_secret(secret)
    endpoint_id = new_id("whe")
    now = uow.clock.now()
    uow.execute(webhook_endpoints.insert().values(
        id=endpoint_id, url=url, description=description, event_types=types, secret=secret,
        previous_secret=None, previous_secret_until=None, enabled=True, disabled_reason=None,
        consecutive_failures=0, created_at=now, updated_at=now))
    record_event(uow, "webhook.endpoint_created", "webhook_endpoint", endpoint_id,
                 {"url": url, "event_types": types})
    idempotency.complete(uow, idem, "webhook_endpoint", endpoint_id, 201)
    created = get_endpoint(uow, endpoint_id)
    uow.commit()
    return created, secret


def update_endpoint(uow: UnitOfWork, endpoint_id: str, changes: dict[str, Any]) -> Endpoint:
    """Change ``url``, ``description``, ``event_types`` or ``enabled``; commits.

    Enabling an endpoint starts its failure count afresh; its deliveries that were waiting
    go out at their next attempt."""
    current = get_endpoint(uow, endpoint_id, lock=True)
    values: dict[str, Any] = {}
    if "url" in changes:
        values["url"] = changes["url"]
    if "description" in changes:
        values["description"] = changes["description"]
    if "event_types" in changes:
        values["event_types"] = _checked_types(changes["event_types"])
    if "enabled" in changes and changes["enabled"] != current.enabled:
        values["enabled"] = changes["enabled"]
        values["consecutive_failures"] = 0
        values["disabled_reason"] = None if changes["enabled"] else "disabled through the API"
    if not values:
        return current
    uow.execute(update(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
                .values(**values, updated_at=uow.clock.now()))
    payload = {k: v for k, v in values.items() if k != "consecutive_failures"}
    record_event(uow, "webhook.endpoint_changed", "webhook_endpoint", endpoint_id, payload)
    updated = get_endpoint(uow, endpoint_id)
    uow.commit()
    return updated


def rotate_secret(uow: UnitOfWork, endpoint_id: str, keep_previous_for: timedelta,
                  secret: str | None = None) -> tuple[Endpoint, str]:
    """A new signing secret; deliveries carry signatures with both the new and the old one
    for ``keep_previous_for`` (at most 7 days), so receivers can switch at leisure.
    Commits; returns the new secret."""
    if not timedelta(0) <= keep_previous_for <= MAX_ROTATION_OVERLAP:
        raise InvalidInput.for_field("keep_previous_hours", "must be 0 to 168")
    get_endpoint(uow, endpoint_id, lock=True)
    secret = _checked_secret(secret)
    now = uow.clock.now()
    old = uow.execute(select(webhook_endpoints.c.secret)
                      .where(webhook_endpoints.c.id == endpoint_id)).scalar_one()
    if secret == old:
        raise InvalidInput.for_field("secret", "is the secret in use; give a new one")
    keep = keep_previous_for > timedelta(0)
    uow.execute(update(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id).values(
        secret=secret, previous_secret=old if keep else None,
        previous_secret_until=now + keep_previous_for if keep else None, updated_at=now))
    record_event(uow, "webhook.secret_rotated", "webhook_endpoint", endpoint_id,
                 {"previous_secret_until": (now + keep_previous_for).isoformat()
                  if keep else None})
    rotated = get_endpoint(uow, endpoint_id)
    uow.commit()
    return rotated, secret


def delete_endpoint(uow: UnitOfWork, endpoint_id: str) -> None:
    """Removes the endpoint with its deliveries and their attempts; commits."""
    endpoint = get_endpoint(uow, endpoint_id, lock=True)
    uow.execute(delete(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id))
    record_event(uow, "webhook.endpoint_deleted", "webhook_endpoint", endpoint_id,
                 {"url": endpoint.url})
    uow.commit()


def get_endpoint(uow: UnitOfWork, endpoint_id: str, *, lock: bool = False) -> Endpoint:
    query = select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
    row = uow.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound(f"Webhook endpoint '{endpoint_id}' does not exist")
    return _to_endpoint(row)


def list_endpoints(uow: UnitOfWork) -> list[Endpoint]:
    rows = uow.execute(select(webhook_endpoints).order_by(webhook_endpoints.c.created_at,
                                                          webhook_endpoints.c.id))
    return [_to_endpoint(row) for row in rows]


def signing_secrets(uow: UnitOfWork, endpoint_id: str,
                    at: datetime | None = None) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one
    while its rotation overlap lasts."""
    row = uow.execute(select(webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id)
                      ).one()
    found = [row.secret]
    at = at or uow.clock.now()
    if row.previous_secret and row.previous_secret_until and \
            as_utc(row.previous_secret_until) > at:
        found.append(row.previous_secret)
    return found
