"""Request and response bodies of the invoices API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from ordermesh.http.schemas import CODE_PATTERN, AmountOut, CountryCode
from ordermesh.invoices.entities import PREFIX_PATTERN
from ordermesh.invoices.model import (
    Address,
    Invoice,
    InvoiceKind,
    InvoicePayment,
    InvoiceSeries,
    LegalEntity,
    Party,
    format_number,
)
from ordermesh.invoices.records import rate_text

AddressLine = Annotated[str, StringConstraints(min_length=1, max_length=200)]
TaxIdName = Annotated[str, StringConstraints(min_length=1, max_length=40)]
TaxIdValue = Annotated[str, StringConstraints(min_length=1, max_length=60)]
Prefix = Annotated[str, StringConstraints(pattern=PREFIX_PATTERN)]
LocaleName = Annotated[str, StringConstraints(min_length=2, max_length=20)]
MAX_FIRST_NUMBER = 10**12


class PostalAddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[AddressLine] = Field(min_length=1, max_length=4,
                                     description="Street lines, 1 to 4",
                                     examples=[["Friedrichstraße 1"]])
    postal_code: str | None = Field(None, max_length=20, description="Postal code")
    city: str = Field(min_length=1, max_length=100, description="City")
    region: str | None = Field(None, max_length=100,
                               description="State, province or county as printed")
    country: CountryCode = Field(description="ISO 3166-1 alpha-2 country code")

    def to_address(self) -> Address:
        return Address(lines=tuple(self.lines), city=self.city, country=self.country,
                       postal_code=self.postal_code, region=self.region)


class PostalAddressOut(BaseModel):
    lines: list[str] = Field(description="Street lines")
    postal_code: str | None = Field(description="Postal code")
    city: str = Field(description="City")
    region: str | None = Field(description="State, province or county as printed")
    country: str = Field(description="ISO 3166-1 alpha-2 country code")

    @classmethod
    def of(cls, a: Address) -> PostalAddressOut:
        return cls(lines=list(a.lines), postal_code=a.postal_code, city=a.city,
                   region=a.region, country=a.country)


class LegalEntityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=CODE_PATTERN, description="Short unique code, e.g. 'ACME-DE'")
    name: str = Field(min_length=1, max_length=200, description="Registered name")
    address: PostalAddressIn = Field(description="Registered address, printed on invoices")
    country: CountryCode | None = Field(
        None, description="Country of the tax registration; defaults to the address's")
    region: str | None = Field(
        None, max_length=10, description="ISO 3166-2 subdivision of the tax registration "
        "('MH' or 'IN-MH'); required in US, CA and IN")
    vat_id: str | None = Field(
        None, min_length=1, max_length=40,
        description="VAT/GST id, validated and normalised for the country (422 if invalid)")
    tax_ids: dict[TaxIdName, TaxIdValue] = Field(
        default_factory=dict, max_length=10,
        description="Other tax ids printed on invoices, e.g. {\"EORI\": \"DE1234567\"}")
    email: EmailStr | None = Field(None, max_length=254, description="Billing e-mail, printed")
    locale: LocaleName = Field(description="Default locale of its documents, e.g. de_DE",
                               examples=["de_DE"])
    invoice_prefix: Prefix | None = Field(
        None, description="Prefix of the first invoice series; default '{code}-INV-'")
    credit_note_prefix: Prefix | None = Field(
        None, description="Prefix of the first credit note series; default '{code}-CN-'")


class LegalEntityUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=200, description="Registered name")
    address: PostalAddressIn | None = Field(None, description="Replaces the whole address")
    email: EmailStr | None = Field(None, max_length=254, description="null removes it")
    locale: LocaleName | None = Field(None, description="Default locale, e.g. de_DE")


class SeriesCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: InvoiceKind = Field(description="Which documents the series numbers")
    prefix: Prefix = Field(description="Letters, digits, '-', '_', '.'; not ending in a "
                           "digit; never used before by this legal entity",
                           examples=["ACME-INV-2027-"])
    first_number: int = Field(1, ge=1, le=MAX_FIRST_NUMBER, strict=True,
                              description="Sequence of the series' first document")


class SeriesOut(BaseModel):
    id: str = Field(description="Series id")
    kind: InvoiceKind = Field(description="Which documents the series numbers")
    prefix: str = Field(description="Prefix of every number of the series")
    next_number: int = Field(description="Sequence the next document will get")
    next_document_number: str = Field(description="Number the next document will get")
    active: bool = Field(description="New documents of its kind are numbered in it")
    created_at: datetime = Field(description="When the series was started")

    @classmethod
    def of(cls, s: InvoiceSeries) -> SeriesOut:
        return cls(id=s.id, kind=s.kind, prefix=s.prefix, next_number=s.next_number,
                   next_document_number=format_number(s.prefix, s.next_number),
                   active=s.active, created_at=s.created_at)


class SeriesList(BaseModel):
    items: list[SeriesOut] = Field(description="Every series of the legal entity")


class LegalEntityRead(BaseModel):
    id: str = Field(description="Legal entity id")
    code: str = Field(description="Short unique code")
    name: str = Field(description="Registered name")
    address: PostalAddressOut = Field(description="Registered address")
    country: str = Field(description="Country of the tax registration")
    region: str | None = Field(description="ISO 3166-2 subdivision code, without country")
    vat_id: str | None = Field(description="VAT/GST id, normalised")
    tax_ids: dict[str, str] = Field(description="Other tax ids printed on invoices")
    email: str | None = Field(description="Billing e-mail")
    locale: str = Field(description="Default locale of its documents")
    series: list[SeriesOut] = Field(description="The active series, one per kind")
    created_at: datetime = Field(description="When it was created")
    updated_at: datetime = Field(description="When name, address, e-mail or locale changed")

    @classmethod
    def of(cls, e: LegalEntity, series: list[InvoiceSeries]) -> LegalEntityRead:
        return cls(id=e.id, code=e.code, name=e.name, address=PostalAddressOut.of(e.address),
                   country=e.country, region=e.region, vat_id=e.vat_id,
                   tax_ids=dict(e.tax_ids), email=e.email, locale=e.locale,
                   series=[SeriesOut.of(s) for s in series if s.active],
                   created_at=e.created_at, updated_at=e.updated_at)


class LegalEntityList(BaseModel):
    items: list[LegalEntityRead] = Field(description="Every legal entity, by code")


class PartyOut(BaseModel):
    name: str = Field(description="Name as printed")
    address: PostalAddressOut | None = Field(description="Address as printed")
    country: str = Field(description="ISO 3166-1 alpha-2 country code")
    region: str | None = Field(description="State or province, where it matters for tax")
    vat_id: str | None = Field(description="VAT/GST id as printed")
    email: str | None = Field(description="E-mail")
    tax_ids: dict[str, str] = Field(description="Other tax ids as printed")

    @classmethod
    def of(cls, p: Party) -> PartyOut:
        return cls(name=p.name, address=PostalAddressOut.of(p.address) if p.address else None,
                   country=p.country, region=p.region, vat_id=p.vat_id, email=p.email,
                   tax_ids=dict(p.tax_ids))


class InvoiceLineOut(BaseModel):
    description: str = Field(description="What was sold (shipping is a line too)")
    sku: str | None = Field(description="SKU, when the line is a product")
    quantity: int = Field(description="Units")
    unit_net: AmountOut = Field(description="Net price per unit after discounts, rounded")
    net: AmountOut = Field(description="Net amount of the line")
    tax_rate_percent: str = Field(examples=["19"], description="Tax rate of the line")
    tax: AmountOut = Field(description="Tax of the line")
    gross: AmountOut = Field(description="net + tax")


class TaxBreakdownOut(BaseModel):
    jurisdiction: str = Field(description="Who levies it (country, state); may be empty")
    name: str = Field(description="Tax name, e.g. VAT, CGST")
    rate_percent: str = Field(examples=["19"], description="Rate in percent")
    taxable: AmountOut = Field(description="Net amount taxed at this rate")
    tax: AmountOut = Field(description="Tax at this rate")
    reason: str | None = Field(None, description="Why it is taxed so, printed on the "
                               "document: an export's zero rating, the EU One-Stop-Shop")


class InvoiceSummary(BaseModel):
    id: str = Field(description="Invoice id")
    number: str = Field(description="Number, gapless within its series")
    kind: InvoiceKind = Field(description="invoice or credit_note")
    legal_entity_id: str = Field(description="The legal entity that issued it")
    order_id: str = Field(description="The order it is for")
    order_number: str = Field(description="The order's number")
    corrects_invoice_id: str | None = Field(description="For a credit note: the invoice")
    corrects_number: str | None = Field(description="For a credit note: the invoice's number")
    issued_at: datetime = Field(description="When it was issued (the invoice date)")
    tax_point: date = Field(description="Date of supply the tax was computed for")
    currency: str = Field(description="Every amount of the document is in this currency")
    buyer_name: str = Field(description="The buyer's name")
    net: AmountOut = Field(description="Net total: the sum of the lines' net")
    tax: AmountOut = Field(description="Tax total: the sum of the lines' tax")
    gross: AmountOut = Field(description="Total: net + tax")
    reverse_charge: bool = Field(description="The buyer accounts for the VAT (EU B2B)")

    @classmethod
    def fields_of(cls, i: Invoice) -> dict:
        return dict(id=i.id, number=i.number, kind=i.kind, legal_entity_id=i.legal_entity_id,
                    order_id=i.order_id, order_number=i.order_number,
                    corrects_invoice_id=i.corrects_invoice_id,
                    corrects_number=i.corrects_number, issued_at=i.issued_at,
                    tax_point=i.tax_point, currency=i.currency, buyer_name=i.buyer.name,
                    net=i.net.amount, tax=i.tax.amount, gross=i.gross.amount,
                    reverse_charge=i.reverse_charge)

    @classmethod
    def of(cls, i: Invoice) -> InvoiceSummary:
        return cls(**cls.fields_of(i))


class InvoicePaymentOut(BaseModel):
    status: str = Field(description="The order's payment status then: `unpaid`, "
                        "`authorised`, `partly_paid`, `paid`, `partly_refunded`, `refunded`",
                        examples=["paid"])
    methods: list[str] = Field(description="Methods of the order's payments then",
                               examples=[["card"]])
    due_date: date | None = Field(description="Invoice terms: when payment is due")

    @classmethod
    def of(cls, p: InvoicePayment | None) -> InvoicePaymentOut | None:
        if p is None:
            return None
        return cls(status=p.status, methods=list(p.methods), due_date=p.due_date)


class InvoiceRead(InvoiceSummary):
    sequence: int = Field(description="Position in its series (gapless)")
    series_id: str = Field(description="The series that numbered it")
    locale: str = Field(description="Locale the PDF formats amounts and dates for")
    reference: str | None = Field(description="What caused it (e.g. a shipment or refund)")
    seller: PartyOut = Field(description="The seller as it was when the document was issued")
    buyer: PartyOut = Field(description="The buyer as given when it was issued")
    lines: list[InvoiceLineOut] = Field(description="Every line, shipping included")
    tax_breakdown: list[TaxBreakdownOut] = Field(description="Tax per rate")
    note: str | None = Field(description="Free text printed under the totals")
    payment: InvoicePaymentOut | None = Field(
        description="The order's payment status and methods when the document was issued "
        "(null on documents issued before they were recorded)")
    replaces_number: str | None = Field(
        None, description="A replacement invoice (after an order edit): the number(s) of "
        "the invoice(s) it replaces, each credited in full by a credit note")
    pdf_url: str = Field(description="Where to download the PDF")

    @classmethod
    def of(cls, i: Invoice) -> InvoiceRead:
        return cls(
            **cls.fields_of(i), sequence=i.sequence, series_id=i.series_id, locale=i.locale,
            reference=i.reference, seller=PartyOut.of(i.seller), buyer=PartyOut.of(i.buyer),
            lines=[InvoiceLineOut(
                description=ln.description, sku=ln.sku, quantity=ln.quantity,
                unit_net=ln.unit_net.amount, net=ln.net.amount,
                tax_rate_percent=rate_text(ln.tax_rate_percent), tax=ln.tax.amount,
                gross=ln.gross.amount) for ln in i.lines],
            tax_breakdown=[TaxBreakdownOut(
                jurisdiction=b.jurisdiction, name=b.name,
                rate_percent=rate_text(b.rate_percent), taxable=b.taxable.amount,
                tax=b.tax.amount, reason=b.reason) for b in i.tax_breakdown],
            note=i.note, payment=InvoicePaymentOut.of(i.payment),
            replaces_number=i.replaces_number, pdf_url=f"/api/v1/invoices/{i.id}/pdf")


class InvoicePage(BaseModel):
    items: list[InvoiceSummary] = Field(description="Newest first")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")
