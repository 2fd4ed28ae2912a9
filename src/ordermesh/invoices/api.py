"""Legal entities and their series (admin), invoices and credit notes (read, PDF).

Invoices are issued by the order use cases (at the channel's tax point, for refunds and
edits), never through a POST here; they cannot be changed or deleted.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from ordermesh.http.deps import AdminContext, ReadContext
from ordermesh.invoices import entities, service
from ordermesh.invoices.model import InvoiceKind
from ordermesh.invoices.pdf import render_pdf
from ordermesh.invoices.schemas import (
    InvoicePage,
    InvoiceRead,
    InvoiceSummary,
    LegalEntityCreate,
    LegalEntityList,
    LegalEntityRead,
    LegalEntityUpdate,
    SeriesCreate,
    SeriesList,
    SeriesOut,
)
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.pagination import MAX_PAGE_SIZE

router = APIRouter(prefix="/api/v1", tags=["invoices"])

_NOT_FOUND = {404: {"description": "No such legal entity"}}
EntityCode = Annotated[str, Path(description="Legal entity code (or id)")]
InvoiceId = Annotated[str, Path(description="Invoice or credit note id")]


def _read(uow: UnitOfWork, entity) -> LegalEntityRead:
    return LegalEntityRead.of(entity, entities.series_of_entity(uow, entity.id, active_only=True))


@router.post(
    "/legal-entities", status_code=201, summary="Create a legal entity (a seller)",
    responses={409: {"description": "The code is taken"},
               422: {"description": "Invalid input, e.g. a VAT id that is not valid for the "
                                    "country; nothing was written"}})
def create_legal_entity(body: LegalEntityCreate, ctx: AdminContext) -> LegalEntityRead:
    """Creates the seller with an active invoice series and credit-note series
    (`{code}-INV-` and `{code}-CN-` unless other prefixes are given). Its VAT id is checked
    with python-stdnum for the country and stored normalised (`DE136695976`). Retries are
    safe with an `Idempotency-Key`."""
    command = entities.CreateLegalEntity(
        code=body.code, name=body.name, address=body.address.to_address(),
        country=body.country or body.address.country, locale=body.locale,
        region=body.region, vat_id=body.vat_id, tax_ids=dict(body.tax_ids),
        email=body.email, invoice_prefix=body.invoice_prefix,
        credit_note_prefix=body.credit_note_prefix)
    idem = ctx.idempotency(body)

    def work(uow: UnitOfWork) -> LegalEntityRead:
        return _read(uow, entities.create_legal_entity(uow, command, idem))

    return ctx.run(work)


@router.get("/legal-entities", summary="List legal entities")
def list_legal_entities(ctx: ReadContext) -> LegalEntityList:
    with ctx.read_uow() as uow:
        found = entities.list_legal_entities(uow)
        series = entities.active_series(uow, [e.id for e in found])
        return LegalEntityList(items=[LegalEntityRead.of(e, series[e.id]) for e in found])


@router.get("/legal-entities/{code}", summary="Get a legal entity by code or id",
            responses=_NOT_FOUND)
def get_legal_entity(code: EntityCode, ctx: ReadContext) -> LegalEntityRead:
    with ctx.read_uow() as uow:
        return _read(uow, entities.legal_entity(uow, code))


@router.patch(
    "/legal-entities/{code}", summary="Change a legal entity's name, address, e-mail or locale",
    responses={**_NOT_FOUND, 422: {"description": "Invalid input, or a field that cannot "
                                                  "change (code, country, VAT id...)"}})
def update_legal_entity(code: EntityCode, body: LegalEntityUpdate,
                        ctx: AdminContext) -> LegalEntityRead:
    """Only the fields sent change (`email: null` removes the e-mail). The tax registration
    (country, region, VAT id, other tax ids) cannot change: create a new legal entity.
    Invoices already issued keep the seller details they were issued with."""
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    if "address" in changes and changes["address"] is not None:
        changes["address"] = changes["address"].to_address()

    def work(uow: UnitOfWork) -> LegalEntityRead:
        return _read(uow, entities.update_legal_entity(uow, code, changes))

    return ctx.run(work)


@router.get("/legal-entities/{code}/series", summary="List a legal entity's invoice series",
            responses=_NOT_FOUND)
def list_series(code: EntityCode, ctx: ReadContext) -> SeriesList:
    """Every series, active or not, with the number its next document would get."""
    with ctx.read_uow() as uow:
        entity = entities.legal_entity(uow, code)
        return SeriesList(items=[SeriesOut.of(s)
                                 for s in entities.series_of_entity(uow, entity.id)])


@router.post(
    "/legal-entities/{code}/series", status_code=201,
    summary="Start a new invoice or credit-note series (e.g. for a new year)",
    responses={**_NOT_FOUND, 409: {"description": "The prefix was used before by this "
                                                  "legal entity"}})
def start_series(code: EntityCode, body: SeriesCreate, ctx: AdminContext) -> SeriesOut:
    """The new series becomes the active one for its kind: documents issued from now on are
    numbered `prefix` + `first_number`, +1, ... without gaps. The series before keeps its
    documents; a series is never restarted. Retries are safe with an `Idempotency-Key`."""
    idem = ctx.idempotency(body)
    return SeriesOut.of(ctx.run(lambda uow: entities.start_series(
        uow, code, body.kind, body.prefix, body.first_number, idem)))


@router.get("/invoices", summary="List invoices and credit notes, newest first")
def list_invoices(
    ctx: ReadContext,
    order_id: Annotated[str | None, Query(max_length=40, description="Order id")] = None,
    legal_entity: Annotated[str | None, Query(max_length=40,
                                              description="Legal entity code or id")] = None,
    kind: InvoiceKind | None = None,
    issued_from: Annotated[date | None, Query(
        alias="from", description="Issued on or after this date (UTC), e.g. 2026-11-01")] = None,
    issued_to: Annotated[date | None, Query(
        alias="to", description="Issued on or before this date (UTC), inclusive")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> InvoicePage:
    flt = service.InvoiceFilter(order_id, legal_entity, kind, issued_from, issued_to)
    with ctx.read_uow() as uow:
        page = service.list_invoices(uow, flt, limit=limit, cursor=cursor)
    return InvoicePage(items=[InvoiceSummary.of(i) for i in page.items],
                       next_cursor=page.next_cursor)


@router.get("/invoices/{invoice_id}", summary="Get an invoice or credit note",
            responses={404: {"description": "No such invoice"}})
def get_invoice(invoice_id: InvoiceId, ctx: ReadContext) -> InvoiceRead:
    """The document as issued: seller and buyer as they were then, every line, the tax per
    rate and the totals. Amounts are decimal strings in the document's `currency`."""
    with ctx.read_uow() as uow:
        return InvoiceRead.of(service.get_invoice(uow, invoice_id))


@router.get(
    "/invoices/{invoice_id}/pdf", summary="Download an invoice or credit note as PDF",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}},
                     "description": "The PDF, as an attachment named after the number"},
               404: {"description": "No such invoice"}})
def invoice_pdf(invoice_id: InvoiceId, ctx: ReadContext) -> Response:
    with ctx.read_uow() as uow:
        invoice = service.get_invoice(uow, invoice_id)
    return Response(render_pdf(invoice), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{invoice.number}.pdf"'})

