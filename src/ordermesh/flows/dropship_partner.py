"""A drop-ship supplier answers its purchase order (the partner API).

Each answer is one step across features in one unit of work, like a 3PL's reports
(``flows/handoff.py``): the drop-ship order's own record (``dropship.service``), the
fulfilment order at the supplier's location, the customer's order (shipment, status,
capture, invoice), sourcing and stock. Every answer locks the drop-ship order's row
first, so two answers never book the same units. A supplier only ever finds its own
drop-ship orders (another's is 404).

* **accept**: the fulfilment order is ``accepted``.
* **reject** (whole, before anything shipped): its units go back to sourcing — our own
  stock, else backordered; never to this supplier again for these lines — and the units
  booked in at the supplier's location for them are booked out (``inventory.reserving.
  release`` does that for any units given back at a supplier's location). We chose sourcing over
  "the merchant decides": the order keeps moving without anybody looking, and the
  merchant still sees the rejection (``dropship.rejected``) and the new sourcing
  decision.
* **ship** (a parcel: carrier, tracking number, some or all open units): the units leave
  through the fulfilment order (``send_by_hand``), so the order records the shipment as
  for our own; the rest stays open. Once nothing is open the fulfilment order is
  ``shipped`` and its parcels are tracked like ours when the carrier has an account
  here: the carrier's webhook and polling move it to ``delivered`` and complete the
  order. (Parcels of a partial shipment are followed from then on; tracking events for
  them before that are not stored.)
* **short**: units the supplier does not have come off as a short pick does and are
  sourced again; the booked-in units are booked out.
* **accept / refuse a cancellation** (units the merchant cancelled, already off the
  fulfilment order and the customer's order): the drop-ship order's own record only
  (``dropship.cancellations``); a refusal leaves the customer's order cancelled and
  shows the merchant the units the supplier shipped anyway.
"""

from __future__ import annotations

from ordermesh.dropship import cancellations
from ordermesh.dropship import service as dropship
from ordermesh.dropship.model import DropshipOrder, DropshipStatus, check_answerable, check_open
from ordermesh.flows.resourcing import remove_units
from ordermesh.fulfilment.model import FulfilmentStatus
from ordermesh.fulfilment.queries import get_fulfilment_order, lock_fulfilment_order
from ordermesh.fulfilment.service import apply_status, send_by_hand
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import IllegalTransition, InvalidInput
from ordermesh.shipping.service import record_external_shipment

S = FulfilmentStatus
BY_SUPPLIER = "the drop-ship supplier"


def accept(uow: UnitOfWork, ref: str, supplier_id: str, reference: str | None
           ) -> DropshipOrder:
    """Commits."""
    ds = dropship.lock_dropship(uow, ref, supplier_id)
    if ds.status is not DropshipStatus.REQUESTED:
        raise IllegalTransition(f"Drop-ship order {ds.number} is {ds.status}: only a "
                                "requested one can be accepted",
                                extra={"current_status": ds.status.value})
    fo = lock_fulfilment_order(uow, ds.fo_id)
    apply_status(uow, fo, S.ACCEPTED, f"accepted by {BY_SUPPLIER}",
                 {"supplier_reference": reference} if reference else None)
    updated = dropship.mark_accepted(uow, ds, reference)
    uow.commit()
    return updated


def reject(uow: UnitOfWork, ref: str, supplier_id: str, reason: str | None) -> DropshipOrder:
    """Commits."""
    ds = dropship.lock_dropship(uow, ref, supplier_id)
    check_answerable(ds, "rejected")
    fo = lock_fulfilment_order(uow, ds.fo_id)
    units = {ln.line_no: ln.open for ln in ds.lines if ln.open}
    why = reason or f"rejected by {BY_SUPPLIER}"
    remove_units(uow, fo, units, "rejected", why)
    updated = dropship.mark_rejected(uow, ds, reason)
    uow.commit()
    return updated


def ship(uow: UnitOfWork, ref: str, supplier_id: str, carrier: str, tracking_number: str,
         units: dict[int, int], idem: idempotency.IdempotencyKey | None = None
         ) -> DropshipOrder:
    """One parcel of the supplier's. Commits."""
    if prior := idempotency.claim(uow, idem):
        return dropship.get_dropship(uow, prior.resource_id)
    ds = dropship.lock_dropship(uow, ref, supplier_id)
    check_open(ds, "shipped")
    dropship.check_units(ds, units, "ship")
    if not carrier.strip() or not tracking_number.strip():
        raise InvalidInput.for_field("tracking_number", "a shipment names its carrier and "
                                     "tracking number", "missing")
    fo = lock_fulfilment_order(uow, ds.fo_id)
    shipment = send_by_hand(uow, fo, units, carrier, tracking_number)
    updated = dropship.book_shipment(uow, ds, carrier, tracking_number, units,
                                     shipment["id"])
    _follow_when_shipped(uow, updated)
    idempotency.complete(uow, idem, "dropship_order", ds.id, 200)
    uow.commit()
    return updated


def short(uow: UnitOfWork, ref: str, supplier_id: str, units: dict[int, int],
          reason: str | None) -> DropshipOrder:
    """Commits."""
    ds = dropship.lock_dropship(uow, ref, supplier_id)
    check_open(ds, "reported short")
    dropship.check_units(ds, units, "report short")
    fo = lock_fulfilment_order(uow, ds.fo_id)
    if sum(units.values()) == ds.open_units and any(ln.shipped for ln in ds.lines):
        # what shipped is in the carrier's hands: the fulfilment order is shipped, not
        # cancelled, when its last open units turn out short
        fo = apply_status(uow, fo, S.SHIPPED, f"the rest reported short by {BY_SUPPLIER}")
    remove_units(uow, fo, units, "short_pick", reason or f"reported short by {BY_SUPPLIER}")
    updated = dropship.book_short(uow, ds, units, reason)
    _follow_when_shipped(uow, updated)
    uow.commit()
    return updated


def _follow_when_shipped(uow: UnitOfWork, ds: DropshipOrder) -> None:
    """Once the fulfilment order is shipped, its parcels are tracked like our own (the
    first carrier, by code, that has an account here)."""
    fo = get_fulfilment_order(uow, ds.fo_id)
    if fo.status is not S.SHIPPED or not ds.shipments:
        return
    by_carrier: dict[str, dict[str, str]] = {}
    for s in ds.shipments:
        by_carrier.setdefault(s.carrier, {})[s.id] = s.tracking_number
    for carrier, numbers in sorted(by_carrier.items()):
        if record_external_shipment(uow, fo.id, carrier, numbers) is not None:
            return


def accept_cancellation(uow: UnitOfWork, ref: str, supplier_id: str) -> DropshipOrder:
    """Commits."""
    updated = cancellations.accept_cancellation(uow, ref, supplier_id)
    uow.commit()
    return updated


def refuse_cancellation(uow: UnitOfWork, ref: str, supplier_id: str, reason: str,
                        carrier: str | None, tracking_number: str | None) -> DropshipOrder:
    """Commits."""
    updated = cancellations.refuse_cancellation(uow, ref, supplier_id, reason, carrier,
                                                tracking_number)
    uow.commit()
    return updated
