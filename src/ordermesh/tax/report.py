"""The tax report: what was collected and refunded per jurisdiction, tax and rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select, type_coerce

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money
from ordermesh.kit.types import MoneyAmount
from ordermesh.tax.model import percent
from ordermesh.tax.tables import tax_entries

MAX_REPORT_DAYS = 3660  # ten years


@dataclass(frozen=True)
class ReportRow:
    jurisdiction: str
    country: str
    name: str
    rate_percent: Decimal
    currency: str
    taxable: Money  # net of refunds
    collected: Money  # tax of positive entries
    refunded: Money  # tax of negative entries, as a positive amount
    net_tax: Money  # collected - refunded


@dataclass(frozen=True)
class TaxReport:
    date_from: date
    date_to: date
    country: str | None
    rows: list[ReportRow]
    legal_entity_id: str | None = None


def tax_report(
    uow: UnitOfWork, date_from: date, date_to: date, country: str | None = None,
    legal_entity_id: str | None = None,
) -> TaxReport:
    """Entries with a tax point from ``date_from`` to ``date_to`` (both included), summed
    per jurisdiction, tax name, rate and currency; of one seller when given."""
    if date_to < date_from:
        raise InvalidInput.for_field("to", "'to' must not be before 'from'")
    if (date_to - date_from).days > MAX_REPORT_DAYS:
        raise InvalidInput.for_field("to", f"a report covers at most {MAX_REPORT_DAYS} days")
    e = tax_entries.c
    tax = e.tax_amount

    def money_sum(expr):
        return type_coerce(func.coalesce(func.sum(type_coerce(expr, MoneyAmount)), 0),
                           MoneyAmount)

    zero = type_coerce(0, MoneyAmount)
    query = (
        select(e.jurisdiction, e.country, e.name, e.rate_percent, e.currency,
               money_sum(e.taxable_amount).label("taxable"),
               money_sum(case((tax > zero, tax), else_=zero)).label("collected"),
               money_sum(case((tax < zero, -tax), else_=zero)).label("refunded"))
        .where(e.tax_point >= date_from, e.tax_point <= date_to)
        .group_by(e.jurisdiction, e.country, e.name, e.rate_percent, e.currency)
        .order_by(e.country, e.jurisdiction, e.name, e.rate_percent, e.currency)
    )
    if country:
        query = query.where(e.country == country)
    if legal_entity_id:
        query = query.where(e.legal_entity_id == legal_entity_id)
    rows = []
    for r in uow.execute(query):
        collected = Money.of(r.collected, r.currency)
        refunded = Money.of(r.refunded, r.currency)
        rows.append(ReportRow(
            r.jurisdiction, r.country, r.name, percent(r.rate_percent), r.currency,
            Money.of(r.taxable, r.currency), collected, refunded, collected - refunded))
    return TaxReport(date_from, date_to, country, rows, legal_entity_id)
