"""The OpenAPI document: which operations honour an ``Idempotency-Key``, and the answers
every operation may get from the middleware in front of it (``429``, ``503``).

The security scheme comes with the request contexts (``http/deps.py``); this adds what
FastAPI cannot see from the signatures.
"""

from __future__ import annotations

import inspect
from types import CodeType
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from ordermesh.http.deps import IDEMPOTENCY_HEADER, MAX_IDEMPOTENCY_KEY

IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": "Makes this request safe to retry: the same key and body return the "
                   "first result; the same key with another body is refused (422). Keys "
                   "are kept per API key.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY},
}


_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying",
                                "schema": {"type": "integer", "minimum": 1}}}
REFUSALS: dict[str, dict[str, Any]] = {
    "429": {"description": "Too many requests of this API key or client address "
                           "(`rate-limited`; docs/operations.md#rate-limits); nothing changed",
            "headers": _RETRY_AFTER,
            "content": {"application/problem+json": {"schema": {"type": "object"}}}},
    "503": {"description": "Try again: the server process is at its limit of requests "
                           "(`overloaded`), the request waited past its deadline "
                           "(`request-expired`) or the database is busy (`database-busy`); "
                           "nothing was changed", "headers": _RETRY_AFTER,
            "content": {"application/problem+json": {"schema": {"type": "object"}}}},
}


def _calls(code: CodeType, name: str) -> bool:
    return name in code.co_names or any(
        _calls(const, name) for const in code.co_consts if isinstance(const, CodeType))


def honours_idempotency(route: APIRoute) -> bool:
    """Whether the endpoint claims the key: it builds one with ``ctx.idempotency(...)``.

    Read from the endpoint's code, so a route added anywhere is documented as it behaves,
    without a list to keep in step.
    """
    endpoint = inspect.unwrap(route.endpoint)
    code = getattr(endpoint, "__code__", None)
    return code is not None and _calls(code, "idempotency")


def install(app: FastAPI, routes: list[APIRoute]) -> None:
    """Document ``Idempotency-Key`` on the operations among ``routes`` that honour it, and
    the refusals of load shedding and rate limits on all of them."""
    generate = app.openapi
    documented: list[dict[str, Any]] = []  # the schema already amended (FastAPI caches it)

    def openapi() -> dict[str, Any]:
        schema = generate()
        if documented and documented[0] is schema:
            return schema
        for route in routes:
            if not route.include_in_schema:
                continue
            for method in route.methods:
                operation = schema["paths"].get(route.path_format, {}).get(method.lower())
                if operation is None:
                    continue
                for status, refusal in REFUSALS.items():
                    answer = operation.setdefault("responses", {}).setdefault(status, refusal)
                    # a route's own 503 (a payment's outcome unknown) also says when to retry
                    answer.setdefault("headers", _RETRY_AFTER)
                if honours_idempotency(route):
                    operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
        documented[:] = [schema]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
