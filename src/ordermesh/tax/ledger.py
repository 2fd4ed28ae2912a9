"""The tax ledger: append-only entries per order, booked in the order's own transaction
(placement, edits, cancellations, refunds); the tax report reads it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import func, insert, select

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money, check_currency
from ordermesh.kit.outbox import record_event
from ordermesh.tax.model import TaxResult, check_rate
from ordermesh.tax.tables import tax_entries

DOCUMENTS = ("order", "edit", "refund", "cancellation")


@dataclass(frozen=True)
class TaxEntry:
    order_id: str
    document: str  # "order" | "edit" | "refund" | "cancellation"
    document_id: str | None
    tax_point: date
    currency: str
    jurisdiction: str
    name: str
    rate_percent: Decimal
    taxable: Money  # negative for refunds and cancellations
    tax: Money
    # the seller and the destination country; a later document of an order (edit,
    # refund, cancellation) left without them takes its order's
    legal_entity_id: str | None = None
    destination: str | None = None


_INSERT = insert(tax_entries)


def entries_from(
    result: TaxResult, *, order_id: str, document: str, tax_point: date,
    document_id: str | None = None, negative: bool = False,
) -> list[TaxEntry]:
    """Ledger entries for a result's breakdown (negated for a refund or cancellation)."""
    def signed(m: Money) -> Money:
        return -m if negative else m

    return [TaxEntry(order_id, document, document_id, tax_point, result.net.currency,
                     c.jurisdiction, c.name, c.rate_percent, signed(c.taxable), signed(c.tax))
            for c in result.breakdown]


def book(uow: UnitOfWork, entries: Sequence[TaxEntry], *, seller_known: bool = False) -> None:
    """Append entries to the tax ledger and record one ``tax.booked`` event per order.
    An entry without a seller gets the one its order's earlier entries name, unless
    ``seller_known`` (a new order's first entries: there are none to look at).

    Part of the caller's transaction: does not commit.
    """
    rows, per_order = [], {}
    now = uow.clock.now()
    if not seller_known:
        entries = _with_seller(uow, entries)
    for i, e in enumerate(entries):
        _check_entry(e, f"entries.{i}")
        country, _, region = e.jurisdiction.partition("-")
        rows.append({
            "id": new_id("txe"), "order_id": e.order_id, "document": e.document,
            "document_id": e.document_id, "tax_point": e.tax_point, "currency": e.currency,
            "jurisdiction": e.jurisdiction, "country": country, "region": region,
            "name": e.name, "rate_percent": e.rate_percent, "taxable_amount": e.taxable.amount,
            "tax_amount": e.tax.amount, "created_at": now,
            "legal_entity_id": e.legal_entity_id, "destination": e.destination or country,
        })
        per_order.setdefault(e.order_id, []).append(e)
    if not rows:
        return
    uow.defer_insert(_INSERT, rows)
    for order_id, booked in per_order.items():
        record_event(uow, "tax.booked", "order", order_id, {
            "documents": sorted({f"{e.document}:{e.document_id or ''}" for e in booked}),
            "entries": [{"jurisdiction": e.jurisdiction, "name": e.name,
                         "rate_percent": str(e.rate_percent), "currency": e.currency,
                         "taxable": str(e.taxable.amount), "tax": str(e.tax.amount),
                         "tax_point": e.tax_point.isoformat()} for e in booked],
        })


def _with_seller(uow: UnitOfWork, entries: Sequence[TaxEntry]) -> list[TaxEntry]:
    missing = {e.order_id for e in entries if e.legal_entity_id is None}
    if not missing:
        return list(entries)
    t = tax_entries.c
    known = {order_id: (entity, destination) for order_id, entity, destination in uow.execute(
        select(t.order_id, t.legal_entity_id, t.destination).distinct()
        .where(t.order_id.in_(missing), t.legal_entity_id.is_not(None)))}
    return [replace(e, legal_entity_id=known[e.order_id][0],
                    destination=e.destination or known[e.order_id][1])
            if e.legal_entity_id is None and e.order_id in known else e for e in entries]


def booked_for_order(uow: UnitOfWork, order_id: str,
                     document: str | None = None) -> list[dict]:
    """What the ledger holds for one order (of one kind of document, or all: the order's
    tax less what was refunded) per jurisdiction, name and rate, as
    ``{jurisdiction, name, rate_percent, taxable, tax}``."""
    t = tax_entries.c
    query = (select(t.jurisdiction, t.name, t.rate_percent, func.sum(t.taxable_amount),
                    func.sum(t.tax_amount))
             .where(t.order_id == order_id).group_by(t.jurisdiction, t.name, t.rate_percent)
             .order_by(t.jurisdiction, t.name, t.rate_percent))
    if document is not None:
        query = query.where(t.document == document)
    rows = uow.execute(query)
    return [{"jurisdiction": j, "name": n, "rate_percent": format(Decimal(r).normalize(), "f"),
             "taxable": str(x),
             "tax": str(y)} for j, n, r, x, y in rows]


def _check_entry(e: TaxEntry, field: str) -> None:
    if e.document not in DOCUMENTS:
        raise InvalidInput.for_field(f"{field}.document",
                                     f"document must be one of {', '.join(DOCUMENTS)}")
    check_currency(e.currency)
    for name, m in (("taxable", e.taxable), ("tax", e.tax)):
        if m.currency != e.currency:
            raise InvalidInput.for_field(f"{field}.{name}", f"{name} must be in {e.currency}",
                                         "currency_mismatch")
        Money.exact(m.amount, m.currency, f"{field}.{name}")
    if (e.taxable.amount < 0 < e.tax.amount) or (e.tax.amount < 0 < e.taxable.amount):
        raise InvalidInput.for_field(f"{field}.tax", "taxable and tax must have the same sign")
    check_rate(e.rate_percent, f"{field}.rate_percent")
    if not e.jurisdiction or len(e.jurisdiction) > 6:
        raise InvalidInput.for_field(f"{field}.jurisdiction", "an ISO 3166 code is needed")
