"""Recording what shipped: units per line, the order's status, and the money it moves.

A channel that captures per shipment takes, at each shipment, what the shipped units are
worth (the first shipment also carries the shipping charge); a channel whose tax point
is the shipment gets an invoice per shipment. Values are shares of each line's amount
counted cumulatively, so shipping a line in parts adds up to exactly the line.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import insert, select, update

from ordermesh.channels.model import CapturePolicy, TaxPoint
from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import IllegalTransition
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money, prorate
from ordermesh.kit.outbox import record_event
from ordermesh.orders.changes import give_back, record_transition
from ordermesh.orders.invoicing import issue_shipment_invoice
from ordermesh.orders.model import Order, OrderStatus, units_per_line
from ordermesh.orders.queries import load_order, order_ref
from ordermesh.orders.tables import order_lines, order_shipments, orders
from ordermesh.payments.gate import require_payment
from ordermesh.payments.service import capture_for_order

SHIPPABLE = frozenset({OrderStatus.CONFIRMED, OrderStatus.PROCESSING,
                       OrderStatus.PARTIALLY_SHIPPED})


@dataclass(frozen=True)
class ShipLine:
    line_no: int
    quantity: int


def _values(order: Order, lines: list[ShipLine]) -> dict[int, tuple[int, Money]]:
    # units refunded before they shipped are not sent (the customer has the money back)
    # backordered units hold no stock yet: they cannot ship until they are sourced
    wanted = units_per_line(order.lines, lines, lambda ln: ln.reserved_quantity,
                            "reserved to ship", "ship", "exceeds_open_quantity", "shipped")
    by_no = {ln.line_no: ln for ln in order.lines}
    out = {}
    for no, quantity in sorted(wanted.items()):
        line = by_no[no]
        gross = line.money.gross
        value = (prorate(gross, line.shipped_quantity + quantity, line.open_quantity)
                 - prorate(gross, line.shipped_quantity, line.open_quantity))
        out[no] = (quantity, value)
    return out


def record_shipment(
    uow: UnitOfWork, order_id: str, lines: list[ShipLine], carrier: str | None,
    tracking_number: str | None, idem: idempotency.IdempotencyKey | None = None,
    location_id: str | None = None,
) -> dict:
    """The order records units that left ``location_id`` (status, stock, capture,
    invoice). Does not commit: it runs inside the hand-over of a fulfilment order."""
    shipment_id = new_id("shp")
    if prior := idempotency.claim(uow, idem, idempotency.PriorResult("shipment", shipment_id,
                                                                       201)):
        return get_shipment(uow, prior.resource_id)
    order = load_order(uow, order_id, for_update=True)
    require_payment(uow, order.id)
    if order.status not in SHIPPABLE:
        raise IllegalTransition(f"An order that is {order.status} cannot ship",
                                extra={"current_status": order.status.value})
    values = _values(order, lines)
    first = not any(ln.shipped_quantity for ln in order.lines)
    value = sum((v for _, v in values.values()), Money.zero(order.currency))
    if first:  # the shipping charge as the customer pays it, tax included
        value = value + order.shipping_gross
    give_back(uow, order, {no: quantity for no, (quantity, _) in values.items()}, shipped=True,
              first=location_id)
    for no, (quantity, _) in values.items():
        uow.execute(update(order_lines).where(
            order_lines.c.order_seq == order.seq, order_lines.c.line_no == no,
        ).values(shipped_quantity=order_lines.c.shipped_quantity + quantity))
    done = all(ln.cancellable_quantity == values.get(ln.line_no, (0,))[0]
               for ln in order.lines)
    status = order.status
    if status == OrderStatus.CONFIRMED:
        record_transition(uow, order, OrderStatus.PROCESSING, "shipping")
        status = OrderStatus.PROCESSING
    target = OrderStatus.SHIPPED if done else OrderStatus.PARTIALLY_SHIPPED
    if target != status:
        record_transition(uow, replace(order, status=status), target, "shipment " + shipment_id)
    captured = Money.zero(order.currency)
    if order.capture_policy == CapturePolicy.SHIPMENT and value.amount > 0:
        captured = capture_for_order(uow, order.id, value, f"{shipment_id}:capture")
    line_json = [{"line_no": no, "quantity": q, "value": str(v.amount)}
                 for no, (q, v) in values.items()]
    uow.execute(insert(order_shipments).values(
        id=shipment_id, order_seq=order.seq, lines=line_json, value_amount=value.amount,
        captured_amount=captured.amount, carrier=carrier, tracking_number=tracking_number,
        actor=uow.actor, shipped_at=uow.clock.now()))
    if order.legal_entity_id and order.invoicing == TaxPoint.SHIPMENT:
        issue_shipment_invoice(uow, load_order(uow, order.id), shipment_id, values, first)
    record_event(uow, "order.shipment_recorded", "order", order.id, {
        "shipment_id": shipment_id, "order_number": order.number, "status": target.value,
        "lines": line_json, "value": str(value.amount), "captured": str(captured.amount),
        "currency": order.currency, "carrier": carrier, "tracking_number": tracking_number})
    idempotency.complete(uow, idem, "shipment", shipment_id, 201)
    return get_shipment(uow, shipment_id)


def _shipment_json(row, currency: str) -> dict:
    return {"id": row.id, "lines": row.lines,
            "value": str(Money.of(row.value_amount, currency).amount),
            "captured": str(Money.of(row.captured_amount, currency).amount), "currency": currency,
            "carrier": row.carrier, "tracking_number": row.tracking_number, "actor": row.actor,
            "shipped_at": as_utc(row.shipped_at)}


def get_shipment(uow: UnitOfWork, shipment_id: str) -> dict:
    row = uow.execute(select(order_shipments).where(order_shipments.c.id == shipment_id)).one()
    currency = uow.execute(select(orders.c.currency).where(orders.c.seq == row.order_seq)
                           ).scalar_one()
    return _shipment_json(row, currency)


def list_shipments(uow: UnitOfWork, order_id: str) -> list[dict]:
    ref = order_ref(uow, order_id)
    rows = uow.execute(select(order_shipments).where(order_shipments.c.order_seq == ref.seq)
                       .order_by(order_shipments.c.shipped_at, order_shipments.c.id))
    return [_shipment_json(r, ref.currency) for r in rows]
