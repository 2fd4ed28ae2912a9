"""Webhook endpoints and deliveries: event type patterns, secrets, the retry schedule."""

from __future__ import annotations

import base64
import binascii
import random
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64
# "*", "order.*", "order.created": dot-separated lower-case words, at most one trailing "*"
PATTERN = re.compile(r"^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$")


class DeliveryStatus:
    PENDING = "pending"  # due at next_attempt_at (or being sent: claimed until then)
    SUCCEEDED = "succeeded"
    DEAD = "dead"  # failed for the whole retry period; replay to send it again

    ALL = (PENDING, SUCCEEDED, DEAD)


def is_pattern(pattern: str) -> bool:
    return bool(PATTERN.match(pattern))


def matches(patterns: list[str] | tuple[str, ...], event_type: str) -> bool:
    """``*`` matches every type, ``order.*`` every type that starts with ``order.``."""
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_problem(secret: str) -> str | None:
    """Why ``secret`` is not a usable ``whsec_`` secret, or None when it is."""
    if not secret.startswith(SECRET_PREFIX):
        return f"must start with '{SECRET_PREFIX}'"
    try:
        raw = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        return f"must be '{SECRET_PREFIX}' followed by base64"
    if not MIN_SECRET_BYTES <= len(raw) <= MAX_SECRET_BYTES:
        return f"must hold {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes, not {len(raw)}"
    return None


@dataclass(frozen=True)
class RetryPolicy:
    """When to try a failed delivery again, when to give up, when to stop an endpoint.

    The n-th retry waits ``first_delay * factor**(n-1)`` (at most ``max_delay``), times a
    random jitter between ``1 - jitter`` and ``1 + jitter`` so endpoints that failed
    together do not all come back at once. A delivery still failing ``give_up_after``
    after it was created is dead-lettered; an endpoint whose last ``disable_after``
    attempts all failed is disabled.
    """

    first_delay: timedelta = timedelta(seconds=10)
    factor: float = 4.0
    max_delay: timedelta = timedelta(hours=8)
    jitter: float = 0.25
    give_up_after: timedelta = timedelta(days=3)
    disable_after: int = 20
    timeout_s: float = 10.0
    lease: timedelta = timedelta(minutes=2)  # a claim outlives the slowest send

    def delay(self, failed_attempts: int, rng: random.Random | None = None) -> timedelta:
        exponent = min(max(failed_attempts - 1, 0), 64)  # the cap is reached long before
        seconds = self.first_delay.total_seconds() * self.factor ** exponent
        base = min(timedelta(seconds=min(seconds, self.max_delay.total_seconds())),
                   self.max_delay)
        spread = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        return base * spread

    @property
    def longest_delay(self) -> timedelta:
        return self.max_delay * (1 + self.jitter)

    def next_attempt(self, now: datetime, created_at: datetime, failed_attempts: int,
                     rng: random.Random | None = None) -> datetime | None:
        """When to try again after ``failed_attempts`` failures; None: give up."""
        if now >= created_at + self.give_up_after:
            return None
        return now + self.delay(failed_attempts, rng)


@dataclass(frozen=True)
class Endpoint:
    id: str
    url: str
    description: str | None
    event_types: tuple[str, ...]
    enabled: bool
    disabled_reason: str | None
    consecutive_failures: int
    previous_secret_until: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Attempt:
    attempt: int
    attempted_at: datetime
    status_code: int | None
    duration_ms: int
    error: str | None


@dataclass(frozen=True)
class Delivery:
    id: str
    endpoint_id: str
    event_id: str
    event_position: int
    event_type: str
    occurred_at: datetime
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    attempt_log: tuple[Attempt, ...] = ()
