"""A 3PL reports that it shipped (``POST /fulfilment-orders/{id}/3pl/shipped``).

One step across three features, in one unit of work: packing records the packages the
3PL packed; fulfilment moves the fulfilment order through picking and packed (done at
the 3PL) to shipped, whose side effect records the shipment on the order (stock, order
status, capture, invoice); shipping follows the parcels' tracking when their carrier
has an account here. Every open unit must be in the packages (units the 3PL does not
have are reported ``short`` first: ``flows.resourcing.partner_short``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ordermesh.fulfilment.handoff import partner_fo, partner_picked
from ordermesh.fulfilment.model import FulfilmentOrder, FulfilmentStatus
from ordermesh.fulfilment.queries import get_fulfilment_order
from ordermesh.fulfilment.service import apply_status, set_status
from ordermesh.kit import idempotency
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput
from ordermesh.packing.service import ExternalPackage, record_external_packages
from ordermesh.shipping.service import record_external_shipment

S = FulfilmentStatus


@dataclass(frozen=True)
class ReportedPackage:
    package: ExternalPackage
    carrier: str | None = None


def partner_shipped(uow: UnitOfWork, fo_id: str, packages: list[ReportedPackage],
                    idem: idempotency.IdempotencyKey | None = None) -> FulfilmentOrder:
    """The 3PL shipped: its packages are recorded (packing), the fulfilment order moves
    through picking and packed (done at the 3PL) to shipped, and the order records the
    shipment. Commits."""
    if prior := idempotency.claim(uow, idem):
        return get_fulfilment_order(uow, prior.resource_id)
    fo = partner_fo(uow, fo_id)
    if fo.status not in (S.RELEASED, S.ACCEPTED, S.PICKING, S.PICKED, S.PACKED):
        raise Conflict(f"{fo.number} is {fo.status}: it cannot ship",
                       extra={"current_status": fo.status.value})
    if not packages:
        raise InvalidInput.for_field("packages", "report at least one package")
    carriers = {p.carrier for p in packages if p.carrier}
    package_ids = record_external_packages(uow, fo.id, [p.package for p in packages])
    partner_picked(uow, fo)
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


def _follow_tracking(uow: UnitOfWork, fo: FulfilmentOrder, packages: list[ReportedPackage],
                     package_ids: list[str]) -> None:
    """Parcels of a carrier with an account here are tracked like our own shipments
    (webhook and polling move the fulfilment order on to delivered). A fulfilment order
    has one shipment: when the 3PL used several carriers, the parcels of the first one
    (by code) with an account here are followed."""
    by_carrier: dict[str, dict[str, str]] = {}
    for reported, package_id in zip(packages, package_ids, strict=True):
        carrier = reported.carrier or fo.carrier
        if carrier:
            by_carrier.setdefault(carrier, {})[package_id] = reported.package.tracking_number
    for carrier, numbers in sorted(by_carrier.items()):
        if record_external_shipment(uow, fo.id, carrier, numbers) is not None:
            return
