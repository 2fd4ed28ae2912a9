"""The merchant cancels units of a drop-ship order: the supplier hears it and answers.

A cancellation lands where every cancellation lands: the customer's order gives its units
back and they leave the drop-ship's fulfilment order (``fulfilment.lines_cancelled``),
which is where ``DropshipLine.cancelled`` is read from, so the units are off the
supplier's open list (a ship call for them is refused) at once. The supplier is told by
``dropship.cancel_requested``, written by ``note_cancellations``: from the outbox by the
worker (``jobs.DropshipCancellations``), and before any answer of the supplier's about
it, so the event always comes first. It answers with ``accept_cancellation`` (it will not
ship them: ``dropship.cancel_accepted``) or ``refuse_cancellation`` (they had left
already: ``dropship.cancel_refused``; the merchant sees the order ``cancel_refused`` and
the supplier's reason and tracking number, and the supplier's cost counts those units).

Each step locks the drop-ship order's row, and the counters move by conditional updates,
so two workers, or a worker and an answer, never tell or answer the same units twice.
Nothing here commits.
"""

from __future__ import annotations

from sqlalchemy import select, update

from ordermesh.dropship.model import DropshipOrder
from ordermesh.dropship.service import dropship_event, get_dropship, lock_dropship
from ordermesh.dropship.tables import dropship_lines, dropship_orders
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, IllegalTransition

DL = dropship_lines.c
DS = dropship_orders.c


def dropships_of_fulfilment(uow: UnitOfWork, fo_ids: set[str]) -> list[str]:
    if not fo_ids:
        return []
    return [r.id for r in uow.execute(select(DS.id).where(DS.fo_id.in_(sorted(fo_ids)))
                                      .order_by(DS.id))]


def note_cancellations(uow: UnitOfWork, ds: DropshipOrder) -> DropshipOrder:
    """Tell the supplier of units the merchant cancelled since it was last told
    (``dropship.cancel_requested``); ``ds`` locked by the caller."""
    told = {ln.line_no: ln.cancelled - ln.cancel_requested for ln in ds.lines
            if ln.cancelled > ln.cancel_requested}
    if not told:
        return ds
    for ln in ds.lines:
        if ln.line_no in told:
            changed = uow.execute(update(dropship_lines).where(
                DL.ds_id == ds.id, DL.line_no == ln.line_no,
                DL.cancel_requested == ln.cancel_requested,
            ).values(cancel_requested=ln.cancelled)).rowcount
            if changed != 1:
                raise Conflict(f"{ds.number}: its cancellation was told meanwhile")
    updated = get_dropship(uow, ds.id)
    dropship_event(uow, "cancel_requested", updated,
           lines=[{"line_no": n, "quantity": q} for n, q in sorted(told.items())],
           pending_units=updated.cancel_pending, open_units=updated.open_units)
    return updated


def _answer(uow: UnitOfWork, ref: str, supplier_id: str, column: str, what: str
            ) -> tuple[DropshipOrder, dict[int, int]]:
    ds = note_cancellations(uow, lock_dropship(uow, ref, supplier_id))
    pending = {ln.line_no: ln.cancel_pending for ln in ds.lines if ln.cancel_pending}
    if not pending:
        raise IllegalTransition(f"Drop-ship order {ds.number} has no cancellation to "
                                f"{what}", extra={"current_status": ds.status.value,
                                                  "cancellation": ds.cancellation})
    for ln in ds.lines:
        if ln.line_no in pending:
            uow.execute(update(dropship_lines).where(DL.ds_id == ds.id,
                                                     DL.line_no == ln.line_no)
                        .values(**{column: getattr(DL, column) + pending[ln.line_no]}))
    return ds, pending


def _lines(units: dict[int, int]) -> list[dict]:
    return [{"line_no": n, "quantity": q} for n, q in sorted(units.items())]


def accept_cancellation(uow: UnitOfWork, ref: str, supplier_id: str) -> DropshipOrder:
    """The supplier will not ship the units the merchant cancelled."""
    ds, pending = _answer(uow, ref, supplier_id, "cancel_accepted", "accept")
    uow.execute(update(dropship_orders).where(DS.id == ds.id)
                .values(updated_at=uow.clock.now()))
    updated = get_dropship(uow, ds.id)
    dropship_event(uow, "cancel_accepted", updated, from_status=ds.status.value,
           lines=_lines(pending), open_units=updated.open_units)
    return updated


def refuse_cancellation(uow: UnitOfWork, ref: str, supplier_id: str, reason: str,
                        carrier: str | None, tracking_number: str | None) -> DropshipOrder:
    """The units had left already: the merchant deals with the customer (they are on the
    customer's order as cancelled) and pays the supplier for them."""
    ds, pending = _answer(uow, ref, supplier_id, "cancel_refused", "refuse")
    refusal = {"reason": reason, "carrier": carrier, "tracking_number": tracking_number,
               "at": uow.clock.now().isoformat().replace("+00:00", "Z")}
    uow.execute(update(dropship_orders).where(DS.id == ds.id)
                .values(cancel_refusal=refusal, updated_at=uow.clock.now()))
    updated = get_dropship(uow, ds.id)
    dropship_event(uow, "cancel_refused", updated, from_status=ds.status.value,
           lines=_lines(pending), reason=reason, carrier=carrier,
           tracking_number=tracking_number)
    return updated
