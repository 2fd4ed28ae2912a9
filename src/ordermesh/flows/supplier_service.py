"""A carrier's or a 3PL's record as a service supplier, for the service section of its
scorecard (``GET /api/v1/suppliers/{id}/scorecard``): over the carrier accounts and
locations it stands behind (``suppliers/links.py``), the shipments they handled
(shipping), what the 3PL's locations did with the fulfilment orders given to them
(fulfilment) and what customers said about them (feedback)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ordermesh.feedback.subjects import FeedbackRecord, feedback_about
from ordermesh.fulfilment.performance import LocationRecord, location_record
from ordermesh.kit.db import UnitOfWork
from ordermesh.locations.service import location_codes
from ordermesh.shipping.performance import ShipmentRecord, handled_shipments
from ordermesh.suppliers.links import links_of
from ordermesh.suppliers.model import Supplier, SupplierKind

# What the records cannot tell, said rather than guessed.
NOT_MEASURED = {
    SupplierKind.THREE_PL: (
        ("dock_to_stock", "a receipt makes its units available the moment it is booked; "
         "when goods reached the dock is not recorded, so there is no time to measure"),
        ("pick_accuracy", "wrong items or quantities sent are not recorded; only units "
         "reported short are (units_short)")),
    SupplierKind.CARRIER: (
        ("damage_claims", "damage is counted from the carrier's own scans (damaged); "
         "parcels that arrive damaged without such a scan show only in customer "
         "feedback (the damage topic)"),),
}


@dataclass(frozen=True)
class ServiceRecord:
    carrier_accounts: list[str]
    locations: list[str]  # codes
    shipments: ShipmentRecord
    fulfilment: LocationRecord | None  # a 3PL's locations only
    feedback: FeedbackRecord
    not_measured: tuple[tuple[str, str], ...]


def service_record(uow: UnitOfWork, supplier: Supplier, start: date,
                   end: date) -> ServiceRecord | None:
    """None for suppliers of goods, packaging or other services. A carrier is measured
    by the shipments of its carrier accounts, a 3PL by the shipments leaving its
    locations and the fulfilment orders released to them (each from ``start`` to
    ``end``, UTC days)."""
    if supplier.kind not in (SupplierKind.CARRIER, SupplierKind.THREE_PL):
        return None
    links = links_of(uow, supplier.id)
    carriers, location_ids = list(links.carriers), list(links.location_ids)
    codes = location_codes(uow, set(location_ids))
    return ServiceRecord(
        carrier_accounts=carriers, locations=sorted(codes.values()),
        shipments=handled_shipments(uow, carriers, location_ids, start, end),
        fulfilment=(location_record(uow, location_ids, start, end)
                    if supplier.kind is SupplierKind.THREE_PL else None),
        feedback=feedback_about(uow, carriers, location_ids, start, end),
        not_measured=NOT_MEASURED[supplier.kind])
