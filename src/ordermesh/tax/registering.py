"""Tax registrations of a legal entity (read, replace) and the rates a sale of it gets
(``tax.registrations`` holds the rules)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pycountry
from sqlalchemy import delete, func, insert, select, type_coerce

from ordermesh.kit.config_cache import cached
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import record_event
from ordermesh.kit.types import MoneyAmount
from ordermesh.tax.model import EU_MEMBERS, REVERSE_CHARGE, Place, Rates, TaxNote, export_rates
from ordermesh.tax.registrations import (
    EU_THRESHOLD_EUR,
    SUBNATIONAL,
    Determination,
    Registrations,
    check_jurisdictions,
    determine,
)
from ordermesh.tax.service import _checked_region, rates_for
from ordermesh.tax.tables import tax_entries, tax_registrations, tax_schemes


@dataclass(frozen=True)
class DistanceSales:
    """A seller's EU cross-border B2C sales (net, EUR) this and last calendar year."""

    year: int
    this_year: Money
    last_year: Money

    @property
    def passed(self) -> bool:
        return max(self.this_year.amount, self.last_year.amount) > EU_THRESHOLD_EUR


def registrations_of(uow: UnitOfWork, entity_id: str, home: Place) -> Registrations:
    """Kept per process until configuration changes (kit.config_cache)."""
    return cached(uow, ("tax_registrations", entity_id, home),
                  lambda: _read(uow, entity_id, home))


def _read(uow: UnitOfWork, entity_id: str, home: Place) -> Registrations:
    codes = uow.execute(select(tax_registrations.c.jurisdiction).where(
        tax_registrations.c.legal_entity_id == entity_id)).scalars()
    oss = uow.execute(select(tax_schemes.c.oss).where(
        tax_schemes.c.legal_entity_id == entity_id)).scalar()
    return Registrations(home, frozenset(codes), bool(oss))


def set_registrations(uow: UnitOfWork, entity_id: str, home: Place, jurisdictions: list[str],
                      oss: bool) -> Registrations:
    """Replaces where the entity is registered besides home, and its OSS opt-in. Commits
    and records ``tax.registrations_changed`` when anything changed."""
    codes = check_jurisdictions(jurisdictions)
    for i, code in enumerate(codes):
        country, _, region = code.partition("-")
        if pycountry.countries.get(alpha_2=country) is None:
            raise InvalidInput.for_field(f"jurisdictions.{i}",
                                         f"'{country}' is not an ISO 3166-1 country code",
                                         "invalid_jurisdiction")
        if region:
            _checked_region(country, region, f"jurisdictions.{i}")
    before = _read(uow, entity_id, home)
    wanted = Registrations(home, frozenset(codes) - {before.home_code}, oss)
    if wanted == before:
        return before
    now = uow.clock.now()
    t = tax_registrations.c
    uow.execute(delete(tax_registrations).where(t.legal_entity_id == entity_id))
    if wanted.jurisdictions:
        uow.execute(insert(tax_registrations), [
            {"legal_entity_id": entity_id, "jurisdiction": code, "created_at": now}
            for code in sorted(wanted.jurisdictions)])
    uow.execute(delete(tax_schemes).where(tax_schemes.c.legal_entity_id == entity_id))
    uow.execute(insert(tax_schemes).values(legal_entity_id=entity_id, oss=oss, updated_at=now))
    record_event(uow, "tax.registrations_changed", "legal_entity", entity_id, {
        "registrations": list(wanted.all), "oss": oss,
        "added": sorted(wanted.jurisdictions - before.jurisdictions),
        "removed": sorted(before.jurisdictions - wanted.jurisdictions)})
    uow.commit()
    return wanted


def distance_sales(uow: UnitOfWork, entity_id: str, home_country: str, on: date, *,
                   exclude_order: str | None = None) -> DistanceSales:
    """Net EUR amounts the ledger holds of the seller's sales to other member states,
    reverse-charged (B2B) sales left out, refunds and cancellations taken off. Sales in
    other currencies are not counted (ordermesh has no exchange rates)."""
    e = tax_entries.c
    start = date(on.year - 1, 1, 1)
    this_year = e.tax_point >= date(on.year, 1, 1)
    amount = type_coerce(e.taxable_amount, MoneyAmount)
    query = (select(this_year.label("this_year"),
                    type_coerce(func.coalesce(func.sum(amount), 0), MoneyAmount))
             .where(e.legal_entity_id == entity_id, e.currency == "EUR",
                    e.destination.in_(sorted(EU_MEMBERS - {home_country})),
                    e.name != REVERSE_CHARGE, e.tax_point >= start, e.tax_point <= on)
             .group_by(this_year))
    if exclude_order:
        query = query.where(e.order_id != exclude_order)
    sums = {bool(flag): Money.of(total, "EUR") for flag, total in uow.execute(query)}
    zero = Money.zero("EUR")
    return DistanceSales(on.year, sums.get(True, zero), sums.get(False, zero))


def sale_rates(
    uow: UnitOfWork, entity_id: str, home: Place, destination: Place, on: date,
    origin: Place | None, *, reverse_charge: bool, field: str = "shipping_address",
    order_id: str | None = None,
) -> tuple[Rates, Place]:
    """The rates a sale of the entity to ``destination`` is taxed with, and the
    destination as understood (its region as an ISO code). Needs rate data only where
    the sale is taxed: an export to a country without rates is accepted."""
    regs = registrations_of(uow, entity_id, home)
    if destination.country in SUBNATIONAL and (destination.region
                                               or regs.subnational_in(destination.country)):
        destination = Place(destination.country,
                            _checked_region(destination.country, destination.region, field))
    decided: Determination = determine(
        regs, destination, reverse_charge=reverse_charge,
        threshold_passed=lambda: distance_sales(uow, entity_id, home.country, on,
                                                exclude_order=order_id).passed)
    note = TaxNote(decided.reason_code, decided.reason) if decided.reason_code else None
    if decided.taxed_at is None:
        return export_rates(destination, on, note), destination
    rates = rates_for(uow, decided.taxed_at, on, origin, field=field)
    return (replace(rates, note=note) if note else rates), destination
