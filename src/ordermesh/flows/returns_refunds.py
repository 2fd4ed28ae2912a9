"""Resolving a return with a refund to the original payment, one unit of work.

The units refunded are those received (a returnless return: every unit asked for). The
refund is the order's own refund use case (``orders.refunds.refund_order``): each unit
gives back its share of what was paid for its line (line and order discounts and tax
included), the payments ledger refunds no more than was captured, and a credit note is
issued when the order was invoiced. The return is marked resolved with that refund's id
first; ``refund_order`` commits both together, as its last step.

Not yet: a return shipping fee or restocking fee deducted from the refund, store credit
and exchanges (docs/returns.md).
"""

from __future__ import annotations

from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.orders.queries import load_order
from ordermesh.orders.refunds import RefundLine, RefundRequest, refund_order
from ordermesh.returns.model import ReturnStatus
from ordermesh.returns.queries import get_return
from ordermesh.returns.service import lock_return, mark_resolved, refund_money

S = ReturnStatus


def _units(ret: dict) -> dict[int, int]:
    """Order line -> units to refund now."""
    if ret["returnless"] and ret["status"] == S.AUTHORISED:
        return {ln["order_line_no"]: ln["quantity"] for ln in ret["lines"]}
    if ret["status"] in (S.RECEIVED, S.PARTIALLY_RECEIVED):
        return {ln["order_line_no"]: ln["received_quantity"] for ln in ret["lines"]
                if ln["received_quantity"]}
    what = ("it waits for its units" if ret["status"] == S.AUTHORISED
            else f"it is {ret['status']}")
    raise Conflict(f"Return {ret['number']} cannot be refunded: {what}",
                   extra={"current_status": ret["status"]})


def refund_preview(uow: UnitOfWork, return_id: str) -> dict | None:
    """What ``refund_return`` would give back now, or None while it cannot refund."""
    ret = get_return(uow, return_id)
    try:
        units = _units(ret)
    except Conflict:
        return None
    return refund_money(load_order(uow, ret["order_id"]), sorted(units.items()))


def refund_return(uow: UnitOfWork, return_id: str,
                  idem: idempotency.IdempotencyKey | None = None) -> dict:
    """Refund a received (or returnless) return and resolve it. Commits."""
    if prior := idempotency.claim(uow, idem, idempotency.PriorResult("return", return_id, 201)):
        return get_return(uow, prior.resource_id)
    ret = lock_return(uow, return_id)
    units = _units(ret)
    refund_id = new_id("rfd")
    reason = f"return {ret['number']}"
    mark_resolved(uow, ret, refund_id, "refunded" + (" without a return shipment"
                                                     if ret["returnless"] else ""))
    record_event(uow, "return.resolved", "return", ret["id"], {
        "number": ret["number"], "order_id": ret["order_id"], "resolution": "refund",
        "refund_id": refund_id, "returnless": ret["returnless"],
        "lines": [{"order_line_no": no, "quantity": q} for no, q in sorted(units.items())]})
    refund_order(uow, ret["order_id"], RefundRequest(
        reason=reason, lines=tuple(RefundLine(no, q) for no, q in sorted(units.items()))),
        refund_id=refund_id)  # commits the whole unit of work
    return get_return(uow, ret["id"])
