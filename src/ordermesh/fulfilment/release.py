"""Releasing fulfilment orders: one per location for what sourcing decided.

This runs inside every order's placement transaction, so it writes each kind of row
with one statement for all of the order's fulfilment orders, and reads each location
and carrier account once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select

from ordermesh.fulfilment.model import (
    FulfilmentKind,
    FulfilmentLine,
    FulfilmentOrder,
    FulfilmentStatus,
    fulfilment_number,
)
from ordermesh.fulfilment.service import event_payload, iso_or_none
from ordermesh.fulfilment.tables import fulfilment_history, fulfilment_lines, fulfilment_orders
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_events
from ordermesh.locations.model import Location, LocationKind
from ordermesh.locations.service import locations_by_ids

S = FulfilmentStatus
FO = fulfilment_orders.c
_INSERT_FOS = insert(fulfilment_orders)
_INSERT_LINES = insert(fulfilment_lines)
_INSERT_HISTORY = insert(fulfilment_history)

# (location, shipping address, service level, kind, released at) -> the promise: carrier,
# service, ship_by, promised_date. Shipping makes it (``shipping.promise.promises``);
# sourcing, which releases, passes it in, as shipping sits above fulfilment.
PromiseFor = Callable[[Location, dict | None, str, str, datetime], Any]


def release_fulfilment(uow: UnitOfWork, order_id: str, assignments: list,
                       decision_id: str | None, promise: PromiseFor, new_order=None,
                       locations: dict[str, Location] | None = None,
                       join_unpicked: bool = False) -> list[str]:
    """One fulfilment order per location for ``assignments`` (``location_id``,
    ``line_no``, ``quantity``), each with its ``promise``; returns their ids. 3PL locations
    get the hand-off event. ``new_order``: the order just placed, as
    ``orders.queries.OrderForFulfilment`` (it has no fulfilment orders yet and need not
    be read back); ``locations``: those the caller has read already.
    ``join_unpicked``: units at a location whose fulfilment order there is not yet
    picked join it (``joining``) instead of a new one. Does not commit."""
    from ordermesh.fulfilment.handoff import record_handoff
    from ordermesh.orders.queries import order_for_fulfilment

    order = new_order or order_for_fulfilment(uow, order_id)
    lines = {ln.line_no: ln for ln in order.lines}
    per_location: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for a in assignments:
        if a.line_no not in lines:
            raise InvalidInput.for_field("line_no", f"No line {a.line_no} in order "
                                         f"{order.number}")
        if a.quantity > 0:
            per_location[a.location_id][a.line_no] += a.quantity
    # a counter sale is handed over at its store as a pick-up is
    kind = (FulfilmentKind.PICKUP if str(order.fulfilment_method) in ("pickup", "counter")
            else FulfilmentKind.SHIP)
    if join_unpicked and per_location:
        from ordermesh.fulfilment.joining import join_unpicked as join

        per_location = join(uow, order, per_location, kind)
    if not per_location:
        return []
    index = 0 if new_order else uow.execute(
        select(func.coalesce(func.max(FO.order_index), 0))
        .where(FO.order_seq == order.seq)).scalar_one()
    now = uow.clock.now()
    known = locations or {}
    if missing := set(per_location) - set(known):
        known = {**known, **{loc.id: loc for loc in locations_by_ids(uow, missing)}}
    released: list[FulfilmentOrder] = []
    for location_id in sorted(per_location):
        location = known[location_id]
        promised = promise(location, order.shipping_address, str(order.service_level),
                           kind.value, now)
        index += 1
        released.append(FulfilmentOrder(
            id=new_id("fo"), number=fulfilment_number(order.seq, index), order_id=order.id,
            order_seq=order.seq, order_number=order.number, channel_id=order.channel_id,
            location_id=location_id, location_code=location.code,
            location_kind=location.kind.value, kind=kind, status=S.RELEASED,
            lines=[FulfilmentLine(no, lines[no].product_id, lines[no].sku, lines[no].name, q)
                   for no, q in sorted(per_location[location_id].items())],
            shipping_address=order.shipping_address if kind == FulfilmentKind.SHIP else None,
            service_level=str(order.service_level), carrier=promised.carrier,
            carrier_service=promised.service, ship_by=promised.ship_by,
            promised_date=promised.promised_date, delivered_at=None, created_at=now,
            updated_at=now, decision_id=decision_id))
    _write(uow, released, first_index=index - len(released) + 1)
    record_events(uow, [
        ("fulfilment.released", "fulfilment_order", fo.id, event_payload(
            fo, decision_id=decision_id, ship_by=iso_or_none(fo.ship_by),
            promised_date=iso_or_none(fo.promised_date), carrier=fo.carrier,
            carrier_service=fo.carrier_service,
            lines=[{"line_no": ln.line_no, "sku": ln.sku, "quantity": ln.quantity}
                   for ln in fo.lines])) for fo in released])
    for fo in released:
        if fo.location_kind == LocationKind.THREE_PL.value:  # the document names the customer
            record_handoff(uow, fo, order_for_fulfilment(uow, order.id))
    return [fo.id for fo in released]


def _write(uow: UnitOfWork, released: list[FulfilmentOrder], first_index: int) -> None:
    now = released[0].created_at
    uow.defer_insert(_INSERT_FOS, [{
        "id": fo.id, "number": fo.number, "order_id": fo.order_id, "order_seq": fo.order_seq,
        "order_index": first_index + i, "channel_id": fo.channel_id,
        "location_id": fo.location_id, "kind": fo.kind.value, "status": S.RELEASED.value,
        "decision_id": fo.decision_id, "shipping_address": fo.shipping_address,
        "service_level": fo.service_level, "carrier": fo.carrier,
        "carrier_service": fo.carrier_service, "ship_by": fo.ship_by,
        "promised_date": fo.promised_date, "pickup_attempts": 0, "created_at": now,
        "updated_at": now} for i, fo in enumerate(released)])
    uow.defer_insert(_INSERT_LINES, [
        {"fo_id": fo.id, "line_no": ln.line_no, "product_id": ln.product_id, "sku": ln.sku,
         "name": ln.name, "quantity": ln.quantity, "picked_quantity": 0, "short_quantity": 0,
         "packed_quantity": 0, "cancelled_quantity": 0, "rejected_quantity": 0,
         "shipped_quantity": 0} for fo in released for ln in fo.lines])
    uow.defer_insert(_INSERT_HISTORY, [
        {"fo_id": fo.id, "from_status": None, "to_status": S.RELEASED.value,
         "actor": uow.actor, "reason": "released by sourcing",
         "details": {"decision_id": fo.decision_id}, "occurred_at": now} for fo in released])
