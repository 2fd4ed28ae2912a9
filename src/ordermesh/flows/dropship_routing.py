"""Placement's drop-ship step: lines a supplier ships for us (``dropship.rules``).

Runs inside ``flows/placement._place_one``, in the order's unit of work, only when a
rule matches one of the order's lines (a seller without rules pays one cached read):

1. ``plan``: each line's most specific rule, kept only when its supplier is active and
   carries the product. ``always`` lines leave our own sourcing; ``when_short``
   products may come up short there (the units our locations cannot supply). Every
   stock row of the order's products is locked first, in the global order.
2. ``reserve_dropship``: after our own reservation, the units that go to a supplier —
   the ``always`` lines, and the ``when_short`` units sourcing left unsourced — are
   booked in at the supplier's drop-ship location and reserved there for the order at
   once (``inventory.reserving.book_in_reserved``: a receipt and a reservation, the
   product's free stock unchanged). So the order's lines hold them like any
   reserved units: the supplier's shipment later leaves through the same
   ``record_shipment`` (order status, capture, invoice), stock and ledger agree, and
   the location never has a free unit for anybody else. Sourcing's decision is told
   what went to drop-ship, and nothing of it is backordered.
3. ``request_dropships``: after the fulfilment orders are released (one at the supplier's
   location, like any location's), one drop-ship purchase order per supplier, carrying
   the customer's address, the supplier's cost and our price (``dropship.requested``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

from ordermesh.dropship.model import DropshipLine, DropshipRule, RoutingMode, rule_for
from ordermesh.dropship.rules import active_suppliers, routing_rules
from ordermesh.dropship.service import NewDropship, request_dropship
from ordermesh.fulfilment.queries import fulfilment_for_order
from ordermesh.inventory.model import Allocation, ReservationRequest
from ordermesh.inventory.reserving import book_in_reserved
from ordermesh.inventory.stock_rows import lock_products
from ordermesh.kit.db import UnitOfWork
from ordermesh.suppliers.service import supplier_product_or_none


@dataclass
class DropshipPlan:
    rules: dict[int, DropshipRule]  # line_no -> the rule that routes it
    locations: dict[str, str]  # supplier id -> its drop-ship location
    units: dict[int, int] = field(default_factory=dict)  # line_no -> units to the supplier

    @property
    def always(self) -> set[int]:
        return {n for n, r in self.rules.items() if r.mode is RoutingMode.ALWAYS}

    @property
    def when_short_products(self) -> set[str]:
        return {r.product_id for r in self.rules.values()
                if r.mode is RoutingMode.WHEN_SHORT and r.product_id}

    def own(self, requests: list[ReservationRequest]) -> list[ReservationRequest]:
        """The requests our own locations source."""
        return [r for r in requests if r.line_no not in self.always]


def plan(uow: UnitOfWork, channel_id: str, requests: list[ReservationRequest]
         ) -> DropshipPlan | None:
    """Step 1, or None when no rule routes any line of this order."""
    rules, locations = routing_rules(uow)
    if not rules:
        return None
    matched = {r.line_no: rule for r in requests
               if (rule := rule_for(rules, r.product_id, channel_id)) is not None}
    if not matched:
        return None
    suppliers = active_suppliers(uow, {r.supplier_id for r in matched.values()})
    by_product = {r.line_no: r.product_id for r in requests}
    chosen = {}
    for line_no, rule in matched.items():
        product_id = by_product[line_no]
        if (rule.supplier_id in suppliers and rule.supplier_id in locations
                and supplier_product_or_none(uow, rule.supplier_id, product_id)):
            # a rule for every product the supplier carries routes this one as its own
            chosen[line_no] = replace(rule, product_id=product_id)
    if not chosen:
        return None
    lock_products(uow, {r.product_id for r in requests})  # global lock order, up front
    return DropshipPlan(chosen, locations)


def reserve_dropship(uow: UnitOfWork, routing: DropshipPlan, order_id: str,
                     channel_id: str, requests: list[ReservationRequest], planner,
                     allocations: list[Allocation]) -> tuple[list[Allocation], dict[int, int]]:
    """Step 2: the order's allocations and unsourced units once the supplier's units are
    reserved at its location; ``planner``'s decision says so."""
    result = planner.result
    unsourced = dict(result.unsourced) if result else {}
    for r in requests:
        rule = routing.rules.get(r.line_no)
        if rule is None:
            continue
        if rule.mode is RoutingMode.ALWAYS:
            routing.units[r.line_no] = r.quantity
        elif unsourced.get(r.line_no):
            routing.units[r.line_no] = unsourced.pop(r.line_no)
    if not routing.units:
        return allocations, unsourced
    at = {n: routing.locations[routing.rules[n].supplier_id] for n in routing.units}
    taken = [Allocation(r.line_no, r.product_id, at[r.line_no], routing.units[r.line_no])
             for r in requests if r.line_no in routing.units]
    book_in_reserved(uow, taken, ("order", order_id), channel_id,
                     f"drop-ship for order {order_id}")
    if result is not None:
        note = " ".join(
            f"Line {n}: {q} unit(s) drop-shipped by {routing.rules[n].supplier_code} "
            f"({'always' if routing.rules[n].mode is RoutingMode.ALWAYS else 'our stock short'})."
            for n, q in sorted(routing.units.items()))
        planner.result = replace(result, unsourced=unsourced,
                                 explanation=f"{result.explanation} {note}".strip())
    return sorted([*allocations, *taken], key=lambda a: (a.line_no, a.location_id)), unsourced


def request_dropships(uow: UnitOfWork, routing: DropshipPlan, order, address: dict
                      ) -> list[str]:
    """Step 3: one drop-ship purchase order per supplier; returns their numbers."""
    if not routing.units:
        return []
    per_supplier: dict[str, dict[int, int]] = defaultdict(dict)
    for line_no, units in routing.units.items():
        per_supplier[routing.rules[line_no].supplier_id][line_no] = units
    suppliers = active_suppliers(uow, set(per_supplier))
    fos = {fo.location_id: fo for fo in fulfilment_for_order(uow, order.id)}
    lines = {ln.line_no: ln for ln in order.lines}
    today = uow.clock.now().date()
    numbers = []
    for supplier_id, units in sorted(per_supplier.items()):
        supplier = suppliers[supplier_id]
        new_lines = []
        for line_no, quantity in sorted(units.items()):
            ln = lines[line_no]
            offer = supplier_product_or_none(uow, supplier_id, ln.product_id)
            new_lines.append(DropshipLine(
                line_no, ln.product_id, ln.sku, offer.supplier_sku if offer else None,
                ln.name, quantity, shipped=0, short=0, rejected=0,
                unit_cost=offer.cost(supplier.currency, quantity, today) if offer else None,
                unit_price=ln.unit_price))
        ds = request_dropship(uow, NewDropship(
            supplier_id, supplier.currency, order.id, order.seq, order.number,
            fos[routing.locations[supplier_id]].id, address, str(order.service_level),
            order.currency, tuple(new_lines)))
        numbers.append(ds.number)
    return numbers
