"""Booking the carrier for a packed fulfilment order (``POST /fulfilment-orders/{id}/ship``).

One step across four features, in one unit of work: fulfilment's order must be packed
(and the order paid where the channel asks for it, payments' gate); packing's packages
are the parcels; shipping books them with the carrier and keeps the shipment record;
packing stores the tracking numbers on the packages; fulfilment moves the order to
``label_created``. The parcels are still at the location and the order has not shipped:
that is the hand-over. Quoting (``GET /fulfilment-orders/{id}/rates``) asks the carrier
what the same parcels would cost.
"""

from __future__ import annotations

from typing import Any

from ordermesh.fulfilment import service as fulfilment
from ordermesh.fulfilment.model import FulfilmentKind, FulfilmentStatus
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, IllegalTransition
from ordermesh.orders.queries import order_for_fulfilment
from ordermesh.packing import service as packing
from ordermesh.payments.gate import require_payment
from ordermesh.shipping import service as shipping
from ordermesh.shipping.model import PackageSpec, RateQuote


def _dimensions(package: Any) -> tuple[int, int, int] | None:
    dims = getattr(package, "dimensions_mm", None) or getattr(package, "dimensions", None)
    if isinstance(dims, dict):
        dims = (dims.get("length_mm"), dims.get("width_mm"), dims.get("height_mm"))
    if not dims or any(d is None for d in dims):
        return None
    return tuple(int(d) for d in dims)  # type: ignore[return-value]


def _parcels(packages: list) -> list[PackageSpec]:
    return [PackageSpec(p.id, int(p.weight_g or 0), _dimensions(p)) for p in packages]


def ship(uow: UnitOfWork, fo_id: str, carrier: str | None, service: str | None,
         idem: idempotency.IdempotencyKey | None = None) -> shipping.Shipment:
    """Book the carrier for a packed fulfilment order: labels and tracking numbers; the
    fulfilment order becomes ``label_created`` (handed over later). Commits."""
    if prior := idempotency.claim(uow, idem):
        return shipping.get_shipment(uow, prior.resource_id)
    fo = fulfilment.lock_fulfilment_order(uow, fo_id)
    require_payment(uow, fo.order_id)
    if fo.kind != FulfilmentKind.SHIP:
        raise Conflict(f"Fulfilment order {fo.number} is a pickup order: nothing to ship")
    shipping.check_not_booked(uow, fo)
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
    booked = shipping.book_carrier(uow, fo, _parcels(packages), carrier, service)
    packing.set_tracking_numbers(uow, booked.booking.tracking_numbers)
    package_ids = [p.id for p in packages]
    shipment_id = shipping.record_booking(uow, fo, booked, package_ids)
    numbers = [booked.booking.tracking_numbers[p] for p in package_ids]
    fulfilment.set_status(uow, fo.id, FulfilmentStatus.LABEL_CREATED, None, details={
        "carrier": booked.carrier, "service": booked.service, "tracking_numbers": numbers,
        "carrier_booking_id": shipment_id}, at=booked.at)
    idempotency.complete(uow, idem, "shipment", fo.id, 201)
    shipment = shipping.get_shipment(uow, fo.id)
    uow.commit()
    return shipment


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
