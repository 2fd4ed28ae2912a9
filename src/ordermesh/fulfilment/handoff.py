"""3PL / 4PL: a fulfilment order released at a location of kind ``3pl`` is handed over as
an outbox event ``fulfilment.handoff_requested`` (a versioned JSON document, see
docs/3pl-handoff.md); the partner reports back through the API: accepted, shipped (with
its packages and tracking numbers), short (units it does not have)."""

from __future__ import annotations

from dataclasses import dataclass

from ordermesh.catalog.service import get_product
from ordermesh.fulfilment.model import HANDOFF_VERSION, FulfilmentOrder, FulfilmentStatus
from ordermesh.fulfilment.queries import get_fulfilment_order, lock_fulfilment_order
from ordermesh.fulfilment.service import apply_status, iso_or_none, set_status
from ordermesh.fulfilment.tables import fulfilment_lines
from ordermesh.fulfilment.working import plan_units, remove_units
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput
from ordermesh.kit.outbox import record_event
from ordermesh.locations.model import LocationKind
from ordermesh.locations.service import get_location

S = FulfilmentStatus
SCHEMA = "ordermesh.fulfilment.handoff"
API = "/api/v1/fulfilment-orders"


@dataclass(frozen=True)
class ReportedPackage:
    package: object  # packing.service.ExternalPackage
    carrier: str | None = None


def handoff_document(uow: UnitOfWork, fo: FulfilmentOrder, order) -> dict:
    """The hand-off message (version ``HANDOFF_VERSION``)."""
    location = get_location(uow, fo.location_id)
    lines, hints = [], set()
    for ln in fo.lines:
        product = get_product(uow, ln.product_id)
        handling = sorted(h.value for h in product.handling)
        hints.update(handling)
        dims = product.dimensions
        lines.append({
            "line_no": ln.line_no, "sku": ln.sku, "name": ln.name, "quantity": ln.open,
            "weight_g": product.weight_grams,
            "dimensions_mm": ([dims.length_mm, dims.width_mm, dims.height_mm]
                              if dims else None),
            "handling": handling})
    return {
        "schema": SCHEMA, "version": HANDOFF_VERSION,
        "fulfilment_order": {"id": fo.id, "number": fo.number, "kind": fo.kind.value,
                             "created_at": fo.created_at.isoformat()},
        "order": {"id": order.id, "number": order.number, "channel": order.channel_code,
                  "customer": {"name": order.customer_name, "email": order.customer_email,
                               "phone": order.customer_phone}},
        "location": {"id": location.id, "code": location.code, "name": location.name},
        "lines": lines,
        "ship_to": fo.shipping_address,
        "service_level": fo.service_level,
        "carrier": fo.carrier, "carrier_service": fo.carrier_service,
        "ship_by": iso_or_none(fo.ship_by), "promised_date": iso_or_none(fo.promised_date),
        "packaging_hints": sorted(hints),
        "callbacks": {
            "accepted": f"POST {API}/{fo.id}/3pl/accepted",
            "shipped": f"POST {API}/{fo.id}/3pl/shipped",
            "short": f"POST {API}/{fo.id}/3pl/short",
            "status": f"GET {API}/{fo.id}",
        },
    }


def record_handoff(uow: UnitOfWork, fo: FulfilmentOrder, order) -> None:
    record_event(uow, "fulfilment.handoff_requested", "fulfilment_order", fo.id,
                 handoff_document(uow, fo, order))


def _partner_fo(uow: UnitOfWork, fo_id: str) -> FulfilmentOrder:
    fo = lock_fulfilment_order(uow, fo_id)
    if fo.location_kind != LocationKind.THREE_PL.value:
        raise Conflict(f"{fo.number} is fulfilled at {fo.location_code}, not by a 3PL",
                       extra={"location_kind": fo.location_kind})
    return fo


def partner_accepted(uow: UnitOfWork, fo_id: str, reference: str | None) -> FulfilmentOrder:
    fo = _partner_fo(uow, fo_id)
    updated = apply_status(uow, fo, S.ACCEPTED, "accepted by the 3PL",
                           {"partner_reference": reference} if reference else None)
    uow.commit()
    return updated


def partner_shipped(uow: UnitOfWork, fo_id: str, packages: list,
                    idem: idempotency.IdempotencyKey | None = None) -> FulfilmentOrder:
    """The 3PL shipped: its packages are recorded (packing), the fulfilment order moves
    through picking and packed (done at the 3PL) to shipped, and the order records the
    shipment. ``packages`` are packing's ``ExternalPackage``s; every open unit must be
    in them (units it does not have are reported ``short`` first). Commits."""
    from sqlalchemy import update

    from ordermesh.packing.service import record_external_packages

    if prior := idempotency.claim(uow, idem):
        return get_fulfilment_order(uow, prior.resource_id)
    fo = _partner_fo(uow, fo_id)
    if fo.status not in (S.RELEASED, S.ACCEPTED, S.PICKING, S.PICKED, S.PACKED):
        raise Conflict(f"{fo.number} is {fo.status}: it cannot ship",
                       extra={"current_status": fo.status.value})
    if not packages:
        raise InvalidInput.for_field("packages", "report at least one package")
    carriers = {p.carrier for p in packages if p.carrier}
    package_ids = record_external_packages(uow, fo.id, [p.package for p in packages])
    lines = fulfilment_lines.c
    for ln in fo.lines:  # picked at the 3PL
        uow.execute(update(fulfilment_lines).where(lines.fo_id == fo.id,
                                                   lines.line_no == ln.line_no)
                    .values(picked_quantity=ln.open))
    why = "reported by the 3PL"
    if fo.status in (S.RELEASED, S.ACCEPTED):
        fo = apply_status(uow, fo, S.PICKING, why)
    if fo.status in (S.PICKING, S.PICKED):
        fo = set_status(uow, fo.id, S.PACKED, why)
    carrier = sorted(carriers)[0] if carriers else fo.carrier
    updated = set_status(uow, fo.id, S.SHIPPED, why, {
        "carrier": carrier, "tracking_numbers": [p.package.tracking_number for p in packages]})
    _follow_tracking(uow, fo, packages, package_ids)
    idempotency.complete(uow, idem, "fulfilment_order", fo.id, 200)
    uow.commit()
    return updated


def _follow_tracking(uow: UnitOfWork, fo: FulfilmentOrder, packages: list,
                     package_ids: list[str]) -> None:
    """Parcels of a carrier with an account here are tracked like our own shipments
    (webhook and polling move the fulfilment order on to delivered). A fulfilment order
    has one shipment: when the 3PL used several carriers, the parcels of the first one
    (by code) with an account here are followed."""
    from ordermesh.shipping.service import record_external_shipment

    by_carrier: dict[str, dict[str, str]] = {}
    for reported, package_id in zip(packages, package_ids, strict=True):
        carrier = reported.carrier or fo.carrier
        if carrier:
            by_carrier.setdefault(carrier, {})[package_id] = reported.package.tracking_number
    for carrier, numbers in sorted(by_carrier.items()):
        if record_external_shipment(uow, fo.id, carrier, numbers) is not None:
            return


def partner_short(uow: UnitOfWork, fo_id: str, lines: dict[int, int],
                  reason: str | None) -> FulfilmentOrder:
    """Units the 3PL does not have: off this fulfilment order, written off at the 3PL's
    location and sourced again elsewhere (like a short pick). Commits."""
    from ordermesh.fulfilment.picking import write_off

    fo = _partner_fo(uow, fo_id)
    if fo.status not in (S.RELEASED, S.ACCEPTED, S.PICKING):
        raise Conflict(f"{fo.number} is {fo.status}: nothing can be reported short",
                       extra={"current_status": fo.status.value})
    units = plan_units(fo, lines, lambda ln: ln.to_pick, "open")
    if not units:
        raise InvalidInput.for_field("lines", "report at least one unit short")
    why = reason or "reported short by the 3PL"
    updated = remove_units(uow, fo, units, "short_pick", why)
    for no, quantity in sorted(units.items()):
        write_off(uow, fo, no, quantity, "3PL short report")
    uow.commit()
    return updated
