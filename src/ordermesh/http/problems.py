"""The one mapping from exceptions to RFC 9457 ``application/problem+json`` responses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from ordermesh.kit.db import is_busy
from ordermesh.kit.errors import (
    Conflict,
    DomainError,
    Forbidden,
    IdempotencyKeyReused,
    InsufficientStock,
    InvalidInput,
    NotFound,
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
    500: "Internal server error",
}


def problem_body(
    status: int, code: str, title: str, detail: str, instance: str, **extra: Any
) -> dict[str, Any]:
    """The one shape of every error this API answers with."""
    return {"type": f"urn:ordermesh:problem:{code}", "title": title, "status": status,
            "detail": detail, "instance": instance, "code": code, **extra}


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
        extra["shortages"] = [
            {"sku": s.sku, "requested": s.requested, "available": s.available}
            for s in exc.shortages
        ]
    return problem(status, exc.code, exc.title, exc.detail, request.url.path, **extra)


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


def _database_busy(request: Request, exc: DBAPIError) -> JSONResponse:
    if not is_busy(exc):
        return _unexpected(request, exc)
    response = problem(503, "database-busy", "Try again",
                       "The database was too busy to complete the request; nothing was "
                       "changed. Retry it (with the same Idempotency-Key).", request.url.path)
    response.headers["Retry-After"] = "1"
    return response


def _out_of_connections(request: Request, exc: PoolTimeout) -> JSONResponse:
    response = problem(503, "database-busy", "Try again",
                       "Every database connection of this server was in use for longer "
                       "than the pool timeout; nothing was changed. Retry it (with the same "
                       "Idempotency-Key).", request.url.path)
    response.headers["Retry-After"] = "1"
    return response


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # exc_info from the argument: a handler runs after the except block has ended
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal-error", "Internal server error",
                   "An unexpected error occurred; it has been logged.", request.url.path)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, _database_busy)  # type: ignore[arg-type]
    app.add_exception_handler(PoolTimeout, _out_of_connections)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
