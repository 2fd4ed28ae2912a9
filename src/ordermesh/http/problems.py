"""The one mapping from exceptions to RFC 9457 ``application/problem+json`` responses."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send

from ordermesh.http import metrics
from ordermesh.http.rate_limits import Refusal
from ordermesh.http.request_id import HEADER as REQUEST_ID_HEADER
from ordermesh.http.request_id import request_id_of
from ordermesh.kit.db_errors import is_busy, is_unique_violation, unique_columns
from ordermesh.kit.errors import (
    Conflict,
    DomainError,
    Forbidden,
    IdempotencyKeyReused,
    InsufficientStock,
    InvalidInput,
    NotFound,
    TryLater,
    Unauthenticated,
)

log = logging.getLogger("ordermesh.http")

PROBLEM_JSON = "application/problem+json"

# Most specific class first; the first isinstance match decides the status.
_STATUS_BY_ERROR: list[tuple[type[DomainError], int]] = [
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (IdempotencyKeyReused, 422),
    (InvalidInput, 422),
    (TryLater, 503),
]

_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
}
RETRY_AFTER_S = "1"


def problem_body(
    status: int, code: str, title: str, detail: str, instance: str, **extra: Any
) -> dict[str, Any]:
    """The one shape of every error this API answers with."""
    return {"type": f"urn:ordermesh:problem:{code}", "title": title, "status": status,
            "detail": detail, "instance": instance, "code": code, **extra}


async def send_problem(send: Send, status: int, body: dict[str, Any],
                       headers: dict[str, str] | None = None) -> None:
    """Answer with a problem straight from ASGI middleware, before any route runs."""
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(data)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in (headers or {}).items()),
    ]})
    await send({"type": "http.response.body", "body": data})


class RequestExpired(Exception):
    """The request waited past its deadline (``ORDERMESH_REQUEST_DEADLINE_MS``) before its
    work began: whoever sent it has likely given up, so it is not started."""


class RateLimited(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.scope)
        self.refusal = refusal


def rate_limited_answer(refusal: Refusal, instance: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The body and headers of a 429 for ``refusal``."""
    whose = {"key": "this API key", "address": "this client address",
             "auth-failures": "unknown API keys from this client address"}[refusal.scope]
    body = problem_body(429, "rate-limited", "Too many requests",
                        f"Too many requests of {whose}: at most {refusal.described} per "
                        f"server process. Retry after {refusal.retry_after_s} s.", instance,
                        limit=refusal.scope)
    headers = {"Retry-After": str(refusal.retry_after_s),
               "RateLimit-Limit": str(refusal.limit.amount), "RateLimit-Remaining": "0",
               "RateLimit-Reset": str(refusal.retry_after_s)}
    return body, headers


def expired_answer(request_id: str, instance: str) -> dict[str, Any]:
    return problem_body(503, "request-expired", "Try again",
                        "The request waited longer than this server's deadline before it "
                        "could start; it was not started and nothing was changed. Retry it.",
                        instance, request_id=request_id)


def problem(
    status: int, code: str, title: str, detail: str, instance: str, **extra: Any
) -> JSONResponse:
    body = problem_body(status, code, title, detail, instance, **extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def status_for(exc: DomainError) -> int:
    """The HTTP status of a domain error (the back office's pages answer with it too)."""
    return next((s for cls, s in _STATUS_BY_ERROR if isinstance(exc, cls)), 400)


def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
    status = status_for(exc)
    extra: dict[str, Any] = dict(exc.extra)
    if isinstance(exc, InvalidInput) and exc.errors:
        extra["errors"] = [
            {"field": e.field, "message": e.message, "code": e.code} for e in exc.errors
        ]
    if isinstance(exc, InsufficientStock):
        metrics.STOCK_REFUSED.inc()
        extra["shortages"] = [
            {"sku": s.sku, "requested": s.requested, "available": s.available}
            for s in exc.shortages
        ]
    response = problem(status, exc.code, exc.title, exc.detail, request.url.path, **extra)
    if isinstance(exc, TryLater):
        response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


def _field_name(loc: tuple[Any, ...]) -> str:
    """``lines.0.sku`` for the body (as in domain errors), ``query.limit`` for the rest."""
    parts = [str(part) for part in loc]
    if parts[:1] == ["body"] and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)


def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        first = next(e for e in errors if e.get("type") == "json_invalid")
        reason = (first.get("ctx") or {}).get("error", "the body is not valid JSON")
        return problem(400, "malformed-json", "Malformed JSON", f"Malformed JSON: {reason}",
                       request.url.path)
    details = [
        {"field": _field_name(e.get("loc", ())), "message": e.get("msg", "invalid"),
         "code": e.get("type", "invalid")}
        for e in errors
    ]
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    return problem(422, "validation-failed", "Invalid input", summary, request.url.path,
                   errors=details)


def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    title = _TITLES.get(exc.status_code, "Error")
    code = title.lower().replace(" ", "-")
    detail = exc.detail if isinstance(exc.detail, str) else title
    response = problem(exc.status_code, code, title, detail, request.url.path)
    if exc.headers:
        response.headers.update(exc.headers)
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(_allowed_methods(request))
    return response


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for path_regex, route_methods in getattr(request.app.state, "route_methods", []):
        if path_regex.match(request.url.path):
            methods |= route_methods
    return sorted(methods)


def _integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
    """A unique value taken by a concurrent create (the rerun of ``RequestContext.run``
    usually answers with the use case's own 409 first; this is the net under every route)."""
    if not is_unique_violation(exc):
        return _unexpected(request, exc)
    fields = unique_columns(exc)
    named = f" ({', '.join(fields)})" if fields else ""
    return problem(409, "already-exists", "Conflict with the current state",
                   f"Another request created a resource with the same unique value{named} "
                   "at the same moment; nothing was changed. Read it, or retry with the "
                   "same Idempotency-Key to get the first answer.", request.url.path,
                   fields=fields)


def _try_again(request: Request, detail: str, exc: Exception) -> JSONResponse:
    request_id = request_id_of(request.scope)
    log.warning("answered 503 to %s %s (request %s): %s: %s", request.method,
                request.url.path, request_id, type(exc).__name__, str(exc).splitlines()[0],
                extra={"request_id": request_id})
    response = problem(503, "database-busy", "Try again", detail, request.url.path,
                       request_id=request_id)
    response.headers["Retry-After"] = RETRY_AFTER_S
    response.headers[REQUEST_ID_HEADER] = request_id
    return response


def _database_busy(request: Request, exc: DBAPIError) -> JSONResponse:
    if not is_busy(exc):
        return _unexpected(request, exc)
    return _try_again(request, "The database could not complete the request now (busy, a "
                      "lock held too long, or the connection lost); nothing was changed "
                      "unless a retry with the same Idempotency-Key says so. Retry it.", exc)


def _out_of_connections(request: Request, exc: PoolTimeout) -> JSONResponse:
    return _try_again(request, "Every database connection of this server was in use for "
                      "longer than the pool timeout; nothing was changed. Retry it (with the "
                      "same Idempotency-Key).", exc)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette calls this handler after the except block has ended: log.exception would
    # find no exception there ("NoneType: None"), so the exception is passed explicitly.
    request_id = request_id_of(request.scope)
    log.error("unhandled error on %s %s (request %s)", request.method, request.url.path,
              request_id, exc_info=(type(exc), exc, exc.__traceback__),
              extra={"request_id": request_id})
    response = problem(500, "internal-error", "Internal server error",
                       f"An unexpected error occurred; it has been logged with request id "
                       f"{request_id}.", request.url.path, request_id=request_id)
    response.headers[REQUEST_ID_HEADER] = request_id
    return response


def _rate_limited(request: Request, exc: RateLimited) -> JSONResponse:
    metrics.REFUSED.labels(reason=f"rate-limited-{exc.refusal.scope}").inc()
    body, headers = rate_limited_answer(exc.refusal, request.url.path)
    return JSONResponse(body, status_code=429, media_type=PROBLEM_JSON, headers=headers)


def _expired(request: Request, exc: RequestExpired) -> JSONResponse:
    request_id = request_id_of(request.scope)
    return JSONResponse(expired_answer(request_id, request.url.path), status_code=503,
                        media_type=PROBLEM_JSON,
                        headers={"Retry-After": RETRY_AFTER_S, REQUEST_ID_HEADER: request_id})


def install(app: FastAPI) -> None:
    app.add_exception_handler(RateLimited, _rate_limited)  # type: ignore[arg-type]
    app.add_exception_handler(RequestExpired, _expired)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(IntegrityError, _integrity_error)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, _database_busy)  # type: ignore[arg-type]
    app.add_exception_handler(PoolTimeout, _out_of_connections)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
