"""Customers: finding one, the customer seen whole, and recording consent, notes and tags.

The page shows ``flows.customer_view.customer_view``, what ``GET /api/v1/customers/{id}``
answers; consent goes through ``customers.consent.record_consent`` (as ``POST
…/consents``) and notes and tags through ``customers.profile.update_profile`` (as
``PATCH …``), checked by the API's own ``CustomerPatch``, acting as the signed-in person.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, or_, select

from ordermesh.backoffice.model import Permission
from ordermesh.backoffice.web import PageContext, form_for, need
from ordermesh.customers.consent import DIRECT, record_consent
from ordermesh.customers.model import Medium, OptInLevel, Purpose, normalise_phone
from ordermesh.customers.profile import update_profile
from ordermesh.customers.schemas import CustomerPatch
from ordermesh.customers.service import get_customer, lock_customer, to_customer
from ordermesh.customers.tables import customer_identities, customers
from ordermesh.flows.customer_view import customer_view
from ordermesh.http.problems import status_for
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import DomainError, InvalidInput
from ordermesh.kit.pagination import decode_cursor, encode_cursor

router = APIRouter()
Viewer = Annotated[PageContext, Depends(need(Permission.VIEW))]
PAGE = 25
MAX_Q = 254
MAX_NOTE = 1000
MAX_PROOF = 500
# What an event says in a line of the timeline (an order event carries the whole order).
ABOUT = ("number", "status", "reason", "amount", "currency", "kind", "carrier",
         "tracking_number", "purpose", "medium", "granted", "changed", "added", "removed")


Changer = Annotated[PageContext, Depends(form_for(Permission.CUSTOMER_CHANGE))]


def search_customers(uow: UnitOfWork, q: str, cursor: str | None = None):
    """Newest first. ``q`` finds a customer by a part of their name or of an e-mail they
    use, or by their phone (any way of writing it with its country code); without ``q``,
    every customer not merged into another."""
    offset = decode_cursor(cursor) or 0
    query = select(customers).order_by(customers.c.created_at.desc(), customers.c.id.desc())
    q = q.strip().lower()
    if q:
        ids = customer_identities
        matches = [func.lower(customers.c.name).contains(q, autoescape=True),
                   customers.c.email.contains(q, autoescape=True),
                   customers.c.id.in_(select(ids.c.customer_id).where(
                       ids.c.kind == "email", ids.c.value.contains(q, autoescape=True)))]
        dialled = "+" + q[2:] if q.startswith("00") else q
        try:
            phone = normalise_phone(dialled) if dialled.startswith("+") else None
        except InvalidInput:
            phone = None
        if phone:
            matches += [customers.c.phone == phone, customers.c.id.in_(
                select(ids.c.customer_id).where(ids.c.kind == "phone", ids.c.value == phone))]
        query = query.where(or_(*matches))
    else:
        query = query.where(customers.c.merged_into.is_(None))
    rows = list(uow.execute(query.offset(offset).limit(PAGE + 1)))
    return ([to_customer(r) for r in rows[:PAGE]],
            encode_cursor(offset + PAGE) if len(rows) > PAGE else None)


@router.get("/customers")
def customers_list(page: Viewer, q: str = "", cursor: str | None = None) -> HTMLResponse:
    if len(q) > MAX_Q:
        raise InvalidInput.for_field("q", f"a search is at most {MAX_Q} characters")
    with page.read() as uow:
        found, next_cursor = search_customers(uow, q, cursor)
    return page.render("customers.html", customers=found, q=q, next_cursor=next_cursor)


def about(event) -> str:
    parts = []
    for key in ABOUT:
        value = event.payload.get(key)
        if value is None or value == []:
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        parts.append(f"{key.replace('_', ' ')} {shown}")
    return "; ".join(parts)


def _customer_page(page: PageContext, customer_id: str, status: int = 200,
                   **extra) -> HTMLResponse:
    with page.read() as uow:
        asked = get_customer(uow, customer_id)  # 404 page for an unknown id
        view = customer_view(uow, customer_id, uow.clock.now())
    return page.render("customer.html", status, view=view, asked=asked,
                       purposes=list(Purpose), media=list(Medium), levels=list(OptInLevel),
                       about=about, **extra)


@router.get("/customers/{customer_id}")
def customer_page(page: Viewer, customer_id: str) -> HTMLResponse:
    return _customer_page(page, customer_id)


def _act(page: PageContext, customer_id: str, work, error_key: str) -> Response:
    def committed(uow: UnitOfWork) -> None:  # the use cases leave committing to the caller
        work(uow)
        uow.commit()
    try:
        page.run(committed)
    except DomainError as exc:
        return _customer_page(page, customer_id, status_for(exc), **{error_key: exc.detail},
                              typed=page.form)
    return page.redirect(f"/app/customers/{customer_id}?saved=1")


@router.post("/customers/{customer_id}/consents")
def consent(page: Changer, customer_id: str) -> Response:
    form = page.form
    granted = form.get("granted")
    if granted not in ("yes", "no"):
        return _customer_page(page, customer_id, 422, typed=form,
                              consent_error="choose an opt-in or a withdrawal")
    proof_text = form.get("proof", "").strip()
    if len(proof_text) > MAX_PROOF:
        return _customer_page(page, customer_id, 422, typed=form, consent_error="the proof is "
                              f"at most {MAX_PROOF} characters")
    opt_in = granted == "yes"
    proof = {"statement": proof_text, "taken_by": page.user.actor} if proof_text else None
    return _act(page, customer_id, lambda uow: record_consent(
        uow, customer_id, purpose=form.get("purpose", ""), medium=form.get("medium", ""),
        granted=opt_in, level=(form.get("level") or None) if opt_in else None,
        source_channel=form.get("source_channel", "").strip() or DIRECT, proof=proof),
        "consent_error")


def _patched(page: PageContext, customer_id: str, change, error_key: str,
             invalid: str) -> Response:
    """``change(customer)`` gives the fields to set; they are checked as the API's
    ``PATCH`` body is, and set by the same use case, on the customer as read in the
    writing transaction with its row locked (so a concurrent note or tag is not lost)."""
    def work(uow: UnitOfWork):
        fields = change(lock_customer(uow, customer_id))
        try:
            patch = CustomerPatch(**fields)
        except ValidationError:
            raise InvalidInput.for_field(error_key, invalid) from None
        return update_profile(uow, customer_id, patch.changes())
    return _act(page, customer_id, work, error_key)


@router.post("/customers/{customer_id}/notes")
def add_note(page: Changer, customer_id: str) -> Response:
    text = page.form.get("note", "").strip()
    if not 1 <= len(text) <= MAX_NOTE:
        return _customer_page(page, customer_id, 422, typed=page.form,
                              note_error=f"write the note, in 1 to {MAX_NOTE} characters")

    def change(customer):
        stamp = f"{page.container.clock.now():%Y-%m-%d %H:%M} {page.user.email}: {text}"
        return {"notes": f"{customer.notes}\n{stamp}" if customer.notes else stamp}
    return _patched(page, customer_id, change, "note_error",
                    "the notes are full (4000 characters): shorten them through the API")


@router.post("/customers/{customer_id}/tags")
def add_tag(page: Changer, customer_id: str) -> Response:
    tag = page.form.get("tag", "").strip().lower()
    return _patched(page, customer_id, lambda c: {"tags": [*c.tags, tag]}, "tag_error",
                    f"'{tag}' is not a tag: 1 to 40 lower-case letters, digits, - or _, "
                    "starting with a letter or digit (at most 30 tags)")


@router.post("/customers/{customer_id}/tags/remove")
def remove_tag(page: Changer, customer_id: str) -> Response:
    tag = page.form.get("tag", "")
    return _patched(page, customer_id,
                    lambda c: {"tags": [t for t in c.tags if t != tag]}, "tag_error",
                    "the tags could not be saved")
