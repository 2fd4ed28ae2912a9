"""Replenishment: what to buy, how much and from whom, from inventory health (forecast
demand, reorder point, order-up-to quantity over available plus incoming stock), and a
suggestion turned into a draft purchase order in one call."""

from __future__ import annotations

from dataclasses import dataclass

from ordermesh.inventory.health import HealthFilter, HealthRow, inventory_health
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money
from ordermesh.purchasing.scorecards import SupplierOption, product_suppliers
from ordermesh.purchasing.service import NewLine, NewPurchaseOrder, create_po, get_po
from ordermesh.suppliers.model import SupplierStatus
from ordermesh.suppliers.service import find_supplier

MAX_ROWS = 10_000


@dataclass(frozen=True)
class Suggestion:
    sku: str
    location: str
    needed: int  # the order-up-to quantity inventory health suggests
    quantity: int  # rounded up to whole packs and the supplier's MOQ
    option: SupplierOption | None  # None: no supplier we can order from
    alternatives: int  # other suppliers of the product
    row: HealthRow

    @property
    def line_cost(self) -> Money | None:
        if self.option is None or self.option.unit_cost is None:
            return None
        return self.option.unit_cost.times(self.quantity)

    @property
    def why(self) -> str:
        r = self.row
        position = r.available + sum(i.quantity for i in r.incoming)
        text = (f"risk {r.risk.value}: {r.available} available + "
                f"{position - r.available} incoming against a reorder point of "
                f"{r.reorder_point} (forecast {r.forecast.daily_mean:.2f}/day, lead time "
                f"{r.lead_time_days} days); {self.needed} needed")
        if self.option is not None and self.quantity != self.needed:
            text += (f", {self.quantity} to order in packs of {self.option.offer.pack_size} "
                     f"with a minimum of {self.option.offer.moq}")
        return text


def _choose(options: list[SupplierOption]) -> SupplierOption | None:
    """The preferred supplier when it can be ordered from and has a price, else the
    cheapest that can (options come preferred first, then by cost)."""
    usable = [o for o in options if o.supplier.status is SupplierStatus.ACTIVE
              and o.unit_cost is not None]
    return usable[0] if usable else None


def suggestions(uow: UnitOfWork, location: str | None = None, supplier: str | None = None,
                sku: str | None = None) -> list[Suggestion]:
    """Every (SKU, location) whose inventory health suggests ordering, with the supplier
    to order from; with ``supplier`` only what that supplier would be chosen for."""
    wanted = find_supplier(uow, supplier).id if supplier else None
    rows, _ = inventory_health(uow, HealthFilter(location=location, sku=sku, limit=MAX_ROWS))
    found = []
    for row in rows:
        if row.suggested_order_quantity <= 0:
            continue
        _, options = product_suppliers(uow, row.sku, row.suggested_order_quantity)
        option = _choose(options)
        if wanted and (option is None or option.supplier.id != wanted):
            continue
        qty = option.quantity if option else row.suggested_order_quantity
        found.append(Suggestion(row.sku, row.location_code, row.suggested_order_quantity, qty,
                                option, len(options) - (1 if option else 0), row))
    found.sort(key=lambda s: (s.option.supplier.code if s.option else "~", s.location, s.sku))
    return found


def order_suggestions(uow: UnitOfWork, supplier: str, location: str,
                      skus: list[str] | None = None,
                      idem: idempotency.IdempotencyKey | None = None):
    """The suggestions for one supplier at one location (all of them, or the SKUs
    named) as a draft purchase order at the supplier's prices. Commits."""
    if prior := idempotency.claim(uow, idem):
        return get_po(uow, prior.resource_id)
    picked = suggestions(uow, location=location, supplier=supplier)
    if skus is not None:
        missing = sorted(set(skus) - {s.sku for s in picked})
        if missing:
            raise InvalidInput.for_field("skus", f"No suggestion to buy {', '.join(missing)} "
                                         f"from {supplier} at {location}", "no_suggestion")
        picked = [s for s in picked if s.sku in skus]
    if not picked:
        raise InvalidInput.for_field("supplier", f"Nothing to buy from {supplier} at "
                                     f"{location} now", "no_suggestion")
    order = create_po(uow, NewPurchaseOrder(
        supplier=supplier, location=location,
        lines=tuple(NewLine(s.sku, s.quantity, s.option.unit_cost) for s in picked),
        note="from replenishment suggestions"), commit=False)
    idempotency.complete(uow, idem, "purchase_order", order.id, 201)
    uow.commit()
    return order
