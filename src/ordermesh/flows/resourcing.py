"""Units a location will not supply are sourced again: a fulfilment order rejected
(whole or some units), a short pick found when a pick list is confirmed, a 3PL's short
report, and a drop-ship supplier's refusal or short report (``flows/dropship_partner.py``).

The units come off the fulfilment order (``fulfilment.working``), sourcing releases them
elsewhere or backorders them (``sourcing.service.resource_units``), and the fulfilment
order's event names sourcing's decisions; one unit of work.
"""

from __future__ import annotations

from ordermesh.fulfilment.handoff import partner_fo
from ordermesh.fulfilment.model import FulfilmentOrder, FulfilmentStatus, check_transition
from ordermesh.fulfilment.picking import (
    PickList,
    finish_pick_list,
    get_pick_list,
    record_picks,
    write_off,
)
from ordermesh.fulfilment.queries import get_fulfilment_order, lock_fulfilment_order
from ordermesh.fulfilment.working import (
    REJECTABLE,
    plan_units,
    take_off_units,
    units_taken_off,
)
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput
from ordermesh.sourcing.service import resource_units

S = FulfilmentStatus


def remove_units(uow: UnitOfWork, fo: FulfilmentOrder, units: dict[int, int],
                 trigger: str, reason: str | None) -> FulfilmentOrder:
    """Units the location will not supply (``rejected``: refused; ``short_pick``: not
    found; ``3pl_short``: reported short by the 3PL) come off the fulfilment order and are
    sourced again elsewhere by sourcing (what cannot be sourced becomes backordered). A
    fulfilment order left with nothing becomes ``rejected`` when it was refused.
    Does not commit."""
    take_off_units(uow, fo, units, trigger)
    decisions = {}
    for no, quantity in sorted(units.items()):
        decisions[no] = resource_units(uow, fo.order_id, no, fo.location_id, quantity,
                                       trigger, reason)
    return units_taken_off(uow, fo, units, trigger, reason, decisions)


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


def confirm_pick_list(uow: UnitOfWork, pick_list_id: str, picked: dict[int, int],
                      reason: str | None, idem: idempotency.IdempotencyKey | None = None
                      ) -> PickList:
    """Record what was picked per item (items not mentioned: picked in full). Units not
    picked are short: written off the location and sourced again. Commits."""
    if prior := idempotency.claim(uow, idem):
        return get_pick_list(uow, prior.resource_id)
    pick_list, fos, shorts, put_back = record_picks(uow, pick_list_id, picked)
    written_off = []
    for fo_id, units in shorts.items():
        fo = get_fulfilment_order(uow, fo_id)
        why = reason or f"short pick on pick list {pick_list.id}"
        remove_units(uow, fo, units, "short_pick", why)
        for line_no, quantity in sorted(units.items()):
            written_off.append(write_off(uow, fo, line_no, quantity,
                                           f"pick list {pick_list.id}"))
    return finish_pick_list(uow, pick_list, list(fos), written_off, put_back, idem)


def partner_short(uow: UnitOfWork, fo_id: str, lines: dict[int, int],
                  reason: str | None) -> FulfilmentOrder:
    """Units the 3PL does not have: off this fulfilment order, written off at the 3PL's
    location and sourced again elsewhere (like a short pick). Commits."""
    fo = partner_fo(uow, fo_id)
    if fo.status not in (S.RELEASED, S.ACCEPTED, S.PICKING):
        raise Conflict(f"{fo.number} is {fo.status}: nothing can be reported short",
                       extra={"current_status": fo.status.value})
    units = plan_units(fo, lines, lambda ln: ln.to_pick, "open")
    if not units:
        raise InvalidInput.for_field("lines", "report at least one unit short")
    why = reason or "reported short by the 3PL"
    updated = remove_units(uow, fo, units, "short_pick", why)
    for no, quantity in sorted(units.items()):
        write_off(uow, fo, no, quantity, "3PL short report")
    uow.commit()
    return updated
