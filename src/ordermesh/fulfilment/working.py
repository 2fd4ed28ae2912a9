"""What a location does with a fulfilment order: accept it, reject it (whole or some
units); and taking units off it to be sourced elsewhere (rejected, short)."""

from __future__ import annotations

from sqlalchemy import update

from ordermesh.fulfilment.model import FulfilmentOrder, FulfilmentStatus, check_transition
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


def remove_units(uow: UnitOfWork, fo: FulfilmentOrder, units: dict[int, int],
                 trigger: str, reason: str | None) -> FulfilmentOrder:
    """Units the location will not supply (``rejected``: refused; ``short_pick``: not
    found; ``3pl_short``: reported short by the 3PL) come off the fulfilment order and are
    sourced again elsewhere by sourcing (what cannot be sourced becomes backordered). A
    fulfilment order left with nothing becomes ``rejected`` when it was refused.
    Does not commit."""
    from ordermesh.sourcing.service import resource_units

    column = "short_quantity" if trigger == "short_pick" else "rejected_quantity"
    for no, quantity in units.items():
        uow.execute(update(fulfilment_lines).where(FL.fo_id == fo.id, FL.line_no == no)
                    .values(**{column: FL[column] + quantity}))
    what = "short" if column == "short_quantity" else "rejected"
    decisions = {}
    for no, quantity in sorted(units.items()):
        decisions[no] = resource_units(uow, fo.order_id, no, fo.location_id, quantity,
                                       trigger, reason)
    lines_changed_event(uow, fo, what, units, reason, trigger=trigger,
                        decisions={str(n): d for n, d in decisions.items()})
    updated = get_fulfilment_order(uow, fo.id)
    if updated.open_units == 0 and updated.status in REJECTABLE:
        # refused: rejected; nothing found at all: closed (cancelled) with the reason
        target = S.CANCELLED if trigger == "short_pick" else S.REJECTED
        updated = apply_status(uow, updated, target, reason or trigger, {"trigger": trigger})
    return updated


def reject(uow: UnitOfWork, fo_id: str, lines: dict[int, int] | None,
           reason: str | None, *, commit: bool = False) -> FulfilmentOrder:
    """The location refuses the whole fulfilment order (``lines`` None) or some units of
    some lines; only units not yet picked can be refused."""
    fo = lock_fulfilment_order(uow, fo_id)
    if fo.status not in REJECTABLE:
        check_transition(fo.kind, fo.status, S.REJECTED, fo.number)
    units = plan_units(fo, lines, lambda ln: ln.to_pick, "left to pick")
    if not units:
        raise InvalidInput.for_field("lines", f"{fo.number} has no unpicked units to reject",
                                     "nothing_to_reject")
    updated = remove_units(uow, fo, units, "rejected", reason)
    if commit:
        uow.commit()
    return updated
