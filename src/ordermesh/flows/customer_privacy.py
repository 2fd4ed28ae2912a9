"""The privacy requests of a person: an export of everything held about them, and an
erasure that anonymises them while orders, invoices and tax records stay as the law
requires. Both read or keep orders, so they live above customers and orders; both are
audited (``customer_audit``) and write their event."""

from __future__ import annotations

from ordermesh.customers import privacy
from ordermesh.customers.service import get_customer
from ordermesh.flows.customer_view import all_orders
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict
from ordermesh.kit.outbox import events_about
from ordermesh.orders.model import OrderStatus
from ordermesh.orders.queries import load_order
from ordermesh.returns.queries import returns_of_orders

# An order in one of these is finished: nothing more will be sent, charged or delivered.
CLOSED = frozenset({OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.CANCELLED})
OPEN_RETURNS = frozenset({"requested", "authorised", "partially_received", "received",
                          "inspected"})


def export_customer(uow: UnitOfWork, customer_id: str) -> dict:
    """Everything held about the person, as one JSON document; commits its audit entry."""
    get_customer(uow, customer_id)
    data = privacy.customer_data(uow, customer_id)
    group = [c["id"] for c in data["customers"]]
    orders = [load_order(uow, o.id) for o in all_orders(uow, group)]
    returned = returns_of_orders(uow, [o.id for o in orders])
    subjects = group + [o.id for o in orders] + [r["id"] for r in returned]
    data["orders"] = orders
    data["returns"] = returned
    data["events"] = events_about(uow, subjects, limit=10_000)
    data["exported_at"] = uow.clock.now()
    privacy.record_export(uow, customer_id, group, len(orders))
    uow.commit()
    return data


def erase_customer(uow: UnitOfWork, customer_id: str, reason: str) -> list[str]:
    """Anonymise the person, refused (409, nothing changed) while one of their orders is
    still open or a return of theirs is under way: the shipment or refund still needs the
    address and the contact. Commits."""
    customer = get_customer(uow, customer_id)
    if customer.erased_at is not None:
        raise Conflict(f"Customer '{customer_id}' was already erased",
                       extra={"reason": "erased"})
    group = privacy.lock_group(uow, customer_id)  # a concurrent order waits, or is seen
    orders = all_orders(uow, group)
    open_orders = [o for o in orders if o.status not in CLOSED]
    if open_orders:
        numbers = [o.number for o in open_orders]
        raise Conflict(f"Customer '{customer_id}' has open orders ({', '.join(numbers)}): "
                       "erase them once they are shipped or cancelled",
                       extra={"reason": "open_orders", "orders": numbers})
    open_returns = [r for r in returns_of_orders(uow, [o.id for o in orders])
                    if r["status"] in OPEN_RETURNS]
    if open_returns:
        raise Conflict(f"Customer '{customer_id}' has returns under way: erase them once "
                       "they are refunded or closed",
                       extra={"reason": "open_returns",
                              "returns": [r["id"] for r in open_returns]})
    erased = privacy.erase(uow, customer_id, reason)
    uow.commit()
    return erased
