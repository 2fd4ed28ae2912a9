"""Reading orders: one order in full, or pages of order summaries."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select

from ordermesh.channels.tables import channels
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import NotFound
from ordermesh.kit.money import Money
from ordermesh.kit.pagination import Page, decode_cursor, encode_cursor
from ordermesh.locations.service import location_codes
from ordermesh.orders.model import (
    FulfilmentMethod,
    LineAllocation,
    LineMoney,
    Order,
    OrderLine,
    OrderStatus,
    ServiceLevel,
    ShippingAddress,
    StatusChange,
    TaxDetails,
    Totals,
    order_number,
    parse_order_number,
)
from ordermesh.orders.tables import order_allocations, order_history, order_lines, orders

_HEADER = select(orders, channels.c.code.label("channel_code")).join(
    channels, channels.c.id == orders.c.channel_id
)


def _totals(row) -> Totals:
    cur = row.currency
    return Totals(Money.of(row.subtotal_amount, cur), Money.of(row.shipping_amount, cur),
                  Money.of(row.total_amount, cur), discount=Money.of(row.discount_amount, cur),
                  tax=Money.of(row.tax_amount, cur), refunded=Money.of(row.refunded_amount, cur),
                  shipping_refunded=Money.of(row.shipping_refunded_amount, cur))


def _tax(row) -> TaxDetails:
    return TaxDetails(
        pricing_mode=row.pricing_mode, country=row.tax_country, region=row.tax_region,
        tax_point=row.tax_point, reverse_charge=bool(row.reverse_charge),
        buyer_vat_id=row.buyer_vat_id,
        shipping_tax=Money.of(row.shipping_tax_amount, row.currency),
        breakdown=tuple(row.tax_breakdown or ()),
        shipping_components=tuple(row.shipping_tax_components or ()))


def _line(r, currency: str) -> OrderLine:
    def money(value) -> Money:
        return Money.of(value, currency)

    return OrderLine(
        r.line_no, r.product_id, r.sku, r.name, r.quantity, money(r.unit_price),
        r.cancelled_quantity, list_price=money(r.list_price) if r.list_price is not None else None,
        discount=money(r.discount_amount), discount_reason=r.discount_reason,
        order_discount_share=money(r.order_discount_share),
        tax_class=r.tax_class,
        money=LineMoney(money(r.applied_discount_amount), money(r.net_amount),
                        money(r.tax_amount), money(r.gross_amount), r.tax_rate,
                        tuple(r.tax_components or ())),
        shipped_quantity=r.shipped_quantity, refunded_quantity=r.refunded_quantity,
        refunded_unshipped=r.refunded_unshipped,
        refunded=money(r.refunded_amount), refunded_tax=money(r.refunded_tax_amount),
        backordered_quantity=r.backordered_quantity)


def _order(row, lines=(), history=(), allocations=(), uow=None) -> Order:
    return Order(
        id=row.id, seq=row.seq, channel_id=row.channel_id, channel_code=row.channel_code,
        external_id=row.external_id, status=OrderStatus(row.status), currency=row.currency,
        customer_id=row.customer_id,
        shipping_address=ShippingAddress(**row.shipping_address) if row.shipping_address else None,
        lines=list(lines), totals=_totals(row), created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at), history=list(history), allocations=list(allocations),
        discount_reason=row.discount_reason, tax=_tax(row), legal_entity_id=row.legal_entity_id,
        version=row.version,
        order_discount_amount=Money.of(row.order_discount_amount, row.currency),
        capture_policy=row.capture_policy, invoicing=row.invoicing,
        fulfilment_method=FulfilmentMethod(row.fulfilment_method),
        pickup_location_id=row.pickup_location_id, service_level=ServiceLevel(row.service_level),
        pickup_location=(location_codes(uow, {row.pickup_location_id}).get(row.pickup_location_id)
                         if uow is not None and row.pickup_location_id else None),
    )


def load_order(uow: UnitOfWork, order_id: str, *, for_update: bool = False) -> Order:
    """The whole order. ``for_update`` locks its row until the transaction ends."""
    query = _HEADER.where(orders.c.id == order_id)
    if for_update:
        query = query.with_for_update(of=orders)
    row = uow.execute(query).first()
    if row is None and (seq := parse_order_number(order_id)) is not None:
        query = _HEADER.where(orders.c.seq == seq)
        row = uow.execute(query.with_for_update(of=orders) if for_update else query).first()
    if row is None:
        raise NotFound(f"No order with id or number '{order_id}'")
    seq = row.seq
    lines = [_line(r, row.currency)
             for r in uow.execute(select(order_lines).where(order_lines.c.order_seq == seq)
                                  .order_by(order_lines.c.line_no))]
    alloc_rows = list(uow.execute(
        select(order_allocations).where(order_allocations.c.order_seq == seq)
        .order_by(order_allocations.c.line_no, order_allocations.c.location_id)))
    codes = location_codes(uow, {r.location_id for r in alloc_rows})
    allocations = [LineAllocation(r.line_no, r.location_id, codes[r.location_id], r.quantity)
                   for r in alloc_rows]
    if any(line.backordered_quantity for line in lines):
        from ordermesh.orders.backorders import promised_dates  # it reads this module

        dates = promised_dates(uow, seq)
        lines = [replace(line, backorder_promised_date=dates.get(line.line_no))
                 if line.backordered_quantity else line for line in lines]
    history = [
        StatusChange(OrderStatus(r.from_status) if r.from_status else None,
                     OrderStatus(r.to_status), r.actor, r.reason, as_utc(r.occurred_at))
        for r in uow.execute(select(order_history).where(order_history.c.order_seq == seq)
                             .order_by(order_history.c.seq))
    ]
    order = _order(row, lines, history, allocations, uow)
    return replace(order, payment=_standings(uow, [order])[order.id])


def _standings(uow: UnitOfWork, found: list[Order]) -> dict:
    from ordermesh.payments.ledger import standings  # payments reads orders

    return standings(uow, {o.id: o.owed for o in found})


@dataclass(frozen=True)
class OrderFilter:
    channel: str | None = None
    status: OrderStatus | None = None
    customer_id: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    customer_ids: tuple[str, ...] = ()  # any of these (a customer and those merged into it)


def list_orders(
    uow: UnitOfWork, flt: OrderFilter, *, limit: int = 50, cursor: str | None = None
) -> Page[Order]:
    """Newest first. Summaries: lines, history and allocations are left empty."""
    query = _HEADER.order_by(orders.c.seq.desc()).limit(limit + 1)
    if (before := decode_cursor(cursor)) is not None:
        query = query.where(orders.c.seq < before)
    if flt.channel:
        query = query.where(channels.c.code == flt.channel)
    if flt.status:
        query = query.where(orders.c.status == flt.status.value)
    if flt.customer_id:
        query = query.where(orders.c.customer_id == flt.customer_id)
    if flt.customer_ids:
        query = query.where(orders.c.customer_id.in_(flt.customer_ids))
    if flt.created_from:
        query = query.where(orders.c.created_at >= flt.created_from)
    if flt.created_to:
        query = query.where(orders.c.created_at < flt.created_to)
    rows = list(uow.execute(query))
    items = [_order(r) for r in rows[:limit]]
    paid = _standings(uow, items)
    items = [replace(o, payment=paid[o.id]) for o in items]
    next_cursor = encode_cursor(items[-1].seq) if len(rows) > limit else None
    return Page(items, next_cursor)


@dataclass(frozen=True)
class OrderRef:
    """What other features need to know of an order to take money for it."""

    id: str
    seq: int
    number: str
    channel_id: str
    currency: str
    status: OrderStatus
    total: Money
    refunded: Money  # given back after the sale (returns, goodwill)
    capture_policy: str = "order"  # as placed: "order" or "shipment"
    customer_id: str | None = None

    @property
    def payable(self) -> Money:
        """What the customer owes for it: the total less refunds after the sale."""
        return self.total - self.refunded


def order_ref(uow: UnitOfWork, order_id: str, *, for_update: bool = False) -> OrderRef:
    """An order by id or number (``OM-000042``); ``for_update`` locks its row."""
    columns = select(orders.c.id, orders.c.seq, orders.c.channel_id, orders.c.currency,
                     orders.c.status, orders.c.total_amount, orders.c.refunded_amount,
                     orders.c.capture_policy, orders.c.customer_id)
    row = None
    wheres = [orders.c.id == order_id]
    if (seq := parse_order_number(order_id)) is not None:
        wheres.append(orders.c.seq == seq)
    for where in wheres:
        query = columns.where(where)
        row = uow.execute(query.with_for_update() if for_update else query).first()
        if row is not None:
            break
    if row is None:
        raise NotFound(f"No order with id or number '{order_id}'")
    return OrderRef(row.id, row.seq, order_number(row.seq), row.channel_id, row.currency,
                    OrderStatus(row.status), Money.of(row.total_amount, row.currency),
                    Money.of(row.refunded_amount, row.currency), row.capture_policy,
                    row.customer_id)


@dataclass(frozen=True)
class FulfilmentLineInfo:
    line_no: int
    product_id: str
    sku: str
    name: str
    quantity_open: int  # ordered less cancelled
    backordered: int  # of those, not sourced yet
    shipped: int


@dataclass(frozen=True)
class OrderForFulfilment:
    """What fulfilment, packing and shipping need to know of an order (no money)."""

    id: str
    seq: int
    number: str
    channel_id: str
    channel_code: str
    status: OrderStatus
    currency: str
    shipping_address: dict | None
    fulfilment_method: FulfilmentMethod
    pickup_location_id: str | None
    service_level: ServiceLevel
    customer_email: str | None
    customer_name: str | None
    customer_phone: str | None
    lines: tuple[FulfilmentLineInfo, ...]


def for_fulfilment(order: Order, stored_address: dict | None) -> OrderForFulfilment:
    """A new order as fulfilment sees it, without reading it back. The customer's
    details are left out: they are the customer record's, read when needed."""
    return OrderForFulfilment(
        id=order.id, seq=order.seq, number=order_number(order.seq),
        channel_id=order.channel_id, channel_code=order.channel_code, status=order.status,
        currency=order.currency, shipping_address=stored_address,
        fulfilment_method=order.fulfilment_method,
        pickup_location_id=order.pickup_location_id, service_level=order.service_level,
        customer_email=None, customer_name=None, customer_phone=None,
        lines=tuple(FulfilmentLineInfo(ln.line_no, ln.product_id, ln.sku, ln.name,
                                       ln.quantity - ln.cancelled_quantity,
                                       ln.backordered_quantity, 0) for ln in order.lines))


def order_for_fulfilment(uow: UnitOfWork, order_id: str) -> OrderForFulfilment:
    """An order by id or number, in two queries (header with customer, lines)."""
    from ordermesh.customers.tables import customers

    query = select(orders.c.id, orders.c.seq, orders.c.channel_id, orders.c.status,
                   orders.c.currency, orders.c.shipping_address, orders.c.fulfilment_method,
                   orders.c.pickup_location_id, orders.c.service_level,
                   channels.c.code.label("channel_code"), customers.c.email, customers.c.name,
                   customers.c.phone).select_from(
        orders.join(channels, channels.c.id == orders.c.channel_id)
        .outerjoin(customers, customers.c.id == orders.c.customer_id))
    row = uow.execute(query.where(orders.c.id == order_id)).first()
    if row is None and (seq := parse_order_number(order_id)) is not None:
        row = uow.execute(query.where(orders.c.seq == seq)).first()
    if row is None:
        raise NotFound(f"No order with id or number '{order_id}'")
    lines = tuple(
        FulfilmentLineInfo(r.line_no, r.product_id, r.sku, r.name,
                           r.quantity - r.cancelled_quantity,
                           getattr(r, "backordered_quantity", 0) or 0, r.shipped_quantity)
        for r in uow.execute(select(order_lines).where(order_lines.c.order_seq == row.seq)
                             .order_by(order_lines.c.line_no)))
    return OrderForFulfilment(
        id=row.id, seq=row.seq, number=order_number(row.seq), channel_id=row.channel_id,
        channel_code=row.channel_code, status=OrderStatus(row.status), currency=row.currency,
        shipping_address=dict(row.shipping_address) if row.shipping_address else None,
        fulfilment_method=FulfilmentMethod(row.fulfilment_method),
        pickup_location_id=row.pickup_location_id,
        service_level=ServiceLevel(row.service_level), customer_email=row.email,
        customer_name=row.name, customer_phone=row.phone, lines=lines)


def skus_bought_by_order(uow: UnitOfWork, order_ids: list[str]) -> dict[str, set[str]]:
    """Per order (of those with any), the SKUs of its lines with units not cancelled."""
    if not order_ids:
        return {}
    rows = uow.execute(select(orders.c.id, order_lines.c.sku).distinct()
                       .join(orders, orders.c.seq == order_lines.c.order_seq)
                       .where(orders.c.id.in_(order_ids),
                              order_lines.c.quantity > order_lines.c.cancelled_quantity))
    found: dict[str, set[str]] = {}
    for r in rows:
        found.setdefault(r.id, set()).add(r.sku)
    return found
