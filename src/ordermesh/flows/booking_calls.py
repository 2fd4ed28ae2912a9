"""Asking the carrier to book outside any transaction, and recording the answer.

``finish`` is the one way a booking intent (``shipping/booking_intents.py``) is carried
out: by the request that recorded it, by a retry of that request, and by the worker's
``carrier-bookings`` job that resumes intents nobody finished (``resume_due``). The
caller holds the intent's lease: one call of an intent is under way at a time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from ordermesh.flows.booking import NotRecordable, record
from ordermesh.kit import intent_leases as leases
from ordermesh.kit.db import Transactions, UnitOfWork
from ordermesh.kit.errors import DomainError, TryLater
from ordermesh.shipping import booking_intents
from ordermesh.shipping import service as shipping
from ordermesh.shipping.booking_intents import BookingIntent
from ordermesh.shipping.model import CarrierUnavailable
from ordermesh.worker import IntentResume

log = logging.getLogger("ordermesh.shipping")


class BookingOutcomeUnknown(TryLater):
    """The carrier gave no answer in time: whether it booked is not known yet."""

    code = "booking-outcome-unknown"
    title = "The carrier did not answer in time"


def finish(runner: Transactions, intent: BookingIntent) -> shipping.Shipment:
    """Ask the carrier to book ``intent`` with its key and record the answer.
    ``BookingOutcomeUnknown`` (503) when the carrier gave no answer: the intent stays open
    for a retry (any request to book the fulfilment order) or the worker. A refusal
    (``InvalidInput``: nothing booked) forgets the intent and is raised."""
    try:
        booked = shipping.book_with_carrier(runner.uow(), intent.spec, intent.carrier_key)
    except DomainError:  # refused: nothing was booked
        runner.run(lambda uow: _forgotten(uow, intent))
        raise
    except Exception as exc:  # no answer (CarrierUnavailable, or an adapter's own error)
        if not isinstance(exc, CarrierUnavailable):
            log.exception("booking intent %s: the carrier adapter failed", intent.id)
        error = str(exc) or type(exc).__name__
        later = runner.run(lambda uow: _unanswered(uow, intent, error))
        raise BookingOutcomeUnknown(
            f"Carrier '{intent.carrier}' did not answer the booking of "
            f"{intent.spec.reference} ({error}); whether it booked is not known yet. Retry "
            "with the same Idempotency-Key (or leave it to the worker): the carrier is asked "
            "again with the same key and never books twice",
            extra={"intent_id": intent.id, "intent_status": later.status.value,
                   "attempts": later.attempts}) from exc
    try:
        return runner.run(lambda uow: _recorded(uow, intent, booked))
    except NotRecordable as exc:
        reason = str(exc)
        log.error("booking intent %s: %s; left failed for a person", intent.id, reason)
        runner.run(lambda uow: _unanswered(uow, intent, reason, final=True))
        raise


def _unanswered(uow: UnitOfWork, intent: BookingIntent, error: str,
                final: bool = False) -> BookingIntent:
    later = booking_intents.unanswered(uow, intent, error, final=final)
    uow.commit()
    return later


def _forgotten(uow: UnitOfWork, intent: BookingIntent) -> None:
    booking_intents.forget(uow, intent)
    uow.commit()


def _recorded(uow: UnitOfWork, intent: BookingIntent, booked: shipping.Booked
              ) -> shipping.Shipment:
    shipment = record(uow, intent, booked)
    uow.commit()
    return shipment


def resume_due(new_uow: Callable[[str], UnitOfWork], limit: int) -> int:
    """For the worker: ask again about open booking intents whose backoff has passed (the
    carrier did not answer, or the process died between the call and the record), each
    as the actor who asked for it. Returns how many got their answer recorded."""
    return leases.resume_due(new_uow, "worker:carrier-bookings", booking_intents.due,
                             finish, BookingOutcomeUnknown, log, limit)


@dataclass(frozen=True)
class CarrierBookingResume(IntentResume):
    """The worker's ``carrier-bookings`` job: finishes carrier bookings nobody finished,
    asking the carrier again with the same key after a backoff that doubles (30 s up to
    an hour); failed after the last attempt, for a person to check with the carrier."""

    name: str = "carrier-bookings"

    def resume(self, new_uow: Callable[[str], UnitOfWork], limit: int) -> int:
        return resume_due(new_uow, limit)
