"""Parked tracking events: what an operator sees and decides.

An implausible carrier event (``tracking`` rule 7) is stored with ``review = 'parked'``
and moves nothing. Once reviewed it is either *released* (applied as if it had just
arrived: it moves the parcel and the fulfilment order by the usual rules) or
*discarded* (kept on the timeline, never applied). An event still dated in the future
cannot be released: it would again complete an order before it happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, NotFound
from ordermesh.kit.outbox import record_event
from ordermesh.shipping.accounts import get_account
from ordermesh.shipping.estimates import follow_estimate
from ordermesh.shipping.model import CarrierEvent, TrackingStatus, implausible
from ordermesh.shipping.tables import shipments, tracking_events
from ordermesh.shipping.tracking import apply_stored

PARKED = "parked"
RELEASED = "released"
DISCARDED = "discarded"


@dataclass(frozen=True)
class ReviewedEvent:
    id: str
    carrier: str
    event_id: str
    tracking_number: str
    fulfilment_order_id: str
    status: str
    carrier_status: str
    occurred_at: datetime
    received_at: datetime
    review: str
    reason: str | None
    applied: bool
    reviewed_at: datetime | None


def _to_event(r) -> ReviewedEvent:
    return ReviewedEvent(r.id, r.carrier, r.carrier_event_id, r.tracking_number, r.fo_id,
                         r.status, r.carrier_status, as_utc(r.occurred_at),
                         as_utc(r.received_at), r.review, r.parked_reason, r.applied,
                         as_utc(r.reviewed_at) if r.reviewed_at else None)


def list_parked(uow: UnitOfWork, carrier: str | None, limit: int) -> list[ReviewedEvent]:
    """Events waiting for review, oldest received first."""
    query = (select(tracking_events).where(tracking_events.c.review == PARKED)
             .order_by(tracking_events.c.received_at, tracking_events.c.id).limit(limit))
    if carrier is not None:
        query = query.where(tracking_events.c.carrier == carrier)
    return [_to_event(r) for r in uow.execute(query)]


def _parked(uow: UnitOfWork, event_id: str):
    row = uow.execute(select(tracking_events).where(tracking_events.c.id == event_id)).first()
    if row is None:
        raise NotFound(f"Tracking event '{event_id}' does not exist")
    # the shipment lock serialises this with webhooks and polls of the same shipment
    uow.execute(select(shipments.c.id).where(shipments.c.id == row.shipment_id)
                .with_for_update()).one()
    row = uow.execute(select(tracking_events).where(tracking_events.c.id == event_id)).one()
    if row.review != PARKED:
        raise Conflict(f"Tracking event '{event_id}' is not parked "
                       f"({row.review or 'applied as received'})",
                       extra={"review": row.review})
    return row


def release(uow: UnitOfWork, event_id: str) -> ReviewedEvent:
    """Applies a parked event after review. Commits."""
    row = _parked(uow, event_id)
    now = uow.clock.now()
    if implausible(as_utc(row.occurred_at), now, None) is not None:
        raise Conflict(f"Tracking event '{event_id}' is still dated in the future "
                       f"({as_utc(row.occurred_at).isoformat()}): discard it, or release "
                       "it once that time has come")
    adapter = get_account(uow, row.carrier).adapter()
    event = CarrierEvent(row.carrier_event_id, row.tracking_number, row.carrier_status,
                         as_utc(row.occurred_at), row.description or "", row.place)
    moved = apply_stored(uow, row.carrier, adapter, row.shipment_id, row.id, event,
                         TrackingStatus(row.status))
    return _close(uow, row, RELEASED, {"moved": moved})


def discard(uow: UnitOfWork, event_id: str) -> ReviewedEvent:
    """Keeps a parked event on the timeline, never applied. Commits."""
    return _close(uow, _parked(uow, event_id), DISCARDED, {})


def _close(uow: UnitOfWork, row, review: str, extra: dict) -> ReviewedEvent:
    uow.execute(update(tracking_events).where(tracking_events.c.id == row.id)
                .values(review=review, reviewed_at=uow.clock.now()))
    if review == RELEASED:  # its estimate of the delivery counts now
        follow_estimate(uow, row.shipment_id)
    record_event(uow, f"tracking.event_{review}", "fulfilment_order", row.fo_id, {
        "id": row.id, "carrier": row.carrier, "event_id": row.carrier_event_id,
        "tracking_number": row.tracking_number, "fulfilment_order_id": row.fo_id,
        "status": row.status, "occurred_at": as_utc(row.occurred_at).isoformat(),
        "reason": row.parked_reason, "by": uow.actor, **extra})
    result = _to_event(uow.execute(select(tracking_events)
                                   .where(tracking_events.c.id == row.id)).one())
    uow.commit()
    return result
