"""Invoices and credit notes: the documents, and the arithmetic they must satisfy.

An invoice is issued once and never changed: what it says about the seller, the buyer
and the money is a snapshot taken when it was issued. A mistake is corrected by a credit
note, which carries positive amounts, names the invoice it corrects, and can never credit
more than is still uncredited on that invoice.

Every amount here is already rounded to the currency's minor unit by whoever computed the
tax (per line): this module only checks that the parts add up to the totals, exactly.
No database, no web.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ordermesh.kit.errors import Conflict, FieldError, InvalidInput
from ordermesh.kit.money import MAX_AMOUNT, Money, minor_unit, total

MAX_LINES = 500
MAX_TEXT = 500
MAX_NOTE = 2000
NUMBER_DIGITS = 6  # ACME-INV-000042
HUNDRED = Decimal(100)


class CreditExceedsInvoice(Conflict):
    code = "credit-exceeds-invoice"
    title = "The credit note exceeds what remains on the invoice"


class InvoiceKind(enum.StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True)
class Address:
    lines: tuple[str, ...]
    city: str
    country: str
    postal_code: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class Party:
    """A seller or a buyer as printed on the document."""

    name: str
    address: Address | None
    country: str
    vat_id: str | None = None
    email: str | None = None
    region: str | None = None
    tax_ids: dict[str, str] = field(default_factory=dict)  # other ids: {"EORI": "..."}


@dataclass(frozen=True)
class LegalEntity:
    """A seller that issues invoices: one company (or branch) with its tax registration."""

    id: str
    code: str
    name: str
    address: Address
    country: str
    region: str | None
    vat_id: str | None
    tax_ids: dict[str, str]
    email: str | None
    locale: str
    created_at: datetime
    updated_at: datetime

    def as_seller(self) -> Party:
        return Party(name=self.name, address=self.address, country=self.country,
                     vat_id=self.vat_id, email=self.email, region=self.region,
                     tax_ids=dict(self.tax_ids))


@dataclass(frozen=True)
class InvoiceSeries:
    """Numbers ``prefix`` + 1, 2, 3... without gaps; one series per kind is active."""

    id: str
    legal_entity_id: str
    kind: InvoiceKind
    prefix: str
    next_number: int
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class InvoiceLine:
    """One line as printed: ``quantity`` x ``unit_net`` = ``net``; ``net`` + ``tax`` =
    ``gross``. Shipping is a line like any other. ``unit_net`` is the price actually
    charged per unit (after discounts), rounded: it may differ from ``net / quantity`` by
    less than one minor unit per unit."""

    description: str
    sku: str | None
    quantity: int
    unit_net: Money
    net: Money
    tax_rate_percent: Decimal
    tax: Money
    gross: Money


@dataclass(frozen=True)
class TaxBreakdownLine:
    """Tax per rate (and per component where a rate has several, e.g. CGST + SGST)."""

    name: str
    rate_percent: Decimal
    taxable: Money
    tax: Money
    jurisdiction: str = ""
    reason: str | None = None  # why so taxed: an export's zero rating, OSS, ...


@dataclass(frozen=True, kw_only=True)
class InvoiceDraft:
    """What the order use cases hand to ``issue``. ``locale`` defaults to the legal
    entity's; ``reference`` (e.g. a shipment or refund id) makes issuing exactly-once:
    a second draft with the same order and reference returns the first document."""

    kind: InvoiceKind
    order_id: str
    order_number: str
    legal_entity_id: str
    currency: str
    buyer: Party
    lines: tuple[InvoiceLine, ...]
    tax_breakdown: tuple[TaxBreakdownLine, ...]
    net: Money
    tax: Money
    gross: Money
    tax_point: date
    locale: str | None = None
    reverse_charge: bool = False
    corrects_invoice_id: str | None = None
    note: str | None = None
    reference: str | None = None
    payment: InvoicePayment | None = None
    replaces_number: str | None = None  # a replacement invoice: what it replaces


@dataclass(frozen=True)
class InvoicePayment:
    """How the order stood with its money when the document was issued: its payment
    status (``unpaid``, ``paid``, ...), the methods of its payments, and a due date for
    invoice terms."""

    status: str
    methods: tuple[str, ...] = ()
    due_date: date | None = None


@dataclass(frozen=True, kw_only=True)
class Invoice:
    id: str
    kind: InvoiceKind
    number: str
    sequence: int
    series_id: str
    legal_entity_id: str
    order_id: str
    order_number: str
    corrects_invoice_id: str | None
    corrects_number: str | None
    issued_at: datetime
    tax_point: date
    currency: str
    locale: str
    seller: Party
    buyer: Party
    lines: tuple[InvoiceLine, ...]
    tax_breakdown: tuple[TaxBreakdownLine, ...]
    net: Money
    tax: Money
    gross: Money
    reverse_charge: bool
    note: str | None
    reference: str | None
    payment: InvoicePayment | None = None  # None: issued before payments were recorded
    replaces_number: str | None = None


@dataclass(frozen=True)
class Credited:
    """What credit notes have taken off one invoice so far."""

    net: Money
    tax: Money
    gross: Money


def invoice_line(description: str, quantity: int, net: Money, tax: Money,
                 tax_rate_percent: Decimal, sku: str | None = None) -> InvoiceLine:
    """A line from what the tax engine computed for it: ``gross`` is ``net + tax`` and
    ``unit_net`` is ``net / quantity`` rounded to the minor unit."""
    if quantity <= 0:
        raise InvalidInput.for_field("quantity", "must be a positive whole number")
    unit_net = Money.of(net.amount / quantity, net.currency)
    return InvoiceLine(description, sku, quantity, unit_net, net, tax_rate_percent, tax,
                       net + tax)


def breakdown_by_rate(lines: Iterable[InvoiceLine], name: str = "VAT",
                      jurisdiction: str = "") -> tuple[TaxBreakdownLine, ...]:
    """The per-rate breakdown of taxes with one component per rate (VAT, GST): for each
    rate, the sum of the lines' nets and taxes, highest rate first."""
    by_rate: dict[Decimal, tuple[Money, Money]] = {}
    for line in lines:
        taxable, tax = by_rate.get(line.tax_rate_percent,
                                   (Money.zero(line.net.currency), Money.zero(line.net.currency)))
        by_rate[line.tax_rate_percent] = (taxable + line.net, tax + line.tax)
    return tuple(TaxBreakdownLine(name, rate, taxable, tax, jurisdiction)
                 for rate, (taxable, tax) in sorted(by_rate.items(), reverse=True))


def totals_of(lines: Iterable[InvoiceLine], currency: str) -> tuple[Money, Money, Money]:
    """(net, tax, gross): the sums of the lines."""
    lines = list(lines)
    return (total((ln.net for ln in lines), currency), total((ln.tax for ln in lines), currency),
            total((ln.gross for ln in lines), currency))


def format_number(prefix: str, sequence: int) -> str:
    return f"{prefix}{sequence:0{NUMBER_DIGITS}d}"


class _Checker:
    """Collects every problem of a draft, so one answer names all of them."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.errors: list[FieldError] = []

    def fail(self, name: str, message: str, code: str = "invalid") -> None:
        self.errors.append(FieldError(name, message, code))

    def money(self, name: str, value: Money, *, positive: bool = False) -> bool:
        if value.currency != self.currency:
            self.fail(name, f"is in {value.currency}, the document is in {self.currency}",
                      "currency_mismatch")
            return False
        digits = minor_unit(self.currency)
        if not value.amount.is_finite() or abs(value.amount) >= MAX_AMOUNT:
            self.fail(name, "is out of range")
            return False
        if value.amount != value.amount.quantize(Decimal(1).scaleb(-digits)):
            self.fail(name, f"{self.currency} amounts have at most {digits} decimal places")
            return False
        if value.amount < 0 or (positive and value.amount == 0):
            self.fail(name, "must be positive" if positive else "must not be negative",
                      "negative_amount")
            return False
        return True

    def text(self, name: str, value: str | None, limit: int, *, required: bool) -> None:
        if value is None or not value.strip():
            if required:
                self.fail(name, "is required", "missing")
        elif len(value) > limit:
            self.fail(name, f"is longer than {limit} characters")

    def rate(self, name: str, value: Decimal) -> None:
        if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value <= HUNDRED:
            self.fail(name, "must be a percentage from 0 to 100")
        elif value != value.quantize(Decimal("0.0001")):
            self.fail(name, "has more than 4 decimal places")


def _check_line(c: _Checker, i: int, line: InvoiceLine) -> tuple[Money, Money, Money] | None:
    at = f"lines.{i}"
    c.text(f"{at}.description", line.description, MAX_TEXT, required=True)
    c.text(f"{at}.sku", line.sku, 64, required=False)
    c.rate(f"{at}.tax_rate_percent", line.tax_rate_percent)
    amounts_ok = all([c.money(f"{at}.unit_net", line.unit_net), c.money(f"{at}.net", line.net),
                      c.money(f"{at}.tax", line.tax), c.money(f"{at}.gross", line.gross)])
    if isinstance(line.quantity, bool) or not isinstance(line.quantity, int) \
            or line.quantity <= 0:
        c.fail(f"{at}.quantity", "must be a positive whole number")
        return None
    if not amounts_ok:
        return None
    if line.net + line.tax != line.gross:
        c.fail(f"{at}.gross", f"net {line.net.amount} + tax {line.tax.amount} is not gross "
               f"{line.gross.amount}", "does_not_add_up")
    # unit_net is net / quantity rounded to the minor unit: off by at most half a unit each.
    half_unit = Decimal(1).scaleb(-minor_unit(c.currency)) / 2
    if abs(line.unit_net.amount * line.quantity - line.net.amount) > half_unit * line.quantity:
        c.fail(f"{at}.unit_net", f"{line.quantity} x {line.unit_net.amount} does not come to "
               f"net {line.net.amount}", "does_not_add_up")
    return line.net, line.tax, line.gross


def check_draft(draft: InvoiceDraft) -> None:
    """Refuse a draft that does not add up, with every problem named by field."""
    minor_unit(draft.currency)  # an unknown currency is refused on its own
    c = _Checker(draft.currency)
    c.text("order_id", draft.order_id, 40, required=True)
    c.text("order_number", draft.order_number, 40, required=True)
    c.text("legal_entity_id", draft.legal_entity_id, 40, required=True)
    c.text("note", draft.note, MAX_NOTE, required=False)
    c.text("reference", draft.reference, 100, required=False)
    c.text("buyer.name", draft.buyer.name, 200, required=True)
    if not (len(draft.buyer.country) == 2 and draft.buyer.country.isalpha()
            and draft.buyer.country.isupper()):
        c.fail("buyer.country", "must be an ISO 3166-1 alpha-2 code")
    if not draft.lines:
        c.fail("lines", "an invoice needs at least one line", "missing")
    elif len(draft.lines) > MAX_LINES:
        c.fail("lines", f"at most {MAX_LINES} lines")
    sums = [_check_line(c, i, line) for i, line in enumerate(draft.lines)]
    totals_ok = all([c.money("net", draft.net), c.money("tax", draft.tax),
                     c.money("gross", draft.gross,
                             positive=draft.kind is InvoiceKind.CREDIT_NOTE)])
    if totals_ok and draft.lines and all(s is not None for s in sums):
        for name, total, parts in (("net", draft.net, [s[0] for s in sums if s]),
                                   ("tax", draft.tax, [s[1] for s in sums if s]),
                                   ("gross", draft.gross, [s[2] for s in sums if s])):
            if sum((p.amount for p in parts), Decimal(0)) != total.amount:
                c.fail(name, f"{name} {total.amount} is not the sum of the lines' {name}",
                       "does_not_add_up")
    _check_breakdown(c, draft, totals_ok)
    _check_kind(c, draft)
    if c.errors:
        raise InvalidInput("The invoice does not add up: " + "; ".join(
            f"{e.field}: {e.message}" for e in c.errors[:5]), errors=c.errors)


def _check_breakdown(c: _Checker, draft: InvoiceDraft, totals_ok: bool) -> None:
    entries_ok = True
    for i, entry in enumerate(draft.tax_breakdown):
        at = f"tax_breakdown.{i}"
        c.text(f"{at}.name", entry.name, 100, required=True)
        c.rate(f"{at}.rate_percent", entry.rate_percent)
        ok = c.money(f"{at}.taxable", entry.taxable) & c.money(f"{at}.tax", entry.tax)
        entries_ok &= ok
        if ok and totals_ok and entry.taxable.amount > draft.net.amount:
            c.fail(f"{at}.taxable", "is more than the net total of the document",
                   "does_not_add_up")
    if entries_ok and totals_ok:
        breakdown_tax = sum((e.tax.amount for e in draft.tax_breakdown), Decimal(0))
        if breakdown_tax != draft.tax.amount:
            c.fail("tax_breakdown", f"the breakdown's tax {breakdown_tax} is not the tax "
                   f"total {draft.tax.amount}", "does_not_add_up")


def _check_kind(c: _Checker, draft: InvoiceDraft) -> None:
    if draft.kind is InvoiceKind.CREDIT_NOTE and not draft.corrects_invoice_id:
        c.fail("corrects_invoice_id", "a credit note must name the invoice it corrects",
               "missing")
    if draft.kind is InvoiceKind.INVOICE and draft.corrects_invoice_id:
        c.fail("corrects_invoice_id", "only a credit note corrects an invoice")
    if draft.reverse_charge:
        if not draft.buyer.vat_id:
            c.fail("buyer.vat_id", "reverse charge needs the buyer's VAT id", "missing")
        if any(line.tax.amount != 0 for line in draft.lines) or draft.tax.amount != 0:
            c.fail("tax", "under reverse charge the seller charges no tax",
                   "reverse_charge_with_tax")


def check_credit(original: Invoice, credited: Credited, draft: InvoiceDraft) -> None:
    """A credit note must fit what is still uncredited on the invoice it corrects."""
    if original.kind is not InvoiceKind.INVOICE:
        raise InvalidInput.for_field("corrects_invoice_id",
                                     f"{original.number} is a credit note, not an invoice")
    for name, ours, theirs in (("legal_entity_id", draft.legal_entity_id,
                                original.legal_entity_id),
                               ("order_id", draft.order_id, original.order_id),
                               ("currency", draft.currency, original.currency)):
        if ours != theirs:
            raise InvalidInput.for_field(
                name, f"a credit note must have the {name} of the invoice it corrects "
                f"({original.number}: {theirs})", "does_not_match_invoice")
    remaining = {"net": original.net - credited.net, "tax": original.tax - credited.tax,
                 "gross": original.gross - credited.gross}
    asked = {"net": draft.net, "tax": draft.tax, "gross": draft.gross}
    over = [name for name in remaining if asked[name].amount > remaining[name].amount]
    if over:
        raise CreditExceedsInvoice(
            f"The credit note would credit more than remains on invoice {original.number}: "
            + ", ".join(f"{n} {asked[n].amount} > {remaining[n].amount}" for n in over),
            extra={"invoice": original.number,
                   "creditable": {n: str(m.amount) for n, m in remaining.items()}})
