"""The public answer page, mounted at ``/feedback``: no login, the single-use signed link
is the credential (so no CSRF token either: a forged post would need the link, and the
link can be used once). Server-rendered, small, readable on a phone.

``GET /feedback/{token}`` shows the questions of the request; ``POST`` stores the answer
and uses the link up. A forged link answers 404, an expired one 410, a used one 409, an
answer off its scale 422 with the form again: nothing is stored for any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ordermesh.feedback.model import ExpiredToken, Kind, Trigger, UsedToken
from ordermesh.feedback.service import Piece, answer_request, open_request
from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import DomainError, InvalidInput

HERE = Path(__file__).parent
templates = Environment(loader=FileSystemLoader(HERE / "templates"),
                        autoescape=select_autoescape(default=True), trim_blocks=True,
                        lstrip_blocks=True)
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; "
                               "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the link is a credential: never pass it on
}


def render(template: str, status: int = 200, **data: Any) -> HTMLResponse:
    return HTMLResponse(templates.get_template(template).render(**data), status_code=status,
                        headers=HEADERS)


def _status(exc: DomainError) -> int:
    if isinstance(exc, UsedToken):
        return 409
    if isinstance(exc, ExpiredToken):
        return 410
    if isinstance(exc, InvalidInput):
        return 422
    return 404


def _score(form: dict[str, str], name: str, errors: dict[str, str]) -> int | None:
    raw = form.get(name, "").strip()
    if not raw:
        return None
    if not raw.lstrip("-").isdigit():
        errors[name] = "Choose one of the numbers"
        return None
    return int(raw)


def _pieces(form: dict[str, str], row) -> tuple[list[Piece], dict[str, str]]:
    errors: dict[str, str] = {}
    nps = _score(form, "nps", errors)
    comment = form.get("comment") or None
    pieces = [Piece(Kind.NPS, nps, comment) if nps is not None else
              Piece(Kind.TEXT, None, comment)]
    known = {str(line["line_no"]) for line in row.lines}
    for name in form:
        prefix, _, no = name.partition("_")
        if prefix in ("rating", "review") and no not in known:
            errors["form"] = f"Order {row.order_number} has no line {no} to rate"
    if row.trigger == Trigger.DELIVERED:
        pieces.append(Piece(Kind.CSAT, _score(form, "csat", errors)))
        for line in row.lines:
            no = line["line_no"]
            stars = _score(form, f"rating_{no}", errors)
            review = form.get(f"review_{no}") or None
            if stars is not None or review:
                pieces.append(Piece(Kind.PRODUCT_RATING if stars is not None else Kind.TEXT,
                                    stars, review, no))
    return pieces, errors


def _field_of(error_field: str, pieces: list[Piece]) -> str:
    """The form field of a domain error's ``pieces[i].…`` (after empty pieces are gone)."""
    kept = [p for p in pieces if p.score is not None or (p.text and p.text.strip())]
    try:
        piece = kept[int(error_field.split("[")[1].split("]")[0])]
    except (IndexError, ValueError):
        return "form"
    if piece.line_no is not None:
        return f"rating_{piece.line_no}"
    return {Kind.NPS: "nps", Kind.CSAT: "csat"}.get(piece.kind, "comment")


def create_feedback_page(container: Callable[[], Container]) -> FastAPI:
    """``container`` gives the container of the app this page is mounted on, at each
    request (the app's container may be replaced, as the tests do)."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def secret() -> str | None:
        value = container().settings.feedback_secret
        return value.get_secret_value() if value else None

    def uow(write: bool) -> UnitOfWork:
        c = container()
        return UnitOfWork(c.engine, c.clock, actor="customer:feedback-link", write=write)

    def read(token: str):
        with uow(False) as work:
            return open_request(work, secret(), token)

    def answer(token: str, pieces: list[Piece]) -> None:
        with uow(True) as work:
            answer_request(work, secret(), token, pieces)

    @app.exception_handler(DomainError)
    def _refused(request: Request, exc: DomainError) -> Response:
        return render("problem.html", _status(exc), title=exc.title, message=exc.detail)

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return render("problem.html", exc.status_code, title="Not found",
                      message="There is nothing here.")

    @app.get("/{token}")
    async def form(token: str) -> Response:
        row = await run_in_threadpool(read, token)
        return render("form.html", row=row, values={}, errors={})

    @app.post("/{token}")
    async def submit(token: str, request: Request) -> Response:
        values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        row = await run_in_threadpool(read, token)  # a bad link: its page, not the form
        pieces, errors = _pieces(values, row)
        if not errors:
            try:
                await run_in_threadpool(answer, token, pieces)
            except InvalidInput as exc:
                for error in exc.errors:
                    errors[_field_of(error.field, pieces)] = error.message
                if not exc.errors:
                    errors["form"] = exc.detail
        if errors:
            return render("form.html", 422, row=row, values=values, errors=errors)
        return render("thanks.html")

    return app
