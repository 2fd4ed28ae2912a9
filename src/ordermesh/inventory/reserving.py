"""Reserving stock for orders and holds, and giving it back.

``reserve`` and ``release`` are building blocks for other features' use cases: they run
inside the caller's transaction and never commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, update

from ordermesh.inventory.allocation import StockRow, channel_availability
from ordermesh.inventory.ledger import book
from ordermesh.inventory.levels import levels, record_level_events
from ordermesh.inventory.model import (
    AdjustmentReason,
    Allocation,
    MovementKind,
    ReservationRequest,
    plan_reservation,
)
from ordermesh.inventory.policy import load_policies
from ordermesh.inventory.stock_rows import ensure_stock_rows, lock_products
from ordermesh.inventory.stock_snapshot import LOCK_PRODUCTS, snapshot_for
from ordermesh.inventory.tables import channel_reserved, stock
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InsufficientStock, Shortage
from ordermesh.kit.upsert import insert_or_add_many
from ordermesh.locations.model import LocationKind
from ordermesh.locations.service import locations_by_ids

# Hot-path statements are built once: building and cache-keying a statement costs more
# Python time than executing it.
_ROW = and_(stock.c.product_id == bindparam("p"), stock.c.location_id == bindparam("l"))
_TAKE = (update(stock).where(_ROW, stock.c.on_hand - stock.c.reserved >= bindparam("q"))
         .values(reserved=stock.c.reserved + bindparam("q"), updated_at=bindparam("now")))
_GIVE_BACK = (update(stock).where(_ROW, stock.c.reserved >= bindparam("q"))
              .values(reserved=stock.c.reserved - bindparam("q"), updated_at=bindparam("now")))
_BOOK_IN = (update(stock).where(_ROW)
            .values(on_hand=stock.c.on_hand + bindparam("q"),
                    reserved=stock.c.reserved + bindparam("q"), updated_at=bindparam("now")))
_SHIP = (update(stock).where(_ROW, stock.c.reserved >= bindparam("q"),
                            stock.c.on_hand >= bindparam("q"))
         .values(on_hand=stock.c.on_hand - bindparam("q"),
                 reserved=stock.c.reserved - bindparam("q"), updated_at=bindparam("now")))
_CHANNEL_GIVE_BACK = (
    update(channel_reserved)
    .where(channel_reserved.c.channel_id == bindparam("c"),
           channel_reserved.c.product_id == bindparam("p"),
           channel_reserved.c.reserved >= bindparam("q"))
    .values(reserved=channel_reserved.c.reserved - bindparam("q")))


def allocation_movements(
    allocations: list[Allocation], kind: MovementKind, sign: int, reference: tuple[str, str],
    channel_id: str,
) -> list[dict]:
    """Ledger rows that move reserved units of ``allocations`` up (``sign`` 1) or down."""
    return [{
        "product_id": a.product_id, "location_id": a.location_id, "kind": kind.value,
        "reserved_delta": sign * a.quantity, "channel_id": channel_id,
        "reference_type": reference[0], "reference_id": reference[1],
    } for a in allocations]


def _share_out(requests: list[ReservationRequest], taken: list[tuple[str, int]]
               ) -> list[Allocation]:
    """Hand a product's reserved units to its order lines, in line order."""
    allocations = []
    pool = [[loc, units] for loc, units in taken]
    for request in sorted(requests, key=lambda r: r.line_no):
        needed = request.quantity
        for slot in pool:
            give = min(needed, slot[1])
            if give:
                allocations.append(Allocation(request.line_no, request.product_id, slot[0], give))
                slot[1] -= give
                needed -= give
    return allocations


@dataclass(frozen=True)
class ProductStock:
    """What a planner may use of one product: free units per location for the channel
    (after safety stock, location eligibility, quotas and fences) and the most the channel
    may take in all."""

    sku: str
    by_location: dict[str, int]
    available: int
    weight_g: int | None


# Decides where the requested units come from, given each product's ``ProductStock``
# (read under the stock row locks). Returns allocations within those limits, fewer units
# than requested when it accepts a shortfall; raises ``InsufficientStock`` otherwise.
Planner = Callable[[dict[str, ProductStock]], list[Allocation]]


def _add_channel_reserved(uow: UnitOfWork, channel_id: str, units: dict[str, int]) -> None:
    # Deferred: read only by quota rules (``load_policies``) and the ledger checks, whose
    # statements write the queue first. Its rows are those of stock rows this transaction
    # has locked, so writing them at the end cannot deadlock.
    insert_or_add_many(uow, channel_reserved, ("channel_id", "product_id"), ("reserved",), [
        {"channel_id": channel_id, "product_id": p, "reserved": units[p]} for p in sorted(units)],
        defer=True)


def reserve(
    uow: UnitOfWork, requests: list[ReservationRequest], reference: tuple[str, str],
    channel_id: str, planner: Planner | None = None,
) -> list[Allocation]:
    """Reserve every request for ``channel_id``, or none (raises ``InsufficientStock``
    naming each SKU the channel cannot have).

    ``planner`` (sourcing) decides where the units come from, from what the channel may
    use of each product; it may accept a shortfall (backorders). Without one, each
    product's units come from ``plan_reservation``. Either way the locks, the
    conditional ``UPDATE``s and the bookkeeping below are the same.

    How: one ``SELECT ... FOR UPDATE`` locks every stock row of the requested products in
    (product, location) order. Everything that limits the channel (safety stock, the
    locations that may serve it, quotas, exclusions, what each channel holds) is read
    while those locks are held, so the plan made from it is exact: any other
    reservation of these products waits for this transaction. Each planned row is then
    reserved with the conditional ``UPDATE``, which re-checks it in the database. Every
    transaction takes stock row locks in that one global order (``release`` too), then
    channel counters, so concurrent orders cannot deadlock. The caller's transaction must
    be rolled back on ``InsufficientStock``. In a batch of orders the rows and settings
    come from the batch's snapshot, read under the same locks once, and the ``UPDATE``
    is queued with the batch's others (``inventory.stock_snapshot``).
    """
    by_product: dict[str, list[ReservationRequest]] = defaultdict(list)
    for request in requests:
        by_product[request.product_id].append(request)
    rows: dict[str, list] = defaultdict(list)
    batch = snapshot_for(uow, by_product)
    if batch is not None:  # a batch's rows, locked and read once (stock_snapshot)
        rows.update((pid, batch.rows[pid]) for pid in by_product if pid in batch.rows)
    else:
        for row in uow.execute(LOCK_PRODUCTS, {"ids": sorted(by_product)}):
            rows[row.product_id].append(row)
    policies = load_policies(uow, channel_id, by_product, {
        pid: found[0].category for pid, found in rows.items()},
        *((batch.settings, batch.location_rows) if batch is not None else ()))
    now = uow.clock.now()
    takes: list[dict] = []
    allocations: list[Allocation] = []
    shortages: list[Shortage] = []
    taken_units: dict[str, int] = {}
    before, after = {}, {}
    views: dict[str, ProductStock] = {}
    for product_id in sorted(by_product):
        lines = by_product[product_id]
        quantity = sum(r.quantity for r in lines)
        snapshot = [StockRow(r.location_id, r.on_hand, r.reserved,
                             policies.safety(product_id, r.location_id, r.safety_stock))
                    for r in rows[product_id]]
        policy = policies.products[product_id]
        can = channel_availability(snapshot, channel_id, policy.rules, policy.channel_reserved,
                                   policies.eligible, policies.reach)
        level = sum(r.on_hand - r.reserved for r in snapshot)
        threshold = rows[product_id][0].low_stock_threshold if rows[product_id] else None
        if planner is not None:
            weight = rows[product_id][0].weight_grams if rows[product_id] else None
            views[product_id] = ProductStock(lines[0].sku, dict(can.by_location),
                                             can.available, weight)
            before[product_id] = (lines[0].sku, threshold, level)
            continue
        if shortages or can.available < quantity:  # once short, only look for more shortages
            if can.available < quantity:
                shortages.append(Shortage(lines[0].sku, quantity, can.available))
            continue
        plan = plan_reservation(can.by_location, quantity)
        takes.extend({"p": product_id, "l": loc, "q": units, "now": now} for loc, units in plan)
        allocations.extend(_share_out(lines, plan))
        taken_units[product_id] = quantity
        before[product_id] = (lines[0].sku, threshold, level)
        after[product_id] = level - quantity
    if shortages:
        raise InsufficientStock(sorted(shortages, key=lambda s: s.sku))
    if planner is not None:
        allocations = [a for a in planner(views) if a.quantity > 0]
        per_row: dict[tuple[str, str], int] = defaultdict(int)
        for a in allocations:
            per_row[(a.product_id, a.location_id)] += a.quantity
            taken_units[a.product_id] = taken_units.get(a.product_id, 0) + a.quantity
        takes = [{"p": p, "l": loc, "q": q, "now": now} for (p, loc), q in sorted(per_row.items())]
        before = {p: v for p, v in before.items() if p in taken_units}
        after = {p: before[p][2] - taken_units[p] for p in before}
        if not takes:
            return []
    if batch is not None:  # written with the batch's other takes, checked then
        uow.defer_update(_TAKE, takes)
        batch.take(takes)
    elif uow.execute(_TAKE, takes).rowcount != len(takes):
        raise RuntimeError("a locked stock row changed under its lock")
    _add_channel_reserved(uow, channel_id, taken_units)
    book(uow, allocation_movements(allocations, MovementKind.RESERVATION, 1, reference,
                                    channel_id))
    record_level_events(uow, before, after)
    return sorted(allocations, key=lambda a: (a.line_no, a.location_id))


def release(
    uow: UnitOfWork, allocations: list[Allocation], reference: tuple[str, str], channel_id: str
) -> None:
    """Give back exactly what was reserved for ``channel_id``, in the same lock order as
    ``reserve``, with one conditional statement per row. Units reserved at a location of
    kind ``supplier`` passed through it (``book_in_reserved``): they are booked out, not
    freed, so nobody can ever be sold a drop-ship supplier's stock."""
    at_suppliers = {loc.id for loc in locations_by_ids(
        uow, {a.location_id for a in allocations}) if loc.kind is LocationKind.SUPPLIER}
    if not at_suppliers:
        _unreserve(uow, allocations, reference, channel_id, shipped=False)
        return
    lock_products(uow, {a.product_id for a in allocations})  # the global order, once
    _unreserve(uow, [a for a in allocations if a.location_id in at_suppliers], reference,
               channel_id, shipped=True, booked_out=True)
    _unreserve(uow, [a for a in allocations if a.location_id not in at_suppliers],
               reference, channel_id, shipped=False)


def ship(
    uow: UnitOfWork, allocations: list[Allocation], reference: tuple[str, str], channel_id: str
) -> None:
    """Reserved units that left their location: off ``reserved`` and ``on_hand`` at once."""
    _unreserve(uow, allocations, reference, channel_id, shipped=True)


def book_in_reserved(uow: UnitOfWork, allocations: list[Allocation],
                     reference: tuple[str, str], channel_id: str, note: str) -> None:
    """Units that pass through a location without ever being ours to sell (a drop-ship
    supplier's, ``flows/dropship_routing``): on hand and reserved for ``reference`` at
    once, booked as a receipt and a reservation. Nobody else can ever take them, and the
    product's level (free units) does not move, so no level event is written. The rows
    are locked already (the caller locked the products)."""
    if not allocations:
        return
    ensure_stock_rows(uow, {(a.product_id, a.location_id) for a in allocations})
    ordered = sorted(allocations, key=lambda a: (a.product_id, a.location_id))
    now = uow.clock.now()
    uow.execute(_BOOK_IN, [{"p": a.product_id, "l": a.location_id, "q": a.quantity,
                            "now": now} for a in ordered])
    units: dict[str, int] = defaultdict(int)
    for a in ordered:
        units[a.product_id] += a.quantity
    _add_channel_reserved(uow, channel_id, units)
    book(uow, [{"product_id": a.product_id, "location_id": a.location_id,
                "kind": MovementKind.RECEIPT.value, "on_hand_delta": a.quantity,
                "reason": AdjustmentReason.RECEIVED.value, "note": note,
                "reference_type": reference[0], "reference_id": reference[1]}
               for a in ordered]
         + allocation_movements(ordered, MovementKind.RESERVATION, 1, reference, channel_id))


def _unreserve(uow: UnitOfWork, allocations: list[Allocation], reference: tuple[str, str],
               channel_id: str, *, shipped: bool, booked_out: bool = False) -> None:
    if not allocations:
        return
    ordered = sorted(allocations, key=lambda a: (a.product_id, a.location_id))
    product_ids = {a.product_id for a in ordered}
    before = levels(uow, product_ids)
    now = uow.clock.now()
    params = [{"p": a.product_id, "l": a.location_id, "q": a.quantity, "now": now}
              for a in ordered]
    if uow.execute(_SHIP if shipped else _GIVE_BACK, params).rowcount != len(params):
        raise RuntimeError("a stock row lost a reservation: counters no longer match orders")
    units: dict[str, int] = defaultdict(int)
    for a in ordered:
        units[a.product_id] += a.quantity
    given = [{"c": channel_id, "p": p, "q": q} for p, q in sorted(units.items())]
    if uow.execute(_CHANNEL_GIVE_BACK, given).rowcount != len(given):
        raise RuntimeError("a channel gave back more than it held reserved")
    kind = MovementKind.SHIPMENT if shipped and not booked_out else MovementKind.RELEASE
    movements = allocation_movements(ordered, kind, -1, reference, channel_id)
    if booked_out:
        movements += [{"product_id": a.product_id, "location_id": a.location_id,
                       "kind": MovementKind.ADJUSTMENT.value, "on_hand_delta": -a.quantity,
                       "reason": AdjustmentReason.CORRECTION.value,
                       "note": "passed through: will not come",
                       "reference_type": reference[0], "reference_id": reference[1]}
                      for a in ordered]
    elif shipped:
        for row, a in zip(movements, ordered, strict=True):
            row["on_hand_delta"] = -a.quantity
    book(uow, movements)
    record_level_events(uow, before)
