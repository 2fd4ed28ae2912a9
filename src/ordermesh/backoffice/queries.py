"""What the back office's screens read: order search, dashboard numbers, work queues.

Reads only, over several features' tables at once (the back office sits above the
features); every change goes through the features' use cases instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select

from ordermesh.backoffice.model import User
from ordermesh.backoffice.scoping import location_conditions, order_conditions
from ordermesh.catalog.tables import products
from ordermesh.channels.tables import channels
from ordermesh.customers.tables import customers
from ordermesh.fulfilment.tables import fulfilment_orders
from ordermesh.inventory.tables import stock
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import outbox
from ordermesh.kit.pagination import decode_cursor, encode_cursor
from ordermesh.orders.backorders import undated_backorders
from ordermesh.orders.model import OrderStatus, order_number, parse_order_number
from ordermesh.orders.tables import order_lines, orders
from ordermesh.returns.model import ReturnStatus
from ordermesh.returns.queries import list_returns
from ordermesh.shipping.tables import shipment_parcels, shipments

PAGE_SIZE = 25
AT_RISK_UNITS = 5  # a SKU with at most this many units available is at risk


@dataclass(frozen=True)
class OrderRow:
    number: str
    external_id: str | None
    channel: str
    status: str
    total: Decimal
    currency: str
    email: str | None
    created_at: datetime


def search_orders(uow: UnitOfWork, q: str = "", cursor: str | None = None,
                  limit: int = PAGE_SIZE, scope: User | None = None
                  ) -> tuple[list[OrderRow], str | None]:
    """Newest first, those in ``scope``'s locations and channels. ``q`` finds an order by
    its number, external id, the customer's e-mail, a SKU on it or a parcel's tracking
    number (exact, case-insensitive for the e-mail)."""
    query = (select(orders.c.seq, orders.c.external_id, channels.c.code, orders.c.status,
                    orders.c.total_amount, orders.c.currency, customers.c.email,
                    orders.c.created_at)
             .join(channels, channels.c.id == orders.c.channel_id)
             .outerjoin(customers, customers.c.id == orders.c.customer_id)
             .where(*order_conditions(scope))
             .order_by(orders.c.seq.desc()).limit(limit + 1))
    q = q.strip()
    if q:
        matches = [orders.c.external_id == q,
                   customers.c.email == q.lower(),
                   orders.c.seq.in_(select(order_lines.c.order_seq)
                                    .where(order_lines.c.sku == q)),
                   orders.c.id.in_(select(shipments.c.order_id)
                                   .join(shipment_parcels,
                                         shipment_parcels.c.shipment_id == shipments.c.id)
                                   .where(shipment_parcels.c.tracking_number == q))]
        if (seq := parse_order_number(q.upper())) is not None:
            matches.append(orders.c.seq == seq)
        query = query.where(or_(*matches))
    if (before := decode_cursor(cursor)) is not None:
        query = query.where(orders.c.seq < before)
    rows = list(uow.execute(query))
    found = [OrderRow(order_number(r.seq), r.external_id, r.code, r.status,
                      Money.of(r.total_amount, r.currency).amount,
                      r.currency, r.email, as_utc(r.created_at)) for r in rows[:limit]]
    next_cursor = encode_cursor(rows[limit - 1].seq) if len(rows) > limit else None
    return found, next_cursor


@dataclass(frozen=True)
class ChannelSales:
    channel: str
    currency: str
    orders_today: int
    revenue_today: Decimal
    orders_30d: int
    revenue_30d: Decimal


def sales_by_channel(uow: UnitOfWork, scope: User | None = None) -> list[ChannelSales]:
    """Orders and revenue (order totals, cancelled orders left out) today (UTC) and over
    the last 30 days, per channel and currency."""
    now = uow.clock.now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    since = today - timedelta(days=29)
    live = and_(orders.c.created_at >= since, orders.c.status != OrderStatus.CANCELLED.value)
    is_today = orders.c.created_at >= today
    rows = uow.execute(
        select(channels.c.code, orders.c.currency,
               func.count().filter(is_today).label("n_today"),
               func.coalesce(func.sum(orders.c.total_amount).filter(is_today), 0)
               .label("r_today"),
               func.count().label("n_30"),
               func.coalesce(func.sum(orders.c.total_amount), 0).label("r_30"))
        .join(channels, channels.c.id == orders.c.channel_id)
        .where(live, *order_conditions(scope)).group_by(channels.c.code, orders.c.currency)
        .order_by(channels.c.code, orders.c.currency))
    return [ChannelSales(r.code, r.currency, r.n_today,
                         Money.of(Decimal(r.r_today), r.currency).amount, r.n_30,
                         Money.of(Decimal(r.r_30), r.currency).amount) for r in rows]


def orders_by_status(uow: UnitOfWork, scope: User | None = None) -> dict[str, int]:
    rows = uow.execute(select(orders.c.status, func.count()).where(*order_conditions(scope))
                       .group_by(orders.c.status))
    counts = {status: count for status, count in rows}
    return {status.value: counts.get(status.value, 0) for status in OrderStatus}


def skus_at_risk(uow: UnitOfWork, limit: int = 10, scope: User | None = None
                 ) -> list[tuple[str, str, int]]:
    """SKUs with stock rows whose available units (on hand less reserved, all locations
    or ``scope``'s) are at most ``AT_RISK_UNITS``: (sku, name, available), fewest first."""
    available = func.sum(stock.c.on_hand - stock.c.reserved)
    rows = uow.execute(
        select(products.c.sku, products.c.name, available.label("available"))
        .join(stock, stock.c.product_id == products.c.id)
        .where(*location_conditions(scope, stock.c.location_id))
        .group_by(products.c.sku, products.c.name)
        .having(available <= AT_RISK_UNITS)
        .order_by(available, products.c.sku).limit(limit))
    return [(r.sku, r.name, int(r.available)) for r in rows]


def latest_events(uow: UnitOfWork, limit: int = 10) -> list:
    return list(uow.execute(select(outbox.c.type, outbox.c.aggregate_type,
                                   outbox.c.aggregate_id, outbox.c.actor, outbox.c.occurred_at)
                            .order_by(outbox.c.seq.desc()).limit(limit)))


def events_of(uow: UnitOfWork, aggregate_ids: list[str], limit: int = 200) -> list:
    """An order's timeline: events of the order and its parts, oldest first."""
    return list(uow.execute(select(outbox.c.type, outbox.c.actor, outbox.c.occurred_at,
                                   outbox.c.payload)
                            .where(outbox.c.aggregate_id.in_(aggregate_ids))
                            .order_by(outbox.c.seq).limit(limit)))


@dataclass(frozen=True)
class QueueItem:
    what: str  # the order or return number
    detail: str
    since: datetime
    page: str = "orders"  # where ``what`` is shown: /app/<page>/<what>

    def age(self, now: datetime) -> str:
        return age(self.since, now)


def age(since: datetime, now: datetime) -> str:
    """How long something has waited, as a person reads it: "5 h", "2 d 3 h"."""
    hours = int((as_utc(now) - as_utc(since)).total_seconds() // 3600)
    return f"{hours // 24} d {hours % 24} h" if hours >= 24 else f"{hours} h"


def work_queues(uow: UnitOfWork, limit: int = 50, scope: User | None = None
                ) -> dict[str, list[QueueItem]]:
    """What needs a person, oldest first: orders on hold, fulfilment orders past their
    ship-by date, shipments in exception, backordered units that no stock or expected
    supply covers, return requests waiting for a decision; those in ``scope``'s
    locations and channels."""
    in_scope = order_conditions(scope)
    today = uow.clock.now().date()
    on_hold = [QueueItem(order_number(r.seq), f"{r.code}, on hold", as_utc(r.updated_at))
               for r in uow.execute(
                   select(orders.c.seq, orders.c.updated_at, channels.c.code)
                   .join(channels, channels.c.id == orders.c.channel_id)
                   .where(orders.c.status == OrderStatus.ON_HOLD.value, *in_scope)
                   .order_by(orders.c.updated_at).limit(limit))]
    late = [QueueItem(order_number(r.seq), f"{r.status}, ship by {r.ship_by}",
                      datetime.combine(r.ship_by, datetime.min.time(), tzinfo=as_utc(
                          uow.clock.now()).tzinfo))
            for r in uow.execute(
                select(orders.c.seq, fulfilment_orders.c.status, fulfilment_orders.c.ship_by)
                .join(orders, orders.c.id == fulfilment_orders.c.order_id)
                .where(fulfilment_orders.c.ship_by < today,
                       *location_conditions(scope, fulfilment_orders.c.location_id,
                                            fulfilment_orders.c.channel_id),
                       fulfilment_orders.c.status.in_(
                           ["released", "accepted", "picking", "picked", "packed",
                            "label_created"]))
                .order_by(fulfilment_orders.c.ship_by).limit(limit))]
    exceptions = [QueueItem(order_number(r.seq), f"{r.carrier}: {r.status}",
                            as_utc(r.last_event_at or r.booked_at))
                  for r in uow.execute(
                      select(orders.c.seq, shipments.c.carrier, shipments.c.status,
                             shipments.c.last_event_at, shipments.c.booked_at)
                      .join(orders, orders.c.id == shipments.c.order_id)
                      .where(shipments.c.status.in_(["delivery_failed", "damaged"]),
                             *location_conditions(scope, shipments.c.location_id,
                                                  orders.c.channel_id),
                             shipments.c.final.is_(False))
                      .order_by(func.coalesce(shipments.c.last_event_at,
                                              shipments.c.booked_at)).limit(limit))]
    undated = undated_backorders(uow, limit)
    placed = dict(uow.execute(select(orders.c.seq, orders.c.created_at).where(
        orders.c.seq.in_({seq for seq, *_ in undated}), *in_scope)).all())
    backorders = [QueueItem(order_number(seq), f"line {no}: {units} x {sku}, no supply due",
                            as_utc(placed[seq])) for seq, no, sku, units in undated
                  if seq in placed]
    requested = list_returns(uow, status=ReturnStatus.REQUESTED.value, limit=limit)[0]
    if in_scope:
        seqs = {parse_order_number(r["order_number"]) for r in requested}
        visible = {order_number(seq) for seq in uow.execute(select(orders.c.seq).where(
            orders.c.seq.in_(seqs - {None}), *in_scope)).scalars()}
        requested = [r for r in requested if r["order_number"] in visible]
    to_decide = [QueueItem(r["number"], f"{r['channel']}, {r['order_number']}",
                           r["updated_at"], "returns") for r in requested]
    return {"Orders on hold": on_hold, "Fulfilment orders late to ship": late,
            "Shipments in exception": exceptions, "Backorders with no date": backorders,
            "Returns waiting for a decision": to_decide}


def parcels_of(uow: UnitOfWork, order_id: str) -> list:
    """Every parcel shipped for an order: its fulfilment order, carrier, tracking number
    and status."""
    return list(uow.execute(
        select(shipments.c.fo_id, shipment_parcels.c.carrier,
               shipment_parcels.c.tracking_number, shipment_parcels.c.status)
        .join(shipments, shipments.c.id == shipment_parcels.c.shipment_id)
        .where(shipments.c.order_id == order_id)
        .order_by(shipments.c.booked_at, shipment_parcels.c.tracking_number)))
