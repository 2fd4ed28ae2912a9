"""One person, as an admin sees them: their role and status, the locations and channels
they are limited to (edited here), and their password (a reset link by e-mail, or a
temporary password; see ``password_pages``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from ordermesh.backoffice.model import Permission
from ordermesh.backoffice.scopes import scope_codes, set_scope
from ordermesh.backoffice.service import user_from_row
from ordermesh.backoffice.tables import backoffice_password_resets, backoffice_users
from ordermesh.backoffice.web import PageContext, form_for, need
from ordermesh.channels.service import list_channels
from ordermesh.http.problems import status_for
from ordermesh.kit.clock import as_utc
from ordermesh.kit.errors import DomainError, NotFound
from ordermesh.locations.service import list_locations

router = APIRouter()
Admin = Annotated[PageContext, Depends(need(Permission.USER_MANAGE))]
AdminForm = Annotated[PageContext, Depends(form_for(Permission.USER_MANAGE))]
RESETS_SHOWN = 5


def user_page(page: PageContext, user_id: str, status: int = 200, **extra) -> HTMLResponse:
    r = backoffice_password_resets.c
    with page.read() as uow:
        row = uow.execute(select(backoffice_users)
                          .where(backoffice_users.c.id == user_id)).first()
        if row is None:
            raise NotFound(f"No back-office user '{user_id[:60]}'")
        chosen_locations, chosen_channels = scope_codes(uow, user_id)
        data = {
            "person": user_from_row(row),
            "locations": [loc.code for loc in list_locations(uow)],
            "channels": [ch.code for ch in list_channels(uow)],
            "chosen_locations": set(extra.pop("chosen_locations", chosen_locations)),
            "chosen_channels": set(extra.pop("chosen_channels", chosen_channels)),
            "resets": [(as_utc(x.requested_at), x.requested_by, x.mail_status, x.mail_error,
                        x.used_at is not None, as_utc(x.expires_at))
                       for x in uow.execute(
                           select(r.requested_at, r.requested_by, r.mail_status, r.mail_error,
                                  r.used_at, r.expires_at)
                           .where(r.user_id == user_id)
                           .order_by(r.requested_at.desc()).limit(RESETS_SHOWN))],
            "now": uow.clock.now(),
        }
    return page.render("user.html", status, **data, **extra)


@router.get("/users/{user_id}")
def user_detail(page: Admin, user_id: str, done: str = "") -> HTMLResponse:
    return user_page(page, user_id, done=done)


@router.post("/users/{user_id}/scope")
async def change_scope(page: AdminForm, user_id: str) -> Response:
    form = await page.request.form()
    locs = [v for v in form.getlist("location") if isinstance(v, str)]
    chans = [v for v in form.getlist("channel") if isinstance(v, str)]
    try:
        page.run(lambda uow: set_scope(uow, user_id, locs, chans, page.user))
    except DomainError as exc:
        return user_page(page, user_id, status_for(exc), action_error=exc.detail,
                         chosen_locations=locs, chosen_channels=chans)
    return page.redirect(f"/app/users/{user_id}?done=scope")
