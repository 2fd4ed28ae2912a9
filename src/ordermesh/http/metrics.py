"""Request metrics and the access log: one middleware sees every answer.

Requests are counted by method, route *template* (``/api/v1/orders/{order_id}``, never
the raw path: one series per route, not per order) and status; a request no route
matches is ``unmatched``. The same middleware writes one access log line per request
(``ordermesh.access``) with the request id, route, status and duration.
"""

from __future__ import annotations

import logging
import re
import time
import weakref
from typing import Any

from fastapi.routing import iter_route_contexts
from prometheus_client import Counter, Gauge, Histogram
from starlette.routing import Mount, compile_path
from starlette.types import Message, Receive, Scope, Send

from ordermesh.http.asgi import HttpMiddleware
from ordermesh.http.request_id import request_id_of

access_log = logging.getLogger("ordermesh.access")

REQUESTS = Counter("ordermesh_http_requests", "HTTP requests answered, by method, route "
                   "template and status", ["method", "route", "status"])
DURATION = Histogram(
    "ordermesh_http_request_duration_seconds", "Time from a request's arrival at the "
    "process to the end of its answer, by method and route template", ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
IN_PROGRESS = Gauge("ordermesh_http_requests_in_progress", "Requests being answered now",
                    multiprocess_mode="livesum")
REFUSED = Counter("ordermesh_http_requests_refused", "Requests refused before any work: "
                  "overloaded, expired, rate-limited-address, rate-limited-key, "
                  "rate-limited-auth-failures", ["reason"])
STOCK_REFUSED = Counter("ordermesh_stock_reservations_refused", "Requests refused because "
                        "stock could not be reserved (409 insufficient-stock)")

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"


def route_template(scope: Scope) -> str:
    """The template of the route that answered (or would answer) this request."""
    route = scope.get("route")
    if route is not None:
        path = getattr(route, "path", None)
        if path is None:
            return UNMATCHED
        return f"{path}/{{path}}" if isinstance(route, Mount) else path
    # Refused before routing, or no route took it: the first template whose pattern fits.
    path = scope.get("path", "")
    for pattern, template in _templates(scope.get("app")):
        if pattern.match(path):
            return template
    return UNMATCHED


_TEMPLATES: weakref.WeakKeyDictionary[Any, list[tuple[re.Pattern[str], str]]] = (
    weakref.WeakKeyDictionary())


def _templates(app: Any) -> list[tuple[re.Pattern[str], str]]:
    if app is None:
        return []
    found = _TEMPLATES.get(app)
    if found is None:
        found = []
        for context in iter_route_contexts(app.routes):
            template = context.path_format or ""  # a mount's ends in "/{path}" already
            found.append((compile_path(template.replace("{path}", "{path:path}"))[0],
                          template))
        _TEMPLATES[app] = found
    return found


class Observe(HttpMiddleware):
    """ASGI middleware: metrics and the access log line of every HTTP request."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500  # unless an answer starts: an exception escaping becomes a 500

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_observed)
        finally:
            IN_PROGRESS.dec()
            elapsed = time.perf_counter() - started
            method = scope.get("method", "")
            method = method if method in METHODS else "other"
            route = route_template(scope)
            REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            DURATION.labels(method=method, route=route).observe(elapsed)
            access_log.info(
                "%s %s %s %.1f ms", method, route, status, elapsed * 1000,
                extra={"request_id": request_id_of(scope), "method": method, "route": route,
                       "status": status, "duration_ms": round(elapsed * 1000, 3)})
