"""Reading returns: one with its lines, timeline and refund; lists with filters."""

from __future__ import annotations

import base64
import binascii

from sqlalchemy import select

from ordermesh.channels.service import get_channel
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput, NotFound
from ordermesh.kit.money import Money
from ordermesh.locations.service import location_codes
from ordermesh.orders.refunds import get_refund
from ordermesh.returns.model import ReturnFees
from ordermesh.returns.tables import (
    return_history,
    return_inspections,
    return_lines,
    return_receipts,
    returns,
)


def _lines(uow: UnitOfWork, ids: list[str]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {i: [] for i in ids}
    for r in uow.execute(select(return_lines).where(return_lines.c.return_id.in_(ids))
                         .order_by(return_lines.c.return_id, return_lines.c.line_no)):
        found[r.return_id].append({
            "line_no": r.line_no, "order_line_no": r.order_line_no, "sku": r.sku,
            "product_id": r.product_id, "quantity": r.quantity,
            "received_quantity": r.received_quantity, "reason": r.reason,
            "comment": r.comment, "resolution": r.resolution, "exchange_sku": r.exchange_sku})
    return found


def _summary(row, lines: list[dict], channel: str) -> dict:
    return {"id": row.id, "number": row.number, "order_id": row.order_id,
            "order_number": row.order_number, "channel": channel, "status": row.status,
            "currency": row.currency, "returnless": row.returnless,
            "override_reason": row.override_reason, "overridden": row.overridden or [],
            "status_reason": row.status_reason, "refund_id": row.refund_id,
            "fees": ReturnFees.from_json(row.fees).as_json(),
            "refund_release": row.refund_release, "exchange_reserve": row.exchange_reserve,
            "exchange_order_id": row.exchange_order_id,
            "exchange_credit": None if row.exchange_credit is None
            else str(Money.of(row.exchange_credit, row.currency).amount), "lines": lines,
            "created_at": as_utc(row.created_at), "updated_at": as_utc(row.updated_at)}


def _timeline(uow: UnitOfWork, return_id: str) -> list[dict]:
    """Status changes in order; a receipt is told with the change it caused (every
    receipt makes exactly one, to ``partially_received`` or ``received``), the
    inspection with ``inspected``."""
    receipts = list(uow.execute(select(return_receipts)
                                .where(return_receipts.c.return_id == return_id)
                                .order_by(return_receipts.c.received_at,
                                          return_receipts.c.id)))
    codes = location_codes(uow, {r.location_id for r in receipts})
    left = iter(receipts)
    inspection = uow.execute(select(return_inspections).where(
        return_inspections.c.return_id == return_id)).first()
    steps = []
    for r in uow.execute(select(return_history).where(return_history.c.return_id == return_id)
                         .order_by(return_history.c.seq)):
        step = {"at": as_utc(r.occurred_at), "status": r.to_status,
                "from_status": r.from_status, "reason": r.reason, "actor": r.actor,
                "receipt": None}
        if r.to_status in ("partially_received", "received") and (
                receipt := next(left, None)) is not None:
            step["receipt"] = {"id": receipt.id, "location": codes[receipt.location_id],
                               "lines": receipt.lines, "note": receipt.note}
        if r.to_status == "inspected" and inspection is not None:
            step["inspection"] = {"id": inspection.id, "lines": inspection.lines,
                                  "note": inspection.note}
        steps.append(step)
    return steps


def get_return(uow: UnitOfWork, return_id: str) -> dict:
    """A return by id or number, with its timeline and its refund."""
    row = uow.execute(select(returns).where(
        (returns.c.id == return_id) | (returns.c.number == return_id))).first()
    if row is None:
        raise NotFound(f"No return with id or number '{return_id}'")
    result = _summary(row, _lines(uow, [row.id])[row.id],
                      get_channel(uow, row.channel_id).code)
    result["timeline"] = _timeline(uow, row.id)
    result["refund"] = get_refund(uow, row.refund_id) if row.refund_id else None
    return result


def _after(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput.for_field("query.cursor", "cursor is not one this API returned"
                                     ) from exc
    if not text.startswith("ret_"):
        raise InvalidInput.for_field("query.cursor", "cursor is not one this API returned")
    return text


def list_returns(uow: UnitOfWork, *, status: str | None = None, order_id: str | None = None,
                 channel_id: str | None = None, limit: int = 50,
                 cursor: str | None = None) -> tuple[list[dict], str | None]:
    """Returns oldest first (ids are time-ordered), with the cursor of the next page."""
    query = select(returns).order_by(returns.c.id).limit(limit + 1)
    if status:
        query = query.where(returns.c.status == status)
    if order_id:
        query = query.where(returns.c.order_id == order_id)
    if channel_id:
        query = query.where(returns.c.channel_id == channel_id)
    if (after := _after(cursor)) is not None:
        query = query.where(returns.c.id > after)
    rows = list(uow.execute(query))
    more = len(rows) > limit
    rows = rows[:limit]
    lines = _lines(uow, [r.id for r in rows])
    channels = {cid: get_channel(uow, cid).code for cid in {r.channel_id for r in rows}}
    items = [_summary(r, lines[r.id], channels[r.channel_id]) for r in rows]
    next_cursor = base64.urlsafe_b64encode(rows[-1].id.encode()).decode().rstrip("=") \
        if more else None
    return items, next_cursor


def returns_of_orders(uow: UnitOfWork, order_ids: list[str]) -> list[dict]:
    """Every return of these orders that was not rejected or cancelled, oldest first: id,
    order_id, status, created_at (a customer's returns rate and timeline)."""
    if not order_ids:
        return []
    rows = uow.execute(select(returns.c.id, returns.c.order_id, returns.c.status,
                              returns.c.created_at)
                       .where(returns.c.order_id.in_(order_ids),
                              returns.c.status.not_in(("rejected", "cancelled")))
                       .order_by(returns.c.id))
    return [{"id": r.id, "order_id": r.order_id, "status": r.status,
             "created_at": as_utc(r.created_at)} for r in rows]
