"""Worker jobs of shipping: tracking polling and the promise (SLA) watch.

Register them in ``worker.default_jobs``: ``TrackingPoll()`` and ``SlaWatch()``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import DomainError
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_ignore_returning
from ordermesh.shipping.accounts import find_account
from ordermesh.shipping.carriers import CarrierAdapter, service_by_code
from ordermesh.shipping.model import Parcel
from ordermesh.shipping.promise import carrier_for
from ordermesh.shipping.tables import carrier_accounts, shipment_parcels, shipments, sla_alerts
from ordermesh.shipping.tracking import ingest
from ordermesh.worker import _BatchedJob

POLL_EVERY = timedelta(minutes=30)
log = logging.getLogger("ordermesh.shipping")


def poll_tracking(uow: UnitOfWork, limit: int) -> int:
    """Asks the carriers about up to ``limit`` shipments not yet delivered (or returned)
    whose last poll is older than ``POLL_EVERY``, least recently polled first; claimed
    with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several workers share the work.
    Shipments of inactive carrier accounts are not polled. Returns how many shipments
    were polled."""
    now = uow.clock.now()
    inactive = select(carrier_accounts.c.code).where(carrier_accounts.c.active.is_(False))
    query = (select(shipments.c.id, shipments.c.carrier, shipments.c.service,
                    shipments.c.booked_at, shipments.c.destination)
             .where(shipments.c.final.is_(False), shipments.c.carrier.not_in(inactive),
                    or_(shipments.c.polled_at.is_(None),
                        shipments.c.polled_at <= now - POLL_EVERY))
             .order_by(shipments.c.polled_at.is_not(None), shipments.c.polled_at,
                       shipments.c.id)
             .limit(limit))
    if uow.dialect == "postgresql":
        query = query.with_for_update(skip_locked=True, of=shipments)
    due = list(uow.execute(query))
    adapters: dict[str, tuple[CarrierAdapter, timedelta] | None] = {}
    for s in due:
        if s.carrier not in adapters:
            account = find_account(uow, s.carrier)
            adapters[s.carrier] = (account.adapter(), account.clock_skew) if account else None
        known = adapters[s.carrier]
        uow.execute(update(shipments).where(shipments.c.id == s.id).values(polled_at=now))
        if known is None:
            continue
        adapter, skew = known
        numbers = uow.execute(select(shipment_parcels.c.tracking_number)
                              .where(shipment_parcels.c.shipment_id == s.id)
                              .order_by(shipment_parcels.c.tracking_number)).scalars().all()
        try:  # a carrier that is down or answers nonsense must not stop the others
            events = []
            for number in numbers:
                events += adapter.track(Parcel(number, s.service, as_utc(s.booked_at),
                                               s.destination), now)
            ingest(uow, s.carrier, adapter, events, "poll", skew)  # refuses before it writes
        except (DomainError, OSError, TimeoutError, ValueError) as exc:
            log.warning("tracking poll of shipment %s (%s) failed: %s", s.id, s.carrier, exc)
    uow.commit()
    return len(due)


def _deadline(uow: UnitOfWork, fo, adapters: dict[str | None, CarrierAdapter]
              ) -> tuple[datetime, datetime] | None:
    """(hand-over deadline, delivery deadline) of a fulfilment order: the cut-off of its
    ``ship_by`` day and the end of its ``promised_date``, in its carrier's time zone."""
    if fo.ship_by is None or fo.promised_date is None:
        return None
    if fo.carrier not in adapters:
        adapters[fo.carrier] = carrier_for(uow, fo.carrier).adapter()
    adapter = adapters[fo.carrier]
    zone = adapter.calendar.zone()
    try:
        cutoff = service_by_code(adapter, fo.carrier_service or "").cutoff
    except DomainError:
        cutoff = min(s.cutoff for s in adapter.services())
    ship_deadline = datetime.combine(fo.ship_by, cutoff, zone)
    deliver_deadline = datetime.combine(fo.promised_date + timedelta(days=1),
                                        datetime.min.time(), zone)
    return ship_deadline, deliver_deadline


def _raise_once(uow: UnitOfWork, fo, kind: str, payload: dict) -> bool:
    inserted = insert_ignore_returning(uow, sla_alerts, ("fo_id", "kind"), "fo_id", dict(
        fo_id=fo.id, kind=kind, raised_at=uow.clock.now()))
    if inserted is None:
        return False
    record_event(uow, f"fulfilment.{kind}", "fulfilment_order", fo.id, {
        "id": fo.id, "number": fo.number, "order_id": fo.order_id,
        "location": fo.location_code, "status": fo.status.value, "carrier": fo.carrier,
        "carrier_service": fo.carrier_service,
        "ship_by": fo.ship_by.isoformat() if fo.ship_by else None,
        "promised_date": fo.promised_date.isoformat() if fo.promised_date else None,
        **payload})
    return True


def watch_promises(uow: UnitOfWork, limit: int) -> int:
    """Raises ``fulfilment.at_risk`` for ship fulfilment orders not shipped by the cut-off
    of their ``ship_by`` day, and ``fulfilment.late`` for those not delivered by the end
    of their ``promised_date`` (carrier time zone); each once per fulfilment order
    (``sla_alerts`` has one row per FO and kind, inserted with ON CONFLICT DO NOTHING, so
    concurrent workers cannot raise one twice). Returns how many events were raised."""
    from ordermesh.fulfilment.model import FulfilmentKind, FulfilmentStatus
    from ordermesh.fulfilment.queries import (
        FulfilmentFilter,
        get_fulfilment_order,
        list_fulfilment_orders,
    )

    now = uow.clock.now()
    raised = 0
    adapters: dict[str | None, CarrierAdapter] = {}
    waiting = (FulfilmentStatus.RELEASED, FulfilmentStatus.ACCEPTED,
               FulfilmentStatus.PICKING, FulfilmentStatus.PICKED, FulfilmentStatus.PACKED,
               FulfilmentStatus.LABEL_CREATED)
    for status in waiting:
        cursor = None
        while raised < limit:
            page = list_fulfilment_orders(uow, FulfilmentFilter(status=status,
                                                                kind=FulfilmentKind.SHIP),
                                          limit=200, cursor=cursor)
            for fo in page.items:
                deadlines = _deadline(uow, fo, adapters)
                if deadlines is None:
                    continue
                ship_deadline, deliver_deadline = deadlines
                if now >= ship_deadline and not _already(uow, fo.id, "at_risk"):
                    raised += _raise_once(uow, fo, "at_risk", {
                        "reason": "not shipped by the cut-off of the ship-by day"})
                if now >= deliver_deadline and not _already(uow, fo.id, "late"):
                    raised += _raise_once(uow, fo, "late", {
                        "reason": "not delivered by the promised date"})
            cursor = page.next_cursor
            if cursor is None:
                break
    overdue = uow.execute(select(shipments.c.fo_id).where(
        shipments.c.delivered_at.is_(None), shipments.c.promised_date.is_not(None),
        shipments.c.promised_date <= now.date(),  # exact deadline checked below
        ~select(sla_alerts.c.fo_id).where(sla_alerts.c.fo_id == shipments.c.fo_id,
                                          sla_alerts.c.kind == "late").exists())
        .order_by(shipments.c.promised_date, shipments.c.fo_id).limit(limit)).scalars().all()
    for fo_id in overdue:
        fo = get_fulfilment_order(uow, fo_id)
        deadlines = _deadline(uow, fo, adapters)
        if deadlines is not None and now >= deadlines[1]:
            raised += _raise_once(uow, fo, "late", {
                "reason": "not delivered by the promised date"})
    uow.commit()
    return raised


def _already(uow: UnitOfWork, fo_id: str, kind: str) -> bool:
    return uow.execute(select(sla_alerts.c.fo_id).where(
        sla_alerts.c.fo_id == fo_id, sla_alerts.c.kind == kind)).first() is not None


@dataclass(frozen=True)
class TrackingPoll(_BatchedJob):
    """Asks carriers how shipments in flight are doing."""

    name: str = "tracking-poll"
    batch: int = 50
    max_batches: int = 20

    def step(self, uow: UnitOfWork, limit: int) -> int:
        return poll_tracking(uow, limit)


@dataclass(frozen=True)
class SlaWatch(_BatchedJob):
    """Raises at-risk and late events against the promise, once per fulfilment order.

    The watch reads every fulfilment order still waiting to ship, so a process runs it
    at most once per ``every`` (by the injected clock); several processes may each run
    it, the alerts table keeps each event single."""

    name: str = "sla-watch"
    batch: int = 200
    max_batches: int = 5
    every: timedelta = timedelta(minutes=1)
    _last: dict = field(default_factory=dict, compare=False, repr=False)

    def run_once(self, container) -> int:
        now = container.clock.now()
        last = self._last.get("at")
        if last is not None and now - last < self.every:
            return 0
        self._last["at"] = now
        return super().run_once(container)

    def step(self, uow: UnitOfWork, limit: int) -> int:
        return watch_promises(uow, limit)


__all__ = ["SlaWatch", "TrackingPoll", "poll_tracking", "watch_promises"]
