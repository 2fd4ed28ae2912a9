"""Placing an order: one transaction that dedupes, reserves every line and records it all."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from decimal import Decimal

from sqlalchemy import insert, select

from ordermesh.catalog.service import resolve_skus
from ordermesh.channels.model import TaxPoint
from ordermesh.channels.service import channel_by_code, channel_money
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
from ordermesh.orders.invoicing import issue_order_invoice
from ordermesh.orders.model import (
    FulfilmentMethod,
    LineAllocation,
    Order,
    OrderLine,
    OrderStatus,
    ServiceLevel,
    ShippingAddress,
    StatusChange,
    Totals,
)
from ordermesh.orders.pricing import (
    amounts_for,
    book_tax_change,
    breakdown_json,
    header_columns,
    line_columns,
    line_money,
    line_prices,
    tax_details,
    tax_setup,
)
from ordermesh.orders.queries import for_fulfilment, load_order
from ordermesh.orders.tables import order_allocations, order_history, order_lines, orders
from ordermesh.orders.versions import record_version
from ordermesh.sourcing import service as sourcing
from ordermesh.sourcing.backorders import with_promises

MAX_LINES = 500
_INSERT_LINES = insert(order_lines)
_INSERT_ALLOCATIONS = insert(order_allocations)
_INSERT_HISTORY = insert(order_history)


@dataclass(frozen=True)
class PlaceLine:
    sku: str
    quantity: int
    unit_price: Decimal | None = None  # None: the channel's price list decides
    discount: Decimal | None = None  # off the whole line
    discount_reason: str | None = None


@dataclass(frozen=True)
class CustomerDetails:
    email: str | None = None
    name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class FulfilmentRequest:
    """How the customer gets the order: shipped (to the order's shipping address), picked
    up at a location (its code), or sold over the counter of that location."""

    method: FulfilmentMethod = FulfilmentMethod.SHIP
    pickup_location: str | None = None
    service_level: ServiceLevel = ServiceLevel.STANDARD


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
    discount: Decimal | None = None  # off the whole order, shared over its lines
    discount_reason: str | None = None
    buyer_vat_id: str | None = None
    fulfilment: FulfilmentRequest | None = None


@dataclass(frozen=True)
class Placed:
    order: Order
    replayed: bool = False


def _check_lines(cmd: PlaceOrder, currency: str) -> list[Money]:
    """Quantities and discounts; returns each line's discount."""
    if not 1 <= len(cmd.lines) <= MAX_LINES:
        raise InvalidInput.for_field("lines", f"an order has 1 to {MAX_LINES} lines")
    discounts, errors = [], []
    for i, line in enumerate(cmd.lines):
        if line.quantity <= 0:
            errors.append(FieldError(f"lines.{i}.quantity", "quantity must be positive"))
        try:
            discounts.append(_amount(line.discount, currency, f"lines.{i}.discount"))
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput("Some order lines are invalid", errors=errors)
    return discounts


def _amount(value: Decimal | None, currency: str, field: str) -> Money:
    money = Money.exact(value if value is not None else 0, currency, field)
    if money.is_negative():
        raise InvalidInput.for_field(field, f"{field.rsplit('.', 1)[-1]} must not be negative")
    return money


def _request_fingerprint(cmd: PlaceOrder, currency: str) -> str:
    """The order's content with amounts as validated, so "5" and "5.00" are the same."""
    body = asdict(cmd)
    body["currency"] = currency
    for i, line in enumerate(body["lines"]):
        for key in ("unit_price", "discount"):
            if line[key] is not None:
                line[key] = str(Money.exact(line[key], currency, f"lines.{i}.{key}").amount)
    for key in ("shipping_price", "discount"):
        if body[key] is not None:
            body[key] = str(Money.exact(body[key], currency, key).amount)
    return idempotency.fingerprint(body)


def _check_discounts(lines: list[OrderLine], order_discount: Money) -> None:
    errors = [FieldError(f"lines.{i}.discount",
                         f"discount {line.line_discount} exceeds the line's {line.line_total}",
                         "discount_too_large")
              for i, line in enumerate(lines) if line.line_discount.amount > line.line_total.amount]
    if errors:
        raise InvalidInput("Some discounts are larger than their lines", errors=errors)
    left = sum((ln.line_total.amount - ln.line_discount.amount for ln in lines), Decimal(0))
    if order_discount.amount > left:
        raise InvalidInput.for_field(
            "discount", f"the order discount {order_discount} exceeds the lines' "
            f"{Money.of(left, order_discount.currency)}", "discount_too_large")


def place_order(
    uow: UnitOfWork, cmd: PlaceOrder, idem: idempotency.IdempotencyKey | None = None
) -> Placed:
    """Create an order with every line priced, taxed and reserved, or change nothing.

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
    discounts = _check_lines(cmd, currency)
    shipping = _amount(cmd.shipping_price, currency, "shipping_price")
    order_discount = _amount(cmd.discount, currency, "discount")
    found = resolve_skus(uow, [line.sku for line in cmd.lines])
    products = [found[line.sku] for line in cmd.lines]
    fingerprint = _request_fingerprint(cmd, currency)

    now = uow.clock.now()
    prices = line_prices(uow, channel.id, currency, products,
                         [line.unit_price for line in cmd.lines], now)
    lines = [
        OrderLine(i + 1, product.id, line.sku, product.name, line.quantity, price.unit_price,
                  list_price=price.list_price, discount=discount,
                  discount_reason=line.discount_reason, tax_class=product.tax_class)
        for i, (line, product, price, discount)
        in enumerate(zip(cmd.lines, products, prices, discounts, strict=True))
    ]
    _check_discounts(lines, order_discount)
    money = channel_money(uow, channel.id)
    address = _address(cmd.shipping_address)
    wanted = cmd.fulfilment or FulfilmentRequest()
    choice = sourcing.fulfilment_choice(uow, wanted.method, wanted.pickup_location,
                                        wanted.service_level)
    if choice.method is FulfilmentMethod.SHIP and address is None:
        raise InvalidInput.for_field(
            "shipping_address", "an order that ships needs a shipping_address (an order "
            "handed over at a store is fulfilment method pickup or counter)", "missing")
    setup = tax_setup(uow, money, address, cmd.buyer_vat_id, now.date())
    amounts = amounts_for(lines, shipping, order_discount, setup)
    if amounts.totals.total.amount >= MAX_AMOUNT:
        raise InvalidInput.for_field(
            "lines", f"the order total {amounts.totals.total} is beyond what one order may "
            "hold", "amount_out_of_range")
    customer_id = None
    if cmd.customer and (cmd.customer.email or cmd.customer.phone or cmd.customer.name):
        customer_id = match_or_create(uow, email=cmd.customer.email, phone=cmd.customer.phone,
                                      name=cmd.customer.name)
    header = {
        "id": order_id, "channel_id": channel.id, "external_id": cmd.external_id,
        "customer_id": customer_id, "status": OrderStatus.CONFIRMED.value, "currency": currency,
        **header_columns(amounts), "discount_reason": cmd.discount_reason,
        "order_discount_amount": order_discount.amount,
        "shipping_address": address, "request_fingerprint": fingerprint,
        "created_at": now, "updated_at": now, "pricing_mode": setup.mode.value,
        "tax_country": setup.destination.country if setup.destination else None,
        "tax_region": setup.destination.region if setup.destination else None,
        "tax_point": setup.tax_point, "reverse_charge": setup.reverse_charge,
        "buyer_vat_id": setup.buyer_vat_id, "legal_entity_id": setup.legal_entity_id,
        "capture_policy": money.capture_policy.value, "invoicing": money.tax_point.value,
        "version": 1, "fulfilment_method": choice.method.value,
        "pickup_location_id": choice.pickup_location_id,
        "service_level": choice.service_level.value,
    }
    inserted = insert_ignore_returning(uow, orders, ("channel_id", "external_id"), "seq", header)
    if inserted is None:
        return _existing_external_order(uow, channel.id, cmd, fingerprint)
    seq = inserted.seq

    requests = [ReservationRequest(line.line_no, line.product_id, line.sku, line.quantity)
                for line in lines]
    planner = None
    if cmd.reservation_id:
        allocations = convert_hold(uow, cmd.reservation_id, channel.id, requests,
                                   ("order", order_id))
    else:
        planner = sourcing.placement_planner(uow, channel.id, requests, address, choice)
        allocations = reserve(uow, requests, ("order", order_id), channel.id, planner)
    unsourced = dict(planner.result.unsourced) if planner and planner.result else {}
    if unsourced:
        lines = [replace(line, backordered_quantity=unsourced.get(line.line_no, 0))
                 for line in lines]
    uow.execute(_INSERT_LINES, [
        {"order_seq": seq, "line_no": line.line_no, "product_id": line.product_id,
         "sku": line.sku, "name": line.name, "quantity": line.quantity,
         "cancelled_quantity": 0, "unit_price": line.unit_price.amount,
         "list_price": line.list_price.amount if line.list_price else None,
         "discount_amount": line.line_discount.amount, "discount_reason": line.discount_reason,
         "order_discount_share": (amounts.lines[line.line_no].discount
                                  - line.line_discount).amount,
         "tax_class": line.tax_class, **line_columns(amounts, line.line_no)}
        for line in lines
    ])
    if allocations:  # a pre-order may have none
        uow.execute(_INSERT_ALLOCATIONS, [
            {"order_seq": seq, "line_no": a.line_no, "location_id": a.location_id,
             "quantity": a.quantity} for a in allocations
        ])
    history = [
        StatusChange(None, OrderStatus.PENDING, uow.actor, cmd.note, now),
        StatusChange(OrderStatus.PENDING, OrderStatus.CONFIRMED, uow.actor,
                     "all lines reserved" if not unsourced else
                     f"reserved; {sum(unsourced.values())} units backordered", now),
    ]
    uow.execute(_INSERT_HISTORY, [
        {"order_seq": seq, "from_status": h.from_status.value if h.from_status else None,
         "to_status": h.to_status.value, "actor": h.actor, "reason": h.reason,
         "occurred_at": h.at} for h in history
    ])
    book_tax_change(uow, order_id, "order", order_id, setup.tax_point, currency, [],
                    breakdown_json(amounts), legal_entity_id=setup.legal_entity_id,
                    destination=setup.destination.country if setup.destination else None)
    codes = location_codes(uow, {a.location_id for a in allocations})
    t = amounts.totals
    order = Order(
        id=order_id, seq=seq, channel_id=channel.id, channel_code=channel.code,
        external_id=cmd.external_id, status=OrderStatus.CONFIRMED, currency=currency,
        customer_id=customer_id, shipping_address=cmd.shipping_address,
        lines=[replace(line, money=line_money(amounts, line.line_no),
                       order_discount_share=amounts.lines[line.line_no].discount
                       - line.line_discount) for line in lines],
        totals=Totals(t.subtotal, t.shipping, t.total, discount=t.discount, tax=t.tax,
                      refunded=Money.zero(currency), shipping_refunded=Money.zero(currency)),
        created_at=now, updated_at=now, history=history,
        allocations=[LineAllocation(a.line_no, a.location_id, codes[a.location_id], a.quantity)
                     for a in allocations],
        discount_reason=cmd.discount_reason, tax=tax_details(setup, amounts),
        legal_entity_id=setup.legal_entity_id, version=1,
        order_discount_amount=order_discount, capture_policy=money.capture_policy.value,
        invoicing=money.tax_point.value, fulfilment_method=choice.method,
        pickup_location_id=choice.pickup_location_id, service_level=choice.service_level,
        pickup_location=wanted.pickup_location if choice.pickup_location_id else None,
    )
    record_version(uow, order, {"placed": True}, None, None)
    record_event(uow, "order.created", "order", order_id, order_event_payload(order))
    sourcing.finish_placement(uow, order_id, seq, planner, allocations, requests,
                              for_fulfilment(order, address))
    if unsourced:  # backordered: promised by incoming supply (sourcing/backorders.py)
        order = with_promises(uow, order)
    if money.legal_entity_id and money.tax_point == TaxPoint.ORDER:
        issue_order_invoice(uow, order)
    uow.commit()
    return Placed(order)


def _address(address: ShippingAddress | None) -> dict | None:
    """As stored: coordinates only when given."""
    if address is None:
        return None
    data = asdict(address)
    for key in ("latitude", "longitude"):
        if data[key] is None:
            del data[key]
    return data


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
    t = order.totals
    return {
        "id": order.id, "number": order.number, "channel": order.channel_code,
        "external_id": order.external_id, "status": order.status.value,
        "currency": order.currency, "customer_id": order.customer_id,
        "total": str(t.total.amount), "tax": str(t.tax.amount) if t.tax else "0",
        "discount": str(t.discount.amount) if t.discount else "0", "version": order.version,
        "lines": [{"line_no": ln.line_no, "sku": ln.sku, "quantity": ln.quantity,
                   "cancelled_quantity": ln.cancelled_quantity,
                   "unit_price": str(ln.unit_price.amount),
                   "gross": str(ln.money.gross.amount) if ln.money else None,
                   "tax": str(ln.money.tax.amount) if ln.money else None}
                  for ln in order.lines],
        "allocations": [{"line_no": a.line_no, "location": a.location_code,
                         "quantity": a.quantity} for a in order.allocations],
    }
