"""Sourcing use cases: decide at placement (inside ``reserve``), source units again after a
rejection or short pick, source backorders; record every decision with its explanation.

Nothing here commits: placement, the backorder job and fulfilment's endpoints do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select

from ordermesh.inventory.model import Allocation, ReservationRequest
from ordermesh.inventory.reserving import ProductStock, release, reserve
from ordermesh.inventory.stock_rows import lock_products
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import IllegalTransition, InsufficientStock, InvalidInput, Shortage
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.locations.model import Capability, Location
from ordermesh.locations.service import location_by_code, location_codes, locations_by_ids
from ordermesh.orders.allocations import add_allocations, allocated, take_allocation
from ordermesh.orders.model import FulfilmentMethod, OrderStatus, ServiceLevel, order_number
from ordermesh.orders.queries import order_for_fulfilment, order_ref
from ordermesh.shipping.promise import promises
from ordermesh.sourcing.engine import decide
from ordermesh.sourcing.geo import destination
from ordermesh.sourcing.model import (
    Assignment,
    Demand,
    Destination,
    Site,
    SourcingProblem,
    SourcingResult,
    SourcingRule,
    SourcingSettings,
    Trigger,
)
from ordermesh.sourcing.settings import channel_settings
from ordermesh.sourcing.tables import sourcing_decisions

__all__ = ["SourcingOutcome", "channel_settings", "resource_units", "source_added_units",
           "source_units"]

# Orders whose units may still be sourced (placed, not cancelled, not finished).
_INSERT_DECISION = insert(sourcing_decisions)
SOURCEABLE = frozenset({OrderStatus.CONFIRMED, OrderStatus.ON_HOLD, OrderStatus.PROCESSING,
                        OrderStatus.PARTIALLY_SHIPPED, OrderStatus.PENDING})


@dataclass(frozen=True)
class SourcingOutcome:
    decision_id: str | None
    assignments: list[Assignment]
    unsourced: dict[int, int]


@dataclass(frozen=True)
class FulfilmentChoice:
    method: FulfilmentMethod = FulfilmentMethod.SHIP
    pickup_location_id: str | None = None
    service_level: ServiceLevel = ServiceLevel.STANDARD


def fulfilment_choice(uow: UnitOfWork, method: FulfilmentMethod, pickup_code: str | None,
                      service_level: ServiceLevel) -> FulfilmentChoice:
    """Placement input checked: a pick-up names a location that hands over pick-ups; so
    does a counter sale (the store it is made at, which hands the goods over)."""
    if method is FulfilmentMethod.SHIP:
        if pickup_code is not None:
            raise InvalidInput.for_field("fulfilment.pickup_location",
                                         "only pick-up orders and counter sales name a "
                                         "pick-up location")
        return FulfilmentChoice(method, None, service_level)
    if pickup_code is None:
        raise InvalidInput.for_field(
            "fulfilment.pickup_location",
            "a pick-up order names its pick-up location" if method is FulfilmentMethod.PICKUP
            else "a counter sale names the store it is made at", "missing")
    location = location_by_code(uow, pickup_code, "fulfilment.pickup_location")
    if Capability.PICKUP not in location.capabilities:
        raise InvalidInput.for_field("fulfilment.pickup_location",
                                     f"location '{pickup_code}' does not hand over pick-ups",
                                     "no_pickup")
    return FulfilmentChoice(method, location.id, service_level)


class Planner:
    """``reserve``'s planner: runs the engine on the locked stock snapshot.

    ``accept_short`` gets the products that are short and returns those whose shortfall
    may stay unsourced (backorders); for the others ``InsufficientStock`` is raised.
    """

    def __init__(self, uow: UnitOfWork, channel_id: str, requests: list[ReservationRequest],
                 dest: Destination, settings: SourcingSettings,
                 exclude: dict[int, set[str]] | None = None,
                 accept_short: Callable[[set[str]], set[str]] | None = None) -> None:
        self.uow, self.channel_id, self.requests = uow, channel_id, requests
        self.dest, self.settings = dest, settings
        self.exclude = exclude or {}
        self.accept_short = accept_short
        self.result: SourcingResult | None = None
        self.locations: dict[str, Location] = {}  # the candidates, read under the locks

    def __call__(self, views: dict[str, ProductStock]) -> list[Allocation]:
        ids = {loc for view in views.values() for loc in view.by_location}
        if self.dest.pickup_location_id:
            ids.add(self.dest.pickup_location_id)
        self.locations = {loc.id: loc for loc in locations_by_ids(self.uow, ids)}
        sites = _sites(self.uow, list(self.locations.values()), self.settings)
        demands = tuple(Demand(r.line_no, r.product_id, r.sku, r.quantity,
                               views[r.product_id].weight_g,
                               frozenset(self.exclude.get(r.line_no, ())))
                        for r in self.requests)
        problem = SourcingProblem(
            demands, {p: v.by_location for p, v in views.items()},
            {p: v.available for p, v in views.items()}, sites, self.dest, self.settings)
        self.result = result = decide(problem)
        if result.unsourced:
            self._check_short(views, result)
        product = {r.line_no: r.product_id for r in self.requests}
        return [Allocation(a.line_no, product[a.line_no], a.location_id, a.quantity)
                for a in result.assignments]

    def _check_short(self, views: dict[str, ProductStock], result: SourcingResult) -> None:
        short: dict[str, int] = {}
        wanted: dict[str, int] = {}
        for r in self.requests:
            wanted[r.product_id] = wanted.get(r.product_id, 0) + r.quantity
            if (n := result.unsourced.get(r.line_no, 0)):
                short[r.product_id] = short.get(r.product_id, 0) + n
        allowed = self.accept_short(set(short)) if self.accept_short else set()
        refused = [Shortage(views[p].sku, wanted[p], wanted[p] - n)
                   for p, n in short.items() if p not in allowed]
        if refused:
            raise InsufficientStock(sorted(refused, key=lambda s: s.sku))


def _sites(uow: UnitOfWork, locations: list[Location], settings: SourcingSettings
           ) -> tuple[Site, ...]:
    used: dict[str, int] = {}
    limited = {loc.id for loc in locations if loc.fulfilment.daily_capacity is not None}
    if limited and SourcingRule.CAPACITY in settings.rules:
        from ordermesh.fulfilment.service import released_on

        used = released_on(uow, limited, uow.clock.now().date())
    return tuple(Site(
        loc.id, loc.code, Capability.SHIP in loc.capabilities,
        Capability.PICKUP in loc.capabilities, loc.latitude, loc.longitude,
        loc.fulfilment.priority, loc.fulfilment.regions, loc.fulfilment.daily_capacity,
        used.get(loc.id, 0)) for loc in sorted(locations, key=lambda x: x.code))


def placement_planner(uow: UnitOfWork, channel_id: str, requests: list[ReservationRequest],
                      address: dict | None, choice: FulfilmentChoice,
                      elsewhere: frozenset[str] = frozenset()) -> Planner:
    """The planner ``place_order`` hands to ``reserve``: short products become backorders
    where the channel and the product allow it (``sourcing.backorders.backorderable``);
    ``elsewhere``: products whose shortfall another source covers (a drop-ship supplier,
    ``flows/dropship_routing``), so they may come up short too."""
    from ordermesh.sourcing.backorders import backorderable

    return Planner(uow, channel_id, requests, destination(address, choice.pickup_location_id),
                   channel_settings(uow, channel_id),
                   accept_short=lambda products: (backorderable(uow, channel_id, products)
                                                  | (products & elsewhere)))


def finish_placement(uow: UnitOfWork, order_id: str, order_seq: int, planner: Planner | None,
                     allocations: list[Allocation], requests: list[ReservationRequest],
                     order=None) -> SourcingOutcome:
    """After the order's lines and allocations are written: backorder what was not
    sourced, record the decision (trigger ``hold`` for an order placed from a hold) and
    release the fulfilment orders (``order``: the new order as
    ``orders.queries.OrderForFulfilment``, so that it is not read back)."""
    assignments = [Assignment(a.location_id, a.line_no, a.quantity) for a in allocations]
    if planner is None or planner.result is None:  # from a hold, or nothing to plan
        codes = location_codes(uow, {a.location_id for a in assignments})
        by_loc = sorted({a.location_id for a in assignments})
        text = ("Placed from a hold: the hold's locations are kept ("
                + ", ".join(codes.get(loc, loc) for loc in by_loc) + ").")
        decision_id = record_decision(
            uow, order_id, order_seq, Trigger.HOLD, requests, None, assignments, {}, text,
            {"reason": "hold", "method": "hold"}, attempt=1)
        unsourced: dict[int, int] = {}
    else:
        result = planner.result
        unsourced = dict(result.unsourced)
        if unsourced:
            from ordermesh.orders.backorders import record_backorder

            record_backorder(uow, order_seq, unsourced)
        decision_id = record_decision(uow, order_id, order_seq, Trigger.PLACEMENT, requests,
                                      result, assignments, unsourced, result.explanation,
                                      _context(planner), attempt=1)
    from ordermesh.fulfilment.release import release_fulfilment

    release_fulfilment(uow, order_id, assignments, decision_id, promises(uow),
                       new_order=order, locations=planner.locations if planner else None)
    return SourcingOutcome(decision_id, assignments, unsourced)


def _context(planner: Planner, reason: str | None = None) -> dict:
    d, s = planner.dest, planner.settings
    return {
        "rules": [r.value for r in s.rules], "max_splits": s.max_splits,
        "method": planner.result.method if planner.result else None, "reason": reason,
        "destination": {"country": d.country, "region": d.region_code, "basis": d.basis,
                        "latitude": d.latitude, "longitude": d.longitude,
                        "pickup_location_id": d.pickup_location_id},
    }


def record_decision(
    uow: UnitOfWork, order_id: str, order_seq: int, trigger: Trigger | str,
    requests: list[ReservationRequest], result: SourcingResult | None,
    assignments: list[Assignment], unsourced: dict[int, int], explanation: str,
    context: dict, attempt: int | None = None,
) -> str:
    """Store one decision and its ``order.sourced`` event; returns the decision id."""
    if attempt is None:
        attempt = 1 + (uow.execute(select(func.coalesce(func.max(sourcing_decisions.c.attempt),
                                                          0))
                                   .where(sourcing_decisions.c.order_seq == order_seq))
                       .scalar_one())
    codes = location_codes(uow, {a.location_id for a in assignments})
    decision_id = new_id("src")
    chosen = [{"line_no": a.line_no, "location_id": a.location_id,
               "location": codes.get(a.location_id), "quantity": a.quantity}
              for a in sorted(assignments, key=lambda a: (a.line_no, a.location_id))]
    candidates = [{"location_id": c.location_id, "location": c.code, "eligible": c.eligible,
                   "reasons": list(c.reasons), "scores": c.scores, "chosen": c.chosen,
                   "units": c.units} for c in (result.candidates if result else ())]
    lines = [{"line_no": r.line_no, "sku": r.sku, "product_id": r.product_id,
              "quantity": r.quantity} for r in requests]
    missing = {str(n): q for n, q in sorted(unsourced.items()) if q}
    uow.defer_insert(_INSERT_DECISION, {
        "id": decision_id, "order_seq": order_seq, "attempt": attempt,
        "trigger": str(trigger), "lines": lines, "candidates": candidates, "chosen": chosen,
        "unsourced": missing or None, "explanation": explanation, "context": context,
        "created_at": uow.clock.now()})
    record_event(uow, "order.sourced", "order", order_id, {
        "id": order_id, "number": order_number(order_seq), "decision_id": decision_id,
        "attempt": attempt, "trigger": str(trigger), "assignments": chosen,
        "unsourced": [{"line_no": int(n), "quantity": q} for n, q in missing.items()],
        "explanation": explanation})
    return decision_id


def source_units(uow: UnitOfWork, order_id: str, units: dict[int, int], trigger: str,
                 exclude: dict[int, set[str]] | None = None, reason: str | None = None
                 ) -> SourcingOutcome:
    """Reserve and source ``units`` (line_no -> quantity) of a placed order: record the
    decision, add the allocations, release fulfilment orders. What cannot be sourced is
    returned in ``unsourced`` (never raises for a shortage). Does not commit; the caller
    holds the order's lock (and, to keep lock order, takes no stock row lock before)."""
    order = order_for_fulfilment(uow, order_id)
    if order.status not in SOURCEABLE:
        raise IllegalTransition(f"An order that is {order.status} is not sourced",
                                extra={"current_status": order.status.value})
    by_no = {ln.line_no: ln for ln in order.lines}
    requests = []
    for line_no, quantity in sorted(units.items()):
        if line_no not in by_no:
            raise InvalidInput.for_field("line_no", f"No line {line_no} in {order.number}")
        if quantity > 0:
            ln = by_no[line_no]
            requests.append(ReservationRequest(line_no, ln.product_id, ln.sku, quantity))
    if not requests:
        return SourcingOutcome(None, [], {})
    pickup = order.pickup_location_id if order.fulfilment_method.at_location else None
    planner = Planner(uow, order.channel_id, requests,
                      destination(order.shipping_address, pickup),
                      channel_settings(uow, order.channel_id), exclude,
                      accept_short=lambda products: products)
    allocations = reserve(uow, requests, ("order", order.id), order.channel_id, planner)
    result = planner.result
    assignments = [Assignment(a.location_id, a.line_no, a.quantity) for a in allocations]
    unsourced = dict(result.unsourced) if result else {r.line_no: r.quantity for r in requests}
    add_allocations(uow, order.seq, [(a.line_no, a.location_id, a.quantity)
                                     for a in assignments])
    explanation = result.explanation if result else "Nothing could be sourced."
    if reason:
        explanation = f"{explanation} Reason: {reason}."
    decision_id = record_decision(uow, order.id, order.seq, trigger, requests, result,
                                  assignments, unsourced, explanation,
                                  _context(planner, reason))
    from ordermesh.fulfilment.release import release_fulfilment

    release_fulfilment(uow, order.id, assignments, decision_id, promises(uow),
                       join_unpicked=trigger == "edit")
    return SourcingOutcome(decision_id, assignments, unsourced)


def source_added_units(uow: UnitOfWork, order_id: str, units: dict[int, int]) -> None:
    """An edit added ``units`` (line_no -> quantity) to a placed order: sourcing reserves
    them and releases their fulfilment orders. Units that cannot be sourced become
    backorders where the channel and the product allow it (as at placement); otherwise
    the edit is refused (``InsufficientStock``) and changes nothing. Called by
    ``flows.order_edits.edit_order`` once the lines are written."""
    from ordermesh.orders.backorders import record_backorder
    from ordermesh.sourcing.backorders import backorderable

    units = {n: q for n, q in units.items() if q > 0}
    if not units:
        return
    outcome = source_units(uow, order_id, units, "edit", reason="units added by an edit")
    short = {n: q for n, q in outcome.unsourced.items() if q > 0}
    if not short:
        return
    order = order_for_fulfilment(uow, order_id)
    lines = {ln.line_no: ln for ln in order.lines}
    allowed = backorderable(uow, order.channel_id, {lines[n].product_id for n in short})
    refused = sorted((Shortage(lines[n].sku, units[n], units[n] - q)
                      for n, q in short.items() if lines[n].product_id not in allowed),
                     key=lambda s: s.sku)
    if refused:
        raise InsufficientStock(refused)
    record_backorder(uow, order.seq, short)


def resource_units(uow: UnitOfWork, order_id: str, line_no: int, location_id: str,
                   quantity: int, trigger: str, reason: str | None) -> str:
    """Units of a line that ``location_id`` will not supply (rejected, short-picked): the
    reservation there is given back, they are sourced again elsewhere (never from that
    location for this line), and what cannot be sourced is backordered. Returns the new
    decision's id. Does not commit."""
    ref = order_ref(uow, order_id, for_update=True)
    order = order_for_fulfilment(uow, ref.id)
    line = next((ln for ln in order.lines if ln.line_no == line_no), None)
    if line is None:
        raise InvalidInput.for_field("line_no", f"No line {line_no} in {order.number}")
    if quantity <= 0 or allocated(uow, ref.seq, line_no, location_id) < quantity:
        raise InvalidInput.for_field(
            "quantity", f"Line {line_no} does not hold {quantity} units at that location",
            "exceeds_allocation")
    lock_products(uow, {line.product_id})  # every row of it, in the global lock order
    release(uow, [Allocation(line_no, line.product_id, location_id, quantity)],
            ("order", ref.id), ref.channel_id)
    take_allocation(uow, ref.seq, line_no, location_id, quantity)
    outcome = source_units(uow, ref.id, {line_no: quantity}, trigger,
                           exclude={line_no: {location_id}}, reason=reason)
    if outcome.unsourced:
        from ordermesh.orders.backorders import record_backorder

        record_backorder(uow, ref.seq, outcome.unsourced)
    return outcome.decision_id


@dataclass(frozen=True)
class Decision:
    id: str
    attempt: int
    trigger: str
    lines: list[dict]
    candidates: list[dict]
    chosen: list[dict]
    unsourced: dict[str, int]
    explanation: str
    context: dict
    created_at: datetime


def decisions_for(uow: UnitOfWork, order_id: str) -> tuple[str, str, list[Decision]]:
    """Every decision of an order, oldest first: (order id, number, decisions)."""
    ref = order_ref(uow, order_id)
    rows = uow.execute(select(sourcing_decisions).where(
        sourcing_decisions.c.order_seq == ref.seq).order_by(sourcing_decisions.c.attempt))
    return ref.id, ref.number, [
        Decision(r.id, r.attempt, r.trigger, list(r.lines), list(r.candidates),
                 list(r.chosen), dict(r.unsourced or {}), r.explanation, dict(r.context or {}),
                 as_utc(r.created_at)) for r in rows]
