"""Load shedding: each API process works on a bounded number of requests at once.

A request beyond ``ORDERMESH_MAX_CONCURRENT_REQUESTS`` waits at most
``ORDERMESH_MAX_QUEUE_WAIT_MS`` for a place, then is answered ``503 overloaded`` with
``Retry-After`` before any database work: a short refusal the client (or its load
balancer) can retry elsewhere beats a long queue whose requests time out on the client
and commit anyway. A request that has already waited past ``ORDERMESH_REQUEST_DEADLINE_MS``
when its turn comes is not started either (``503 request-expired``); the same deadline is
checked again when its unit of work opens (``RequestContext.uow``), after the hop to the
thread pool. Client addresses are rate limited here too, before the body is read.

The liveness check and the metrics are never shed: a process at its limit is busy, not
dead, and its metrics are what shows that.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

from starlette.types import Receive, Scope, Send

from ordermesh.http import metrics
from ordermesh.http.asgi import HttpMiddleware
from ordermesh.http.problems import (
    RETRY_AFTER_S,
    expired_answer,
    problem_body,
    rate_limited_answer,
    send_problem,
)
from ordermesh.http.request_id import HEADER as REQUEST_ID_HEADER
from ordermesh.http.request_id import request_id_of

EXEMPT_PATHS = frozenset({"/health", "/metrics"})
DEADLINE_KEY = "ordermesh.deadline"  # in the scope: time.monotonic() after which not to start
REQUEST_START_HEADER = b"x-request-start"


class ConcurrencyGate:
    """A counting semaphore whose waiters give up after ``max_wait_s``; first come, first
    served. Used from one event loop (the API process's)."""

    def __init__(self, limit: int, max_wait_s: float) -> None:
        self.limit = limit
        self.max_wait_s = max_wait_s
        self.in_use = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def enter(self) -> bool:
        """Take a place, waiting at most ``max_wait_s``; False when none came free."""
        if self.limit <= 0:
            return True
        if self.in_use < self.limit and not self._waiters:
            self.in_use += 1
            return True
        if self.max_wait_s <= 0:
            return False
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait({waiter}, timeout=self.max_wait_s)
        except asyncio.CancelledError:  # the client went away while waiting
            self._give_up(waiter)
            raise
        if waiter.done():
            return True
        self._give_up(waiter)
        return False

    def _give_up(self, waiter: asyncio.Future[None]) -> None:
        if waiter.done():  # a place was handed over just now: pass it on
            self.leave()
        else:
            waiter.cancel()
            self._waiters.remove(waiter)

    @property
    def waiting(self) -> int:
        return sum(not waiter.done() for waiter in self._waiters)

    def leave(self) -> None:
        """Give the place back, straight to the longest waiter if there is one."""
        if self.limit <= 0:
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the place passes on: in_use stays
                return
        self.in_use -= 1


def arrival(scope: Scope, now: float, wall_now: float) -> float:
    """When the request arrived, on the ``time.monotonic()`` scale: now, or earlier when a
    load balancer stamped ``X-Request-Start`` (``t=`` seconds, milliseconds or microseconds
    since the epoch, as nginx and others send it). A stamp can only bring the deadline
    closer, never move it past now, so a client forging one harms only its own request."""
    for name, value in scope.get("headers", ()):
        if name == REQUEST_START_HEADER:
            stamp = _epoch_seconds(value.decode("latin-1"))
            if stamp is not None:
                return now - min(max(wall_now - stamp, 0.0), 3600.0)
    return now


def _epoch_seconds(text: str) -> float | None:
    text = text.strip().removeprefix("t=")
    try:
        value = float(text)
    except ValueError:
        return None
    for divisor in (1.0, 1e3, 1e6):  # seconds, milliseconds, microseconds
        if value / divisor < 1e10:  # before the year 2286
            return value / divisor
    return None


class LoadShedding(HttpMiddleware):
    """ASGI middleware: address rate limit, then a place in the gate, then the deadline.
    Its state is the container's (``Container.gate``, ``Container.rate_limits``)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("path") in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        container = scope["app"].state.container
        settings = container.settings
        path = scope.get("path", "")
        client = scope.get("client")
        refusal = container.rate_limits.admit_address(client[0] if client else "unknown")
        if refusal is not None:
            metrics.REFUSED.labels(reason="rate-limited-address").inc()
            body, headers = rate_limited_answer(refusal, path)
            await send_problem(send, 429, body, headers)
            return
        deadline = None
        if settings.request_deadline_ms > 0:
            arrived = arrival(scope, time.monotonic(), time.time())
            deadline = arrived + settings.request_deadline_ms / 1000
        if not await container.gate.enter():
            metrics.REFUSED.labels(reason="overloaded").inc()
            request_id = request_id_of(scope)
            await send_problem(send, 503, problem_body(
                503, "overloaded", "Try again",
                f"This server process is working on its limit of "
                f"{settings.max_concurrent_requests} requests; nothing was started. "
                "Retry it.", path, request_id=request_id),
                {"Retry-After": RETRY_AFTER_S, REQUEST_ID_HEADER: request_id})
            return
        try:
            if deadline is not None and time.monotonic() > deadline:
                metrics.REFUSED.labels(reason="expired").inc()
                request_id = request_id_of(scope)
                await send_problem(send, 503, expired_answer(request_id, path),
                                   {"Retry-After": RETRY_AFTER_S, REQUEST_ID_HEADER: request_id})
                return
            scope[DEADLINE_KEY] = deadline
            await self.app(scope, receive, send)
        finally:
            container.gate.leave()
