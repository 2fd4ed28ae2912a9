"""Where a seller is registered for tax, and what that decides about a sale. Pure: no I/O.

A seller (legal entity) is always registered in its own country (and region, when it has
one); further registrations are ISO 3166 codes: a country (``CH``, ``GB``), or a state or
province where taxes are sub-national (``US-CA`` for nexus in California, ``CA-QC``,
``IN-KA``). A whole-country registration in the US, Canada or India covers every state
or province of it.

The rules, in order, for a sale to ``destination``:

1. EU reverse charge (B2B buyer with a VAT id of another member state) stays as it was.
2. Intra-EU B2C distance sale (EU seller, another member state): the destination's VAT
   when the seller opted into the One-Stop-Shop, is registered there, or its EU-wide
   cross-border B2C sales passed EUR 10,000 (this or last calendar year); otherwise the
   seller's own country's VAT.
3. A destination the seller is registered in: the destination's taxes.
4. Anything else is an export: zero-rated with a reason (no rate data is needed, so a
   country ordermesh has no rates for is accepted).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ordermesh.kit.errors import InvalidInput
from ordermesh.tax.model import EU_MEMBERS, Place

# EU distance-selling threshold (Art. 59c Directive 2006/112/EC): EUR 10,000 per calendar
# year of cross-border B2C sales of goods and e-services, EU-wide.
EU_THRESHOLD_EUR = Decimal(10_000)
SUBNATIONAL = frozenset({"US", "CA", "IN"})
MAX_REGISTRATIONS = 200
_TAX_NAME = {"US": "sales tax", "CA": "GST/HST/PST", "IN": "GST", "AU": "GST", "JP": "JCT"}


class Treatment(StrEnum):
    DOMESTIC = "domestic"  # registered where the goods go: its taxes
    OSS = "oss"  # intra-EU B2C, destination VAT declared through the One-Stop-Shop
    HOME_VAT = "home_vat"  # intra-EU B2C below the threshold: the seller's own VAT
    REVERSE_CHARGE = "reverse_charge"
    EXPORT = "export"  # zero-rated, not taxed by this seller


@dataclass(frozen=True)
class Registrations:
    home: Place
    jurisdictions: frozenset[str]  # besides home
    oss: bool = False

    @property
    def home_code(self) -> str:
        """The home registration: the country, or its state/province where taxes are
        sub-national and the seller has one."""
        if self.home.country in SUBNATIONAL and self.home.region:
            return self.home.code
        return self.home.country

    @property
    def all(self) -> tuple[str, ...]:
        return tuple(sorted({self.home_code, *self.jurisdictions}))

    def covers(self, place: Place) -> bool:
        """Registered where ``place`` is: its whole country, or its state/province. In
        India a registration in any state covers the country: a sale to another state
        carries IGST charged from the seller's own state."""
        codes = self.all
        if place.country in codes or (place.region is not None and place.code in codes):
            return True
        return place.country == "IN" and any(c.startswith("IN-") for c in codes)

    def subnational_in(self, country: str) -> bool:
        """Whether only some states/provinces of ``country`` are registered, so a sale
        there needs the region to be decided."""
        codes = self.all
        return country not in codes and country != "IN" and any(
            c.startswith(f"{country}-") for c in codes)


@dataclass(frozen=True)
class Determination:
    treatment: Treatment
    taxed_at: Place | None  # whose rates apply; None for an export
    reason_code: str | None = None
    reason: str | None = None


def determine(
    regs: Registrations, destination: Place, *, reverse_charge: bool,
    threshold_passed: Callable[[], bool],
) -> Determination:
    """How a sale from a seller with ``regs`` to ``destination`` is taxed.

    ``threshold_passed`` is asked only for an intra-EU B2C distance sale without OSS
    opt-in or registration at the destination."""
    home = regs.home
    if reverse_charge:
        return Determination(Treatment.REVERSE_CHARGE, destination)
    intra_eu = (home.country in EU_MEMBERS and destination.country in EU_MEMBERS
                and home.country != destination.country)
    if intra_eu:
        if regs.covers(destination):
            return Determination(Treatment.DOMESTIC, destination)
        if regs.oss:
            return Determination(
                Treatment.OSS, destination, "oss_opt_in",
                f"EU One-Stop-Shop: VAT of {destination.country} (seller opted in)")
        if threshold_passed():
            return Determination(
                Treatment.OSS, destination, "oss_threshold",
                f"EU One-Stop-Shop: VAT of {destination.country} (EU distance sales above "
                f"EUR {EU_THRESHOLD_EUR:,})")
        return Determination(
            Treatment.HOME_VAT, Place(home.country), "distance_sale_below_threshold",
            f"EU distance sale below EUR {EU_THRESHOLD_EUR:,}: VAT of {home.country}")
    if regs.covers(destination):
        return Determination(Treatment.DOMESTIC, destination)
    if home.country in EU_MEMBERS and destination.country not in EU_MEMBERS:
        return Determination(
            Treatment.EXPORT, None, "export_outside_eu",
            "Export outside the EU: zero-rated (VAT Art. 146 Directive 2006/112/EC)")
    tax = _TAX_NAME.get(destination.country, "VAT")
    return Determination(
        Treatment.EXPORT, None, "not_registered",
        f"Not registered in {destination.code}: no {tax} collected")


def check_jurisdictions(codes: Iterable[str], field: str = "jurisdictions") -> list[str]:
    """The codes as given, upper-case, without duplicates; each ``CC`` or ``CC-RRR``
    where CC is ISO 3166-1 alpha-2 (checked by the caller against pycountry)."""
    out: list[str] = []
    for i, raw in enumerate(codes):
        code = raw.strip().upper()
        country, dash, region = code.partition("-")
        if len(country) != 2 or not country.isalpha() or (
                dash and not (1 <= len(region) <= 3 and region.isalnum())):
            raise InvalidInput.for_field(
                f"{field}.{i}", f"'{raw}' is not a country ('CH') or a state/province "
                "('US-CA', 'CA-QC', 'IN-KA') code", "invalid_jurisdiction")
        if dash and country not in SUBNATIONAL:
            raise InvalidInput.for_field(
                f"{field}.{i}", f"'{raw}': registrations are per state or province only in "
                f"{', '.join(sorted(SUBNATIONAL))}; register {country} as a whole",
                "invalid_jurisdiction")
        if code not in out:
            out.append(code)
    if len(out) > MAX_REGISTRATIONS:
        raise InvalidInput.for_field(field, f"at most {MAX_REGISTRATIONS} registrations")
    return out
