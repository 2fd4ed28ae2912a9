"""Inspecting a received return: every unit received is graded again, once, by a person
who looked at it (the receipt's grade is the dock's first look). What the inspection
finds is recorded against the return and told in ``return.inspected`` (defects count
against the product there). Whether the refund waits for it is the policy's
``refund_release``; the refund itself is the flow's business (flows/returns_inspection.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, FieldError, InvalidInput
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.returns.model import Grade, ReturnStatus
from ordermesh.returns.service import transition
from ordermesh.returns.tables import return_inspections


@dataclass(frozen=True)
class InspectedLine:
    line_no: int  # the return's line
    quantity: int
    grade: Grade


def _check(ret: dict, lines: list[InspectedLine]) -> None:
    if ret["status"] != ReturnStatus.RECEIVED:
        raise Conflict(f"Return {ret['number']} is {ret['status']}: only a return whose "
                       "units all arrived is inspected, once",
                       extra={"current_status": ret["status"]})
    by_no = {ln["line_no"]: ln for ln in ret["lines"]}
    errors, graded = [], {}
    for i, line in enumerate(lines):  # a line may come in several grades: they add up
        if line.line_no not in by_no:
            errors.append(FieldError(f"lines[{i}].line_no", f"the return has no line "
                                     f"{line.line_no}", "unknown_line"))
            continue
        graded[line.line_no] = graded.get(line.line_no, 0) + line.quantity
    for no, own in by_no.items():
        if not errors and graded.get(no, 0) != own["received_quantity"]:
            errors.append(FieldError(
                "lines", f"line {no} ({own['sku']}): {graded.get(no, 0)} unit(s) graded, "
                f"{own['received_quantity']} received: grade each unit received once",
                "units_not_graded_once"))
    if errors:
        raise InvalidInput("; ".join(e.message for e in errors), errors=errors)


def record_inspection(uow: UnitOfWork, ret: dict, lines: list[InspectedLine],
                      note: str | None) -> dict:
    """The return (locked by the caller) is inspected. Never commits; returns what was
    recorded."""
    _check(ret, lines)
    by_no = {ln["line_no"]: ln for ln in ret["lines"]}
    detail = [{"line_no": ln.line_no, "sku": by_no[ln.line_no]["sku"],
               "quantity": ln.quantity, "grade": ln.grade.value} for ln in lines]
    inspection = {"id": new_id("rin"), "lines": detail, "note": note}
    uow.execute(insert(return_inspections).values(
        **inspection, return_id=ret["id"], actor=uow.actor, inspected_at=uow.clock.now()))
    transition(uow, ret, ReturnStatus.INSPECTED, note)
    defects = {}
    for ln in detail:
        if ln["grade"] == Grade.DEFECTIVE:
            defects[ln["sku"]] = defects.get(ln["sku"], 0) + ln["quantity"]
    record_event(uow, "return.inspected", "return", ret["id"], {
        "number": ret["number"], "order_id": ret["order_id"], "inspection_id": inspection["id"],
        "lines": detail, "defective": [{"sku": k, "quantity": q} for k, q in defects.items()],
        "note": note})
    return inspection
