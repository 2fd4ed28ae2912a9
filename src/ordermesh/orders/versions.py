"""Order versions: each edit leaves the order's contents and money as they were after it."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import insert, select

from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.money import Money
from ordermesh.orders.model import Order
from ordermesh.orders.queries import order_ref
from ordermesh.orders.tables import order_versions

_INSERT = insert(order_versions)


def lines_snapshot(order: Order) -> list[dict]:
    return [
        {"line_no": ln.line_no, "sku": ln.sku, "quantity": ln.quantity,
         "cancelled_quantity": ln.cancelled_quantity, "unit_price": str(ln.unit_price.amount),
         "line_discount": str(ln.line_discount.amount),  # its own, for all units
         "gross": str(ln.money.gross.amount) if ln.money else None,
         "tax": str(ln.money.tax.amount) if ln.money else None}
        for ln in order.lines
    ]


def record_version(
    uow: UnitOfWork, order: Order, changes: dict | list, settlement: dict | None,
    reason: str | None,
) -> None:
    uow.defer_insert(_INSERT, {
        "order_seq": order.seq, "version": order.version, "changes": changes,
        "lines": lines_snapshot(order),
        "shipping_address": asdict(order.shipping_address) if order.shipping_address else None,
        "total_amount": order.totals.total.amount,
        "tax_amount": order.totals.tax.amount if order.totals.tax else 0,
        "settlement": settlement, "actor": uow.actor, "reason": reason,
        "created_at": uow.clock.now(),
    })


def list_versions(uow: UnitOfWork, order_id: str) -> list[dict]:
    ref = order_ref(uow, order_id)
    rows = uow.execute(select(order_versions).where(order_versions.c.order_seq == ref.seq)
                       .order_by(order_versions.c.version))
    return [
        {"version": r.version, "changes": r.changes, "lines": r.lines,
         "shipping_address": r.shipping_address, "currency": ref.currency,
         "total": str(Money.of(r.total_amount, ref.currency).amount),
         "tax": str(Money.of(r.tax_amount, ref.currency).amount), "settlement": r.settlement,
         "actor": r.actor, "reason": r.reason, "created_at": as_utc(r.created_at)}
        for r in rows
    ]
