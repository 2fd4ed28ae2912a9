"""Recording units that shipped on an order (``POST /orders/{id}/shipments``).

There is one way units leave for a carrier: through their fulfilment order. This is the
thin form of it for units shipped without the pick and pack screens: it finds the
fulfilment order that holds the units and lets them leave through it, with the same
stock movement, order status, capture, invoice and events as a hand-over. A fulfilment
order is never cancelled by it.

* Every unit asked for must be open on one fulfilment order (one location, one parcel):
  units on two fulfilment orders are two shipments.
* A packed or booked fulfilment order asked for whole is handed over
  (``shipping.service.hand_over``); packed units are never split off their package.
* Otherwise the units leave through ``fulfilment.service.send_by_hand``; the fulfilment
  order is ``shipped`` once nothing is left open on it.
"""

from __future__ import annotations

from ordermesh.fulfilment.model import WORKABLE, FulfilmentKind, FulfilmentOrder, FulfilmentStatus
from ordermesh.fulfilment.queries import fulfilment_for_order, history_of
from ordermesh.fulfilment.service import send_by_hand
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, IllegalTransition
from ordermesh.orders.model import units_per_line
from ordermesh.orders.queries import load_order
from ordermesh.orders.shipments import SHIPPABLE, ShipLine, get_shipment
from ordermesh.shipping.service import hand_over

S = FulfilmentStatus
_BOXED = frozenset({S.PACKED, S.LABEL_CREATED})


def _holder(fos: list[FulfilmentOrder], wanted: dict[int, int]) -> FulfilmentOrder:
    """The one fulfilment order with every wanted unit open on it."""
    for fo in fos:
        if all((fo.line(no).open if fo.line(no) else 0) >= q for no, q in wanted.items()):
            return fo
    holders = sorted({fo.number for fo in fos for no in wanted
                      if fo.line(no) and fo.line(no).open})
    raise Conflict("The units asked for are not all open on one fulfilment order "
                   f"({', '.join(holders) or 'none'}): record one shipment per fulfilment "
                   "order", extra={"fulfilment_orders": holders})


def ship_units(uow: UnitOfWork, order_id: str, lines: list[ShipLine], carrier: str | None,
               tracking_number: str | None,
               idem: idempotency.IdempotencyKey | None = None) -> dict:
    """Units of ``order_id`` shipped, through their fulfilment order. Commits."""
    if prior := idempotency.claim(uow, idem):
        return get_shipment(uow, prior.resource_id)
    order = load_order(uow, order_id, for_update=True)
    if order.status not in SHIPPABLE:
        raise IllegalTransition(f"An order that is {order.status} cannot ship",
                                extra={"current_status": order.status.value})
    wanted = units_per_line(order.lines, lines, lambda ln: ln.reserved_quantity,
                            "reserved to ship", "ship", "exceeds_open_quantity", "shipped")
    fos = [fo for fo in fulfilment_for_order(uow, order.id, for_update=True)
           if fo.status in WORKABLE]
    if fos and all(fo.kind == FulfilmentKind.PICKUP for fo in fos):
        raise Conflict(f"Order {order.number} is collected by the customer: its units are "
                       "handed over at the counter (POST /fulfilment-orders/{id}/pickup)")
    fo = _holder([f for f in fos if f.kind == FulfilmentKind.SHIP], wanted)
    whole = {ln.line_no: ln.open for ln in fo.lines if ln.open}
    if fo.status in _BOXED and whole == wanted:
        hand_over(uow, fo.id, "shipment recorded on the order", carrier,
                  [tracking_number] if tracking_number else None)
        shipment = get_shipment(uow, history_of(uow, fo.id)[-1].details["shipment_id"])
    else:
        shipment = send_by_hand(uow, fo, wanted, carrier, tracking_number)
    idempotency.complete(uow, idem, "shipment", shipment["id"], 201)
    uow.commit()
    return shipment
