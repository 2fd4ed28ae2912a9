"""The returns desk: returns waiting for a person, a return's page and its decisions.

Authorising, rejecting and refunding go through the same use cases as the API
(``flows.returns_requests.decide`` and ``flows.returns_refunds.refund_return``), acting as the
signed-in person. Receiving is the warehouse's step and stays in the API for now.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from ordermesh.backoffice.model import Permission
from ordermesh.backoffice.queries import age
from ordermesh.backoffice.web import PageContext, form_for, need
from ordermesh.flows.returns_refunds import refund_preview, refund_return
from ordermesh.flows.returns_requests import decide
from ordermesh.http.problems import status_for
from ordermesh.kit.errors import DomainError
from ordermesh.returns.model import ReturnStatus
from ordermesh.returns.queries import get_return, list_returns

router = APIRouter()
Viewer = Annotated[PageContext, Depends(need(Permission.VIEW))]
S = ReturnStatus
# What a person must do next, in the order the desk shows it.
WAITING = {
    S.REQUESTED: "Waiting for a decision",
    S.AUTHORISED: "Authorised, waiting for the parcel",
    S.PARTIALLY_RECEIVED: "Partly received, to refund or wait for the rest",
    S.RECEIVED: "Received, to inspect or refund",
    S.INSPECTED: "Inspected, to refund",
}
PAGE = 100
MAX_REASON = 500


Decider = Annotated[PageContext, Depends(form_for(Permission.RETURN_DECIDE))]
Refunder = Annotated[PageContext, Depends(form_for(Permission.ORDER_REFUND))]


@router.get("/returns")
def returns_desk(page: Viewer) -> HTMLResponse:
    with page.read() as uow:
        groups = {label: list_returns(uow, status=status.value, limit=PAGE)[0]
                  for status, label in WAITING.items()}
        now = uow.clock.now()
    return page.render("returns.html", groups=groups, now=now, age=age)


def _return_page(page: PageContext, number: str, status: int = 200, **extra) -> HTMLResponse:
    with page.read() as uow:
        ret = get_return(uow, number)
        preview = refund_preview(uow, ret["id"]) if ret["status"] != S.RESOLVED else None
    return page.render("return.html", status, ret=ret, preview=preview,
                       decidable=ret["status"] == S.REQUESTED, **extra)


@router.get("/returns/{number}")
def return_page(page: Viewer, number: str) -> HTMLResponse:
    return _return_page(page, number)


def _act(page: PageContext, number: str, work) -> Response:
    try:
        page.run(work)
    except DomainError as exc:
        return _return_page(page, number, status_for(exc), action_error=exc.detail)
    return page.redirect(f"/app/returns/{number}")


@router.post("/returns/{number}/authorise")
def authorise(page: Decider, number: str) -> Response:
    reason = page.form.get("reason", "").strip()[:MAX_REASON] or None
    return _act(page, number, lambda uow: decide(uow, number, S.AUTHORISED, reason))


@router.post("/returns/{number}/reject")
def reject(page: Decider, number: str) -> Response:
    reason = page.form.get("reason", "").strip()
    if not 1 <= len(reason) <= MAX_REASON:
        return _return_page(page, number, 422, action_error="say why the return is rejected, "
                            f"in 1 to {MAX_REASON} characters")
    return _act(page, number, lambda uow: decide(uow, number, S.REJECTED, reason))


@router.post("/returns/{number}/refund")
def refund(page: Refunder, number: str) -> Response:
    return _act(page, number, lambda uow: refund_return(uow, number))
