"""Placing an order, the orders feature's part: the command, its checks and prices, the
order's own rows and its ``order.created`` event.

The use case that runs these steps with the other features' (customers, inventory,
sourcing) is ``ordermesh.flows.placement.place_orders``, above the features."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import insert, select

from ordermesh.catalog.service import ProductRef, resolve_skus
from ordermesh.channels.model import Channel, ChannelMoney
from ordermesh.channels.service import channel_by_code, channel_money
from ordermesh.inventory.model import Allocation
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, FieldError, InvalidInput
from ordermesh.kit.money import MAX_AMOUNT, Money
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_ignore_returning
from ordermesh.locations.service import location_codes
from ordermesh.orders.amounts import OrderAmounts
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
    TaxSetup,
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
from ordermesh.orders.queries import load_order
from ordermesh.orders.tables import order_allocations, order_history, order_lines, orders
from ordermesh.orders.versions import record_version
from ordermesh.pricing.queries import PriceBook

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
    account_id: str | None = None  # the channel's own id for the buyer


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


def check_lines(cmd: PlaceOrder, currency: str) -> list[Money]:
    """Quantities and discounts; returns each line's discount."""
    if not 1 <= len(cmd.lines) <= MAX_LINES:
        raise InvalidInput.for_field("lines", f"an order has 1 to {MAX_LINES} lines")
    discounts, errors = [], []
    for i, line in enumerate(cmd.lines):
        if line.quantity <= 0:
            errors.append(FieldError(f"lines.{i}.quantity", "quantity must be positive"))
        try:
            discounts.append(amount(line.discount, currency, f"lines.{i}.discount"))
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput("Some order lines are invalid", errors=errors)
    return discounts


def amount(value: Decimal | None, currency: str, field: str) -> Money:
    money = Money.exact(value if value is not None else 0, currency, field)
    if money.is_negative():
        raise InvalidInput.for_field(field, f"{field.rsplit('.', 1)[-1]} must not be negative")
    return money


def request_fingerprint(cmd: PlaceOrder, currency: str) -> str:
    """The order's content with amounts as validated, so "5" and "5.00" are the same."""
    body = asdict(cmd)
    body["currency"] = currency
    if body["customer"] and body["customer"]["account_id"] is None:
        del body["customer"]["account_id"]  # as fingerprinted before it existed
    for i, line in enumerate(body["lines"]):
        for key in ("unit_price", "discount"):
            if line[key] is not None:
                line[key] = str(Money.exact(line[key], currency, f"lines.{i}.{key}").amount)
    for key in ("shipping_price", "discount"):
        if body[key] is not None:
            body[key] = str(Money.exact(body[key], currency, key).amount)
    return idempotency.fingerprint(body)


def check_discounts(lines: list[OrderLine], order_discount: Money) -> None:
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


@dataclass(frozen=True)
class Draft:
    """An order checked and priced, not yet written: what placement plans with."""

    order_id: str
    cmd: PlaceOrder
    channel: Channel
    currency: str
    lines: list[OrderLine]
    shipping: Money
    order_discount: Money
    fingerprint: str
    money: ChannelMoney
    address: dict | None
    now: datetime
    setup: TaxSetup | None = None
    amounts: OrderAmounts | None = None


def draft_order(uow: UnitOfWork, cmd: PlaceOrder, order_id: str,
                known: Mapping[str, ProductRef] | None = None,
                books: Collection[PriceBook] = ()) -> Draft:
    """Check the command and price its lines (``known``: products a batch already read;
    an unknown SKU is still answered by ``resolve_skus``; ``books``: its list prices)."""
    channel = channel_by_code(uow, cmd.channel)
    currency = cmd.currency or channel.currency
    if currency != channel.currency:
        raise InvalidInput.for_field(
            "currency", f"channel '{channel.code}' sells in {channel.currency}, not {currency}",
            "currency_mismatch",
        )
    discounts = check_lines(cmd, currency)
    shipping = amount(cmd.shipping_price, currency, "shipping_price")
    order_discount = amount(cmd.discount, currency, "discount")
    skus = [line.sku for line in cmd.lines]
    found = known if known is not None and all(s in known for s in skus) else None
    if found is None:
        found = resolve_skus(uow, skus)
    products = [found[sku] for sku in skus]
    fingerprint = request_fingerprint(cmd, currency)
    now = uow.clock.now()
    prices = line_prices(uow, channel.id, currency, products,
                         [line.unit_price for line in cmd.lines], now, books=books)
    lines = [
        OrderLine(i + 1, product.id, line.sku, product.name, line.quantity, price.unit_price,
                  list_price=price.list_price, discount=discount,
                  discount_reason=line.discount_reason, tax_class=product.tax_class)
        for i, (line, product, price, discount)
        in enumerate(zip(cmd.lines, products, prices, discounts, strict=True))
    ]
    check_discounts(lines, order_discount)
    return Draft(order_id, cmd, channel, currency, lines, shipping, order_discount,
                 fingerprint, channel_money(uow, channel.id),
                 stored_address(cmd.shipping_address), now)


def total_order(uow: UnitOfWork, draft: Draft) -> Draft:
    """Tax and totals; an order too large for one order is bad input."""
    cmd = draft.cmd
    setup = tax_setup(uow, draft.money, draft.address, cmd.buyer_vat_id, draft.now.date())
    amounts = amounts_for(draft.lines, draft.shipping, draft.order_discount, setup)
    if amounts.totals.total.amount >= MAX_AMOUNT:
        raise InvalidInput.for_field(
            "lines", f"the order total {amounts.totals.total} is beyond what one order may "
            "hold", "amount_out_of_range")
    return replace(draft, setup=setup, amounts=amounts)


def stored_address(address: ShippingAddress | None) -> dict | None:
    """As stored: coordinates only when given."""
    if address is None:
        return None
    data = asdict(address)
    for key in ("latitude", "longitude"):
        if data[key] is None:
            del data[key]
    return data


def claim_external_id(uow: UnitOfWork, draft: Draft, customer_id: str | None,
                      method: FulfilmentMethod, pickup_location_id: str | None,
                      service_level: ServiceLevel) -> int | None:
    """Insert the order's header: its ``seq``, or None when the channel already has an
    order with this ``external_id`` (see ``existing_external_order``)."""
    cmd, setup, now = draft.cmd, draft.setup, draft.now
    assert setup is not None and draft.amounts is not None, "total_order first"
    header = {
        "id": draft.order_id, "channel_id": draft.channel.id, "external_id": cmd.external_id,
        "customer_id": customer_id, "status": OrderStatus.CONFIRMED.value,
        "currency": draft.currency, **header_columns(draft.amounts),
        "discount_reason": cmd.discount_reason,
        "order_discount_amount": draft.order_discount.amount,
        "shipping_address": draft.address, "request_fingerprint": draft.fingerprint,
        "created_at": now, "updated_at": now, "pricing_mode": setup.mode.value,
        "tax_country": setup.destination.country if setup.destination else None,
        "tax_region": setup.destination.region if setup.destination else None,
        "tax_point": setup.tax_point, "reverse_charge": setup.reverse_charge,
        "buyer_vat_id": setup.buyer_vat_id, "legal_entity_id": setup.legal_entity_id,
        "capture_policy": draft.money.capture_policy.value,
        "invoicing": draft.money.tax_point.value, "version": 1,
        "fulfilment_method": method.value, "pickup_location_id": pickup_location_id,
        "service_level": service_level.value,
    }
    inserted = insert_ignore_returning(uow, orders, ("channel_id", "external_id"), "seq", header)
    return None if inserted is None else inserted.seq


_EXTERNAL = select(orders.c.channel_id, orders.c.external_id, orders.c.id,
                   orders.c.request_fingerprint)


def external_orders(uow: UnitOfWork, keys: Iterable[tuple[str, str]]
                    ) -> dict[tuple[str, str], tuple[str, str]]:
    """(channel id, external id) -> (order id, request fingerprint) of the orders already
    there, in one query per channel."""
    by_channel: dict[str, set[str]] = {}
    for channel_id, external_id in keys:
        by_channel.setdefault(channel_id, set()).add(external_id)
    found = {}
    for channel_id, ids in sorted(by_channel.items()):
        for r in uow.execute(_EXTERNAL.where(orders.c.channel_id == channel_id,
                                             orders.c.external_id.in_(sorted(ids)))):
            found[(r.channel_id, r.external_id)] = (r.id, r.request_fingerprint)
    return found


def existing_external_order(uow: UnitOfWork, cmd: PlaceOrder, fingerprint: str,
                            known: tuple[str, str]) -> Placed:
    """The replay of the order this channel already has under ``cmd.external_id``
    (``known``: its id and fingerprint); other content is a conflict."""
    order_id, stored = known
    if stored != fingerprint:
        raise Conflict(
            f"Channel '{cmd.channel}' already has an order with external_id "
            f"'{cmd.external_id}' ({order_id}) with different content",
            extra={"existing_order_id": order_id},
        )
    return Placed(load_order(uow, order_id), replayed=True)


def record_placed(uow: UnitOfWork, draft: Draft, seq: int, allocations: list[Allocation],
                  unsourced: Mapping[int, int], customer_id: str | None,
                  method: FulfilmentMethod, pickup_location_id: str | None,
                  service_level: ServiceLevel) -> Order:
    """Write the placed order's lines, allocations, history, tax and version, and its
    ``order.created`` event; returns the order."""
    cmd, amounts, setup, now = draft.cmd, draft.amounts, draft.setup, draft.now
    assert setup is not None and amounts is not None, "total_order first"
    lines = draft.lines
    if unsourced:
        lines = [replace(line, backordered_quantity=unsourced.get(line.line_no, 0))
                 for line in lines]
    uow.defer_insert(_INSERT_LINES, [
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
        uow.defer_insert(_INSERT_ALLOCATIONS, [
            {"order_seq": seq, "line_no": a.line_no, "location_id": a.location_id,
             "quantity": a.quantity} for a in allocations
        ])
    history = [
        StatusChange(None, OrderStatus.PENDING, uow.actor, cmd.note, now),
        StatusChange(OrderStatus.PENDING, OrderStatus.CONFIRMED, uow.actor,
                     "all lines reserved" if not unsourced else
                     f"reserved; {sum(unsourced.values())} units backordered", now),
    ]
    uow.defer_insert(_INSERT_HISTORY, [
        {"order_seq": seq, "from_status": h.from_status.value if h.from_status else None,
         "to_status": h.to_status.value, "actor": h.actor, "reason": h.reason,
         "occurred_at": h.at} for h in history
    ])
    order_id, currency = draft.order_id, draft.currency
    book_tax_change(uow, order_id, "order", order_id, setup.tax_point, currency, [],
                    breakdown_json(amounts), legal_entity_id=setup.legal_entity_id,
                    destination=setup.destination.country if setup.destination else None,
                    seller_known=True)
    codes = location_codes(uow, {a.location_id for a in allocations})
    t, money = amounts.totals, draft.money
    order = Order(
        id=order_id, seq=seq, channel_id=draft.channel.id, channel_code=draft.channel.code,
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
        order_discount_amount=draft.order_discount, capture_policy=money.capture_policy.value,
        invoicing=money.tax_point.value, fulfilment_method=method,
        pickup_location_id=pickup_location_id, service_level=service_level,
        pickup_location=((cmd.fulfilment or FulfilmentRequest()).pickup_location
                         if pickup_location_id else None),
    )
    record_version(uow, order, {"placed": True}, None, None)
    record_event(uow, "order.created", "order", order.id, order_event_payload(order))
    return order

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
