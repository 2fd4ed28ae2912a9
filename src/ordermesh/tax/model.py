"""The tax engine: which rates apply and what tax a basket carries. Pure: no I/O.

Rounding, the rules every result keeps:

* Each line is rounded on its own, to the currency's minor unit (half-up, ``Money.of``),
  and a line's ``net + tax == gross`` exactly.
* Exclusive pricing (the amount is the net): each component's tax is
  ``round(net * rate)``; the line's tax is their sum.
* Inclusive pricing (the amount is the gross): ``net = round(gross / (1 + total rate))``
  and ``tax = gross - net``; the tax is split over the components in proportion to their
  rates, the last component taking the remainder, so the components add up to the tax.
* Totals and the breakdown are exact sums of the lines: nothing is rounded twice.

Zero-rated and exempt lines carry no tax and one component named ``zero-rated`` or
``exempt`` (rate 0), so invoices and the tax report can show those amounts. An export
(``export_rates``) taxes every line at nothing with one ``export`` component carrying the
reason (``TaxNote``); so do the components of any result whose rates carry a note. Under reverse
charge every line carries no tax and one component named ``reverse charge``; with
inclusive prices the buyer pays the price without the destination's tax.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money

HUNDRED = Decimal(100)
ZERO_RATED = "zero-rated"
EXEMPT = "exempt"
REVERSE_CHARGE = "reverse charge"
EXPORT = "export"

EU_MEMBERS = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})
# A VAT id starts with its country's code, except Greece's, which starts with EL.
_VAT_PREFIX = {"GR": "EL"}


class TaxClass(StrEnum):
    STANDARD = "standard"
    REDUCED = "reduced"
    SUPER_REDUCED = "super_reduced"
    ZERO = "zero"
    EXEMPT = "exempt"


# A class a country has no rate for is taxed at the next higher class it has.
FALLBACK = {TaxClass.SUPER_REDUCED: TaxClass.REDUCED, TaxClass.REDUCED: TaxClass.STANDARD}
RATED_CLASSES = (TaxClass.STANDARD, TaxClass.REDUCED, TaxClass.SUPER_REDUCED)


class PricingMode(StrEnum):
    INCLUSIVE = "inclusive"  # prices include tax (B2C in Europe, Australia, Japan, India)
    EXCLUSIVE = "exclusive"  # tax is added on top (United States, Canada, B2B)


@dataclass(frozen=True)
class Place:
    country: str
    region: str | None = None

    @property
    def code(self) -> str:
        """ISO 3166-2 style: ``US-CA`` with a region, ``DE`` without."""
        return f"{self.country}-{self.region}" if self.region else self.country


@dataclass(frozen=True)
class RateComponent:
    jurisdiction: str  # ISO 3166 code of who levies it: "DE", "US-CA", "CA", "CA-QC"
    name: str  # "VAT", "GST", "QST", "Sales tax", "CGST"...
    rate_percent: Decimal


@dataclass(frozen=True)
class TaxNote:
    """Why a sale is taxed the way it is, printed on the invoice: an export's zero rating,
    an EU distance sale's VAT of the seller's country, the One-Stop-Shop."""

    code: str  # "export_outside_eu", "not_registered", "oss_threshold", ...
    text: str


@dataclass(frozen=True)
class Rates:
    destination: Place
    on: date
    by_class: dict[TaxClass, tuple[RateComponent, ...]]
    note: TaxNote | None = None
    export: bool = False  # every class zero-rated: one ``export`` component


def export_rates(destination: Place, on: date, note: TaxNote) -> Rates:
    """A sale this seller does not tax: every line zero-rated with the reason."""
    return Rates(destination, on, {}, note, export=True)


@dataclass(frozen=True)
class TaxableLine:
    key: str
    amount: Money  # gross when the mode is inclusive, net when exclusive (after discounts)
    tax_class: TaxClass


@dataclass(frozen=True)
class ComponentTax:
    jurisdiction: str
    name: str
    rate_percent: Decimal
    taxable: Money
    tax: Money
    note: TaxNote | None = None


@dataclass(frozen=True)
class LineTax:
    key: str
    tax_class: TaxClass
    net: Money
    tax: Money
    gross: Money
    rate_percent: Decimal  # the sum of the components' rates
    components: tuple[ComponentTax, ...]


@dataclass(frozen=True)
class TaxResult:
    lines: tuple[LineTax, ...]
    net: Money
    tax: Money
    gross: Money
    reverse_charge: bool
    breakdown: tuple[ComponentTax, ...]  # per (jurisdiction, name, rate), in first-seen order


def compute_tax(
    lines: Sequence[TaxableLine], rates: Rates, mode: PricingMode, *,
    reverse_charge: bool = False,
) -> TaxResult:
    """Tax for every line and the totals. Raises ``InvalidInput`` for no lines, lines in
    different currencies, or a tax class the rates do not cover."""
    if not lines:
        raise InvalidInput.for_field("lines", "at least one line is needed to compute tax")
    currency = lines[0].amount.currency
    for i, line in enumerate(lines):
        if line.amount.currency != currency:
            raise InvalidInput.for_field(
                f"lines.{i}.amount", f"every line must be in {currency}, got "
                f"{line.amount.currency}", "currency_mismatch")
    mode = PricingMode(mode)
    taxed = tuple(_line_tax(line, rates, mode, reverse_charge) for line in lines)
    return TaxResult(
        lines=taxed,
        net=_sum((t.net for t in taxed), currency),
        tax=_sum((t.tax for t in taxed), currency),
        gross=_sum((t.gross for t in taxed), currency),
        reverse_charge=reverse_charge,
        breakdown=summarise(c for t in taxed for c in t.components),
    )


def components_for(rates: Rates, tax_class: TaxClass) -> tuple[RateComponent, ...]:
    """The components a class is taxed with; zero and exempt get one rate-0 component."""
    tax_class = TaxClass(tax_class)
    if rates.export:
        return (RateComponent(rates.destination.code, EXPORT, Decimal(0)),)
    if tax_class in (TaxClass.ZERO, TaxClass.EXEMPT):
        name = EXEMPT if tax_class is TaxClass.EXEMPT else ZERO_RATED
        return (RateComponent(rates.destination.country, name, Decimal(0)),)
    wanted: TaxClass | None = tax_class
    while wanted is not None:
        if wanted in rates.by_class:
            return rates.by_class[wanted]
        wanted = FALLBACK.get(wanted)
    raise InvalidInput.for_field(
        "tax_class", f"no '{tax_class}' rate for {rates.destination.code} on {rates.on}",
        "no_rate")


def _line_tax(line: TaxableLine, rates: Rates, mode: PricingMode, reverse: bool) -> LineTax:
    components = components_for(rates, line.tax_class)
    total_rate = sum((c.rate_percent for c in components), Decimal(0))
    amount = line.amount
    if reverse:
        net = _net_of(amount, total_rate) if mode is PricingMode.INCLUSIVE else amount
        zero = Money.zero(amount.currency)
        marker = ComponentTax(rates.destination.country, REVERSE_CHARGE, Decimal(0), net, zero)
        return LineTax(line.key, line.tax_class, net, zero, net, Decimal(0), (marker,))
    if mode is PricingMode.EXCLUSIVE:
        net = amount
        taxes = [Money.of(net.amount * c.rate_percent / HUNDRED, net.currency)
                 for c in components]
        tax = _sum(taxes, net.currency)
        gross = net + tax
    else:
        gross = amount
        net = _net_of(gross, total_rate)
        tax = gross - net
        taxes = _split(tax, [c.rate_percent for c in components], total_rate)
    parts = tuple(ComponentTax(c.jurisdiction, c.name, c.rate_percent, net, t, rates.note)
                  for c, t in zip(components, taxes, strict=True))
    return LineTax(line.key, line.tax_class, net, tax, gross, total_rate, parts)


def _net_of(gross: Money, total_rate: Decimal) -> Money:
    if total_rate == 0:
        return gross
    return Money.of(gross.amount * HUNDRED / (HUNDRED + total_rate), gross.currency)


def _split(tax: Money, rates: list[Decimal], total_rate: Decimal) -> list[Money]:
    """Share ``tax`` over components by rate; the last one takes what rounding left."""
    if total_rate == 0:
        return [Money.zero(tax.currency) for _ in rates]
    shares = [Money.of(tax.amount * rate / total_rate, tax.currency) for rate in rates[:-1]]
    return [*shares, tax - _sum(shares, tax.currency)]


def summarise(components: Iterable[ComponentTax]) -> tuple[ComponentTax, ...]:
    """Components added up per (jurisdiction, name, rate), in the order first seen."""
    totals: dict[tuple[str, str, Decimal], ComponentTax] = {}
    for c in components:
        key = (c.jurisdiction, c.name, c.rate_percent)
        seen = totals.get(key)
        totals[key] = c if seen is None else ComponentTax(
            c.jurisdiction, c.name, c.rate_percent, seen.taxable + c.taxable, seen.tax + c.tax,
            seen.note)
    return tuple(totals.values())


def _sum(amounts: Iterable[Money], currency: str) -> Money:
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result


def percent(value: Decimal | int | str) -> Decimal:
    """A rate as written by people: 20, 7.25, 9.975 (no trailing zeros, no exponent)."""
    d = Decimal(value).normalize()
    return d.quantize(Decimal(1)) if d.as_tuple().exponent > 0 else d


def vat_prefix(country: str) -> str:
    return _VAT_PREFIX.get(country, country)


def reverse_charge_applies(seller: Place, buyer: Place, buyer_vat_id: str | None) -> bool:
    """EU B2B reverse charge: a seller in one member state, a buyer in another who gave a
    VAT id of that member state.

    The id's format is checked by ``service.normalise_vat_id`` (python-stdnum); pass the
    id it returned. Here only the rule is decided: the id must belong to the buyer's
    country (``EL`` for Greece).
    """
    if not buyer_vat_id:
        return False
    if seller.country not in EU_MEMBERS or buyer.country not in EU_MEMBERS:
        return False
    if seller.country == buyer.country:
        return False
    compact = buyer_vat_id.replace(" ", "").upper()
    prefix = vat_prefix(buyer.country)
    return compact.startswith(prefix) and len(compact) > len(prefix)


def check_rate(rate: Decimal, field: str) -> Decimal:
    """A rate in percent, 0 to under 100, at most 4 decimal places; else bad input."""
    try:
        value = Decimal(rate)
        fits = value == value.quantize(Decimal("0.0001"))
    except (InvalidOperation, TypeError, ValueError):
        value, fits = Decimal(-1), False
    if not fits or not Decimal(0) <= value < Decimal(100):
        raise InvalidInput.for_field(
            field, f"'{rate}' is not a rate in percent from 0 to under 100 with at most 4 "
            "decimal places")
    return value
