"""Issuing invoices and credit notes, and reading them back.

Gapless numbers. Each legal entity has one active series per kind. ``issue`` takes the
number with one conditional statement inside the transaction that inserts the document::

    UPDATE invoice_series SET next_number = next_number + 1
     WHERE legal_entity_id = :entity AND kind = :kind AND active RETURNING id, prefix, ...

On PostgreSQL the row lock this takes is held until the transaction ends, so a second
issuer waits, then reads the number the first one left; if the first rolls back, its
number was never taken. On SQLite writers are serialised. Either way N documents get the
sequences 1..N of their series with no gap and no duplicate; the database's unique
(series_id, sequence) constraint is the last line of defence.

Credit notes. Before taking a number, the invoice being corrected is locked
(``SELECT ... FOR UPDATE``) and what earlier credit notes took off it is summed, so two
concurrent credit notes cannot together credit more than the invoice. Lock order: the
corrected invoice, then the series row; nothing locks an invoice while holding a series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ordermesh.invoices.entities import legal_entity
from ordermesh.invoices.identifiers import check_country, check_locale
from ordermesh.invoices.model import (
    Credited,
    Invoice,
    InvoiceDraft,
    InvoiceKind,
    check_credit,
    check_draft,
    format_number,
)
from ordermesh.invoices.records import invoice_of, invoice_row
from ordermesh.invoices.tables import invoice_series, invoices
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import record_event
from ordermesh.kit.pagination import Page, decode_cursor, encode_cursor

__all__ = ["creditable", "get_invoice", "invoices_for_order", "issue", "legal_entity",
           "list_invoices"]

_EVENT = {InvoiceKind.INVOICE: "invoice.issued", InvoiceKind.CREDIT_NOTE: "credit_note.issued"}
_NUMBER_ATTEMPTS = 3


class NoActiveSeries(Conflict):
    code = "no-active-series"
    title = "The legal entity has no active series for this kind of document"


def issue(uow: UnitOfWork, draft: InvoiceDraft, *, commit: bool = True) -> Invoice:
    """Issue ``draft`` as the next number of its legal entity's active series.

    Refuses a draft that does not add up (InvalidInput), a credit note above what remains
    on its invoice (CreditExceedsInvoice, a Conflict). A draft with a ``reference`` the
    order already has a document for returns that document instead (exactly once).
    ``commit=False`` issues inside a larger use case's transaction: the caller commits,
    and a rollback gives the number back.
    """
    check_draft(draft)
    check_country(draft.buyer.country, "buyer.country")
    try:
        entity = legal_entity(uow, draft.legal_entity_id)
    except NotFound as exc:
        raise InvalidInput.for_field("legal_entity_id", exc.detail, "unknown_legal_entity") \
            from exc
    locale = check_locale(draft.locale) if draft.locale else entity.locale
    if draft.reference and (prior := _by_reference(uow, draft.order_id, draft.reference)):
        if prior.kind is not draft.kind:
            raise Conflict(f"Order '{draft.order_id}' already has {prior.number} for "
                           f"reference '{draft.reference}'")
        return prior
    corrects_number = None
    if draft.kind is InvoiceKind.CREDIT_NOTE:
        original = _invoice(uow, draft.corrects_invoice_id or "", for_update=True,
                            field="corrects_invoice_id")
        check_credit(original, _credited(uow, original), draft)
        corrects_number = original.number
    series_id, prefix, sequence = _take_number(uow, entity.id, entity.code, draft.kind)
    invoice = Invoice(
        id=new_id("inv"), kind=draft.kind, number=format_number(prefix, sequence),
        sequence=sequence, series_id=series_id, legal_entity_id=entity.id,
        order_id=draft.order_id, order_number=draft.order_number,
        corrects_invoice_id=draft.corrects_invoice_id, corrects_number=corrects_number,
        issued_at=uow.clock.now(), tax_point=draft.tax_point, currency=draft.currency,
        locale=locale, seller=entity.as_seller(), buyer=draft.buyer, lines=tuple(draft.lines),
        tax_breakdown=tuple(draft.tax_breakdown), net=draft.net, tax=draft.tax,
        gross=draft.gross, reverse_charge=draft.reverse_charge, note=draft.note,
        reference=draft.reference, payment=draft.payment,
        replaces_number=draft.replaces_number)
    try:
        uow.execute(insert(invoices).values(**invoice_row(invoice)))
    except IntegrityError as exc:
        if draft.reference and "reference" in str(exc.orig):
            raise Conflict(f"A document for order '{draft.order_id}' and reference "
                           f"'{draft.reference}' was issued at the same moment; retry to "
                           "get it") from exc
        raise
    record_event(uow, _EVENT[invoice.kind], "invoice", invoice.id, _payload(invoice, entity.code))
    if commit:
        uow.commit()
    return invoice


def _payload(invoice: Invoice, entity_code: str) -> dict[str, Any]:
    return {"number": invoice.number, "kind": invoice.kind.value,
            "legal_entity": entity_code, "order_id": invoice.order_id,
            "order_number": invoice.order_number, "tax_point": invoice.tax_point.isoformat(),
            "currency": invoice.currency, "net": str(invoice.net.amount),
            "tax": str(invoice.tax.amount), "gross": str(invoice.gross.amount),
            "reverse_charge": invoice.reverse_charge,
            "corrects_invoice_id": invoice.corrects_invoice_id,
            "corrects_number": invoice.corrects_number, "reference": invoice.reference,
            "replaces_number": invoice.replaces_number}


def _take_number(uow: UnitOfWork, entity_id: str, entity_code: str,
                 kind: InvoiceKind) -> tuple[str, str, int]:
    s = invoice_series.c
    take = (update(invoice_series)
            .where(s.legal_entity_id == entity_id, s.kind == kind.value, s.active)
            .values(next_number=s.next_number + 1)
            .returning(s.id, s.prefix, s.next_number))
    # On PostgreSQL a series made active while we waited for the old one's row lock is
    # invisible to this statement; the next statement sees it.
    for _ in range(_NUMBER_ATTEMPTS):
        row = uow.execute(take).first()
        if row is not None:
            return row.id, row.prefix, row.next_number - 1
    raise NoActiveSeries(f"Legal entity '{entity_code}' has no active {kind.value} series")


def _by_reference(uow: UnitOfWork, order_id: str, reference: str) -> Invoice | None:
    row = uow.execute(select(invoices).where(invoices.c.order_id == order_id,
                                             invoices.c.reference == reference)).first()
    return invoice_of(row) if row is not None else None


def _invoice(uow: UnitOfWork, invoice_id: str, *, for_update: bool = False,
             field: str | None = None) -> Invoice:
    query = select(invoices).where(invoices.c.id == invoice_id)
    row = uow.execute(query.with_for_update() if for_update else query).first()
    if row is None:
        message = f"Invoice '{invoice_id}' does not exist"
        if field:
            raise InvalidInput.for_field(field, message, "unknown_invoice")
        raise NotFound(message)
    return invoice_of(row)


def _credited(uow: UnitOfWork, original: Invoice) -> Credited:
    c = invoices.c
    row = uow.execute(select(func.sum(c.net_amount), func.sum(c.tax_amount),
                             func.sum(c.gross_amount))
                      .where(c.corrects_invoice_id == original.id)).one()
    net, tax, gross = (Money.of(v or 0, original.currency) for v in row)
    return Credited(net=net, tax=tax, gross=gross)


def creditable(uow: UnitOfWork, invoice_id: str) -> Credited:
    """What credit notes may still take off an invoice (its amounts minus every credit
    note issued for it)."""
    original = _invoice(uow, invoice_id)
    if original.kind is not InvoiceKind.INVOICE:
        raise InvalidInput.for_field("invoice_id", f"{original.number} is a credit note")
    done = _credited(uow, original)
    return Credited(net=original.net - done.net, tax=original.tax - done.tax,
                    gross=original.gross - done.gross)


def get_invoice(uow: UnitOfWork, invoice_id: str) -> Invoice:
    return _invoice(uow, invoice_id)


def invoices_for_order(uow: UnitOfWork, order_id: str) -> list[Invoice]:
    """Every invoice and credit note of an order, in the order they were issued."""
    query = select(invoices).where(invoices.c.order_id == order_id).order_by(invoices.c.seq)
    return [invoice_of(r) for r in uow.execute(query)]


@dataclass(frozen=True)
class InvoiceFilter:
    order_id: str | None = None
    legal_entity: str | None = None  # id or code
    kind: InvoiceKind | None = None
    issued_from: date | None = None  # inclusive, UTC date of issued_at
    issued_to: date | None = None  # inclusive


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def list_invoices(uow: UnitOfWork, flt: InvoiceFilter, *, limit: int = 50,
                  cursor: str | None = None) -> Page[Invoice]:
    """Newest first, ``limit`` at a time; ``next_cursor`` continues."""
    c = invoices.c
    query = select(invoices).order_by(c.seq.desc()).limit(limit + 1)
    if (before := decode_cursor(cursor)) is not None:
        query = query.where(c.seq < before)
    if flt.order_id:
        query = query.where(c.order_id == flt.order_id)
    if flt.legal_entity:
        try:
            entity_id = legal_entity(uow, flt.legal_entity).id
        except NotFound as exc:
            raise InvalidInput.for_field("query.legal_entity", exc.detail,
                                         "unknown_legal_entity") from exc
        query = query.where(c.legal_entity_id == entity_id)
    if flt.kind:
        query = query.where(c.kind == flt.kind.value)
    if flt.issued_from and flt.issued_to and flt.issued_from > flt.issued_to:
        raise InvalidInput.for_field("query.from", "'from' is after 'to'")
    if flt.issued_from:
        query = query.where(c.issued_at >= _start_of(flt.issued_from))
    if flt.issued_to and flt.issued_to < date.max:
        query = query.where(c.issued_at < _start_of(flt.issued_to + timedelta(days=1)))
    rows = list(uow.execute(query))
    items = [invoice_of(r) for r in rows[:limit]]
    next_cursor = encode_cursor(rows[limit - 1].seq) if len(rows) > limit else None
    return Page(items, next_cursor)
