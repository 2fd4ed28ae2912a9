"""What a location does with a fulfilment order: accept it; and taking units off it to be
sourced elsewhere (rejected, short: ``flows/resourcing.py`` sources them again)."""

from __future__ import annotations

from sqlalchemy import update

from ordermesh.fulfilment.model import FulfilmentOrder, FulfilmentStatus
from ordermesh.fulfilment.queries import get_fulfilment_order, lock_fulfilment_order
from ordermesh.fulfilment.service import apply_status, lines_changed_event
from ordermesh.fulfilment.tables import fulfilment_lines
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import FieldError, InvalidInput

S = FulfilmentStatus
FL = fulfilment_lines.c
REJECTABLE = frozenset({S.RELEASED, S.ACCEPTED, S.PICKING})


def accept(uow: UnitOfWork, fo_id: str, reason: str | None) -> FulfilmentOrder:
    fo = lock_fulfilment_order(uow, fo_id)
    updated = apply_status(uow, fo, S.ACCEPTED, reason)
    uow.commit()
    return updated


def plan_units(fo: FulfilmentOrder, lines: dict[int, int] | None, available, what: str,
               field: str = "lines") -> dict[int, int]:
    """Units per line asked for (``None``: every unit ``available(line)`` gives), each
    within what is available; problems are named by field."""
    if lines is None:
        return {ln.line_no: available(ln) for ln in fo.lines if available(ln) > 0}
    errors = []
    for no, quantity in sorted(lines.items()):
        line = fo.line(no)
        if line is None:
            errors.append(FieldError(f"{field}.{no}", f"{fo.number} has no line {no}",
                                     "unknown_line"))
        elif quantity > available(line):
            errors.append(FieldError(f"{field}.{no}", f"{fo.number} has {available(line)} "
                                     f"units of line {no} {what}, not {quantity}",
                                     "exceeds_open_quantity"))
    if errors:
        raise InvalidInput(f"Some lines of {fo.number} cannot be changed as asked",
                           errors=errors)
    return {no: q for no, q in lines.items() if q > 0}


def take_off_units(uow: UnitOfWork, fo: FulfilmentOrder, units: dict[int, int],
                   trigger: str) -> None:
    """Units the location will not supply (``rejected``: refused; ``short_pick``: not
    found or reported short) come off the fulfilment order's lines. Sourcing them again
    is the caller's (``flows/resourcing.py``), then ``units_taken_off``."""
    column = "short_quantity" if trigger == "short_pick" else "rejected_quantity"
    for no, quantity in units.items():
        uow.execute(update(fulfilment_lines).where(FL.fo_id == fo.id, FL.line_no == no)
                    .values(**{column: FL[column] + quantity}))


def units_taken_off(uow: UnitOfWork, fo: FulfilmentOrder, units: dict[int, int],
                    trigger: str, reason: str | None, decisions: dict[int, str]
                    ) -> FulfilmentOrder:
    """The event of ``take_off_units`` with sourcing's new ``decisions`` (line_no ->
    decision id). A fulfilment order left with nothing becomes ``rejected`` when it was
    refused, ``cancelled`` when nothing was found. Does not commit."""
    what = "short" if trigger == "short_pick" else "rejected"
    lines_changed_event(uow, fo, what, units, reason, trigger=trigger,
                        decisions={str(n): d for n, d in decisions.items()})
    updated = get_fulfilment_order(uow, fo.id)
    if updated.open_units == 0 and updated.status in REJECTABLE:
        # refused: rejected; nothing found at all: closed (cancelled) with the reason
        target = S.CANCELLED if trigger == "short_pick" else S.REJECTED
        updated = apply_status(uow, updated, target, reason or trigger, {"trigger": trigger})
    return updated
