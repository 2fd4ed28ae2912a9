"""Rows and JSON snapshots to domain objects and back.

Snapshots keep amounts as decimal strings (never floats) without a currency: every amount
of a document is in the document's currency.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ordermesh.invoices.model import (
    Address,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoicePayment,
    InvoiceSeries,
    LegalEntity,
    Party,
    TaxBreakdownLine,
)
from ordermesh.kit.clock import as_utc
from ordermesh.kit.money import Money


def rate_text(rate: Decimal) -> str:
    """``19`` rather than ``19.0000``, ``7.7`` rather than ``7.70``."""
    return format(rate.normalize(), "f")


def address_json(address: Address) -> dict[str, Any]:
    return {"lines": list(address.lines), "postal_code": address.postal_code,
            "city": address.city, "region": address.region, "country": address.country}


def address_of(data: dict[str, Any]) -> Address:
    return Address(lines=tuple(data["lines"]), city=data["city"], country=data["country"],
                   postal_code=data.get("postal_code"), region=data.get("region"))


def party_json(party: Party) -> dict[str, Any]:
    return {"name": party.name,
            "address": address_json(party.address) if party.address else None,
            "country": party.country, "region": party.region, "vat_id": party.vat_id,
            "email": party.email, "tax_ids": dict(party.tax_ids)}


def party_of(data: dict[str, Any]) -> Party:
    return Party(name=data["name"],
                 address=address_of(data["address"]) if data.get("address") else None,
                 country=data["country"], vat_id=data.get("vat_id"), email=data.get("email"),
                 region=data.get("region"), tax_ids=dict(data.get("tax_ids") or {}))


def line_json(line: InvoiceLine) -> dict[str, Any]:
    return {"description": line.description, "sku": line.sku, "quantity": line.quantity,
            "unit_net": str(line.unit_net.amount), "net": str(line.net.amount),
            "tax_rate_percent": rate_text(line.tax_rate_percent),
            "tax": str(line.tax.amount), "gross": str(line.gross.amount)}


def line_of(data: dict[str, Any], currency: str) -> InvoiceLine:
    return InvoiceLine(
        description=data["description"], sku=data.get("sku"), quantity=data["quantity"],
        unit_net=Money.of(data["unit_net"], currency), net=Money.of(data["net"], currency),
        tax_rate_percent=Decimal(data["tax_rate_percent"]),
        tax=Money.of(data["tax"], currency), gross=Money.of(data["gross"], currency))


def breakdown_json(entry: TaxBreakdownLine) -> dict[str, Any]:
    return {"jurisdiction": entry.jurisdiction, "name": entry.name,
            "rate_percent": rate_text(entry.rate_percent),
            "taxable": str(entry.taxable.amount), "tax": str(entry.tax.amount),
            **({"reason": entry.reason} if entry.reason else {})}


def breakdown_of(data: dict[str, Any], currency: str) -> TaxBreakdownLine:
    return TaxBreakdownLine(
        name=data["name"], rate_percent=Decimal(data["rate_percent"]),
        taxable=Money.of(data["taxable"], currency), tax=Money.of(data["tax"], currency),
        jurisdiction=data.get("jurisdiction", ""), reason=data.get("reason"))


def invoice_row(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.id, "legal_entity_id": invoice.legal_entity_id,
        "series_id": invoice.series_id, "sequence": invoice.sequence,
        "number": invoice.number, "kind": invoice.kind.value, "order_id": invoice.order_id,
        "order_number": invoice.order_number,
        "corrects_invoice_id": invoice.corrects_invoice_id,
        "corrects_number": invoice.corrects_number, "reference": invoice.reference,
        "issued_at": invoice.issued_at, "tax_point": invoice.tax_point,
        "currency": invoice.currency, "locale": invoice.locale,
        "seller": party_json(invoice.seller), "buyer": party_json(invoice.buyer),
        "lines": [line_json(ln) for ln in invoice.lines],
        "tax_breakdown": [breakdown_json(b) for b in invoice.tax_breakdown],
        "net_amount": invoice.net.amount, "tax_amount": invoice.tax.amount,
        "gross_amount": invoice.gross.amount, "reverse_charge": invoice.reverse_charge,
        "note": invoice.note, "payment": payment_json(invoice.payment),
        "replaces_number": invoice.replaces_number,
    }


def payment_json(payment: InvoicePayment | None) -> dict[str, Any] | None:
    if payment is None:
        return None
    return {"status": payment.status, "methods": list(payment.methods),
            "due_date": payment.due_date.isoformat() if payment.due_date else None}


def payment_of(data: dict[str, Any] | None) -> InvoicePayment | None:
    if not data:
        return None
    due = data.get("due_date")
    return InvoicePayment(data["status"], tuple(data.get("methods") or ()),
                          date.fromisoformat(due) if due else None)


def invoice_of(row: Any) -> Invoice:
    cur = row.currency
    tax_point = row.tax_point
    return Invoice(
        id=row.id, kind=InvoiceKind(row.kind), number=row.number, sequence=row.sequence,
        series_id=row.series_id, legal_entity_id=row.legal_entity_id, order_id=row.order_id,
        order_number=row.order_number, corrects_invoice_id=row.corrects_invoice_id,
        corrects_number=row.corrects_number, issued_at=as_utc(row.issued_at),
        tax_point=tax_point if isinstance(tax_point, date) else date.fromisoformat(tax_point),
        currency=cur, locale=row.locale, seller=party_of(row.seller), buyer=party_of(row.buyer),
        lines=tuple(line_of(ln, cur) for ln in row.lines),
        tax_breakdown=tuple(breakdown_of(b, cur) for b in row.tax_breakdown),
        net=Money.of(row.net_amount, cur), tax=Money.of(row.tax_amount, cur),
        gross=Money.of(row.gross_amount, cur), reverse_charge=bool(row.reverse_charge),
        note=row.note, reference=row.reference, payment=payment_of(row.payment),
        replaces_number=row.replaces_number)


def legal_entity_of(row: Any) -> LegalEntity:
    return LegalEntity(
        id=row.id, code=row.code, name=row.name, address=address_of(row.address),
        country=row.country, region=row.region, vat_id=row.vat_id,
        tax_ids=dict(row.tax_ids or {}), email=row.email, locale=row.locale,
        created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at))


def series_of(row: Any) -> InvoiceSeries:
    return InvoiceSeries(
        id=row.id, legal_entity_id=row.legal_entity_id, kind=InvoiceKind(row.kind),
        prefix=row.prefix, next_number=row.next_number, active=bool(row.active),
        created_at=as_utc(row.created_at))
