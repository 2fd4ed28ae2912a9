"""Which roles may call each API operation: one table, and the table is the enforcement.

Every route of the app has an entry in the table (``ACCESS`` in ``http/access_table.py``),
keyed ``"METHOD /path/template"`` exactly as the operation appears in the OpenAPI document.
``install`` runs when the app is created: it stops the app if a route has no entry, an entry
has no route, or an entry disagrees with whether the route asks for an API key at all; then
it gives each route its set of roles, which the request context (``http/deps.py``) checks
on every call. Routes therefore say only that they need a caller (``Context``); which
callers is decided by the table and nowhere else.

docs/api-conventions.md shows this table; tests/integration/test_access_table.py keeps the
page in step and calls every operation with each role to prove it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute, Mount

from ordermesh.apikeys.model import Role
from ordermesh.http.access_table import ACCESS, Access
from ordermesh.http.deps import ALLOWED_ROLES, request_context

__all__ = ["ACCESS", "TABLE_FILE", "Access", "AccessTableError", "install", "operations"]

TABLE_FILE = "src/ordermesh/http/access_table.py"


class AccessTableError(RuntimeError):
    """The table and the routes disagree; raised while the app is created."""


def operations(app: FastAPI) -> Iterator[tuple[str, BaseRoute]]:
    """Every operation the app serves as ``"METHOD /path"``, with the route answering it.

    HEAD is left out where GET is served: Starlette answers it with the GET route.
    """
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            yield f"GET {context.path_format}", route
            continue
        methods = set(context.methods or ())
        if "GET" in methods:
            methods.discard("HEAD")
        for method in sorted(methods):
            yield f"{method} {context.path_format}", route


def _asks_for_key(dependant: Dependant) -> bool:
    return any(sub.call is request_context or _asks_for_key(sub)
               for sub in dependant.dependencies)


def install(app: FastAPI) -> None:
    """Check the table against the app's routes and hand each route its roles."""
    problems: list[str] = []
    seen: set[str] = set()
    given: dict[int, frozenset[Role]] = {}
    for operation, route in operations(app):
        seen.add(operation)
        access = ACCESS.get(operation)
        if access is None:
            problems.append(f"{operation} has no entry: add "
                            f"'\"{operation}\": VIEWER|OPERATOR|ADMIN|PUBLIC,' to ACCESS")
            continue
        if not isinstance(route, APIRoute):
            if access.asks_for_key:
                problems.append(f"{operation} is listed for {access.value} but cannot "
                                "check an API key; list it as PUBLIC")
            continue
        if access.asks_for_key != _asks_for_key(route.dependant):
            problems.append(
                f"{operation} is listed for {access.value} but its endpoint "
                + ("takes no Context, so no key would be checked" if access.asks_for_key
                   else "takes a Context and would demand a key"))
            continue
        if given.setdefault(id(route), access.roles) != access.roles:
            problems.append(f"{operation} shares its route (a router included twice) "
                            "with an operation listed for other roles")
            continue
        route.__dict__[ALLOWED_ROLES] = access.roles
    problems += [f"{operation} is in ACCESS but no route serves it: remove it"
                 for operation in ACCESS if operation not in seen]
    if problems:
        raise AccessTableError(
            f"The access table ({TABLE_FILE}) and the routes disagree:\n  "
            + "\n  ".join(problems))
    _document(app)


def _who(access: Access) -> str:
    if not access.asks_for_key:
        return f"**Who may call it:** {access.value}."
    return (f"**Who may call it:** {access.value} (an API key of another role gets 403, "
            "no key or an unknown one 401).")


def _document(app: FastAPI) -> None:
    """Say in each operation of the OpenAPI document who may call it, from the table."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()  # FastAPI's cached document once built: amend it once
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                access = ACCESS.get(f"{method.upper()} {path}")
                if access is None or "x-roles" in operation:
                    continue
                operation["x-roles"] = sorted(role.value for role in access.roles)
                description = operation.get("description", "")
                operation["description"] = (description + "\n\n" if description else
                                            "") + _who(access)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
