"""What returns tell the seller: return rates of the orders placed in a period, grouped by
SKU, category, channel or reason; what returns cost; customers far above the norm.

Rates are by cohort: of the units shipped for orders placed in the period, how many are
in a return that was not rejected or cancelled (asked for, whether received yet or not).
A late return therefore still counts against the period its order was placed in.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, func, select

from ordermesh.catalog.tables import products
from ordermesh.channels.tables import channels
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money
from ordermesh.orders.tables import order_lines, order_refunds, orders
from ordermesh.returns.tables import return_lines, return_receipts, returns

MAX_DAYS = 3660
NOT_RETURNED = ("rejected", "cancelled")
# A customer is far above the norm with at least this many orders and returned units
# and a return rate at least this many times the period's.
MIN_ORDERS, MIN_RETURNED, ABOVE_FACTOR = 3, 2, 2


class GroupBy(enum.StrEnum):
    SKU = "sku"
    CATEGORY = "category"
    CHANNEL = "channel"
    REASON = "reason"


_KEY = {GroupBy.SKU: order_lines.c.sku, GroupBy.CATEGORY: products.c.category,
        GroupBy.CHANNEL: channels.c.code, GroupBy.REASON: return_lines.c.reason}


def _rate(returned: int, shipped: int) -> str | None:
    if not shipped:
        return None
    return str((Decimal(returned) / shipped).quantize(Decimal("0.0001"), ROUND_HALF_UP))


def _period(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    if date_to < date_from:
        raise InvalidInput.for_field("query.to", "to is before from")
    if (date_to - date_from).days > MAX_DAYS:
        raise InvalidInput.for_field("query.to", "a period is at most ten years")
    return (datetime.combine(date_from, time.min, UTC),
            datetime.combine(date_to + timedelta(days=1), time.min, UTC))


def _cohort(start: datetime, end: datetime, channel_id: str | None):
    where = [orders.c.created_at >= start, orders.c.created_at < end]
    if channel_id:
        where.append(orders.c.channel_id == channel_id)
    return and_(*where)


def _joined(query):
    return (query.join(orders, orders.c.seq == order_lines.c.order_seq)
            .join(products, products.c.id == order_lines.c.product_id)
            .join(channels, channels.c.id == orders.c.channel_id))


def _returned_lines(query):
    return (query.select_from(return_lines)
            .join(returns, returns.c.id == return_lines.c.return_id)
            .join(orders, orders.c.id == returns.c.order_id)
            .join(order_lines, and_(order_lines.c.order_seq == orders.c.seq,
                                    order_lines.c.line_no == return_lines.c.order_line_no))
            .join(products, products.c.id == order_lines.c.product_id)
            .join(channels, channels.c.id == orders.c.channel_id))


def return_analytics(uow: UnitOfWork, date_from: date, date_to: date, group_by: GroupBy,
                     channel_id: str | None = None, limit: int = 50) -> dict:
    start, end = _period(date_from, date_to)
    cohort = _cohort(start, end, channel_id)
    live = returns.c.status.not_in(NOT_RETURNED)
    key = _KEY[group_by]
    shipped = {} if group_by is GroupBy.REASON else dict(uow.execute(_joined(
        select(key, func.sum(order_lines.c.shipped_quantity)).select_from(order_lines))
        .where(cohort).group_by(key)).all())
    asked = {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in uow.execute(_returned_lines(
        select(key, func.sum(return_lines.c.quantity), func.sum(return_lines.c.received_quantity),
               func.count(func.distinct(returns.c.id))))
        .where(cohort, live).group_by(key))}
    total_shipped = int(uow.execute(_joined(select(func.coalesce(func.sum(
        order_lines.c.shipped_quantity), 0)).select_from(order_lines)).where(cohort)
        ).scalar_one())
    total_returned = sum(units for units, _, _ in asked.values())
    groups = [{"key": k, "units_shipped": int(shipped[k]) if k in shipped else None,
               "units_returned": units, "units_received": received, "returns": count,
               "return_rate": _rate(units, int(shipped.get(k) or 0))
               if group_by is not GroupBy.REASON else None,
               "share_of_returned": _rate(units, total_returned)}
              for k, (units, received, count) in asked.items()]
    groups.sort(key=lambda g: (-g["units_returned"], str(g["key"])))
    return {
        "from": date_from, "to": date_to, "group_by": group_by.value,
        "totals": {"units_shipped": total_shipped, "units_returned": total_returned,
                   "return_rate": _rate(total_returned, total_shipped),
                   **_costs(uow, cohort)},
        "groups": groups[:limit],
        "customers_above_norm": _customers(uow, cohort, live, total_returned, total_shipped),
    }


def _costs(uow: UnitOfWork, cohort) -> dict:
    """Money refunded for returns, per currency, and the units each disposition took."""
    refunded = defaultdict(Decimal)
    for currency, amount in uow.execute(
            select(order_refunds.c.currency, order_refunds.c.amount)
            .join(returns, returns.c.refund_id == order_refunds.c.id)
            .join(orders, orders.c.id == returns.c.order_id).where(cohort)):
        refunded[currency] += Decimal(amount)
    dispositions: dict[str, int] = defaultdict(int)
    for (lines,) in uow.execute(select(return_receipts.c.lines)
                                .join(returns, returns.c.id == return_receipts.c.return_id)
                                .join(orders, orders.c.id == returns.c.order_id).where(cohort)):
        for line in lines:
            dispositions[line["disposition"]] += int(line["quantity"])
    return {"refunded": [{"currency": c, "amount": str(Money.of(a, c).amount)}
                         for c, a in sorted(refunded.items())],
            "units_by_disposition": dict(sorted(dispositions.items()))}


def _customers(uow: UnitOfWork, cohort, live, total_returned: int,
               total_shipped: int) -> list[dict]:
    if not total_shipped:
        return []
    norm = Decimal(total_returned) / total_shipped
    shipped = {r[0]: (int(r[1]), int(r[2])) for r in uow.execute(
        select(orders.c.customer_id, func.count(func.distinct(orders.c.seq)),
               func.sum(order_lines.c.shipped_quantity))
        .select_from(order_lines).join(orders, orders.c.seq == order_lines.c.order_seq)
        .where(cohort, orders.c.customer_id.is_not(None)).group_by(orders.c.customer_id))}
    returned = dict(uow.execute(
        select(orders.c.customer_id, func.sum(return_lines.c.quantity))
        .select_from(return_lines).join(returns, returns.c.id == return_lines.c.return_id)
        .join(orders, orders.c.id == returns.c.order_id)
        .where(cohort, live, orders.c.customer_id.is_not(None))
        .group_by(orders.c.customer_id)).all())
    found = []
    for customer_id, units in returned.items():
        order_count, units_shipped = shipped.get(customer_id, (0, 0))
        units = int(units)
        if order_count < MIN_ORDERS or units < MIN_RETURNED or not units_shipped:
            continue
        if Decimal(units) / units_shipped >= ABOVE_FACTOR * norm:
            found.append({"customer_id": customer_id, "orders": order_count,
                          "units_shipped": units_shipped, "units_returned": units,
                          "return_rate": _rate(units, units_shipped)})
    found.sort(key=lambda c: (-Decimal(c["return_rate"]), c["customer_id"]))
    return found[:20]
