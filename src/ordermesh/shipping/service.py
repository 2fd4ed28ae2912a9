"""Shipping a packed fulfilment order: book the carrier and its pick-up, then hand over.

Booking is a step of its own (``flows/booking.py``): ``booking_spec`` says what the
carrier is to book (recorded as a booking intent, ``booking_intents.py``, and
committed), ``book_with_carrier`` asks the carrier's adapter outside any transaction
(one tracking number per parcel), ``record_booking`` keeps the shipment record (carrier,
service, parcels, booked at, pick-up window, the promise) in a new one; the flow puts the
tracking numbers on packing's packages and moves the fulfilment order to
``label_created``: the parcels are still at the location and the order has not shipped.

``hand_over`` is the one way units leave for a carrier: the fulfilment order becomes
``shipped`` with fulfilment's ``set_status``, whose side effect records the shipment on
the order (order status, stock, per-shipment capture and invoice). It runs when the
location says so (``POST /fulfilment-orders/{id}/handover``), when the carrier's first
scan arrives (tracking), and for ``POST /orders/{id}/shipments`` (``ship_units``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.locations.service import get_location
from ordermesh.shipping.accounts import find_account, get_account, next_booking_sequence
from ordermesh.shipping.carriers import service_by_code, service_for_level
from ordermesh.shipping.model import PackageSpec, RateQuote, ShipmentSpec, TrackingStatus
from ordermesh.shipping.promise import PICKUP_CARRIER, carrier_for
from ordermesh.shipping.tables import shipment_parcels, shipments

if TYPE_CHECKING:
    from ordermesh.fulfilment.model import FulfilmentOrder


@dataclass(frozen=True)
class Parcel:
    package_id: str
    tracking_number: str
    status: str
    last_event_at: datetime | None


@dataclass(frozen=True)
class Shipment:
    id: str
    fo_id: str
    order_id: str
    carrier: str
    service: str
    label_reference: str
    booked_at: datetime
    pickup_start: datetime
    pickup_end: datetime
    ship_by: date | None
    promised_date: date | None
    status: str
    delivered_at: datetime | None
    on_time: bool | None
    days_late: int | None
    parcels: list[Parcel]
    estimated_delivery: date | None = None


def get_shipment(uow: UnitOfWork, fo_id: str) -> Shipment:
    """The shipment of a fulfilment order, named by its id or its number."""
    row = uow.execute(select(shipments).where(shipments.c.fo_id == fo_id)).first()
    if row is None:
        from ordermesh.fulfilment.queries import get_fulfilment_order

        fo = get_fulfilment_order(uow, fo_id)  # 404 when there is no such order
        row = uow.execute(select(shipments).where(shipments.c.fo_id == fo.id)).first()
    if row is None:
        raise NotFound(f"Fulfilment order '{fo_id}' has no shipment")
    return _to_shipment(uow, row)


def _to_shipment(uow: UnitOfWork, row) -> Shipment:
    parcels = [Parcel(p.package_id, p.tracking_number, p.status,
                      as_utc(p.last_event_at) if p.last_event_at else None)
               for p in uow.execute(select(shipment_parcels)
                                    .where(shipment_parcels.c.shipment_id == row.id)
                                    .order_by(shipment_parcels.c.tracking_number))]
    return Shipment(row.id, row.fo_id, row.order_id, row.carrier, row.service,
                    row.label_reference, as_utc(row.booked_at), as_utc(row.pickup_start),
                    as_utc(row.pickup_end), row.ship_by, row.promised_date, row.status,
                    as_utc(row.delivered_at) if row.delivered_at else None, row.on_time,
                    row.days_late, parcels, row.estimated_delivery)


@dataclass(frozen=True)
class Booked:
    """The carrier's answer to a booking, not stored yet (``record_booking``)."""
    carrier: str
    service: str
    booking: Any  # the adapter's Booking: tracking numbers, label reference, pick-up
    at: datetime


def _chosen_account(uow: UnitOfWork, fo: FulfilmentOrder, carrier: str | None):
    fo_carrier = fo.carrier if fo.carrier and fo.carrier != PICKUP_CARRIER else None
    return get_account(uow, carrier) if carrier else carrier_for(uow, fo_carrier)


def booking_spec(uow: UnitOfWork, fo: FulfilmentOrder, parcels: list[PackageSpec],
                 carrier: str | None, service: str | None) -> ShipmentSpec:
    """What ``carrier`` (default: the FO's) is to be asked to book for the FO's
    ``parcels``: the service, the addresses, the account's next booking number. Checks
    the account and the service; calls nobody (``book_with_carrier`` does, after the
    commit). Does not commit."""
    account = _chosen_account(uow, fo, carrier)
    if not account.active:
        raise InvalidInput.for_field("carrier", f"Carrier '{account.code}' is not active")
    adapter = account.adapter()
    if service:
        chosen = service_by_code(adapter, service)
    elif fo.carrier_service and account.code == fo.carrier:
        chosen = service_by_code(adapter, fo.carrier_service, "carrier_service")
    else:
        chosen = service_for_level(adapter, fo.service_level or "standard")
    location = get_location(uow, fo.location_id)
    return ShipmentSpec(
        reference=fo.number, service=chosen.code,
        origin=_address(location.address), destination=fo.shipping_address,
        packages=tuple(parcels), sequence=next_booking_sequence(uow, account.code),
        ready_at=uow.clock.now(), account=account.code)


def book_with_carrier(read_uow: UnitOfWork, spec: ShipmentSpec, key: str) -> Booked:
    """Ask the carrier account of ``spec`` to book it, with ``key`` (the same on every
    attempt). ``read_uow`` only reads the account's settings and is closed before the
    call: no transaction is open while the carrier is asked. Raises
    ``CarrierUnavailable`` (no answer) or ``InvalidInput`` (refused: nothing booked)."""
    with read_uow as uow:
        adapter = get_account(uow, spec.account).adapter()
    booking = adapter.book(spec, idempotency_key=key)
    return Booked(spec.account, spec.service, booking, spec.ready_at or booking.booked_at)


def check_not_booked(uow: UnitOfWork, fo: FulfilmentOrder) -> None:
    if uow.execute(select(shipments.c.id).where(shipments.c.fo_id == fo.id)).first():
        raise Conflict(f"Fulfilment order {fo.number} is already shipped")


def record_booking(uow: UnitOfWork, fo: FulfilmentOrder, booked: Booked,
                   package_ids: list[str]) -> str:
    """Keep the shipment record of a booking (carrier, service, parcels, pick-up window,
    the promise) and write ``shipment.booked`` (tracking numbers in the order of
    ``package_ids``); returns the shipment id. Does not commit."""
    booking = booked.booking
    shipment_id = new_id("shp")
    uow.execute(insert(shipments).values(
        id=shipment_id, fo_id=fo.id, order_id=fo.order_id, channel_id=fo.channel_id,
        location_id=fo.location_id, carrier=booked.carrier, service=booked.service,
        label_reference=booking.label_reference, destination=fo.shipping_address,
        booked_at=as_utc(booking.booked_at), pickup_start=as_utc(booking.pickup.start),
        pickup_end=as_utc(booking.pickup.end), ship_by=fo.ship_by, promised_date=fo.promised_date,
        status=TrackingStatus.LABEL_CREATED.value, last_event_at=None, final=False,
        delivered_at=None, days_late=None, on_time=None, polled_at=None))
    uow.execute(insert(shipment_parcels), [
        dict(tracking_number=number, carrier=booked.carrier, shipment_id=shipment_id,
             package_id=package_id, status=TrackingStatus.LABEL_CREATED.value,
             last_event_at=None)
        for package_id, number in booking.tracking_numbers.items()])
    numbers = [booking.tracking_numbers[p] for p in package_ids]
    record_event(uow, "shipment.booked", "fulfilment_order", fo.id, {
        "fulfilment_order_id": fo.id, "shipment_id": shipment_id, "carrier": booked.carrier,
        "service": booked.service, "tracking_numbers": numbers,
        "label_reference": booking.label_reference,
        "pickup": {"start": as_utc(booking.pickup.start).isoformat(),
                   "end": as_utc(booking.pickup.end).isoformat()},
        "promised_date": fo.promised_date.isoformat() if fo.promised_date else None})
    return shipment_id


def quotes(uow: UnitOfWork, fo: FulfilmentOrder, parcels: list[PackageSpec], currency: str,
           carrier: str | None) -> tuple[str, list[RateQuote]]:
    """What each service of ``carrier`` (default: the FO's) would charge for
    ``parcels``, in ``currency``."""
    account = _chosen_account(uow, fo, carrier)
    location = get_location(uow, fo.location_id)
    spec = ShipmentSpec(fo.number, fo.carrier_service or "", _address(location.address),
                        fo.shipping_address, tuple(parcels), currency)
    return account.code, account.adapter().quote(spec)


def hand_over(uow: UnitOfWork, fo_id: str, reason: str | None = None,
              carrier: str | None = None, tracking_numbers: list[str] | None = None,
              at: datetime | None = None) -> FulfilmentOrder:
    """The parcels of a fulfilment order are handed to the carrier: it becomes
    ``shipped`` and the order records the shipment. A booked one (``label_created``)
    keeps its booking's carrier and tracking numbers; a packed one booked elsewhere
    takes ``carrier`` and ``tracking_numbers`` as given. Does not commit."""
    from ordermesh.fulfilment import service as fulfilment
    from ordermesh.fulfilment.model import FulfilmentKind, FulfilmentStatus

    fo = fulfilment.lock_fulfilment_order(uow, fo_id)
    if fo.kind != FulfilmentKind.SHIP:
        raise Conflict(f"Fulfilment order {fo.number} is a pickup order: it is handed to "
                       "the customer (POST /fulfilment-orders/{id}/pickup), not a carrier")
    if fo.status not in (FulfilmentStatus.LABEL_CREATED, FulfilmentStatus.PACKED):
        raise IllegalTransition(
            f"Fulfilment order {fo.number} is {fo.status}: only a packed or booked one "
            "can be handed to the carrier",
            extra={"current_status": fo.status.value, "requested_status": "shipped"})
    details: dict = {"carrier": carrier, "tracking_numbers": tracking_numbers or []}
    row = uow.execute(select(shipments).where(shipments.c.fo_id == fo.id)).first()
    if row is not None:
        booked = _to_shipment(uow, row)
        details = {"carrier": booked.carrier, "service": booked.service,
                   "tracking_numbers": [p.tracking_number for p in booked.parcels],
                   "carrier_booking_id": booked.id}
    return fulfilment.set_status(uow, fo.id, FulfilmentStatus.SHIPPED,
                                 reason or "handed to the carrier", details=details, at=at)


def hand_over_now(uow: UnitOfWork, fo_id: str, reason: str | None,
                  idem: idempotency.IdempotencyKey | None = None) -> FulfilmentOrder:
    """``hand_over`` as a request of its own (``POST /fulfilment-orders/{id}/handover``).
    Commits."""
    from ordermesh.fulfilment import service as fulfilment

    if prior := idempotency.claim(uow, idem):
        return fulfilment.get_fulfilment_order(uow, prior.resource_id)
    updated = hand_over(uow, fo_id, reason)
    idempotency.complete(uow, idem, "fulfilment_order", updated.id, 200)
    uow.commit()
    return updated


def record_external_shipment(uow: UnitOfWork, fo_id: str, carrier: str,
                             numbers: dict[str, str], service: str | None = None,
                             ) -> str | None:
    """A shipment booked by somebody else (a 3PL) with ``carrier``'s tracking numbers
    (package id -> number): stored so that its tracking events (webhook, polling) move
    the fulfilment order and delivery is measured. Call it after the FO is shipped;
    returns the shipment id, or None when ``carrier`` has no account here (then its
    tracking cannot be followed). Does not commit."""
    from ordermesh.fulfilment import service as fulfilment

    account = find_account(uow, carrier)
    if account is None or not numbers:
        return None
    _check_unused(uow, account.code, list(numbers.values()))
    fo = fulfilment.get_fulfilment_order(uow, fo_id)
    now = uow.clock.now()
    shipment_id = new_id("shp")
    uow.execute(insert(shipments).values(
        id=shipment_id, fo_id=fo_id, order_id=fo.order_id, channel_id=fo.channel_id,
        location_id=fo.location_id, carrier=account.code,
        service=service or fo.carrier_service or "external", label_reference="external",
        destination=fo.shipping_address, booked_at=now, pickup_start=now, pickup_end=now,
        ship_by=fo.ship_by, promised_date=fo.promised_date,
        status=TrackingStatus.LABEL_CREATED.value, last_event_at=None, final=False,
        delivered_at=None, days_late=None, on_time=None, polled_at=None))
    uow.execute(insert(shipment_parcels), [
        dict(tracking_number=number, carrier=account.code, shipment_id=shipment_id,
             package_id=package_id, status=TrackingStatus.LABEL_CREATED.value,
             last_event_at=None) for package_id, number in sorted(numbers.items())])
    return shipment_id


def _check_unused(uow: UnitOfWork, carrier: str, numbers: list[str]) -> None:
    """A tracking number names one parcel per carrier account (the database's key of
    ``shipment_parcels``): a number reported twice is refused, not a server error."""
    twice = sorted({n for n in numbers if numbers.count(n) > 1})
    used = uow.execute(select(shipment_parcels.c.tracking_number).where(
        shipment_parcels.c.carrier == carrier,
        shipment_parcels.c.tracking_number.in_(sorted(set(numbers))))).scalars().all()
    if twice or used:
        taken = sorted({*twice, *used})
        raise Conflict(f"Tracking number(s) {', '.join(taken)} of carrier '{carrier}' "
                       "already name another parcel", extra={"tracking_numbers": taken})


def _address(address: Any) -> dict | None:
    if address is None:
        return None
    return {k: getattr(address, k) for k in ("name", "line1", "line2", "city", "region",
                                             "postal_code", "country")}
