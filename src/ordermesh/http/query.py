"""Unknown query parameters are refused, on every route, instead of silently ignored.

A typo such as ``?skus=`` for ``?sku=`` would otherwise answer an unfiltered list as if
it were the filtered one.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel


def _query_names(dependant: Dependant) -> set[str]:
    names: set[str] = set()
    for param in dependant.query_params:
        annotation = param.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.update(f.alias or n for n, f in annotation.model_fields.items())
        else:
            names.add(param.alias)
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def declared_query_parameters(route: APIRoute) -> frozenset[str]:
    """Every query parameter the route or any of its dependencies declares (kept on the
    route: routes do not change once the app is built)."""
    known = route.__dict__.get("_declared_query")
    if known is None:
        known = route.__dict__["_declared_query"] = frozenset(_query_names(route.dependant))
    return known


async def reject_unknown_query_parameters(request: Request) -> None:
    """An app-wide dependency: runs before every route's own parameters are read."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = declared_query_parameters(route)
    unknown = [name for name in dict.fromkeys(request.query_params.keys())
               if name not in known]
    if unknown:
        takes = ", ".join(sorted(known)) if known else "no query parameters"
        raise RequestValidationError([
            {"type": "unknown_query_parameter", "loc": ("query", name),
             "msg": f"Unknown query parameter '{name}'; this route takes: {takes}",
             "input": request.query_params.getlist(name)[0]}
            for name in unknown])
