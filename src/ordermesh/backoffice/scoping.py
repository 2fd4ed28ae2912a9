"""What a user limited to locations and channels (``scopes``) may see.

An order is in a user's scope when its channel is one of theirs (or they have no
channels) and, when they have locations, it has units reserved or a fulfilment order at
one of them. A fulfilment order, a shipment and a stock level are in scope by their
location (and channel). Out of scope is "not found": a detail page answers 404 as if the
thing did not exist, and lists leave it out.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select

from ordermesh.backoffice.model import User
from ordermesh.fulfilment.model import FulfilmentOrder
from ordermesh.fulfilment.tables import fulfilment_orders
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import NotFound
from ordermesh.orders.model import Order
from ordermesh.orders.queries import load_order
from ordermesh.orders.tables import order_allocations, orders


def order_conditions(user: User | None) -> list[ColumnElement[bool]]:
    """Conditions on ``orders`` that keep the user's orders (none for an unlimited user)."""
    if user is None:
        return []
    found: list[ColumnElement[bool]] = []
    if user.channel_ids:
        found.append(orders.c.channel_id.in_(sorted(user.channel_ids)))
    if user.location_ids:
        ids = sorted(user.location_ids)
        found.append(or_(
            orders.c.seq.in_(select(order_allocations.c.order_seq)
                             .where(order_allocations.c.location_id.in_(ids))),
            orders.c.id.in_(select(fulfilment_orders.c.order_id)
                            .where(fulfilment_orders.c.location_id.in_(ids)))))
    return found


def location_conditions(user: User | None, location_column, channel_column=None
                        ) -> list[ColumnElement[bool]]:
    """Conditions keeping rows at the user's locations (and of their channels)."""
    if user is None:
        return []
    found: list[ColumnElement[bool]] = []
    if user.location_ids:
        found.append(location_column.in_(sorted(user.location_ids)))
    if user.channel_ids and channel_column is not None:
        found.append(channel_column.in_(sorted(user.channel_ids)))
    return found


def check_order(uow: UnitOfWork, user: User, order: Order) -> Order:
    """The order, or ``NotFound`` (with the message of an unknown one) when out of scope."""
    if not user.scoped:
        return order
    visible = uow.execute(select(orders.c.seq).where(
        orders.c.seq == order.seq, *order_conditions(user))).first()
    if visible is None:
        raise NotFound(f"No order with id or number '{order.number}'")
    return order


def check_location(user: User, location_id: str, code: str) -> None:
    if not user.sees_location(location_id):
        raise NotFound(f"Location '{code}' not found")


def check_fulfilment_order(user: User, fo: FulfilmentOrder) -> FulfilmentOrder:
    if not (user.sees_location(fo.location_id) and user.sees_channel(fo.channel_id)):
        raise NotFound(f"No fulfilment order with id or number '{fo.number}'")
    return fo


def visible(uow: UnitOfWork, page, number: str) -> str:
    """The id of order ``number`` when the page's user may see it; ``NotFound`` if not."""
    return check_order(uow, page.user, load_order(uow, number)).id
