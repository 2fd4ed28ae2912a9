"""Request-scoped dependencies: who is calling, with which unit of work and idempotency key."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from ordermesh.apikeys.model import Principal, Role
from ordermesh.apikeys.service import authenticate
from ordermesh.http.problems import RateLimited, RequestExpired
from ordermesh.http.rate_limits import RateLimits
from ordermesh.http.request_id import request_id_of
from ordermesh.http.shedding import DEADLINE_KEY, ConcurrencyGate
from ordermesh.kit.clock import Clock
from ordermesh.kit.db import MAX_RUNS as MAX_ATTEMPTS  # noqa: F401  (the back office reruns as often)
from ordermesh.kit.db import Transactions, UnitOfWork
from ordermesh.kit.errors import Forbidden, InvalidInput, Unauthenticated
from ordermesh.kit.idempotency import Fingerprints, IdempotencyKey
from ordermesh.settings import Settings

MAX_IDEMPOTENCY_KEY = 255
MAX_ENDPOINT = 200
ALLOWED_ROLES = "_allowed_roles"  # where http/access.py puts each route's roles
T = TypeVar("T")


class PrincipalCache:
    """Who an API key belongs to, remembered for a few seconds per process.

    Saves a database round trip on almost every request; the price is that a revoked key
    keeps working in a process for at most ``ttl`` seconds.

    An unknown key is remembered too (as ``UNKNOWN``), so a client repeating a bad key
    costs no database trip each time; a client trying ever new keys is stopped by the
    limit of unknown keys per address (``http/rate_limits.py``).
    """

    def __init__(self, ttl: float = 10.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[Principal | None, float]] = {}
        self._lock = threading.Lock()
        self.generation = 0  # bumped by clear(): a lookup that began before is not kept

    def get(self, secret: str) -> Principal | Unknown | None:
        """The key's principal, ``UNKNOWN`` for a key known to be bad, None if not cached."""
        entry = self._entries.get(secret)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0] if entry[0] is not None else UNKNOWN

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.generation += 1

    def put(self, secret: str, principal: Principal | None, generation: int) -> None:
        """Remember ``principal`` for ``secret`` (None: the key is unknown or revoked)."""
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[secret] = (principal, time.monotonic() + self.ttl)


class Unknown:
    """What the cache holds for a key that is not valid."""


UNKNOWN = Unknown()


@dataclass
class Container:
    """What the composition root built once per process."""

    settings: Settings
    engine: Engine
    clock: Clock
    principals: PrincipalCache = field(default_factory=PrincipalCache)
    # Built from the settings unless given: the process's load shedding and rate limits,
    # and the keys of idempotency fingerprints.
    gate: ConcurrencyGate = None  # type: ignore[assignment]
    rate_limits: RateLimits = None  # type: ignore[assignment]
    fingerprints: Fingerprints = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        settings = self.settings
        if self.gate is None:
            self.gate = ConcurrencyGate(settings.max_concurrent_requests,
                                        settings.max_queue_wait_ms / 1000)
        if self.rate_limits is None:
            self.rate_limits = RateLimits(settings.rate_limit_per_key,
                                          settings.rate_limit_per_address,
                                          settings.auth_failures_per_address)
        if self.fingerprints is None:
            self.fingerprints = Fingerprints.from_secrets(
                settings.idempotency_secrets.get_secret_value()
                if settings.idempotency_secrets else None,
                settings.secret_keys.get_secret_value() if settings.secret_keys else None)


@dataclass
class RequestContext:
    container: Container
    principal: Principal
    endpoint: str
    idempotency_key: str | None
    deadline: float | None = None  # time.monotonic() after which no work starts
    # Where the request came from: on every event its changes record (the audit log).
    request_id: str | None = None
    client_address: str | None = None

    def uow(self, *, write: bool = True, started: bool = False) -> UnitOfWork:
        """A unit of work as this caller; refused once the deadline has passed, unless
        the use case has ``started`` (a later transaction of work already under way)."""
        if not started and self.deadline is not None and time.monotonic() > self.deadline:
            raise RequestExpired()  # e.g. it waited for a thread of the pool too long
        return UnitOfWork(
            self.container.engine, self.container.clock, actor=self.principal.actor,
            write=write, request_id=self.request_id, client_address=self.client_address)

    def read_uow(self) -> UnitOfWork:
        return self.uow(write=False)

    def run(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run a use case in a writing unit of work, rerun on a deadlock or a unique value
        committed meanwhile (``kit.db.Transactions.run``): it answers as it would have
        one moment later (its own 409, or the first answer of an Idempotency-Key)."""
        return self.transactions().run(work)

    def run_committed(self, work: Callable[[UnitOfWork], T]) -> T:
        """``run`` for a use case that leaves committing to its caller: committed here."""
        def run(uow: UnitOfWork) -> T:
            result = work(uow)
            uow.commit()
            return result
        return self.run(run)

    def transactions(self) -> Transactions:
        """Writing units of work as this caller, for use cases that commit more than once
        (a payment or a carrier booking: the intent, the call outside any transaction,
        the answer). The deadline is checked when the first one opens: the answer of a
        remote call that took seconds is recorded even when that passed the deadline."""
        opened: list[bool] = []

        def new_uow() -> UnitOfWork:
            uow = self.uow(started=bool(opened))
            opened.append(True)
            return uow

        return Transactions(new_uow)

    def idempotency(self, body: BaseModel | dict[str, Any] | None) -> IdempotencyKey | None:
        if self.idempotency_key is None:
            return None
        data = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
        return self.container.fingerprints.key(
            self.principal.id, self.idempotency_key, self.endpoint, data)


async def get_container(request: Request) -> Container:
    # async: FastAPI runs a plain function dependency in the thread pool, a hop per request
    return request.app.state.container


def _look_up(container: Container, secret: str, address: str) -> Principal:
    generation = container.principals.generation
    env_key = container.settings.admin_api_key
    try:
        with UnitOfWork(container.engine, container.clock, write=False) as uow:
            principal = authenticate(uow, secret,
                                     env_key.get_secret_value() if env_key else None)
    except Unauthenticated:
        container.principals.put(secret, None, generation)
        container.rate_limits.count_unknown_key(address)
        raise
    container.principals.put(secret, principal, generation)
    return principal


# Declares the scheme in the OpenAPI document ("Authorize" in /docs); a missing or
# malformed header is answered by _principal as a problem, not by FastAPI.
bearer_api_key = HTTPBearer(
    scheme_name="apiKey", bearerFormat="API key", auto_error=False,
    description="An API key (`ordermesh apikey create --name NAME --role admin|operator|"
                "viewer`, or `--role supplier --supplier CODE` for a drop-ship supplier's "
                "partner key), sent as `Authorization: Bearer <api key>`.",
)
IDEMPOTENCY_HEADER = "Idempotency-Key"
UNKNOWN_KEY = "The API key is not valid (unknown or revoked)"


async def _principal(
    credentials: HTTPAuthorizationCredentials | None, container: Container, address: str
) -> Principal:
    secret = credentials.credentials.strip() if credentials else ""
    if not secret:
        raise Unauthenticated("Send the header 'Authorization: Bearer <api key>'")
    cached = container.principals.get(secret)
    if isinstance(cached, Unknown):
        raise Unauthenticated(UNKNOWN_KEY)
    if cached is not None:
        return cached
    # A key not seen lately costs a database trip: an address that has tried too many
    # unknown ones gets no more until its window passes.
    refusal = container.rate_limits.may_look_up_key(address)
    if refusal is not None:
        raise RateLimited(refusal)
    return await run_in_threadpool(_look_up, container, secret, address)


async def request_context(
    request: Request,
    container: Annotated[Container, Depends(get_container)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_api_key)],
) -> RequestContext:
    client_address = request.client.host if request.client else None
    address = client_address or "unknown"
    principal = await _principal(credentials, container, address)
    # Which roles may call this route was put on it from the table in http/access.py when
    # the app was created; a route without that entry never gets this far.
    allowed: frozenset[Role] = request.scope["route"].__dict__[ALLOWED_ROLES]
    if principal.role not in allowed:
        raise Forbidden(
            f"Role '{principal.role}' may not {request.method} {request.url.path}; "
            f"it needs one of: {', '.join(sorted(allowed))}"
        )
    # Documented in OpenAPI only on the operations that honour it (http/openapi.py).
    idempotency_key = request.headers.get(IDEMPOTENCY_HEADER)
    if idempotency_key is not None and (
        not 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY
        or not idempotency_key.isprintable()
    ):
        raise InvalidInput.for_field(
            IDEMPOTENCY_HEADER,
            f"must be 1 to {MAX_IDEMPOTENCY_KEY} printable characters",
        )
    endpoint = f"{request.method} {request.url.path}"
    if len(endpoint) > MAX_ENDPOINT:  # fits the column; still one value per path
        endpoint = f"{request.method} sha256:{hashlib.sha256(endpoint.encode()).hexdigest()}"
    refusal = container.rate_limits.admit_key(principal.id)
    if refusal is not None:
        raise RateLimited(refusal)
    return RequestContext(container, principal, endpoint, idempotency_key,
                          request.scope.get(DEADLINE_KEY), request_id_of(request.scope),
                          client_address)


# The caller of a route that needs an API key; which roles may call it is the route's
# entry in http/access_table.py.
Context = Annotated[RequestContext, Depends(request_context)]
# The names routes used when each chose its own roles; kept so they need no edit, they
# are the same dependency and no longer decide anything.
ReadContext = WriteContext = AdminContext = Context
