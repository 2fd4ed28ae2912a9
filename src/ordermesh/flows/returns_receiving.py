"""Receiving a return at a location: count, grade and disposition per line, one unit of
work.

The return counts the units it received (``returns.service.record_receipt_lines``) and
the stock takes them back at the receiving location (``inventory.returned.take_back``):
restock → sellable, refurbish and quarantine → held aside (``damaged``), scrap → booked
in and written off. Receiving refunds only when the return's policy releases refunds at
receipt, and then with the receipt of the last unit (``flows.returns_refunds``). The
units received are no longer expected back (``inventory.return_supply``), wherever they
arrived.

A line may be given several times in one receipt, one grade each: the counts add up.
Refused, with nothing changed: a return that is not authorised (or partly received), a
returnless one, more units than are still expected on a line (receiving twice), an
unknown location.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert

from ordermesh.flows.returns_refunds import resolve_with_refund
from ordermesh.inventory.return_supply import settle_returned_units
from ordermesh.inventory.returned import Into, TakenBack, take_back
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, FieldError, InvalidInput
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.locations.service import location_by_code
from ordermesh.returns.model import Disposition, Grade, RefundRelease, ReturnStatus
from ordermesh.returns.queries import get_return
from ordermesh.returns.service import lock_return, record_receipt_lines
from ordermesh.returns.tables import return_receipts

_INTO = {Disposition.RESTOCK: Into.SELLABLE, Disposition.REFURBISH: Into.HELD,
         Disposition.QUARANTINE: Into.HELD, Disposition.SCRAP: Into.SCRAPPED}
_RECEIVABLE = (ReturnStatus.AUTHORISED, ReturnStatus.PARTIALLY_RECEIVED)


@dataclass(frozen=True)
class ReceivedLine:
    line_no: int  # the return's line
    quantity: int
    grade: Grade
    disposition: Disposition


def _check(ret: dict, lines: list[ReceivedLine]) -> None:
    if ret["status"] not in _RECEIVABLE:
        raise Conflict(f"Return {ret['number']} is {ret['status']}: only an authorised "
                       "return receives units", extra={"current_status": ret["status"]})
    if ret["returnless"]:
        raise Conflict(f"Return {ret['number']} is returnless: no units come back")
    by_no = {ln["line_no"]: ln for ln in ret["lines"]}
    errors, counted = [], {}
    for i, line in enumerate(lines):  # a line may come in several grades: they add up
        own = by_no.get(line.line_no)
        if own is None:
            errors.append(FieldError(f"lines[{i}].line_no", f"the return has no line "
                                     f"{line.line_no}", "unknown_line"))
            continue
        counted[line.line_no] = counted.get(line.line_no, 0) + line.quantity
        expected = own["quantity"] - own["received_quantity"]
        if counted[line.line_no] > expected:
            errors.append(FieldError(
                f"lines[{i}].quantity", f"{counted[line.line_no]} of line {line.line_no} "
                f"({own['sku']}) received, {expected} still expected "
                f"({own['received_quantity']} of {own['quantity']} received before)",
                "exceeds_expected"))
    if errors:
        raise InvalidInput("; ".join(e.message for e in errors), errors=errors)


def receive_return(uow: UnitOfWork, return_id: str, location: str, lines: list[ReceivedLine],
                   note: str | None = None,
                   idem: idempotency.IdempotencyKey | None = None) -> dict:
    """Units of a return arrive at ``location``. Commits."""
    receipt_id = new_id("rrc")
    if prior := idempotency.claim(uow, idem, idempotency.PriorResult("return", return_id, 201)):
        return get_return(uow, prior.resource_id)
    where = location_by_code(uow, location)
    ret = lock_return(uow, return_id)
    _check(ret, lines)
    by_no = {ln["line_no"]: ln for ln in ret["lines"]}
    detail = [{"line_no": ln.line_no, "sku": by_no[ln.line_no]["sku"],
               "quantity": ln.quantity, "grade": ln.grade.value,
               "disposition": ln.disposition.value} for ln in lines]
    uow.execute(insert(return_receipts).values(
        id=receipt_id, return_id=ret["id"], location_id=where.id, lines=detail, note=note,
        actor=uow.actor, received_at=uow.clock.now()))
    counted: dict[int, int] = {}
    for ln in lines:
        counted[ln.line_no] = counted.get(ln.line_no, 0) + ln.quantity
    status = record_receipt_lines(uow, ret, counted, f"received at {where.code}")
    take_back(uow, where.id, [TakenBack(by_no[ln.line_no]["product_id"],
                                        by_no[ln.line_no]["sku"], ln.quantity,
                                        _INTO[ln.disposition]) for ln in lines],
              "return", ret["id"], note=f"return {ret['number']}")
    for line_no, quantity in sorted(counted.items()):  # no longer expected back
        settle_returned_units(uow, ret["id"], by_no[line_no]["product_id"], quantity, where.id)
    record_event(uow, "return.received", "return", ret["id"], {
        "number": ret["number"], "order_id": ret["order_id"], "receipt_id": receipt_id,
        "location": where.code, "status": status.value, "lines": detail})
    if status is ReturnStatus.RECEIVED and ret["refund_release"] == RefundRelease.RECEIPT:
        return resolve_with_refund(uow, get_return(uow, ret["id"]),
                                   "refunded at receipt, as the policy says")
    uow.commit()
    return get_return(uow, ret["id"])
