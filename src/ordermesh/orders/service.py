"""Placing an order: one transaction that dedupes, reserves every line and records it all."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from sqlalchemy import insert, select

from ordermesh.catalog.service import resolve_skus
from ordermesh.channels.service import channel_by_code
from ordermesh.customers.service import match_or_create
from ordermesh.inventory.hold_conversion import convert_hold
from ordermesh.inventory.model import ReservationRequest
from ordermesh.inventory.reserving import reserve
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, FieldError, InvalidInput
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import MAX_AMOUNT, Money
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_ignore_returning
from ordermesh.locations.service import location_codes
from ordermesh.orders.model import (
    LineAllocation,
    Order,
    OrderLine,
    OrderStatus,
    ShippingAddress,
    StatusChange,
    compute_totals,
)
from ordermesh.orders.queries import load_order
from ordermesh.orders.tables import order_allocations, order_history, order_lines, orders

MAX_LINES = 500
_INSERT_LINES = insert(order_lines)
_INSERT_ALLOCATIONS = insert(order_allocations)
_INSERT_HISTORY = insert(order_history)


@dataclass(frozen=True)
class PlaceLine:
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class CustomerDetails:
    email: str | None = None
    name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class PlaceOrder:
    channel: str
    lines: list[PlaceLine]
    external_id: str | None = None
    currency: str | None = None
    customer: CustomerDetails | None = None
    shipping_address: ShippingAddress | None = None
    shipping_price: Decimal = Decimal(0)
    note: str | None = None
    reservation_id: str | None = None


@dataclass(frozen=True)
class Placed:
    order: Order
    replayed: bool = False


def _priced_lines(cmd: PlaceOrder, currency: str) -> list[tuple[PlaceLine, Money]]:
    if not 1 <= len(cmd.lines) <= MAX_LINES:
        raise InvalidInput.for_field("lines", f"an order has 1 to {MAX_LINES} lines")
    priced, errors = [], []
    for i, line in enumerate(cmd.lines):
        if line.quantity <= 0:
            errors.append(FieldError(f"lines.{i}.quantity", "quantity must be positive"))
            continue
        try:
            price = Money.exact(line.unit_price, currency, f"lines.{i}.unit_price")
        except InvalidInput as exc:
            errors.extend(exc.errors)
            continue
        if price.is_negative():
            errors.append(FieldError(f"lines.{i}.unit_price", "unit_price must not be negative"))
            continue
        priced.append((line, price))
    if errors:
        raise InvalidInput("Some order lines are invalid", errors=errors)
    return priced


def _request_fingerprint(
    cmd: PlaceOrder, currency: str, prices: list[Money], shipping: Money
) -> str:
    """The order's content with amounts as validated, so "5" and "5.00" are the same."""
    body = asdict(cmd)
    body["currency"] = currency
    for line, price in zip(body["lines"], prices, strict=True):
        line["unit_price"] = str(price.amount)
    body["shipping_price"] = str(shipping.amount)
    return idempotency.fingerprint(body)


def place_order(
    uow: UnitOfWork, cmd: PlaceOrder, idem: idempotency.IdempotencyKey | None = None
) -> Placed:
    """Create an order with every line reserved, or change nothing.

    A retry with the same ``Idempotency-Key``, or the same channel and ``external_id``
    and the same content, returns the order placed the first time (``replayed``). The
    same ``external_id`` with different content is a conflict.
    """
    order_id = new_id("ord")
    if prior := idempotency.claim(uow, idem, idempotency.PriorResult("order", order_id, 201)):
        return Placed(load_order(uow, prior.resource_id), replayed=True)
    channel = channel_by_code(uow, cmd.channel)
    currency = cmd.currency or channel.currency
    if currency != channel.currency:
        raise InvalidInput.for_field(
            "currency", f"channel '{channel.code}' sells in {channel.currency}, not {currency}",
            "currency_mismatch",
        )
    priced = _priced_lines(cmd, currency)
    shipping = Money.exact(cmd.shipping_price, currency, "shipping_price")
    if shipping.is_negative():
        raise InvalidInput.for_field("shipping_price", "shipping_price must not be negative")
    products = resolve_skus(uow, [line.sku for line, _ in priced])
    fingerprint = _request_fingerprint(cmd, currency, [price for _, price in priced], shipping)

    now = uow.clock.now()
    lines = [
        OrderLine(i + 1, products[line.sku].id, line.sku, products[line.sku].name,
                  line.quantity, price)
        for i, (line, price) in enumerate(priced)
    ]
    totals = compute_totals(lines, shipping, currency)
    if totals.total.amount >= MAX_AMOUNT:
        raise InvalidInput.for_field(
            "lines", f"the order total {totals.total} is beyond what one order may hold",
            "amount_out_of_range")
    customer_id = None
    if cmd.customer and (cmd.customer.email or cmd.customer.phone or cmd.customer.name):
        customer_id = match_or_create(uow, email=cmd.customer.email, phone=cmd.customer.phone,
                                      name=cmd.customer.name)
    header = {
        "id": order_id, "channel_id": channel.id, "external_id": cmd.external_id,
        "customer_id": customer_id, "status": OrderStatus.CONFIRMED.value, "currency": currency,
        "subtotal_amount": totals.subtotal.amount, "shipping_amount": totals.shipping.amount,
        "total_amount": totals.total.amount,
        "shipping_address": asdict(cmd.shipping_address) if cmd.shipping_address else None,
        "request_fingerprint": fingerprint, "created_at": now, "updated_at": now,
    }
    inserted = insert_ignore_returning(uow, orders, ("channel_id", "external_id"), "seq", header)
    if inserted is None:
        return _existing_external_order(uow, channel.id, cmd, fingerprint)
    seq = inserted.seq

    requests = [ReservationRequest(line.line_no, line.product_id, line.sku, line.quantity)
                for line in lines]
    if cmd.reservation_id:
        allocations = convert_hold(uow, cmd.reservation_id, channel.id, requests,
                                   ("order", order_id))
    else:
        allocations = reserve(uow, requests, ("order", order_id), channel.id)
    uow.execute(_INSERT_LINES, [
        {"order_seq": seq, "line_no": line.line_no, "product_id": line.product_id,
         "sku": line.sku, "name": line.name, "quantity": line.quantity,
         "cancelled_quantity": 0, "unit_price": line.unit_price.amount}
        for line in lines
    ])
    uow.execute(_INSERT_ALLOCATIONS, [
        {"order_seq": seq, "line_no": a.line_no, "location_id": a.location_id,
         "quantity": a.quantity} for a in allocations
    ])
    history = [
        StatusChange(None, OrderStatus.PENDING, uow.actor, cmd.note, now),
        StatusChange(OrderStatus.PENDING, OrderStatus.CONFIRMED, uow.actor,
                     "all lines reserved", now),
    ]
    uow.execute(_INSERT_HISTORY, [
        {"order_seq": seq, "from_status": h.from_status.value if h.from_status else None,
         "to_status": h.to_status.value, "actor": h.actor, "reason": h.reason,
         "occurred_at": h.at} for h in history
    ])
    codes = location_codes(uow, {a.location_id for a in allocations})
    line_allocations = [LineAllocation(a.line_no, a.location_id, codes[a.location_id],
                                       a.quantity) for a in allocations]
    order = Order(
        id=order_id, seq=seq, channel_id=channel.id, channel_code=channel.code,
        external_id=cmd.external_id, status=OrderStatus.CONFIRMED, currency=currency,
        customer_id=customer_id, shipping_address=cmd.shipping_address, lines=lines,
        totals=totals, created_at=now, updated_at=now, history=history,
        allocations=line_allocations,
    )
    record_event(uow, "order.created", "order", order_id, order_event_payload(order))
    uow.commit()
    return Placed(order)


def _existing_external_order(
    uow: UnitOfWork, channel_id: str, cmd: PlaceOrder, fingerprint: str
) -> Placed:
    row = uow.execute(select(orders.c.id, orders.c.request_fingerprint).where(
        orders.c.channel_id == channel_id, orders.c.external_id == cmd.external_id)).one()
    if row.request_fingerprint != fingerprint:
        raise Conflict(
            f"Channel '{cmd.channel}' already has an order with external_id "
            f"'{cmd.external_id}' ({row.id}) with different content",
            extra={"existing_order_id": row.id},
        )
    return Placed(load_order(uow, row.id), replayed=True)


def order_event_payload(order: Order) -> dict:
    return {
        "id": order.id, "number": order.number, "channel": order.channel_code,
        "external_id": order.external_id, "status": order.status.value,
        "currency": order.currency, "customer_id": order.customer_id,
        "total": str(order.totals.total.amount),
        "lines": [{"line_no": ln.line_no, "sku": ln.sku, "quantity": ln.quantity,
                   "cancelled_quantity": ln.cancelled_quantity,
                   "unit_price": str(ln.unit_price.amount)} for ln in order.lines],
        "allocations": [{"line_no": a.line_no, "location": a.location_code,
                         "quantity": a.quantity} for a in order.allocations],
    }
