"""The back office's web plumbing: who is signed in, what they may do, CSRF, rendering.

Every page takes a ``Page`` (a signed-in user, or a redirect to the sign-in page);
``need(permission)`` refuses a role that may not open a page or take an action (403
page, nothing changed); every form posted by a signed-in user carries the session's CSRF
token (``checked_form``). Domain errors become a page with the same status the API
would answer and the API problem's message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.exc import DBAPIError
from starlette.background import BackgroundTask

from ordermesh.backoffice.model import Permission, Session
from ordermesh.backoffice.service import csrf_matches, session_for
from ordermesh.http.deps import MAX_ATTEMPTS, Container
from ordermesh.http.request_id import request_id_of
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.db_errors import is_retryable

COOKIE = "om_session"
LOGIN_CSRF_COOKIE = "om_login_csrf"
T = TypeVar("T")

templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True, lstrip_blocks=True,
)


class SignInRequired(Exception):
    """No session, or an expired one: the person is sent to the sign-in page."""


class PasswordChangeRequired(Exception):
    """Signed in with a temporary password: every page but the account page (and signing
    out) sends the person there to choose their own first."""


# what a person with a temporary password may open
PASSWORD_CHANGE_PAGES = frozenset({"/app/account", "/app/account/password", "/app/logout"})


class PageForbidden(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def container_of(request: Request) -> Container:
    return request.app.state.container


def render(request: Request, template: str, status: int = 200,
           session: Session | None = None, *, background: BackgroundTask | None = None,
           **data: Any) -> HTMLResponse:
    html = templates.get_template(template).render(
        request=request, session=session, user=session.user if session else None,
        Permission=Permission, **data)
    return HTMLResponse(html, status_code=status, background=background, headers={
        "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                   "frame-ancestors 'none'; form-action 'self'",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    })


@dataclass
class PageContext:
    """The signed-in person on this request, and the units of work they act in."""

    request: Request
    container: Container
    session: Session
    form: dict[str, str] = field(default_factory=dict)

    @property
    def user(self):
        return self.session.user

    def read(self) -> UnitOfWork:
        return self._uow(write=False)

    def _uow(self, *, write: bool = True) -> UnitOfWork:
        # The request id and address go on every event the person's changes record.
        client = self.request.client
        return UnitOfWork(self.container.engine, self.container.clock, actor=self.user.actor,
                          write=write, request_id=request_id_of(self.request.scope),
                          client_address=client.host if client else None)

    def run(self, work: Callable[[UnitOfWork], T]) -> T:
        """A use case in a writing unit of work, acting as ``user:<email>``; rerun when
        PostgreSQL aborts it for a concurrency reason, as the API does."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with self._uow() as uow:
                    return work(uow)
            except DBAPIError as exc:
                if attempt == MAX_ATTEMPTS or not is_retryable(exc):
                    raise
        raise AssertionError("unreachable")

    def render(self, template: str, status: int = 200, **data: Any) -> HTMLResponse:
        return render(self.request, template, status, self.session, **data)

    def redirect(self, url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)


def signed_in(request: Request) -> PageContext:
    container = container_of(request)
    token = request.cookies.get(COOKIE, "")
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        session = session_for(uow, token)
    if session is None:
        raise SignInRequired()
    if session.user.must_change_password and request.url.path not in PASSWORD_CHANGE_PAGES:
        raise PasswordChangeRequired()
    return PageContext(request, container, session)


Page = Annotated[PageContext, Depends(signed_in)]


def need(permission: Permission) -> Callable[[PageContext], PageContext]:
    """A dependency: the signed-in person, if their role has ``permission``."""

    def check(page: Page) -> PageContext:
        if not page.user.may(permission):
            raise PageForbidden(
                f"Your role ({page.user.role}) may not do this: it needs the "
                f"'{permission}' permission. Ask an administrator if you should.")
        return page

    return check


async def checked_form(request: Request, page: Page) -> PageContext:
    """The posted form of a signed-in person, once its CSRF token matched the session's."""
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    if not csrf_matches(page.session, values.get("csrf_token")):
        raise PageForbidden("This form is out of date or did not come from the back office "
                            "(its security token did not match). Go back, reload the page "
                            "and try again; nothing was changed.")
    page.form = values
    return page


def form_for(permission: Permission) -> Callable[..., Awaitable[PageContext]]:
    """A dependency: the posted form (its CSRF token checked) of a signed-in person whose
    role has ``permission``."""

    async def check(page: Annotated[PageContext, Depends(checked_form)]) -> PageContext:
        return need(permission)(page)

    return check


def to_sign_in(request: Request) -> Response:
    """To the sign-in page, coming back here afterwards (a GET page; after a refused
    POST, the start page: the form is not replayed)."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(
        f"/app/login?next={quote(back if request.method == 'GET' else '/app/', safe='')}",
        status_code=303)


def safe_next(target: str | None) -> str:
    """Only a path of the back office is a place to return to after signing in."""
    target = target or ""
    ok = target.startswith("/app") and "//" not in target and "\\" not in target
    return target if ok else "/app/"
