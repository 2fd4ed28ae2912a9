"""Tax use cases: the rates for a destination, VAT ids, rate changes (the ledger is in
``tax.ledger``).

Locks: ``add_rate`` takes one transaction-scoped advisory lock per rate component on
PostgreSQL (SQLite serialises writers), so two admins adding periods for the same
component cannot both pass the overlap check. The partial unique index on open-ended
periods backs that up in the database.
"""

from __future__ import annotations

import unicodedata
import zlib
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pycountry
from sqlalchemy import insert, or_, select, text, update

from ordermesh.kit import idempotency, vat_ids
from ordermesh.kit.clock import as_utc
from ordermesh.kit.config_cache import cached
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.tax.model import (
    RATED_CLASSES,
    Place,
    RateComponent,
    Rates,
    TaxClass,
    check_rate,
    percent,
)
from ordermesh.tax.tables import tax_rates

# India taxes by state even though its rates are national: the region decides between
# CGST + SGST (within a state) and IGST (across states).
REGION_REQUIRED = frozenset({"IN"})
# Union territories without a legislature levy UTGST instead of SGST.
_IN_UTGST = frozenset({"AN", "CH", "DH", "LD", "LA"})
_CLASS_ORDER = {c: i for i, c in enumerate(TaxClass)}
_RATE_LOCK = 0x6F6D5F746178  # "om_tax", xor-ed with a hash of the component


def rates_for(
    uow: UnitOfWork, destination: Place, on: date, origin: Place | None = None, *,
    field: str = "shipping_address",
) -> Rates:
    """The rate components of every tax class at ``destination`` on ``on``.

    A country without rates on that day is refused (``{field}.country``); so is a missing
    or unknown region where the country's taxes depend on it (US, CA, IN:
    ``{field}.region``). A class the country has no rate for is absent here and falls
    back to the next higher class in ``compute_tax``. Kept per process between rate
    changes (kit.config_cache).
    """
    return cached(uow, ("tax_rates", destination, on, origin),
                  lambda: _read_rates(uow, destination, on, origin, field))


def _read_rates(uow: UnitOfWork, destination: Place, on: date, origin: Place | None,
                field: str) -> Rates:
    country = destination.country
    rows = uow.execute(select(tax_rates).where(
        tax_rates.c.country == country, tax_rates.c.valid_from <= on,
        or_(tax_rates.c.valid_to.is_(None), tax_rates.c.valid_to >= on))).all()
    if not rows:
        raise InvalidInput.for_field(
            f"{field}.country", f"no tax rates for country '{country}' on {on}",
            "no_tax_rates")
    regional = any(r.region for r in rows)
    region = destination.region or None
    if regional or country in REGION_REQUIRED:
        region = _checked_region(country, region, field)
        rows = [r for r in rows if r.region in ("", region)]
        if regional and not any(r.region == region for r in rows):
            raise InvalidInput.for_field(
                f"{field}.region", f"no tax rates for region '{region}' of {country} on {on}",
                "no_tax_rates")
    by_class: dict[TaxClass, list[RateComponent]] = {}
    for r in sorted(rows, key=lambda r: (len(r.jurisdiction), r.jurisdiction, r.name)):
        by_class.setdefault(TaxClass(r.tax_class), []).append(
            RateComponent(r.jurisdiction, r.name, percent(r.rate_percent)))
    if country == "IN":
        intra_state = (origin is not None and origin.country == "IN" and bool(origin.region)
                       and _checked_region("IN", origin.region, "origin") == region)
        by_class = {c: _india(parts, region, intra_state) for c, parts in by_class.items()}
    return Rates(Place(country, region), on, {c: tuple(p) for c, p in by_class.items()})


def _checked_region(country: str, region: str | None, field: str) -> str:
    """The ISO 3166-2 code (without the country) of ``region``: a code in any case, or
    the subdivision's name as addresses often carry it ('California', 'Karnataka').
    ``field`` is the object the region is in ('' when it is a top-level field)."""
    name = f"{field}.region" if field else "region"
    if not region:
        raise InvalidInput.for_field(
            name, f"taxes in {country} depend on the state or province: "
            "give its ISO 3166-2 code (e.g. 'CA' for California, 'BC', 'KA')",
            "region_required")
    wanted = region.strip()
    found = pycountry.subdivisions.get(code=f"{country}-{wanted.upper()}")
    if found is None:
        found = next((s for s in pycountry.subdivisions.get(country_code=country) or ()
                      if _plain(s.name) == _plain(wanted)), None)
    if found is None:
        raise InvalidInput.for_field(
            name, f"'{region}' is not an ISO 3166-2 subdivision of {country}",
            "unknown_region")
    return found.code.partition("-")[2]


def _plain(name: str) -> str:
    """'Karnātaka' and 'karnataka' alike."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _india(parts: list[RateComponent], state: str, intra_state: bool) -> list[RateComponent]:
    """IGST across states; within one state two halves: CGST (centre) and SGST/UTGST."""
    if not intra_state:
        return parts
    local = "UTGST" if state in _IN_UTGST else "SGST"
    split = []
    for p in parts:
        half = percent(p.rate_percent / 2)
        split += [RateComponent("IN", "CGST", half), RateComponent(f"IN-{state}", local, half)]
    return split


def normalise_vat_id(vat_id: str, country: str | None = None,
                     field: str = "buyer_vat_id") -> str:
    """A buyer's VAT id, compact and checked (format and check digits). The id's own
    prefix says its country (EU, UK); other ids are read as ``country``'s (e.g. the
    destination's: a Swiss ``CHE-...`` id, an Indian GSTIN)."""
    target = vat_ids.country_of(vat_id) if isinstance(vat_id, str) else None
    if target is None and country is None:
        raise InvalidInput.for_field(
            field, f"'{vat_id}' is not a valid VAT id: it must start with its country's "
            "code", "invalid_vat_id")
    return vat_ids.normalise_vat_id(target or country, vat_id, field)


# ---- rate periods -----------------------------------------------------------------------

@dataclass(frozen=True)
class RatePeriod:
    id: str
    country: str
    region: str | None
    tax_class: TaxClass
    jurisdiction: str
    name: str
    rate_percent: Decimal
    valid_from: date
    valid_to: date | None  # the last day it applies; None: until further notice
    source: str
    created_at: datetime


@dataclass(frozen=True)
class NewRate:
    country: str
    tax_class: TaxClass
    name: str
    rate_percent: Decimal
    valid_from: date
    source: str
    region: str | None = None
    jurisdiction: str | None = None  # defaults to the country, or country-region
    valid_to: date | None = None


@dataclass(frozen=True)
class RateAdded:
    rate: RatePeriod
    closed: RatePeriod | None  # the open-ended period this one ended, if any


def _period(row) -> RatePeriod:
    return RatePeriod(row.id, row.country, row.region or None, TaxClass(row.tax_class),
                      row.jurisdiction, row.name, percent(row.rate_percent),
                      row.valid_from, row.valid_to, row.source, as_utc(row.created_at))


def list_rates(
    uow: UnitOfWork, country: str | None = None, region: str | None = None,
    on: date | None = None,
) -> list[RatePeriod]:
    """Rate periods, optionally of one country (and region) and in force on one day."""
    query = select(tax_rates)
    if country:
        query = query.where(tax_rates.c.country == country)
    if region:
        query = query.where(tax_rates.c.region.in_(("", region)))
    if on:
        query = query.where(tax_rates.c.valid_from <= on, or_(
            tax_rates.c.valid_to.is_(None), tax_rates.c.valid_to >= on))
    periods = [_period(r) for r in uow.execute(query)]
    return sorted(periods, key=lambda p: (p.country, p.region or "", _CLASS_ORDER[p.tax_class],
                                          p.jurisdiction, p.name, p.valid_from))


def get_rate(uow: UnitOfWork, rate_id: str) -> RatePeriod:
    row = uow.execute(select(tax_rates).where(tax_rates.c.id == rate_id)).first()
    if row is None:
        raise NotFound(f"Tax rate '{rate_id}' does not exist")
    return _period(row)


def add_rate(
    uow: UnitOfWork, cmd: NewRate, idem: idempotency.IdempotencyKey | None = None
) -> RateAdded:
    """A new period for one rate component from ``cmd.valid_from``.

    The component's open-ended period ends the day before. A period that starts on or
    after ``valid_from``, or a closed one that reaches it, is a conflict (409). Commits
    and records ``tax.rate_added``.
    """
    if prior := idempotency.claim(uow, idem):
        rate = get_rate(uow, prior.resource_id)
        return RateAdded(rate, _closed_by(uow, rate))
    cmd = _checked(cmd)
    key = (cmd.country, cmd.region or "", cmd.tax_class.value, cmd.jurisdiction, cmd.name)
    if uow.dialect == "postgresql":
        lock = _RATE_LOCK ^ zlib.crc32("|".join(key).encode())
        uow.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})
    c = tax_rates.c
    same = (c.country == key[0], c.region == key[1], c.tax_class == key[2],
            c.jurisdiction == key[3], c.name == key[4])
    existing = [_period(r) for r in uow.execute(select(tax_rates).where(*same))]
    for p in existing:
        if p.valid_from >= cmd.valid_from or (p.valid_to and p.valid_to >= cmd.valid_from):
            raise Conflict(
                f"{cmd.name} {cmd.tax_class} for {cmd.jurisdiction} already has a period "
                f"from {p.valid_from} to {p.valid_to or 'open end'} ({p.rate_percent}%), "
                f"which overlaps or follows {cmd.valid_from}")
    if cmd.valid_to is not None and cmd.valid_to < cmd.valid_from:
        raise InvalidInput.for_field("valid_to", "valid_to must not be before valid_from")
    closed = next((p for p in existing if p.valid_to is None), None)
    if closed is not None:
        last_day = cmd.valid_from - timedelta(days=1)
        uow.execute(update(tax_rates).where(c.id == closed.id, c.valid_to.is_(None))
                    .values(valid_to=last_day))
        closed = replace(closed, valid_to=last_day)
    rate = RatePeriod(new_id("txr"), cmd.country, cmd.region, cmd.tax_class, cmd.jurisdiction,
                      cmd.name, percent(cmd.rate_percent), cmd.valid_from, cmd.valid_to,
                      cmd.source, uow.clock.now())
    uow.execute(insert(tax_rates).values(
        id=rate.id, country=rate.country, region=rate.region or "", tax_class=key[2],
        jurisdiction=rate.jurisdiction, name=rate.name, rate_percent=cmd.rate_percent,
        valid_from=rate.valid_from, valid_to=rate.valid_to, source=rate.source,
        created_at=rate.created_at))
    record_event(uow, "tax.rate_added", "tax_rate", rate.id, {
        "country": rate.country, "region": rate.region, "tax_class": key[2],
        "jurisdiction": rate.jurisdiction, "name": rate.name,
        "rate_percent": str(rate.rate_percent), "valid_from": rate.valid_from.isoformat(),
        "valid_to": rate.valid_to.isoformat() if rate.valid_to else None,
        "source": rate.source,
        "closed": None if closed is None else {
            "id": closed.id, "rate_percent": str(closed.rate_percent),
            "valid_to": closed.valid_to.isoformat()},
    })
    idempotency.complete(uow, idem, "tax_rate", rate.id, 201)
    uow.commit()
    return RateAdded(rate, closed)


def _closed_by(uow: UnitOfWork, rate: RatePeriod) -> RatePeriod | None:
    c = tax_rates.c
    row = uow.execute(select(tax_rates).where(
        c.country == rate.country, c.region == (rate.region or ""),
        c.tax_class == rate.tax_class.value, c.jurisdiction == rate.jurisdiction,
        c.name == rate.name, c.valid_to == rate.valid_from - timedelta(days=1))).first()
    return None if row is None else _period(row)


def _checked(cmd: NewRate) -> NewRate:
    if pycountry.countries.get(alpha_2=cmd.country) is None or not cmd.country.isupper():
        raise InvalidInput.for_field("country", f"'{cmd.country}' is not an ISO 3166-1 code")
    region = _checked_region(cmd.country, cmd.region, "") if cmd.region else None
    tax_class = TaxClass(cmd.tax_class)
    if tax_class not in RATED_CLASSES:
        raise InvalidInput.for_field(
            "tax_class", f"'{tax_class}' is always 0%: only standard, reduced and "
            "super_reduced have rates", "unrated_class")
    rate = check_rate(cmd.rate_percent, "rate_percent")
    place = Place(cmd.country, region)
    jurisdiction = cmd.jurisdiction or place.code
    if jurisdiction.partition("-")[0] != cmd.country:
        raise InvalidInput.for_field("jurisdiction",
                                     f"'{jurisdiction}' is not {cmd.country} or one of its "
                                     "subdivisions")
    if not cmd.name.strip() or not cmd.source.strip():
        raise InvalidInput.for_field("name", "name and source must not be blank")
    return NewRate(cmd.country, tax_class, cmd.name.strip(), rate, cmd.valid_from,
                   cmd.source.strip(), region, jurisdiction, cmd.valid_to)

