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
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from ordermesh.apikeys.model import Principal, Role
from ordermesh.apikeys.service import authenticate
from ordermesh.kit.clock import Clock
from ordermesh.kit.db import UnitOfWork, is_retryable, is_unique_violation
from ordermesh.kit.errors import Forbidden, InvalidInput, Unauthenticated
from ordermesh.kit.idempotency import IdempotencyKey, fingerprint
from ordermesh.settings import Settings

MAX_IDEMPOTENCY_KEY = 255
MAX_ENDPOINT = 200
MAX_ATTEMPTS = 3
ALLOWED_ROLES = "_allowed_roles"  # where http/access.py puts each route's roles
T = TypeVar("T")


class PrincipalCache:
    """Who an API key belongs to, remembered for a few seconds per process.

    Saves a database round trip on almost every request; the price is that a revoked key
    keeps working in a process for at most ``ttl`` seconds.
    """

    def __init__(self, ttl: float = 10.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()
        self.generation = 0  # bumped by clear(): a lookup that began before is not kept

    def get(self, secret: str) -> Principal | None:
        entry = self._entries.get(secret)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.generation += 1

    def put(self, secret: str, principal: Principal, generation: int) -> None:
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[secret] = (principal, time.monotonic() + self.ttl)


@dataclass
class Container:
    """What the composition root built once per process."""

    settings: Settings
    engine: Engine
    clock: Clock
    principals: PrincipalCache = field(default_factory=PrincipalCache)


@dataclass
class RequestContext:
    container: Container
    principal: Principal
    endpoint: str
    idempotency_key: str | None

    def uow(self, *, write: bool = True) -> UnitOfWork:
        return UnitOfWork(
            self.container.engine, self.container.clock, actor=self.principal.actor, write=write
        )

    def read_uow(self) -> UnitOfWork:
        return self.uow(write=False)

    def run(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run a use case in a writing unit of work, again if PostgreSQL aborted it for a
        concurrency reason (deadlock, serialization failure) or it met a unique value
        another transaction committed meanwhile (two creates of one code): every use case
        is one transaction, so a rerun starts from a clean slate and sees the other's row,
        answering as it would have one moment later (its own 409, or the first answer of
        an Idempotency-Key)."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with self.uow() as uow:
                    return work(uow)
            except DBAPIError as exc:
                if attempt == MAX_ATTEMPTS or not (is_retryable(exc)
                                                   or is_unique_violation(exc)):
                    raise
        raise AssertionError("unreachable")

    def idempotency(self, body: BaseModel | dict[str, Any] | None) -> IdempotencyKey | None:
        if self.idempotency_key is None:
            return None
        data = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
        return IdempotencyKey(
            principal=self.principal.id,
            key=self.idempotency_key,
            endpoint=self.endpoint,
            fingerprint=fingerprint(data),
        )


async def get_container(request: Request) -> Container:
    # async: FastAPI runs a plain function dependency in the thread pool, a hop per request
    return request.app.state.container


def _look_up(container: Container, secret: str) -> Principal:
    generation = container.principals.generation
    env_key = container.settings.admin_api_key
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        principal = authenticate(uow, secret, env_key.get_secret_value() if env_key else None)
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


async def _principal(
    credentials: HTTPAuthorizationCredentials | None, container: Container
) -> Principal:
    secret = credentials.credentials.strip() if credentials else ""
    if not secret:
        raise Unauthenticated("Send the header 'Authorization: Bearer <api key>'")
    cached = container.principals.get(secret)
    if cached is not None:
        return cached
    return await run_in_threadpool(_look_up, container, secret)


async def request_context(
    request: Request,
    container: Annotated[Container, Depends(get_container)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_api_key)],
) -> RequestContext:
    principal = await _principal(credentials, container)
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
    return RequestContext(container, principal, endpoint, idempotency_key)


# The caller of a route that needs an API key; which roles may call it is the route's
# entry in http/access.py.
Context = Annotated[RequestContext, Depends(request_context)]
# The names routes used when each chose its own roles; kept so they need no edit, they
# are the same dependency and no longer decide anything.
ReadContext = WriteContext = AdminContext = Context
