"""The carrier's estimated delivery date, and the delay it may announce.

A tracking event may carry the carrier's estimate (``estimated_delivery``). A shipment's
estimate is the one of its newest believed event that has one (by carrier time: an old
event arriving late does not bring back an old estimate; parked and discarded events do
not count). When it changes to a date after the promised date of a shipment not yet
delivered, ``fulfilment.delivery_delayed`` is written: once per shipment and new
estimate (the same estimate reported again writes nothing). Messaging tells the customer
(docs/messaging.md#delay-notices).
"""

from __future__ import annotations

from sqlalchemy import or_, select, update

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import record_event
from ordermesh.shipping.tables import shipment_parcels, shipments, tracking_events


def _newest_estimate(uow: UnitOfWork, shipment_id: str):
    t = tracking_events.c
    return uow.execute(select(t.estimated_delivery).where(
        t.shipment_id == shipment_id, t.estimated_delivery.is_not(None),
        or_(t.review.is_(None), t.review == "released"))
        .order_by(t.occurred_at.desc(), t.received_at.desc()).limit(1)).scalar()


def follow_estimate(uow: UnitOfWork, shipment_id: str) -> bool:
    """Take the shipment's newest estimate (the shipment is locked by the caller); whether
    a delay was announced. Does not commit."""
    estimate = _newest_estimate(uow, shipment_id)
    shipment = uow.execute(select(shipments).where(shipments.c.id == shipment_id)).one()
    if estimate is None or estimate == shipment.estimated_delivery:
        return False
    uow.execute(update(shipments).where(shipments.c.id == shipment_id)
                .values(estimated_delivery=estimate))
    promised = shipment.promised_date
    if promised is None or estimate <= promised or shipment.delivered_at is not None:
        return False
    numbers = uow.execute(select(shipment_parcels.c.tracking_number)
                          .where(shipment_parcels.c.shipment_id == shipment_id)
                          .order_by(shipment_parcels.c.tracking_number)).scalars().all()
    previous = shipment.estimated_delivery
    record_event(uow, "fulfilment.delivery_delayed", "fulfilment_order", shipment.fo_id, {
        "fulfilment_order_id": shipment.fo_id, "order_id": shipment.order_id,
        "shipment_id": shipment.id, "carrier": shipment.carrier,
        "tracking_numbers": list(numbers), "promised_date": promised.isoformat(),
        "estimated_delivery": estimate.isoformat(),
        "previous_estimate": previous.isoformat() if previous else None,
        "days_late": (estimate - promised).days})
    return True
