"""Signing in and out."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ordermesh.backoffice.model import SESSION_LIFETIME
from ordermesh.backoffice.service import TooManyAttempts, sign_in, sign_out
from ordermesh.backoffice.web import (
    COOKIE,
    LOGIN_CSRF_COOKIE,
    PageContext,
    PageForbidden,
    checked_form,
    container_of,
    render,
    safe_next,
)
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Unauthenticated

router = APIRouter()


def _login_page(request: Request, status: int = 200, error: str | None = None,
                email: str = "", next_url: str = "/app/") -> HTMLResponse:
    # Sign-in forms carry a token that must equal a cookie set with the page (a double
    # submit): another site cannot sign a person in as someone else.
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", status, error=error, email=email,
                      csrf_token=token, next_url=safe_next(next_url))
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/app/login")
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/app/") -> HTMLResponse:
    return _login_page(request, next_url=next)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    next_url = safe_next(str(form.get("next", "/app/")))
    sent, expected = str(form.get("csrf_token", "")), request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise PageForbidden("The sign-in form is out of date (its security token did not "
                            "match). Open the sign-in page again.")
    container = container_of(request)
    try:
        with UnitOfWork(container.engine, container.clock) as uow:
            _session, token = sign_in(uow, email, password)
    except TooManyAttempts as exc:
        return _login_page(request, 429, exc.detail, email, next_url)
    except Unauthenticated as exc:
        return _login_page(request, 401, exc.detail, email, next_url)
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()),
                        httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        path="/app")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/app/login")
    return response


@router.post("/logout")
def logout(page: Annotated[PageContext, Depends(checked_form)]) -> Response:
    with UnitOfWork(page.container.engine, page.container.clock) as uow:
        sign_out(uow, page.request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/app/login", status_code=303)
    response.delete_cookie(COOKIE, path="/app")
    return response
