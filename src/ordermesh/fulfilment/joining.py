"""Units an edit adds at a location join the order's fulfilment order there while it is
not yet picked (``released``, ``accepted``, or ``picking`` with its pick list still
open): its lines and its pick list grow, so the location picks, packs, labels and books
one parcel instead of two. Once picked, a new fulfilment order is released for them."""

from __future__ import annotations

from sqlalchemy import func, insert, select, update

from ordermesh.fulfilment.model import JOINABLE, FulfilmentKind, FulfilmentOrder, FulfilmentStatus
from ordermesh.fulfilment.queries import fulfilment_for_order
from ordermesh.fulfilment.service import lines_changed_event
from ordermesh.fulfilment.tables import fulfilment_lines, pick_list_items, pick_lists
from ordermesh.kit.db import UnitOfWork
from ordermesh.locations.model import LocationKind

FL = fulfilment_lines.c
PI = pick_list_items.c


def _open_pick_list(uow: UnitOfWork, fo_id: str) -> str | None:
    return uow.execute(
        select(pick_lists.c.id).join(pick_list_items, PI.pick_list_id == pick_lists.c.id)
        .where(PI.fo_id == fo_id, pick_lists.c.status == "open").limit(1)).scalar()


def _joinable(uow: UnitOfWork, fos: list[FulfilmentOrder], location_id: str,
              kind: FulfilmentKind) -> tuple[FulfilmentOrder, str | None] | None:
    for fo in fos:
        if fo.location_id != location_id or fo.kind != kind or fo.status not in JOINABLE:
            continue
        if fo.status == FulfilmentStatus.PICKING:
            pick_list_id = _open_pick_list(uow, fo.id)
            if pick_list_id is not None:
                return fo, pick_list_id
            continue
        return fo, None
    return None


def _add_to_pick_list(uow: UnitOfWork, pick_list_id: str, fo: FulfilmentOrder,
                      line_no: int, quantity: int) -> None:
    from ordermesh.fulfilment.picking import _bins

    item = uow.execute(select(pick_list_items).where(
        PI.pick_list_id == pick_list_id, PI.fo_id == fo.id, PI.line_no == line_no)).first()
    if item is not None:
        uow.execute(update(pick_list_items).where(
            PI.pick_list_id == pick_list_id, PI.position == item.position)
            .values(quantity=PI.quantity + quantity))
        return
    line = fo.line(line_no)
    position = uow.execute(select(func.max(PI.position))
                           .where(PI.pick_list_id == pick_list_id)).scalar_one() + 1
    uow.execute(insert(pick_list_items).values(
        pick_list_id=pick_list_id, position=position, fo_id=fo.id, line_no=line_no,
        product_id=line.product_id, sku=line.sku,
        bin=_bins(uow, fo.location_id, {line.product_id}).get(line.product_id),
        quantity=quantity, picked_quantity=None))


def join_unpicked(uow: UnitOfWork, order, per_location: dict[str, dict[int, int]],
                  kind: FulfilmentKind) -> dict[str, dict[int, int]]:
    """Add the units of ``per_location`` (location id -> line_no -> units) to the
    order's not yet picked fulfilment orders there; returns what is left for new ones.
    ``order``: ``orders.queries.OrderForFulfilment``. Does not commit."""
    from ordermesh.fulfilment.handoff import record_handoff

    fos = fulfilment_for_order(uow, order.id, for_update=True)
    lines = {ln.line_no: ln for ln in order.lines}
    left: dict[str, dict[int, int]] = {}
    for location_id, units in sorted(per_location.items()):
        found = _joinable(uow, fos, location_id, kind)
        if found is None:
            left[location_id] = units
            continue
        fo, pick_list_id = found
        for no, quantity in sorted(units.items()):
            if fo.line(no) is not None:
                uow.execute(update(fulfilment_lines).where(FL.fo_id == fo.id, FL.line_no == no)
                            .values(quantity=FL.quantity + quantity))
            else:
                ln = lines[no]
                uow.execute(insert(fulfilment_lines).values(
                    fo_id=fo.id, line_no=no, product_id=ln.product_id, sku=ln.sku,
                    name=ln.name, quantity=quantity, picked_quantity=0, short_quantity=0,
                    packed_quantity=0, cancelled_quantity=0, rejected_quantity=0,
                    shipped_quantity=0))
        joined = fulfilment_for_order(uow, order.id)
        fo = next(f for f in joined if f.id == fo.id)
        if pick_list_id is not None:
            for no, quantity in sorted(units.items()):
                _add_to_pick_list(uow, pick_list_id, fo, no, quantity)
        lines_changed_event(uow, fo, "added", units, "units added by an edit",
                            pick_list_id=pick_list_id)
        if fo.location_kind == LocationKind.THREE_PL.value:  # the 3PL gets the new document
            from ordermesh.orders.queries import order_for_fulfilment

            record_handoff(uow, fo, order_for_fulfilment(uow, order.id))
    return left
