"""The back office as an application mounted at ``/app`` on the API's app.

Mounted rather than included: its pages are HTML, not part of the OpenAPI document, take
a session cookie rather than an API key, and answer errors with pages a person reads
instead of problem+json. The API's access table lists the mount once (``GET /app``, no
key); who may open each page and take each action is the back office's own check
(``web.need``), tested in tests/integration/test_backoffice_*.py.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ordermesh.backoffice import (
    auth_pages,
    bulk_pages,
    customer_pages,
    feedback_pages,
    order_pages,
    pack_pages,
    password_pages,
    return_pages,
    settings_pages,
    stock_pages,
    user_detail_pages,
    user_pages,
)
from ordermesh.backoffice.web import (
    PageForbidden,
    PasswordChangeRequired,
    SignInRequired,
    render,
    signed_in,
    to_sign_in,
)
from ordermesh.http.deps import Container
from ordermesh.http.problems import status_for
from ordermesh.kit.errors import DomainError

STATIC = __file__.rsplit("/", 1)[0] + "/static"


def _session_or_none(request: Request):
    try:
        return signed_in(request).session
    except SignInRequired:
        return None


def create_backoffice(container: Container) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.container = container
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (auth_pages.router, order_pages.router, return_pages.router,
                   stock_pages.router, customer_pages.router, feedback_pages.router,
                   pack_pages.router, user_pages.router, password_pages.router, bulk_pages.router,
                   user_detail_pages.router, settings_pages.router):
        app.include_router(router)

    @app.exception_handler(SignInRequired)
    def _sign_in(request: Request, exc: SignInRequired) -> Response:
        return to_sign_in(request)

    @app.exception_handler(PasswordChangeRequired)
    def _change_password(request: Request, exc: PasswordChangeRequired) -> Response:
        return RedirectResponse("/app/account", status_code=303)

    @app.exception_handler(PageForbidden)
    def _forbidden(request: Request, exc: PageForbidden) -> Response:
        return render(request, "error.html", 403, _session_or_none(request),
                      title="Not allowed", message=exc.message)

    @app.exception_handler(DomainError)
    def _domain(request: Request, exc: DomainError) -> Response:
        status = status_for(exc)
        return render(request, "error.html", status, _session_or_none(request),
                      title=exc.title, message=exc.detail)

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}"
                           for e in exc.errors())
        return render(request, "error.html", 422, _session_or_none(request),
                      title="Invalid input", message=fields)

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = ("There is no such page in the back office." if exc.status_code == 404
                   else str(exc.detail))
        return render(request, "error.html", exc.status_code, _session_or_none(request),
                      title="Not found" if exc.status_code == 404 else "Error",
                      message=message)

    return app
