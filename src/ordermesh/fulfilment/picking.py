"""Bins and pick lists: one walk through a location for several fulfilment orders.

A pick list batches the released (or accepted) fulfilment orders of a location, oldest
``ship_by`` first, and orders its items by bin (natural order, unbinned last). Putting a
fulfilment order on a list starts its picking. Confirming the list
(``flows/resourcing.confirm_pick_list``) records what was picked and moves each
fulfilment order with nothing left to pick to ``picked``; what was not found (a short
pick) is written off the location's stock (an inventory adjustment ``lost``, so the
ledger reconciles) and sourced again elsewhere.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update

from ordermesh.catalog.service import resolve_skus
from ordermesh.fulfilment.model import (
    FulfilmentOrder,
    FulfilmentStatus,
    check_transition,
    sort_key_for_bin,
)
from ordermesh.fulfilment.queries import get_fulfilment_order, lock_fulfilment_order
from ordermesh.fulfilment.service import apply_status, start_order_processing
from ordermesh.fulfilment.tables import (
    fulfilment_lines,
    fulfilment_orders,
    location_bins,
    pick_list_items,
    pick_lists,
)
from ordermesh.inventory.model import AdjustmentReason
from ordermesh.inventory.service import AdjustStock, adjust_stock, stock_for_sku
from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, FieldError, IllegalTransition, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.locations.service import find_location, get_location, location_by_code
from ordermesh.orders.model import OrderStatus
from ordermesh.orders.queries import order_ref

S = FulfilmentStatus
FO = fulfilment_orders.c
FL = fulfilment_lines.c
PI = pick_list_items.c
MAX_ORDERS = 200


# --- bins --------------------------------------------------------------------------

def set_bins(uow: UnitOfWork, location_code: str, bins: list[tuple[str, str]]) -> list[dict]:
    """Replace the location's bins with ``bins`` (SKU, bin). Commits."""
    location = find_location(uow, location_code)
    skus = [sku for sku, _ in bins]
    dupes = sorted({s for s in skus if skus.count(s) > 1})
    if dupes:
        raise InvalidInput.for_field("bins", f"SKUs listed twice: {', '.join(dupes)}",
                                     "duplicate_sku")
    found = resolve_skus(uow, skus, [f"bins.{i}.sku" for i in range(len(skus))])
    uow.execute(delete(location_bins).where(location_bins.c.location_id == location.id))
    now = uow.clock.now()
    if bins:
        uow.execute(insert(location_bins), [
            {"location_id": location.id, "product_id": found[sku].id, "bin": bin_code,
             "updated_at": now} for sku, bin_code in bins])
    record_event(uow, "fulfilment.bins_set", "location", location.id, {
        "location": location.code, "bins": [{"sku": s, "bin": b} for s, b in bins]})
    result = list_bins(uow, location.code)
    uow.commit()
    return result


def list_bins(uow: UnitOfWork, location_code: str) -> list[dict]:
    from ordermesh.catalog.tables import products

    location = find_location(uow, location_code)
    rows = uow.execute(select(products.c.sku, location_bins.c.bin)
                       .join(products, products.c.id == location_bins.c.product_id)
                       .where(location_bins.c.location_id == location.id))
    return sorted(({"sku": r.sku, "bin": r.bin} for r in rows),
                  key=lambda b: sort_key_for_bin(b["bin"], b["sku"]))


def _bins(uow: UnitOfWork, location_id: str, product_ids: set[str]) -> dict[str, str]:
    if not product_ids:
        return {}
    rows = uow.execute(select(location_bins.c.product_id, location_bins.c.bin).where(
        location_bins.c.location_id == location_id,
        location_bins.c.product_id.in_(sorted(product_ids))))
    return {r.product_id: r.bin for r in rows}


# --- pick lists --------------------------------------------------------------------

@dataclass(frozen=True)
class PickItem:
    position: int
    fo_id: str
    fo_number: str
    line_no: int
    sku: str
    bin: str | None
    quantity: int
    picked_quantity: int | None


@dataclass(frozen=True)
class PickList:
    id: str
    location_id: str
    location_code: str
    status: str
    actor: str
    created_at: object
    confirmed_at: object
    items: list[PickItem]

    @property
    def fulfilment_orders(self) -> list[str]:
        return sorted({i.fo_number for i in self.items})


def get_pick_list(uow: UnitOfWork, pick_list_id: str, *, for_update: bool = False) -> PickList:
    query = select(pick_lists).where(pick_lists.c.id == pick_list_id)
    row = uow.execute(query.with_for_update() if for_update else query).first()
    if row is None:
        raise NotFound(f"Pick list '{pick_list_id}' does not exist")
    items = uow.execute(
        select(pick_list_items, FO.number).join(fulfilment_orders, FO.id == PI.fo_id)
        .where(PI.pick_list_id == row.id).order_by(PI.position))
    return PickList(
        row.id, row.location_id, get_location(uow, row.location_id).code, row.status,
        row.actor, as_utc(row.created_at),
        as_utc(row.confirmed_at) if row.confirmed_at else None,
        [PickItem(i.position, i.fo_id, i.number, i.line_no, i.sku, i.bin, i.quantity,
                  i.picked_quantity) for i in items])


def _candidates(uow: UnitOfWork, location_id: str, fo_ids: list[str] | None,
                max_orders: int) -> list[FulfilmentOrder]:
    """Released or accepted fulfilment orders of the location (``fo_ids``: just those),
    most urgent first; each locked (its order first), skipping orders on hold."""
    query = (select(FO.id).where(FO.location_id == location_id,
                                 FO.status.in_([S.RELEASED.value, S.ACCEPTED.value]))
             .order_by(FO.ship_by, FO.created_at, FO.number))
    if fo_ids is not None:
        query = query.where(FO.id.in_(fo_ids))
    chosen = []
    for fo_id in uow.execute(query.limit(max_orders * 2 + 10)).scalars():
        if len(chosen) == max_orders:
            break
        fo = lock_fulfilment_order(uow, fo_id)
        if fo.status not in (S.RELEASED, S.ACCEPTED) or not any(ln.to_pick for ln in fo.lines):
            continue
        if order_ref(uow, fo.order_id).status == OrderStatus.ON_HOLD:
            continue
        chosen.append(fo)
    return chosen


def create_pick_list(uow: UnitOfWork, location_code: str, max_orders: int,
                     fo_ids: list[str] | None = None,
                     idem: idempotency.IdempotencyKey | None = None,
                     pick_list_id: str | None = None) -> PickList:
    """Batch up to ``max_orders`` fulfilment orders of a location into one pick list and
    start their picking. Commits."""
    pick_list_id = pick_list_id or new_id("pl")
    if prior := idempotency.claim(uow, idem, idempotency.PriorResult("pick_list",
                                                                       pick_list_id, 201)):
        return get_pick_list(uow, prior.resource_id)
    if not 1 <= max_orders <= MAX_ORDERS:
        raise InvalidInput.for_field("max_orders", f"must be 1 to {MAX_ORDERS}")
    location = location_by_code(uow, location_code)
    fos = _candidates(uow, location.id, fo_ids, max_orders)
    if not fos:
        raise Conflict(f"Nothing to pick at {location.code}: no released or accepted "
                       "fulfilment orders with units to pick (orders on hold wait)",
                       extra={"location": location.code})
    bins = _bins(uow, location.id, {ln.product_id for fo in fos for ln in fo.lines})
    items = sorted(((bins.get(ln.product_id), ln.sku, fo.number, fo.id, ln.line_no, ln.to_pick)
                    for fo in fos for ln in fo.lines if ln.to_pick),
                   key=lambda i: (sort_key_for_bin(i[0], i[1]), i[2], i[4]))
    now = uow.clock.now()
    uow.execute(insert(pick_lists).values(id=pick_list_id, location_id=location.id,
                                          status="open", actor=uow.actor, created_at=now))
    products = {(fo.id, ln.line_no): ln.product_id for fo in fos for ln in fo.lines}
    uow.execute(insert(pick_list_items), [
        {"pick_list_id": pick_list_id, "position": pos, "fo_id": fo_id, "line_no": no,
         "product_id": products[(fo_id, no)], "sku": sku, "bin": bin_code, "quantity": q,
         "picked_quantity": None}
        for pos, (bin_code, sku, _, fo_id, no, q) in enumerate(items, 1)])
    for fo in fos:
        start_order_processing(uow, fo)
        apply_status(uow, fo, S.PICKING, f"on pick list {pick_list_id}",
                     {"pick_list_id": pick_list_id})
    result = get_pick_list(uow, pick_list_id)
    record_event(uow, "fulfilment.pick_list_created", "pick_list", pick_list_id, {
        "id": pick_list_id, "location": location.code,
        "fulfilment_orders": result.fulfilment_orders,
        "items": [{"position": i.position, "sku": i.sku, "bin": i.bin,
                   "quantity": i.quantity, "fulfilment_order": i.fo_number}
                  for i in result.items]})
    idempotency.complete(uow, idem, "pick_list", pick_list_id, 201)
    uow.commit()
    return result


def _check_picks(pick_list: PickList, picked: dict[int, int]) -> None:
    by_position = {i.position: i for i in pick_list.items}
    errors = []
    for position, quantity in sorted(picked.items()):
        item = by_position.get(position)
        if item is None:
            errors.append(FieldError(f"items.{position}", f"Pick list has no item {position}",
                                     "unknown_item"))
        elif quantity > item.quantity:
            errors.append(FieldError(
                f"items.{position}", f"Item {position} ({item.sku}) lists {item.quantity} "
                f"units; {quantity} cannot have been picked for it", "exceeds_listed"))
    if errors:
        raise InvalidInput("Some picked quantities do not fit the pick list", errors=errors)


def record_picks(uow: UnitOfWork, pick_list_id: str, picked: dict[int, int]
                 ) -> tuple[PickList, dict[str, FulfilmentOrder], dict[str, dict[int, int]],
                            list[dict]]:
    """Confirming a pick list, first part: what was picked per item (items not
    mentioned: picked in full) goes on the fulfilment orders' lines. Returns the list,
    its fulfilment orders (locked), the units short per fulfilment order and line, and
    what goes back to the shelf. The short units are written off and sourced again by
    ``flows/resourcing.confirm_pick_list``, which ends with ``finish_pick_list``."""
    pick_list = get_pick_list(uow, pick_list_id, for_update=True)
    if pick_list.status != "open":
        raise Conflict(f"Pick list {pick_list.id} is already {pick_list.status}",
                       extra={"pick_list_status": pick_list.status})
    _check_picks(pick_list, picked)
    shorts: dict[str, dict[int, int]] = defaultdict(dict)
    put_back: list[dict] = []
    fos = {fo_id: lock_fulfilment_order(uow, fo_id)
           for fo_id in sorted({i.fo_id for i in pick_list.items})}
    # read again under the orders' locks: an edit may have added units to the list
    pick_list = get_pick_list(uow, pick_list.id)
    for item in pick_list.items:
        got = picked.get(item.position, item.quantity)
        fo = fos[item.fo_id]
        line = fo.line(item.line_no)
        needed = min(item.quantity, line.to_pick) if fo.status == S.PICKING else 0
        took = min(got, needed)
        if got > took:  # cancelled while the list was walked: back to the shelf
            put_back.append({"position": item.position, "sku": item.sku,
                             "quantity": got - took})
        if took:
            uow.execute(update(fulfilment_lines)
                        .where(FL.fo_id == fo.id, FL.line_no == item.line_no)
                        .values(picked_quantity=FL.picked_quantity + took))
        if needed > took:
            shorts[fo.id][item.line_no] = needed - took
        uow.execute(update(pick_list_items).where(PI.pick_list_id == pick_list.id,
                                                  PI.position == item.position)
                    .values(picked_quantity=got))
    return pick_list, fos, shorts, put_back


def finish_pick_list(uow: UnitOfWork, pick_list: PickList, fo_ids: list[str],
                     written_off: list[dict], put_back: list[dict],
                     idem: idempotency.IdempotencyKey | None = None) -> PickList:
    """Confirming a pick list, last part: each fulfilment order with nothing left to
    pick is ``picked``, the list is confirmed (its event names what was short and put
    back). Commits."""
    for fo_id in sorted(fo_ids):  # every open unit off the shelf: the pick is done
        fo = get_fulfilment_order(uow, fo_id)
        if fo.status == S.PICKING and fo.open_units and not any(ln.to_pick for ln in fo.lines):
            apply_status(uow, fo, S.PICKED, f"pick list {pick_list.id} confirmed",
                         {"pick_list_id": pick_list.id})
    now = uow.clock.now()
    uow.execute(update(pick_lists).where(pick_lists.c.id == pick_list.id)
                .values(status="confirmed", confirmed_at=now))
    record_event(uow, "fulfilment.pick_list_confirmed", "pick_list", pick_list.id, {
        "id": pick_list.id, "location": pick_list.location_code,
        "fulfilment_orders": pick_list.fulfilment_orders, "short": written_off,
        "put_back": put_back})
    idempotency.complete(uow, idem, "pick_list", pick_list.id, 200)
    result = get_pick_list(uow, pick_list.id)
    uow.commit()
    return result


def write_off(uow: UnitOfWork, fo: FulfilmentOrder, line_no: int, quantity: int,
              source: str) -> dict:
    """The units not found leave the location's books (never below what other orders
    still hold reserved there: that much is reported, not written off)."""
    line = fo.line(line_no)
    level = next((lv for lv in stock_for_sku(uow, line.sku).levels
                  if lv.location_id == fo.location_id), None)
    free = level.available if level else 0
    units = min(quantity, max(free, 0))
    if units:
        adjust_stock(uow, AdjustStock(
            line.sku, fo.location_code, -units, AdjustmentReason.LOST,
            f"short: {fo.number} line {line_no} ({source})"))
    return {"fulfilment_order": fo.number, "line_no": line_no, "sku": line.sku,
            "short": quantity, "written_off": units}


def start_picking(uow: UnitOfWork, fo_id: str,
                  idem: idempotency.IdempotencyKey | None = None) -> PickList:
    """Pick one fulfilment order now: a pick list of its own. Commits."""
    pick_list_id = new_id("pl")
    if prior := idempotency.claim(uow, idem, idempotency.PriorResult("pick_list",
                                                                       pick_list_id, 201)):
        return get_pick_list(uow, prior.resource_id)
    fo = get_fulfilment_order(uow, fo_id)
    check_transition(fo.kind, fo.status, S.PICKING, fo.number)
    if order_ref(uow, fo.order_id).status == OrderStatus.ON_HOLD:
        raise IllegalTransition(f"The order of {fo.number} is on hold: it cannot be picked "
                                "until the hold is released")
    return create_pick_list(uow, fo.location_code, 1, [fo.id], None, pick_list_id)
