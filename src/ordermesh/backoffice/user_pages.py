"""People: an admin adds back-office users, changes their roles and disables them.

The same use cases as ``ordermesh user create`` (``backoffice.service.create_user``) and
``backoffice.people``, acting as the signed-in admin, whose e-mail each event records.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from ordermesh.backoffice.model import PERMISSIONS, Permission, UserRole
from ordermesh.backoffice.people import change_role, disable_user, enable_user, list_users
from ordermesh.backoffice.service import create_user
from ordermesh.backoffice.web import PageContext, form_for, need
from ordermesh.http.problems import status_for
from ordermesh.kit.errors import DomainError, InvalidInput

router = APIRouter()
Admin = Annotated[PageContext, Depends(need(Permission.USER_MANAGE))]
AdminForm = Annotated[PageContext, Depends(form_for(Permission.USER_MANAGE))]


def _users_page(page: PageContext, status: int = 200, **extra) -> HTMLResponse:
    with page.read() as uow:
        users = list_users(uow)
    return page.render("users.html", status, users=users, roles=list(UserRole),
                       permissions={role: sorted(PERMISSIONS[role]) for role in UserRole},
                       **extra)


@router.get("/users")
def users_page(page: Admin) -> HTMLResponse:
    return _users_page(page)


def _role(value: str) -> UserRole:
    try:
        return UserRole(value)
    except ValueError:
        raise InvalidInput.for_field("role", f"'{value[:40]}' is not a role") from None


def _act(page: PageContext, work, **keep) -> Response:
    try:
        page.run(work)
    except DomainError as exc:
        return _users_page(page, status_for(exc), action_error=exc.detail, **keep)
    return page.redirect("/app/users")


@router.post("/users")
def add_user(page: AdminForm) -> Response:
    email = page.form.get("email", "").strip()
    return _act(page, lambda uow: create_user(uow, email, page.form.get("password", ""),
                                               _role(page.form.get("role", ""))),
                entered_email=email[:254])


@router.post("/users/{user_id}/role")
def set_role(page: AdminForm, user_id: str) -> Response:
    return _act(page, lambda uow: change_role(uow, user_id, _role(page.form.get("role", "")),
                                               page.user))


@router.post("/users/{user_id}/disable")
def disable(page: AdminForm, user_id: str) -> Response:
    return _act(page, lambda uow: disable_user(uow, user_id, page.user))


@router.post("/users/{user_id}/enable")
def enable(page: AdminForm, user_id: str) -> Response:
    return _act(page, lambda uow: enable_user(uow, user_id, page.user))
