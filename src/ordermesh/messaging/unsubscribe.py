"""The unsubscribe link of a marketing message: ``/unsubscribe/{token}``, outside
``/api`` so that a form body is taken (as on the feedback page).

Every campaign message carries its own link, a random token of which only the hash is
stored; the link is the credential (no API key). ``GET`` shows a page with one button,
so a mail scanner that follows links unsubscribes nobody; ``POST`` (the button, or a
mail client's one-click request, RFC 8058 ``List-Unsubscribe=One-Click``) records the
withdrawal of the customer's marketing consent for the message's medium in the consent
ledger (``customers.consent.record_consent``). A token nobody issued is a 404, a token
used before a 409; neither writes anything.
"""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlalchemy import select, update
from starlette.concurrency import run_in_threadpool

from ordermesh.customers.consent import DIRECT, record_consent
from ordermesh.customers.identities import root_of
from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, NotFound
from ordermesh.messaging.campaign_content import UNSUBSCRIBE_PATH, token_hash
from ordermesh.messaging.tables import campaign_recipients, campaigns

router = APIRouter(tags=["messaging"])
ACTOR = "customer:unsubscribe-link"
UNKNOWN = "This unsubscribe link is not one we sent"
MAX_TOKEN = 100


class Unsubscribed(BaseModel):
    customer_id: str
    purpose: str = Field(description="Always `marketing`")
    medium: str = Field(description="`email` or `sms`: the medium of the message")
    campaign_id: str
    consent_entry_id: str = Field(description="The withdrawal in the consent ledger")


def _recipient(uow: UnitOfWork, token: str, *, lock: bool):
    r = campaign_recipients.c
    query = (select(r.id, r.customer_id, r.campaign_id, r.message_id, r.unsubscribed_at,
                    campaigns.c.medium)
             .join(campaigns, campaigns.c.id == r.campaign_id)
             .where(r.unsubscribe_hash == token_hash(token)))
    row = uow.execute(query.with_for_update() if lock else query).first() \
        if len(token) <= MAX_TOKEN else None
    if row is None:
        raise NotFound(UNKNOWN)
    return row


def unsubscribe(uow: UnitOfWork, token: str) -> dict:
    """Withdraw the marketing consent the link's message was sent under; does not
    commit. Writes ``customer.consent_recorded``."""
    row = _recipient(uow, token, lock=True)
    if row.unsubscribed_at is not None:
        raise Conflict("This unsubscribe link was used already: the customer is "
                       "unsubscribed", extra={"reason": "already_used"})
    customer_id = root_of(uow, row.customer_id)
    entry = record_consent(uow, customer_id, purpose="marketing", medium=row.medium,
                           granted=False, level=None, source_channel=DIRECT,
                           proof={"via": "unsubscribe link", "campaign_id": row.campaign_id,
                                  "message_id": row.message_id})
    uow.execute(update(campaign_recipients).where(campaign_recipients.c.id == row.id)
                .values(unsubscribed_at=uow.clock.now()))
    return {"customer_id": customer_id, "purpose": "marketing", "medium": row.medium,
            "campaign_id": row.campaign_id, "consent_entry_id": entry.id}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
        f"</title></head><body><h1>{html.escape(title)}</h1>{body}</body></html>",
        status_code=status)


def _container(request: Request) -> Container:
    return request.app.state.container


def _uow(container: Container, write: bool) -> UnitOfWork:
    return UnitOfWork(container.engine, container.clock, actor=ACTOR, write=write)


@router.get(UNSUBSCRIBE_PATH + "{token}", summary="The unsubscribe page of a marketing "
            "message (HTML)", response_class=HTMLResponse,
            responses={404: {"description": "A link we did not send"}})
async def unsubscribe_page(token: str, request: Request) -> HTMLResponse:
    """No key: the link is the credential. Shows one button that unsubscribes (a `POST` to
    the same address); following the link changes nothing."""
    def read():
        with _uow(_container(request), False) as uow:
            return _recipient(uow, token, lock=False)
    try:
        row = await run_in_threadpool(read)
    except NotFound:
        return _page("Unknown link", f"<p>{UNKNOWN}.</p>", 404)
    if row.unsubscribed_at is not None:
        return _page("Unsubscribed", "<p>You are unsubscribed already.</p>")
    return _page("Unsubscribe", "<p>You will receive no more marketing "
                 f"{'e-mails' if row.medium == 'email' else 'text messages'} from us.</p>"
                 "<form method=\"post\"><button type=\"submit\">Unsubscribe</button>"
                 "</form>")


@router.post(UNSUBSCRIBE_PATH + "{token}", summary="Unsubscribe from marketing (one-click, "
             "RFC 8058)",
             responses={404: {"description": "A link we did not send"},
                        409: {"description": "The link was used already"}})
async def unsubscribe_now(token: str, request: Request) -> Unsubscribed:
    """No key: the link is the credential. Records the withdrawal of the customer's
    marketing consent for the message's medium (`customer.consent_recorded`); the sender
    suppresses their marketing messages still queued. A browser (asking for HTML) gets a
    page instead of JSON."""
    def work() -> dict:
        with _uow(_container(request), True) as uow:
            result = unsubscribe(uow, token)
            uow.commit()
            return result
    wants_page = "text/html" in request.headers.get("accept", "")
    try:
        result = await run_in_threadpool(work)
    except (NotFound, Conflict) as exc:
        if not wants_page:
            raise
        return _page("Unsubscribe", f"<p>{html.escape(exc.detail)}.</p>",  # type: ignore[return-value]
                     404 if isinstance(exc, NotFound) else 409)
    if wants_page:
        return _page("Unsubscribed", "<p>You are unsubscribed.</p>")  # type: ignore[return-value]
    return Unsubscribed(**result)
