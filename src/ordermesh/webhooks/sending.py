"""Sending deliveries: claim in one transaction, send after commit, record in another.

``claim_due`` picks due deliveries of enabled endpoints (``FOR UPDATE SKIP LOCKED``, so
relays side by side take different rows), counts the attempt and pushes
``next_attempt_at`` a lease ahead, then commits. ``send`` makes the HTTP request with a
timeout, holding no transaction. ``record`` stores the attempt and the outcome: success,
a retry after an exponential, jittered delay, or the dead letter once the retry period
is over; an endpoint whose last attempts all failed is disabled, with the event
``webhook.endpoint_disabled``. A crash after the claim loses nothing: the lease runs out
and the delivery is sent again (receivers dedupe on ``webhook-id``, the event id).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime

import httpx
import orjson
from sqlalchemy import insert, select, update
from standardwebhooks.webhooks import Webhook

from ordermesh import __version__
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import outbox, record_event
from ordermesh.webhooks.model import DeliveryStatus, RetryPolicy
from ordermesh.webhooks.service import signing_secrets
from ordermesh.webhooks.tables import webhook_attempts, webhook_deliveries, webhook_endpoints

MAX_ERROR = 300
USER_AGENT = f"ordermesh-webhooks/{__version__}"


@dataclass(frozen=True)
class Claimed:
    delivery_id: str
    endpoint_id: str
    url: str
    attempt: int  # the number of this attempt, 1 for the first
    event_id: str
    body: bytes
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def message(event_row) -> bytes:
    """The body of a delivery, in the Standard Webhooks shape (``type``, ``timestamp``,
    ``data``) with the event id to dedupe on."""
    return orjson.dumps({
        "id": event_row.id, "type": event_row.type,
        "timestamp": as_utc(event_row.occurred_at).isoformat(),
        "data": {"position": event_row.position, "aggregate_type": event_row.aggregate_type,
                 "aggregate_id": event_row.aggregate_id, "actor": event_row.actor,
                 "payload": event_row.payload},
    })


def claim_due(uow: UnitOfWork, limit: int, policy: RetryPolicy) -> list[Claimed]:
    now = uow.clock.now()
    d, e = webhook_deliveries.c, webhook_endpoints.c
    rows = uow.execute(
        select(d.id, d.endpoint_id, d.attempts, d.event_id, e.url)
        .join(webhook_endpoints, e.id == d.endpoint_id)
        .where(d.status == DeliveryStatus.PENDING, d.next_attempt_at <= now, e.enabled)
        .order_by(d.next_attempt_at, d.seq).limit(limit)
        .with_for_update(skip_locked=True, of=webhook_deliveries)).all()
    if not rows:
        uow.commit()
        return []
    uow.execute(update(webhook_deliveries)
                .where(d.id.in_([r.id for r in rows]))
                .values(attempts=d.attempts + 1, next_attempt_at=now + policy.lease))
    events = {r.id: r for r in uow.execute(
        select(outbox).where(outbox.c.id.in_({r.event_id for r in rows})))}
    secrets = {endpoint_id: tuple(signing_secrets(uow, endpoint_id, now))
               for endpoint_id in {r.endpoint_id for r in rows}}
    uow.commit()
    return [Claimed(r.id, r.endpoint_id, r.url, r.attempts + 1, r.event_id,
                    message(events[r.event_id]), secrets[r.endpoint_id]) for r in rows]


def signature(claimed: Claimed, at: datetime) -> str:
    """``v1,<base64>`` per secret, space-separated (two while a rotation overlaps)."""
    return " ".join(Webhook(secret).sign(claimed.event_id, at, claimed.body)
                    for secret in claimed.secrets)


def send(client: httpx.Client, claimed: Claimed, at: datetime) -> Outcome:
    """POST the delivery, signed as of ``at``; never raises for the endpoint's failure."""
    headers = {
        "content-type": "application/json", "user-agent": USER_AGENT,
        "webhook-id": claimed.event_id, "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature(claimed, at),
    }
    started = time.perf_counter()
    try:
        response = client.post(claimed.url, content=claimed.body, headers=headers)
        status, error = response.status_code, None
        if not 200 <= status < 300:
            text = response.text[:200].strip()
            error = f"HTTP {status}: {text}" if text else f"HTTP {status}"
    except httpx.HTTPError as exc:
        status, error = None, f"{type(exc).__name__}: {exc}".rstrip(": ")
    return Outcome(status, round((time.perf_counter() - started) * 1000),
                   error[:MAX_ERROR] if error else None)


def record(uow: UnitOfWork, claimed: Claimed, outcome: Outcome, policy: RetryPolicy,
           rng: random.Random | None = None) -> str:
    """Store the attempt and what follows from it; commits. Returns the delivery's status."""
    now = uow.clock.now()
    d = webhook_deliveries.c
    uow.execute(insert(webhook_attempts).values(
        delivery_id=claimed.delivery_id, attempt=claimed.attempt, attempted_at=now,
        status_code=outcome.status_code, duration_ms=outcome.duration_ms,
        error=outcome.error))
    row = uow.execute(select(d.status, d.attempts, d.queued_at)
                      .where(d.id == claimed.delivery_id).with_for_update()).first()
    if row is None or row.attempts != claimed.attempt or row.status != DeliveryStatus.PENDING:
        uow.commit()  # replayed or claimed again meanwhile: that claim decides
        return row.status if row else "deleted"
    values: dict = {"last_status_code": outcome.status_code, "last_error": outcome.error}
    if outcome.ok:
        values.update(status=DeliveryStatus.SUCCEEDED, finished_at=now)
    else:
        retry_at = policy.next_attempt(now, as_utc(row.queued_at), claimed.attempt, rng)
        if retry_at is None:
            values.update(status=DeliveryStatus.DEAD, finished_at=now)
        else:
            values.update(next_attempt_at=retry_at)
    uow.execute(update(webhook_deliveries).where(d.id == claimed.delivery_id).values(**values))
    _count(uow, claimed.endpoint_id, outcome, policy)
    uow.commit()
    return values.get("status", DeliveryStatus.PENDING)


def _count(uow: UnitOfWork, endpoint_id: str, outcome: Outcome, policy: RetryPolicy) -> None:
    """Failures in a row per endpoint; the one that reaches the limit disables it."""
    e = webhook_endpoints.c
    if outcome.ok:
        uow.execute(update(webhook_endpoints).where(e.id == endpoint_id, e.consecutive_failures
                                                    > 0).values(consecutive_failures=0))
        return
    uow.execute(update(webhook_endpoints).where(e.id == endpoint_id)
                .values(consecutive_failures=e.consecutive_failures + 1))
    failures, enabled, url = uow.execute(select(e.consecutive_failures, e.enabled, e.url)
                                         .where(e.id == endpoint_id)).one()
    if enabled and failures >= policy.disable_after:
        reason = f"{failures} deliveries in a row failed, the last with: {outcome.error}"
        uow.execute(update(webhook_endpoints).where(e.id == endpoint_id).values(
            enabled=False, disabled_reason=reason[:MAX_ERROR], updated_at=uow.clock.now()))
        record_event(uow, "webhook.endpoint_disabled", "webhook_endpoint", endpoint_id,
                     {"url": url, "consecutive_failures": failures,
                      "last_error": outcome.error})
