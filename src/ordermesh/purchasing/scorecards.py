"""What receipts teach about suppliers: scorecards per period, lead times learned per
product, and every supplier of a product side by side (cost, lead time, score)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ordermesh.catalog.service import find_product
from ordermesh.dropship.service import DropshipPerformance, dropship_performance
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money
from ordermesh.purchasing.model import POLine, POStatus, PurchaseOrder
from ordermesh.purchasing.receipts import receipts_of
from ordermesh.purchasing.service import pos_of_supplier
from ordermesh.suppliers.model import Supplier, SupplierProduct
from ordermesh.suppliers.service import find_supplier, offers_for_product, suppliers_by_ids

SCORE_DAYS = 365  # a supplier's score looks at the lines due in the last year


@dataclass(frozen=True)
class LineRecord:
    """One sent purchase order line and what arrived for it."""

    order: PurchaseOrder
    line: POLine
    arrivals: list[tuple[date, int, int]]  # (day, accepted, rejected)

    @property
    def sent_on(self) -> date:
        return self.order.sent_at.date()

    def accepted_by(self, day: date) -> int:
        return sum(a for d, a, _ in self.arrivals if d <= day)

    @property
    def first_arrival(self) -> date | None:
        return min((d for d, a, _ in self.arrivals if a), default=None)

    @property
    def completed_on(self) -> date | None:
        """The day the last unit due was accepted, if it was."""
        total = 0
        for d, a, _ in sorted(self.arrivals):
            total += a
            if total >= self.line.due:
                return d
        return None


def _records(uow: UnitOfWork, supplier_id: str) -> list[LineRecord]:
    orders = [o for o in pos_of_supplier(uow, supplier_id)
              if o.sent_at is not None and o.status is not POStatus.CANCELLED]
    arrivals: dict[tuple[str, int], list] = defaultdict(list)
    for r in receipts_of(uow, [o.id for o in orders]):
        arrivals[(r.po_id, r.line_no)].append((r.received_on, r.accepted, r.rejected))
    return [LineRecord(o, ln, arrivals[(o.id, ln.line_no)]) for o in orders for ln in o.lines
            if ln.due > 0]


@dataclass(frozen=True)
class Scorecard:
    supplier: Supplier
    start: date
    end: date
    lines_due: int
    on_time_in_full: float | None
    on_time_against_confirmed: float | None
    fill_rate: float | None
    lead_time_actual_days: float | None
    lead_time_promised_days: float | None
    units_due: int
    units_received: int
    units_rejected: int
    price_variance: Money | None
    price_variance_percent: float | None
    dropship: DropshipPerformance



def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(values: list[int]) -> float | None:
    return round(statistics.fmean(values), 2) if values else None


def scorecard(uow: UnitOfWork, supplier_ref: str, start: date, end: date) -> Scorecard:
    """Over the lines due (confirmed date, else expected date) from ``start`` to ``end``
    inclusive: on time in full (everything due accepted by the due date), on time
    against confirmed dates (first units by the confirmed date), fill rate (accepted
    over due, counted now), lead times (sent to complete vs sent to due), units rejected
    on arrival and price variance (paid minus the supplier's list price on the day sent,
    for lines that have one); and its drop-ship record over the drop-ship orders
    requested in the period (acceptance, time to the first parcel)."""
    if end < start:
        raise InvalidInput.for_field("to", "'to' is before 'from'", "invalid_period")
    supplier = find_supplier(uow, supplier_ref)
    due = [r for r in _records(uow, supplier.id) if start <= r.line.due_date <= end]
    offers = {o.product_id: o for o in _offers_of(uow, supplier, due)}
    confirmed = [r for r in due if r.line.confirmed_date is not None]
    lead_actual = [(r.completed_on - r.sent_on).days for r in due if r.completed_on]
    lead_promised = [(r.line.due_date - r.sent_on).days for r in due]
    paid, listed = Decimal(0), Decimal(0)
    for r in due:
        offer = offers.get(r.line.product_id)
        price = offer.cost(supplier.currency, r.line.quantity, r.sent_on) if offer else None
        if price is not None:
            paid += r.line.unit_cost.amount * r.line.quantity
            listed += price.amount * r.line.quantity
    return Scorecard(
        supplier=supplier, start=start, end=end, lines_due=len(due),
        on_time_in_full=_ratio(sum(r.accepted_by(r.line.due_date) >= r.line.due for r in due),
                               len(due)),
        on_time_against_confirmed=_ratio(
            sum(bool(r.first_arrival and r.first_arrival <= r.line.confirmed_date)
                for r in confirmed), len(confirmed)),
        fill_rate=_ratio(sum(min(r.line.received, r.line.due) for r in due),
                         sum(r.line.due for r in due)),
        lead_time_actual_days=_mean(lead_actual), lead_time_promised_days=_mean(lead_promised),
        units_due=sum(r.line.due for r in due), units_received=sum(r.line.received for r in due),
        units_rejected=sum(r.line.rejected for r in due),
        price_variance=Money.of(paid - listed, supplier.currency) if listed else None,
        price_variance_percent=round(float((paid - listed) / listed), 4) if listed else None,
        dropship=dropship_performance(uow, supplier.id, start, end))


def _offers_of(uow: UnitOfWork, supplier: Supplier, records: list[LineRecord]
               ) -> list[SupplierProduct]:
    ids = {r.line.product_id for r in records}
    return [o for pid in sorted(ids) for o in offers_for_product(uow, pid)
            if o.supplier_id == supplier.id]


# -- a product's suppliers side by side --------------------------------------------------


@dataclass(frozen=True)
class LearnedLeadTime:
    samples: int
    median_days: float | None
    p90_days: float | None


@dataclass(frozen=True)
class SupplierOption:
    supplier: Supplier
    offer: SupplierProduct
    quantity: int  # what the cost is for: at least the asked quantity, in packs, >= MOQ
    unit_cost: Money | None
    promised_lead_time_days: int | None
    learned: LearnedLeadTime
    score: float | None  # on time in full over the last year, 0..1


def learned_lead_time(records: list[LineRecord]) -> LearnedLeadTime:
    """Days from sending to the first accepted units, per line received."""
    days = sorted((r.first_arrival - r.sent_on).days for r in records if r.first_arrival)
    if not days:
        return LearnedLeadTime(0, None, None)
    p90 = statistics.quantiles(days, n=10, method="inclusive")[-1] if len(days) > 1 \
        else float(days[0])
    return LearnedLeadTime(len(days), float(statistics.median(days)), round(p90, 1))


def score(records: list[LineRecord], today: date) -> float | None:
    recent = [r for r in records
              if today - timedelta(days=SCORE_DAYS) <= r.line.due_date <= today]
    return _ratio(sum(r.accepted_by(r.line.due_date) >= r.line.due for r in recent),
                  len(recent))


def product_suppliers(uow: UnitOfWork, product_ref: str, quantity: int | None = None
                      ) -> tuple[str, list[SupplierOption]]:
    """Every supplier of a product, preferred first then by cost: the unit cost of the
    quantity (rounded up to packs and the MOQ), the promised and learned lead time, and
    the supplier's score. Returns the SKU and the options."""
    product = find_product(uow, product_ref)
    offers = offers_for_product(uow, product.id)
    sups = suppliers_by_ids(uow, {o.supplier_id for o in offers})
    today = uow.clock.now().date()
    options = []
    for o in offers:
        s = sups[o.supplier_id]
        records = _records(uow, s.id)
        qty = o.order_quantity(quantity or 1)
        options.append(SupplierOption(
            supplier=s, offer=o, quantity=qty, unit_cost=o.cost(s.currency, qty, today),
            promised_lead_time_days=(o.lead_time_days if o.lead_time_days is not None
                                     else s.lead_time_days),
            learned=learned_lead_time([r for r in records if r.line.product_id == product.id]),
            score=score(records, today)))
    options.sort(key=lambda x: (not x.offer.preferred, x.unit_cost is None,
                                x.unit_cost.amount if x.unit_cost else 0, x.supplier.code))
    return product.sku, options
