"""Booking intents: a carrier booking, recorded before the carrier is called.

No carrier is called inside a database transaction (a carrier on the network may take
seconds, and a rerun of the transaction after a deadlock would book twice: two labels,
two charges). As with payments (``payments/intents.py``), booking a fulfilment order

1. checks the request and records an intent in a transaction, then commits: the intent
   holds everything the carrier is sent (``ShipmentSpec``, with the account's booking
   number taken once) and a ``carrier_key`` derived from the fulfilment order and the
   request's own key, so a rerun or a retry finds the same intent and sends the same key;
2. calls the carrier's adapter with that key outside any transaction
   (``flows/booking_calls.py``);
3. records the answer in a new transaction: the shipment, the tracking numbers, the
   fulfilment order's ``label_created`` (``flows/booking.py``).

An intent whose answer was never recorded stays open: ``pending`` (sent, or about to be:
the process may have died after the call) or ``unknown`` (the carrier gave no answer). A
retry of the request, any later request to book the same fulfilment order, or the
worker's ``carrier-bookings`` job sends it again with the same key; the carrier answers
its first booking. A fulfilment order has at most one open intent.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from ordermesh.kit import intent_leases as leases
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.idempotency import idempotency_keys
from ordermesh.shipping.model import PackageSpec, ShipmentSpec
from ordermesh.shipping.tables import booking_intents as intents

POLICY = leases.RetryPolicy()  # a lease of 60 s; backoff 30 s doubling to 1 h; 8 attempts
INTENT_RESOURCE = "booking_intent"  # what an Idempotency-Key points at while it is open


class BookingStatus(enum.StrEnum):
    PENDING = "pending"  # recorded; sent or about to be, no answer recorded yet
    UNKNOWN = "unknown"  # a call got no answer: the carrier may have booked
    SUCCEEDED = "succeeded"  # the carrier answered and the shipment is recorded
    FAILED = "failed"  # given up: no answer after the last attempt, or not recordable


@dataclass(frozen=True)
class BookingIntent:
    id: str
    fo_id: str
    order_id: str
    carrier: str
    service: str
    request_key: str
    carrier_key: str
    spec: ShipmentSpec
    status: BookingStatus
    attempts: int
    last_error: str | None
    shipment_id: str | None
    actor: str
    next_attempt_at: datetime

    @property
    def open(self) -> bool:
        return self.status.value in leases.OPEN


def carrier_key(fo_id: str, request_key: str) -> str:
    """The key the carrier is sent: the same for every attempt of one request."""
    digest = hashlib.sha256(f"{fo_id}\n{request_key}".encode()).hexdigest()
    return f"ombk-{digest[:48]}"


def spec_data(spec: ShipmentSpec) -> dict[str, Any]:
    return {"reference": spec.reference, "service": spec.service, "origin": spec.origin,
            "destination": spec.destination, "currency": spec.currency,
            "sequence": spec.sequence, "account": spec.account,
            "ready_at": spec.ready_at.isoformat() if spec.ready_at else None,
            "packages": [{"package_id": p.package_id, "weight_g": p.weight_g,
                          "dimensions_mm": list(p.dimensions_mm) if p.dimensions_mm
                          else None} for p in spec.packages]}


def spec_of(data: dict[str, Any]) -> ShipmentSpec:
    packages = tuple(PackageSpec(p["package_id"], p["weight_g"],
                                 tuple(p["dimensions_mm"]) if p["dimensions_mm"] else None)
                     for p in data["packages"])
    ready = datetime.fromisoformat(data["ready_at"]) if data.get("ready_at") else None
    return ShipmentSpec(data["reference"], data["service"], data["origin"],
                        data["destination"], packages, data["currency"], data["sequence"],
                        as_utc(ready) if ready else None, data["account"])


def _intent(row: Any) -> BookingIntent:
    return BookingIntent(
        id=row.id, fo_id=row.fo_id, order_id=row.order_id, carrier=row.carrier,
        service=row.service, request_key=row.request_key, carrier_key=row.carrier_key,
        spec=spec_of(row.spec), status=BookingStatus(row.status), attempts=row.attempts,
        last_error=row.last_error, shipment_id=row.shipment_id, actor=row.actor,
        next_attempt_at=as_utc(row.next_attempt_at))


def create(uow: UnitOfWork, *, intent_id: str, fo_id: str, order_id: str,
           request_key: str, spec: ShipmentSpec) -> BookingIntent:
    """A new intent, leased to the caller, who sends it as soon as this commits."""
    now = uow.clock.now()
    uow.execute(insert(intents).values(
        id=intent_id, fo_id=fo_id, order_id=order_id, carrier=spec.account,
        service=spec.service, request_key=request_key,
        carrier_key=carrier_key(fo_id, request_key), spec=spec_data(spec),
        status=BookingStatus.PENDING.value, attempts=1, leased_until=now + POLICY.lease,
        next_attempt_at=now + POLICY.lease, actor=uow.actor, created_at=now,
        updated_at=now))
    return get(uow, intent_id)


def get(uow: UnitOfWork, intent_id: str) -> BookingIntent:
    return _intent(uow.execute(select(intents).where(intents.c.id == intent_id)).one())


def open_for(uow: UnitOfWork, fo_id: str) -> BookingIntent | None:
    """The fulfilment order's booking still waiting for an answer, if any."""
    c = intents.c
    row = uow.execute(select(intents).where(c.fo_id == fo_id, c.status.in_(leases.OPEN))
                      .order_by(c.seq)).first()
    return _intent(row) if row else None


def lease(uow: UnitOfWork, intent: BookingIntent, *, on_schedule: bool = False
          ) -> BookingIntent | None:
    """Take an open intent to send it again (one attempt more); None when it is answered
    already or a call of it is under way elsewhere."""
    took = leases.take(uow, intents, intent.id, POLICY, on_schedule=on_schedule)
    return get(uow, intent.id) if took else None


def answered(uow: UnitOfWork, intent: BookingIntent, shipment_id: str) -> bool:
    """Close the intent with its shipment; False if another caller recorded it first."""
    c = intents.c
    return bool(uow.execute(update(intents).where(c.id == intent.id, c.status.in_(leases.OPEN))
                            .values(status=BookingStatus.SUCCEEDED.value,
                                    shipment_id=shipment_id, leased_until=None,
                                    updated_at=uow.clock.now())).rowcount)


def unanswered(uow: UnitOfWork, intent: BookingIntent, error: str, *, final: bool = False
               ) -> BookingIntent:
    """The call got no answer: ``unknown``, sent again after a backoff; ``failed`` after
    the last attempt, or at once when ``final`` (an answer that cannot be recorded)."""
    leases.unanswered(uow, intents, intent.id, error, POLICY, final=final)
    return get(uow, intent.id)


def forget(uow: UnitOfWork, intent: BookingIntent) -> None:
    """The carrier refused the booking itself (an address it does not serve): nothing was
    booked, so the intent goes and the Idempotency-Key that pointed at it is free."""
    k = idempotency_keys.c
    uow.execute(delete(idempotency_keys).where(k.resource_type == INTENT_RESOURCE,
                                               k.resource_id == intent.id))
    uow.execute(delete(intents).where(intents.c.id == intent.id))


def due(uow: UnitOfWork, limit: int) -> list[BookingIntent]:
    """Open intents whose backoff has passed and that no call holds, leased to the
    caller. Commit before sending."""
    return [get(uow, i) for i in leases.take_due(uow, intents, limit, POLICY)]
