"""Tracking events (webhook or polling) and how they move fulfilment orders.

Rules, per carrier event:

1. The carrier status is normalised by the carrier's adapter; an unknown code refuses
   the whole batch (nothing stored).
2. Events are deduplicated on (carrier, carrier event id): a repeat is ignored.
3. An event for a tracking number we never booked is ignored (not stored) and reported
   back as ``ignored``: a carrier that retries on errors would otherwise retry forever.
4. A parcel's status follows its newest event by carrier time: an older event arriving
   late is stored (the timeline shows it) but moves nothing.
5. The shipment's status is derived from its parcels: an exception of any parcel
   (failed, damaged, returned) wins; otherwise the least advanced parcel decides (an FO
   of three parcels is delivered when the third one is).
6. When that status changes, the fulfilment order is moved with fulfilment's
   ``set_status`` (its state machine decides; a transition it refuses is stored with
   ``applied = false``). Delivery records on-time / days late against the promise.
7. An implausible event (dated after it was received, or before the parcel's label was
   created, beyond the carrier account's clock-skew allowance) is stored *parked*: it
   moves nothing and a ``tracking.event_parked`` event asks for review; an operator
   releases (applies) or discards it (``shipping.review``). So a delivery dated two days
   ahead never completes an order, and one dated 2999 never hides later real events.
8. The carrier's first scan of a booked (``label_created``) fulfilment order is its
   hand-over (``service.hand_over``): it becomes ``shipped`` and the order ships, then
   it moves on to what the scan says (``in_transit``, ...).
9. An event may carry the carrier's estimated delivery date; the shipment follows the
   newest one, and an estimate past the promised date is announced (``estimates.py``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import IllegalTransition
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_ignore_returning
from ordermesh.shipping.carriers import CarrierAdapter
from ordermesh.shipping.estimates import follow_estimate
from ordermesh.shipping.model import (
    CLOCK_SKEW,
    FINAL,
    FULFILMENT_STATUS,
    RANK,
    CarrierEvent,
    TrackingStatus,
    days_late,
    implausible,
)
from ordermesh.shipping.tables import shipment_parcels, shipments, tracking_events

_EXCEPTIONS = (TrackingStatus.RETURNED_TO_SENDER, TrackingStatus.DAMAGED,
               TrackingStatus.DELIVERY_FAILED)


@dataclass
class IngestResult:
    stored: int = 0
    duplicates: int = 0
    ignored: int = 0  # unknown tracking numbers
    moved: int = 0  # fulfilment orders whose status changed
    parked: list[dict] = field(default_factory=list)  # implausible: kept for review

    def as_dict(self) -> dict:
        return {"stored": self.stored, "duplicates": self.duplicates,
                "ignored": self.ignored, "moved": self.moved, "parked": len(self.parked),
                "parked_events": self.parked}


def ingest(uow: UnitOfWork, carrier: str, adapter: CarrierAdapter,
           events: list[CarrierEvent], source: str,
           skew: timedelta = CLOCK_SKEW) -> IngestResult:
    """Store and apply ``events`` of ``carrier`` (implausible ones are parked, rule 7).
    Does not commit."""
    normalised = [(e, adapter.normalise(e.carrier_status)) for e in events]  # 422 first
    result = IngestResult()
    by_shipment: dict[str, list[tuple[CarrierEvent, TrackingStatus]]] = defaultdict(list)
    numbers = sorted({e.tracking_number for e in events})
    parcels = {r.tracking_number: r.shipment_id for r in uow.execute(
        select(shipment_parcels.c.tracking_number, shipment_parcels.c.shipment_id)
        .where(shipment_parcels.c.carrier == carrier,
               shipment_parcels.c.tracking_number.in_(numbers)))} if numbers else {}
    for event, status in normalised:
        if event.tracking_number not in parcels:
            result.ignored += 1
            continue
        by_shipment[parcels[event.tracking_number]].append((event, status))
    for shipment_id in sorted(by_shipment):  # lock shipments in a fixed order
        _apply(uow, carrier, adapter, shipment_id, by_shipment[shipment_id], source, skew,
               result)
    return result


def label_created_at(shipment) -> datetime | None:
    """The earliest a real event of the shipment can be; None for a shipment booked by a
    3PL (recorded here after its label was made elsewhere)."""
    return None if shipment.label_reference == "external" else as_utc(shipment.booked_at)


def _apply(uow: UnitOfWork, carrier: str, adapter: CarrierAdapter, shipment_id: str,
           events: list[tuple[CarrierEvent, TrackingStatus]], source: str,
           skew: timedelta, result: IngestResult) -> None:
    shipment = uow.execute(select(shipments).where(shipments.c.id == shipment_id)
                           .with_for_update()).one()
    now = uow.clock.now()
    moved = False
    for event, status in sorted(events, key=lambda es: as_utc(es[0].occurred_at)):
        event_row_id = new_id("trk")
        reason = implausible(as_utc(event.occurred_at), now, label_created_at(shipment), skew)
        inserted = insert_ignore_returning(uow, tracking_events, ("carrier", "carrier_event_id"),
                                           "id", dict(
            id=event_row_id, carrier=carrier, carrier_event_id=event.event_id,
            tracking_number=event.tracking_number, shipment_id=shipment_id,
            fo_id=shipment.fo_id, carrier_status=event.carrier_status, status=status.value,
            occurred_at=as_utc(event.occurred_at), received_at=now, source=source,
            applied=False, description=(event.description or None) and event.description[:300],
            place=event.location, review="parked" if reason else None,
            parked_reason=reason, estimated_delivery=event.estimated_delivery))
        if inserted is None:
            result.duplicates += 1
            continue
        if reason is not None:
            result.parked.append(_park(uow, carrier, shipment, event_row_id, event, status,
                                       reason))
            continue
        result.stored += 1
        moved = apply_stored(uow, carrier, adapter, shipment_id, event_row_id, event,
                             status) or moved
    follow_estimate(uow, shipment_id)
    result.moved += moved  # one shipment is one fulfilment order


def _park(uow: UnitOfWork, carrier: str, shipment, event_row_id: str, event: CarrierEvent,
          status: TrackingStatus, reason: str) -> dict:
    parked = {"id": event_row_id, "event_id": event.event_id,
              "tracking_number": event.tracking_number, "reason": reason}
    record_event(uow, "tracking.event_parked", "fulfilment_order", shipment.fo_id, {
        **parked, "carrier": carrier, "shipment_id": shipment.id,
        "fulfilment_order_id": shipment.fo_id, "status": status.value,
        "carrier_status": event.carrier_status,
        "occurred_at": as_utc(event.occurred_at).isoformat()})
    return parked


def apply_stored(uow: UnitOfWork, carrier: str, adapter: CarrierAdapter, shipment_id: str,
                 event_row_id: str, event: CarrierEvent, status: TrackingStatus) -> bool:
    """Applies a stored event (the shipment is locked): whether the fulfilment order
    moved. An event older than the parcel's newest, or refused by the fulfilment
    order's state machine, stays ``applied = false``."""
    before = _move_parcel(uow, carrier, event, status)
    if before is None:
        return False  # the parcel knows a newer event
    outcome = _move_fulfilment(uow, adapter, shipment_id, event, status)
    if outcome is None:  # the fulfilment order refuses it: the parcel stays as it was
        _set_parcel(uow, carrier, event.tracking_number, *before)
        return False
    uow.execute(update(tracking_events).where(tracking_events.c.id == event_row_id)
                .values(applied=True))
    return outcome


def _set_parcel(uow: UnitOfWork, carrier: str, number: str, status: str,
                last_event_at: datetime | None) -> None:
    uow.execute(update(shipment_parcels).where(
        shipment_parcels.c.carrier == carrier,
        shipment_parcels.c.tracking_number == number).values(
        status=status, last_event_at=last_event_at))


def _move_parcel(uow: UnitOfWork, carrier: str, event: CarrierEvent,
                 status: TrackingStatus) -> tuple[str, datetime | None] | None:
    """The parcel takes the event's status unless it already knows a newer event (then
    None); returns what it had before."""
    at = as_utc(event.occurred_at)
    parcel = uow.execute(select(shipment_parcels).where(
        shipment_parcels.c.carrier == carrier,
        shipment_parcels.c.tracking_number == event.tracking_number)).one()
    if parcel.last_event_at is not None and as_utc(parcel.last_event_at) > at:
        return None
    _set_parcel(uow, carrier, event.tracking_number, status.value, at)
    return parcel.status, parcel.last_event_at


def shipment_status(parcel_statuses: list[TrackingStatus]) -> TrackingStatus:
    for exception in _EXCEPTIONS:
        if exception in parcel_statuses:
            return exception
    return min(parcel_statuses, key=lambda s: RANK[s])


def _move_fulfilment(uow: UnitOfWork, adapter: CarrierAdapter, shipment_id: str,
                     event: CarrierEvent, status: TrackingStatus) -> bool | None:
    """Whether the fulfilment order moved; None when its state machine refused."""
    from ordermesh.fulfilment import service as fulfilment
    from ordermesh.fulfilment.model import FulfilmentStatus
    from ordermesh.shipping.service import hand_over

    shipment = uow.execute(select(shipments).where(shipments.c.id == shipment_id)).one()
    parcels = uow.execute(select(shipment_parcels.c.status, shipment_parcels.c.last_event_at)
                          .where(shipment_parcels.c.shipment_id == shipment_id)).all()
    overall = shipment_status([TrackingStatus(p.status) for p in parcels])
    at = as_utc(event.occurred_at)
    if overall == TrackingStatus.DELIVERED:  # delivered when the last parcel was
        at = max(as_utc(p.last_event_at) for p in parcels if p.last_event_at is not None)
    values: dict = {"last_event_at": at}
    target = FULFILMENT_STATUS[overall]
    moved = False
    fo = fulfilment.get_fulfilment_order(uow, shipment.fo_id)
    why = f"carrier {shipment.carrier}: {event.description or event.carrier_status}"
    try:
        # any parcel scanned after its label: the carrier has the fulfilment order
        if fo.status == FulfilmentStatus.LABEL_CREATED and status != TrackingStatus.LABEL_CREATED:
            fo = hand_over(uow, fo.id, f"first scan by the carrier ({why})", at=at)
            moved = True
        # a later "picked up" of another parcel does not take an FO back to shipped
        if (overall.value != shipment.status and target is not None
                and fo.status.value != target and target != FulfilmentStatus.SHIPPED.value):
            fulfilment.set_status(
                uow, shipment.fo_id, FulfilmentStatus(target), why,
                details={"carrier": shipment.carrier,
                         "tracking_number": event.tracking_number,
                         "carrier_status": event.carrier_status,
                         "carrier_event_id": event.event_id}, at=at)
            moved = True
    except IllegalTransition:
        return None
    if overall.value != shipment.status:
        values["status"] = overall.value
        values["final"] = overall in FINAL
    if overall == TrackingStatus.DELIVERED and shipment.delivered_at is None:
        values.update(_delivery_result(uow, adapter, shipment, at))
    uow.execute(update(shipments).where(shipments.c.id == shipment_id).values(**values))
    return moved


def _delivery_result(uow: UnitOfWork, adapter: CarrierAdapter, shipment,
                     at: datetime) -> dict:
    delivered_on = adapter.calendar.local(at).date()
    late = days_late(delivered_on, shipment.promised_date) if shipment.promised_date else 0
    on_time = late == 0
    record_event(uow, "fulfilment.delivery_measured", "fulfilment_order", shipment.fo_id, {
        "fulfilment_order_id": shipment.fo_id, "shipment_id": shipment.id,
        "carrier": shipment.carrier, "service": shipment.service,
        "promised_date": shipment.promised_date.isoformat() if shipment.promised_date else None,
        "delivered_on": delivered_on.isoformat(), "on_time": on_time, "days_late": late})
    return {"delivered_at": at, "days_late": late, "on_time": on_time}


def events_for(uow: UnitOfWork, fo_ids: list[str]) -> dict[str, list[dict]]:
    """Tracking events of fulfilment orders for their timelines, oldest first."""
    found: dict[str, list[dict]] = {fo_id: [] for fo_id in fo_ids}
    if not fo_ids:
        return found
    rows = uow.execute(select(tracking_events).where(tracking_events.c.fo_id.in_(fo_ids))
                       .order_by(tracking_events.c.occurred_at, tracking_events.c.id))
    for r in rows:
        found[r.fo_id].append({
            "type": "tracking", "id": r.id, "carrier": r.carrier,
            "tracking_number": r.tracking_number, "status": r.status,
            "carrier_status": r.carrier_status, "description": r.description,
            "location": r.place, "at": as_utc(r.occurred_at),
            "received_at": as_utc(r.received_at), "source": r.source, "applied": r.applied,
            "review": r.review, "parked_reason": r.parked_reason})
    return found
