"""Resolving a return with a refund to the original payment, one unit of work.

The units refunded are those received (a returnless return: every unit asked for). The
policy's ``refund_release`` says when: ``manual`` (an operator refunds once units
arrived), ``receipt`` (the receipt of the last unit refunds), ``inspection`` (the
inspection refunds; nothing is refunded before it). The
refund is the order's own refund use case (``orders.refunds.refund_order``): each unit
gives back its share of what was paid for its line (line and order discounts and tax
included), the payments ledger refunds no more than was captured, and a credit note is
issued when the order was invoiced. The fees the return's policy set when it was
requested (a restocking fee, a return shipping fee) are kept back from that refund and
shown on its credit note. The return is marked resolved with that refund's id first
(units of a partly received return that did not come back are no longer expected);
``refund_order`` commits both together, as its last step.

A return whose lines ask for store credit is resolved the same way, with the same
money, but the refund goes to the customer's store credit (``credit.service.issue``,
``store_credit.issued``) instead of the order's payments: the order still records the
units refunded, the tax booked back and the credit note.
"""

from __future__ import annotations

from decimal import Decimal

from ordermesh.credit.service import issue
from ordermesh.inventory.return_supply import withdraw_returned_units
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import record_event
from ordermesh.orders.queries import load_order, order_ref
from ordermesh.orders.refunds import Deduction, RefundLine, RefundRequest, refund_order
from ordermesh.returns.model import Deduction as Kept
from ordermesh.returns.model import RefundRelease, Resolution, ReturnFees, ReturnStatus
from ordermesh.returns.queries import get_return
from ordermesh.returns.service import lock_return, mark_resolved, refund_money

S = ReturnStatus


def _units(ret: dict) -> dict[int, int]:
    """Order line -> units to refund now."""
    if ret["returnless"] and ret["status"] == S.AUTHORISED:
        return {ln["order_line_no"]: ln["quantity"] for ln in ret["lines"]}
    if ret["status"] in (S.RECEIVED, S.PARTIALLY_RECEIVED, S.INSPECTED):
        if ret["refund_release"] == RefundRelease.INSPECTION and ret["status"] != S.INSPECTED:
            raise Conflict(f"Return {ret['number']} cannot be refunded before it is inspected "
                           "(its policy releases refunds after inspection)",
                           extra={"current_status": ret["status"]})
        return {ln["order_line_no"]: ln["received_quantity"] for ln in ret["lines"]
                if ln["received_quantity"]}
    what = ("it waits for its units" if ret["status"] == S.AUTHORISED
            else f"it is {ret['status']}")
    raise Conflict(f"Return {ret['number']} cannot be refunded: {what}",
                   extra={"current_status": ret["status"]})


def _to_store_credit(uow: UnitOfWork, ret: dict) -> str | None:
    """The customer whose store credit the return's money goes to, if it asks for it."""
    if not any(ln["resolution"] == Resolution.STORE_CREDIT for ln in ret["lines"]):
        return None
    customer_id = order_ref(uow, ret["order_id"]).customer_id
    if customer_id is None:
        raise Conflict(f"Return {ret['number']} asks for store credit but its order has no "
                       "customer to hold it")
    return customer_id


def exchange_lines(ret: dict) -> list[dict]:
    return [ln for ln in ret["lines"] if ln["resolution"] == Resolution.EXCHANGE]


def _exchanged(uow: UnitOfWork, ret: dict) -> Kept | None:
    """What the exchange's replacement took off the refund; refused while the
    replacement is not placed or units exchanged are still to come."""
    lines = exchange_lines(ret)
    if not lines:
        return None
    if not ret["exchange_order_id"]:
        raise Conflict(f"Return {ret['number']} exchanges units: place its replacement "
                       "order first (POST /api/v1/returns/{id}/exchange)")
    if not ret["returnless"] and any(ln["received_quantity"] < ln["quantity"] for ln in lines):
        raise Conflict(f"Return {ret['number']} cannot be resolved before every unit it "
                       "exchanges came back", extra={"current_status": ret["status"]})
    number = order_ref(uow, ret["exchange_order_id"]).number
    return Kept("exchange", f"Exchanged for order {number}",
                     Money.of(ret["exchange_credit"], ret["currency"]))


def _money(uow: UnitOfWork, ret: dict) -> dict:
    """The refund of the units to refund now, less what an exchange took and the fees of
    the return's policy."""
    units = _units(ret)
    reasons = {ln["order_line_no"]: ln["reason"] for ln in ret["lines"]}
    return refund_money(load_order(uow, ret["order_id"]),
                        [(no, q, reasons[no]) for no, q in sorted(units.items())],
                        ReturnFees.from_json(ret["fees"]), not ret["returnless"],
                        _exchanged(uow, ret),
                        frozenset(ln["order_line_no"] for ln in exchange_lines(ret)))


def refund_preview(uow: UnitOfWork, return_id: str) -> dict | None:
    """What ``refund_return`` would give back now, or None while it cannot refund."""
    ret = get_return(uow, return_id)
    try:
        return _money(uow, ret)
    except Conflict:
        return None


def refund_return(uow: UnitOfWork, return_id: str,
                  idem: idempotency.IdempotencyKey | None = None) -> dict:
    """Refund a received (or returnless) return and resolve it. Commits."""
    if prior := idempotency.claim(uow, idem, idempotency.PriorResult("return", return_id, 201)):
        return get_return(uow, prior.resource_id)
    return resolve_with_refund(uow, lock_return(uow, return_id), "refunded")


def resolve_with_refund(uow: UnitOfWork, ret: dict, why: str) -> dict:
    """Refund the return (locked by the caller, as it stands in this transaction) and
    resolve it. Commits the caller's unit of work with it."""
    money = _money(uow, ret)
    credit_to = _to_store_credit(uow, ret)
    refund_id = new_id("rfd")
    reason = f"return {ret['number']}"
    resolution = ("store_credit" if credit_to else
                  "exchange" if exchange_lines(ret) else "refund")
    mark_resolved(uow, ret, refund_id, why + (" without a return shipment"
                                              if ret["returnless"] else ""))
    withdraw_returned_units(uow, ret["id"])  # units not back by now will not be awaited
    record_event(uow, "return.resolved", "return", ret["id"], {
        "number": ret["number"], "order_id": ret["order_id"],
        "resolution": resolution,
        "exchange_order_id": ret["exchange_order_id"],
        "refund_id": refund_id, "returnless": ret["returnless"],
        "lines": [{"order_line_no": ln["order_line_no"], "quantity": ln["quantity"]}
                  for ln in money["lines"]],
        "value": money["value"], "deductions": money["deductions"],
        "refund": money["refund"]})
    refund = Money.of(money["refund"], ret["currency"])
    if credit_to and refund.amount > 0:
        issue(uow, credit_to, refund, source_type="return", source_id=ret["id"],
              unique_key=f"return:{ret['id']}", reason=reason, order_id=ret["order_id"])
    refund_order(uow, ret["order_id"], RefundRequest(
        reason=reason, lines=tuple(RefundLine(ln["order_line_no"], ln["quantity"])
                                   for ln in money["lines"]),
        deductions=tuple(Deduction(d["kind"], d["description"], Decimal(d["amount"]))
                         for d in money["deductions"]),
        to_payment=credit_to is None), refund_id=refund_id)  # commits the whole unit of work
    return get_return(uow, ret["id"])
