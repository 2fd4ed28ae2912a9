"""Booking the carrier for a packed fulfilment order (``POST /fulfilment-orders/{id}/ship``).

One step across four features, in two transactions around the carrier's call (never
inside one: ``shipping/booking_intents.py``). The first checks: fulfilment's order must
be packed (and the order paid where the channel asks for it, payments' gate); packing's
packages are the parcels; shipping says what to book and it is recorded as a booking
intent. The carrier is asked after that commit (``booking_calls.py``). The second
records the answer: shipping keeps the shipment record, packing stores the tracking
numbers on the packages, fulfilment moves the order to ``label_created``. The parcels
are still at the location and the order has not shipped: that is the hand-over. Quoting
(``GET /fulfilment-orders/{id}/rates``) asks the carrier what the same parcels would cost.
"""

from __future__ import annotations

from typing import Any

from ordermesh.fulfilment import service as fulfilment
from ordermesh.fulfilment.model import FulfilmentKind, FulfilmentStatus
from ordermesh.kit import idempotency
from ordermesh.kit.db import Transactions, UnitOfWork
from ordermesh.kit.errors import Conflict, IllegalTransition
from ordermesh.kit.ids import new_id
from ordermesh.orders.queries import order_for_fulfilment
from ordermesh.packing import service as packing
from ordermesh.payments.gate import require_payment
from ordermesh.shipping import booking_intents
from ordermesh.shipping import service as shipping
from ordermesh.shipping.booking_intents import INTENT_RESOURCE, BookingIntent, BookingStatus
from ordermesh.shipping.model import PackageSpec, RateQuote


class BookingInProgress(Conflict):
    """Another request is asking the carrier to book this same fulfilment order now."""

    code = "booking-in-progress"
    title = "The same carrier booking is under way"


class NotRecordable(Conflict):
    """The carrier booked, but the fulfilment order can no longer take the booking."""

    code = "booking-not-recordable"
    title = "The carrier's booking cannot be recorded"


def _dimensions(package: Any) -> tuple[int, int, int] | None:
    dims = getattr(package, "dimensions_mm", None) or getattr(package, "dimensions", None)
    if isinstance(dims, dict):
        dims = (dims.get("length_mm"), dims.get("width_mm"), dims.get("height_mm"))
    if not dims or any(d is None for d in dims):
        return None
    return tuple(int(d) for d in dims)  # type: ignore[return-value]


def _parcels(packages: list) -> list[PackageSpec]:
    return [PackageSpec(p.id, int(p.weight_g or 0), _dimensions(p)) for p in packages]


def request_key(idem: idempotency.IdempotencyKey | None) -> str:
    """The booking's own key: the caller's Idempotency-Key scoped to the API key that
    sent it, or a fresh one. Made once per request, before its first transaction."""
    return f"api:{idem.principal}:{idem.key}" if idem else new_id("key")


def ship(runner: Transactions, fo_id: str, carrier: str | None, service: str | None,
         idem: idempotency.IdempotencyKey | None = None) -> shipping.Shipment:
    """Book the carrier for a packed fulfilment order: labels and tracking numbers; the
    fulfilment order becomes ``label_created`` (handed over later). The booking intent
    is committed first, the carrier called outside any transaction, the answer recorded
    in a new one (``booking_calls.finish``); ``BookingOutcomeUnknown`` (503) when the
    carrier did not answer. Commits."""
    from ordermesh.flows.booking_calls import finish

    key = request_key(idem)
    intent_id = new_id("bki")

    def begin(uow: UnitOfWork) -> shipping.Shipment | BookingIntent:
        if prior := idempotency.claim(uow, idem, idempotency.PriorResult(
                INTENT_RESOURCE, intent_id, 201)):
            step = _prior(uow, prior)
        else:
            step = _begin(uow, fo_id, carrier, service, key, intent_id, idem)
        uow.commit()
        return step

    step = runner.run(begin)
    return step if isinstance(step, shipping.Shipment) else finish(runner, step)


def _prior(uow: UnitOfWork, prior: idempotency.PriorResult
           ) -> shipping.Shipment | BookingIntent:
    if prior.resource_type == INTENT_RESOURCE:
        return resumed(uow, booking_intents.get(uow, prior.resource_id))
    return shipping.get_shipment(uow, prior.resource_id)  # answered before intents existed


def resumed(uow: UnitOfWork, intent: BookingIntent) -> shipping.Shipment | BookingIntent:
    """What a retry of the booking of ``intent`` gets: the recorded shipment, or the
    intent itself, leased, to send again."""
    if intent.status is BookingStatus.SUCCEEDED:
        return shipping.get_shipment(uow, intent.fo_id)
    extra = {"intent_id": intent.id, "intent_status": intent.status.value,
             "attempts": intent.attempts}
    if intent.status is BookingStatus.FAILED:
        raise Conflict(f"The carrier booking {intent.id} was given up after "
                       f"{intent.attempts} attempts ({intent.last_error}); it is left for a "
                       "person to check with the carrier", extra=extra)
    leased = booking_intents.lease(uow, intent)
    if leased is None:
        raise BookingInProgress(
            f"The carrier is being asked to book {intent.spec.reference} right now; ask "
            "again in a moment with the same Idempotency-Key", extra=extra)
    return leased


def _begin(uow: UnitOfWork, fo_id: str, carrier: str | None, service: str | None,
           key: str, intent_id: str, idem: idempotency.IdempotencyKey | None
           ) -> shipping.Shipment | BookingIntent:
    """Check the booking and record its intent; or take over the FO's open one."""
    fo = fulfilment.lock_fulfilment_order(uow, fo_id)
    require_payment(uow, fo.order_id)
    if fo.kind != FulfilmentKind.SHIP:
        raise Conflict(f"Fulfilment order {fo.number} is a pickup order: nothing to ship")
    shipping.check_not_booked(uow, fo)
    if (under_way := booking_intents.open_for(uow, fo.id)) is not None:
        if (carrier or under_way.carrier) != under_way.carrier or (
                service or under_way.service) != under_way.service:
            raise Conflict(f"Fulfilment order {fo.number} is being booked with "
                           f"{under_way.carrier} {under_way.service}; wait for that booking",
                           extra={"intent_id": under_way.id,
                                  "intent_status": under_way.status.value})
        # the same booking asked again (another key, or none): finish it, book nothing twice
        idempotency.complete(uow, idem, INTENT_RESOURCE, under_way.id, 201)
        return resumed(uow, under_way)
    if fo.status != FulfilmentStatus.PACKED:
        raise IllegalTransition(
            f"Fulfilment order {fo.number} is {fo.status}: only a packed one can be shipped",
            extra={"current_status": fo.status.value, "requested_status": "shipped"})
    packages = packing.packages_for(uow, fo.id)
    if not packages:
        raise Conflict(f"Fulfilment order {fo.number} has no packages")
    if not fo.shipping_address:
        raise Conflict(f"Fulfilment order {fo.number} has no shipping address: the carrier "
                       "cannot be booked; give the order an address first",
                       extra={"fulfilment_order": fo.number})
    spec = shipping.booking_spec(uow, fo, _parcels(packages), carrier, service)
    return booking_intents.create(uow, intent_id=intent_id, fo_id=fo.id,
                                  order_id=fo.order_id, request_key=key, spec=spec)


def record(uow: UnitOfWork, intent: BookingIntent, booked: shipping.Booked
           ) -> shipping.Shipment:
    """Record the carrier's answer to ``intent``: tracking numbers on the packages, the
    shipment, the fulfilment order ``label_created``. Does not commit."""
    fo = fulfilment.lock_fulfilment_order(uow, intent.fo_id)
    current = booking_intents.get(uow, intent.id)
    if not current.open:  # recorded by another caller meanwhile
        return resumed(uow, current)  # type: ignore[return-value]
    package_ids = [p.package_id for p in intent.spec.packages]
    packages = {p.id for p in packing.packages_for(uow, fo.id)}
    numbers = booked.booking.tracking_numbers
    if fo.status != FulfilmentStatus.PACKED or packages != set(package_ids) or set(
            numbers) != packages:
        raise NotRecordable(
            f"The carrier booked {intent.spec.reference} (label "
            f"{booked.booking.label_reference}), but fulfilment order {fo.number} is now "
            f"{fo.status} with other packages: cancel the label with the carrier",
            extra={"intent_id": intent.id, "label_reference": booked.booking.label_reference})
    packing.set_tracking_numbers(uow, numbers)
    shipment_id = shipping.record_booking(uow, fo, booked, package_ids)
    booking_intents.answered(uow, intent, shipment_id)
    fulfilment.set_status(uow, fo.id, FulfilmentStatus.LABEL_CREATED, None, details={
        "carrier": booked.carrier, "service": booked.service,
        "tracking_numbers": [numbers[p] for p in package_ids],
        "carrier_booking_id": shipment_id}, at=booked.at)
    return shipping.get_shipment(uow, fo.id)


def quotes_for(uow: UnitOfWork, fo_id: str, carrier: str | None
               ) -> tuple[str, list[RateQuote]]:
    """What each service of ``carrier`` (default: the FO's) would charge for the FO's
    packages, in the order's currency. Needs packages (pack first)."""
    fo = fulfilment.get_fulfilment_order(uow, fo_id)
    packages = packing.packages_for(uow, fo.id)
    if not packages:
        raise Conflict(f"Fulfilment order {fo.number} has no packages to quote for")
    currency = order_for_fulfilment(uow, fo.order_id).currency
    return shipping.quotes(uow, fo, _parcels(packages), currency, carrier)
