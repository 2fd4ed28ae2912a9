"""Passwords in the back office: "Forgot your password?", the reset link's page, a
person's own account page (change the password), and an admin's reset and temporary
password on the People screen.

The two pages used without a session carry a double-submit CSRF token (a random value in
the form equal to a cookie set with the page, as the sign-in form does). "Forgot your
password?" answers the same page for any e-mail; the e-mail goes out after the request
committed, in the response's background task (``reset_mail``).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from ordermesh.backoffice.model import RESET_LIFETIME, Permission
from ordermesh.backoffice.password_resets import (
    ResetLinkInvalid,
    TooManyResetRequests,
    force_reset,
    link_user,
    request_reset,
    reset_password,
)
from ordermesh.backoffice.passwords import change_own_password, set_temporary_password
from ordermesh.backoffice.reset_mail import send_reset_mail
from ordermesh.backoffice.service import TooManyAttempts
from ordermesh.backoffice.user_detail_pages import user_page
from ordermesh.backoffice.web import (
    PageContext,
    PageForbidden,
    checked_form,
    container_of,
    form_for,
    render,
    signed_in,
)
from ordermesh.http.problems import status_for
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import DomainError, InvalidInput

router = APIRouter()
FORM_CSRF_COOKIE = "om_form_csrf"
AdminForm = Annotated[PageContext, Depends(form_for(Permission.USER_MANAGE))]
MINUTES = int(RESET_LIFETIME.total_seconds() // 60)


def _anonymous_page(request: Request, template: str, status: int = 200,
                    **data) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = render(request, template, status, csrf_token=token, minutes=MINUTES, **data)
    response.set_cookie(FORM_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/app")
    return response


async def _anonymous_form(request: Request) -> dict[str, str]:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    sent, expected = values.get("csrf_token", ""), request.cookies.get(FORM_CSRF_COOKIE)
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise PageForbidden("This form is out of date (its security token did not match). "
                            "Open the page again; nothing was changed.")
    return values


def _uow(request: Request, actor: str = "anonymous") -> UnitOfWork:
    container = container_of(request)
    return UnitOfWork(container.engine, container.clock, actor=actor,
                      client_address=request.client.host if request.client else None)


@router.get("/forgot-password")
def forgot_form(request: Request) -> HTMLResponse:
    return _anonymous_page(request, "forgot_password.html")


@router.post("/forgot-password")
async def forgot(request: Request) -> Response:
    form = await _anonymous_form(request)
    email = form.get("email", "").strip()
    if not email or len(email) > 254:
        return _anonymous_page(request, "forgot_password.html", 422, email=email[:254],
                               error="Enter the e-mail address you sign in with.")
    try:
        with _uow(request) as uow:
            mail = request_reset(uow, email, request.client.host if request.client else None)
    except TooManyResetRequests as exc:
        return _anonymous_page(request, "forgot_password.html", 429, email=email,
                               error=exc.detail)
    # The same page for every e-mail, known or not; the e-mail goes out after this.
    task = (BackgroundTask(send_reset_mail, container_of(request), mail) if mail
            else None)
    return render(request, "forgot_password_sent.html", 200, email=email, minutes=MINUTES,
                  background=task)


@router.get("/reset-password")
def reset_form(request: Request, token: str = "") -> HTMLResponse:
    try:
        with _uow(request) as uow:
            link_user(uow, token)
    except ResetLinkInvalid as exc:
        return render(request, "error.html", 410, title=exc.title, message=exc.detail)
    return _anonymous_page(request, "reset_password.html", token=token)


@router.post("/reset-password")
async def reset(request: Request) -> Response:
    form = await _anonymous_form(request)
    token, new = form.get("token", ""), form.get("new_password", "")
    if new != form.get("confirm_password", ""):
        return _anonymous_page(request, "reset_password.html", 422, token=token,
                               errors={"confirm_password": "the two passwords differ"})
    try:
        with _uow(request) as uow:
            reset_password(uow, token, new)
    except ResetLinkInvalid as exc:
        return render(request, "error.html", 410, title=exc.title, message=exc.detail)
    except InvalidInput as exc:
        return _anonymous_page(request, "reset_password.html", 422, token=token,
                               errors={"new_password": exc.detail})
    return RedirectResponse("/app/login?reset=1", status_code=303)


@router.get("/account")
def account(page: Annotated[PageContext, Depends(signed_in)],
            changed: str = "") -> HTMLResponse:
    return page.render("account.html", changed=changed == "1")


@router.post("/account/password")
def change_password(page: Annotated[PageContext, Depends(checked_form)]) -> Response:
    form = page.form
    current, new = form.get("current_password", ""), form.get("new_password", "")
    if new != form.get("confirm_password", ""):
        return page.render("account.html", 422,
                           errors={"confirm_password": "the two new passwords differ"})
    try:
        page.run(lambda uow: change_own_password(uow, page.user, page.session.id, current,
                                                 new))
    except TooManyAttempts as exc:
        return page.render("account.html", 429, errors={"current_password": exc.detail})
    except InvalidInput as exc:
        field = exc.errors[0].field if exc.errors else "new_password"
        return page.render("account.html", 422, errors={field: exc.detail})
    return page.redirect("/app/account?changed=1")


@router.post("/users/{user_id}/reset-password")
def admin_reset(page: AdminForm, user_id: str) -> Response:
    try:
        mail = page.run(lambda uow: force_reset(uow, user_id, page.user))
    except DomainError as exc:
        return user_page(page, user_id, status_for(exc), action_error=exc.detail)
    response = page.redirect(f"/app/users/{user_id}?done=reset")
    response.background = BackgroundTask(send_reset_mail, page.container, mail)
    return response


@router.post("/users/{user_id}/temporary-password")
def admin_temporary_password(page: AdminForm, user_id: str) -> Response:
    password = page.form.get("temporary_password", "")
    try:
        page.run(lambda uow: set_temporary_password(uow, user_id, password, page.user))
    except DomainError as exc:
        return user_page(page, user_id, status_for(exc), action_error=exc.detail)
    return page.redirect(f"/app/users/{user_id}?done=temporary")
