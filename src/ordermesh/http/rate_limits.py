"""Rate limits per API key, per client address, and of unknown keys per address.

Counted with the ``limits`` library (sliding window counters) in this process's memory:
each API process counts on its own, so N processes behind a load balancer admit up to N
times a limit in all. That is the price of asking nothing of a shared store on every
request; docs/operations.md says how to size the limits for it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter


def parse_limits(text: str) -> list[RateLimitItem]:
    """``"100/second;3000/minute"`` as limits; empty for an empty text (no limit)."""
    if not text.strip():
        return []
    try:
        return parse_many(text)
    except ValueError as exc:
        raise ValueError(f"not a rate limit ('100/second;3000/minute'): {text!r}") from exc


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: which limit, and in how many seconds it admits again."""

    scope: str  # "key", "address", "auth-failures"
    limit: RateLimitItem
    retry_after_s: int

    @property
    def described(self) -> str:
        return f"{self.limit.amount} per {self.limit.multiples} {self.limit.GRANULARITY.name}"


class RateLimits:
    """The three limits of one process, from the settings' texts."""

    def __init__(self, per_key: str, per_address: str, auth_failures: str) -> None:
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._per_key = parse_limits(per_key)
        self._per_address = parse_limits(per_address)
        self._auth_failures = parse_limits(auth_failures)

    def admit_key(self, key_id: str) -> Refusal | None:
        """Count one request of the API key ``key_id``; a refusal if it is over a limit."""
        return self._hit("key", self._per_key, key_id)

    def admit_address(self, address: str) -> Refusal | None:
        return self._hit("address", self._per_address, address)

    def may_look_up_key(self, address: str) -> Refusal | None:
        """Whether ``address`` may still have an unknown key looked up (counts nothing)."""
        for limit in self._auth_failures:
            if not self._limiter.test(limit, "auth-failures", address):
                return self._refusal("auth-failures", limit, address)
        return None

    def count_unknown_key(self, address: str) -> None:
        for limit in self._auth_failures:
            self._limiter.hit(limit, "auth-failures", address)

    def _hit(self, scope: str, limits: list[RateLimitItem], who: str) -> Refusal | None:
        # Tested first, all of them, so a refused request uses up no other limit.
        for limit in limits:
            if not self._limiter.test(limit, scope, who):
                return self._refusal(scope, limit, who)
        for limit in limits:
            self._limiter.hit(limit, scope, who)
        return None

    def _refusal(self, scope: str, limit: RateLimitItem, who: str) -> Refusal:
        reset_at = self._limiter.get_window_stats(limit, scope, who).reset_time
        return Refusal(scope, limit, max(1, math.ceil(reset_at - time.time())))
