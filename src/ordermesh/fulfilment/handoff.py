"""3PL / 4PL: a fulfilment order released at a location of kind ``3pl`` is handed over as
an outbox event ``fulfilment.handoff_requested`` (a versioned JSON document, see
docs/3pl-handoff.md); the partner reports back through the API: accepted, shipped (with
its packages and tracking numbers: ``flows/handoff.py``, as packing and shipping take
part), short (units it does not have: ``flows/resourcing.py``, as sourcing takes part)."""

from __future__ import annotations

from sqlalchemy import update

from ordermesh.catalog.service import get_product
from ordermesh.fulfilment.model import HANDOFF_VERSION, FulfilmentOrder, FulfilmentStatus
from ordermesh.fulfilment.queries import lock_fulfilment_order
from ordermesh.fulfilment.service import apply_status, iso_or_none
from ordermesh.fulfilment.tables import fulfilment_lines
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict
from ordermesh.kit.outbox import record_event
from ordermesh.locations.model import LocationKind
from ordermesh.locations.service import get_location

S = FulfilmentStatus
SCHEMA = "ordermesh.fulfilment.handoff"
API = "/api/v1/fulfilment-orders"


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


def partner_fo(uow: UnitOfWork, fo_id: str) -> FulfilmentOrder:
    fo = lock_fulfilment_order(uow, fo_id)
    if fo.location_kind != LocationKind.THREE_PL.value:
        raise Conflict(f"{fo.number} is fulfilled at {fo.location_code}, not by a 3PL",
                       extra={"location_kind": fo.location_kind})
    return fo


def partner_accepted(uow: UnitOfWork, fo_id: str, reference: str | None) -> FulfilmentOrder:
    fo = partner_fo(uow, fo_id)
    updated = apply_status(uow, fo, S.ACCEPTED, "accepted by the 3PL",
                           {"partner_reference": reference} if reference else None)
    uow.commit()
    return updated


def partner_picked(uow: UnitOfWork, fo: FulfilmentOrder) -> None:
    """Every open unit of ``fo`` counts as picked (at the 3PL, which reported it shipped:
    ``flows/handoff.py``). Does not commit."""
    lines = fulfilment_lines.c
    for ln in fo.lines:
        uow.execute(update(fulfilment_lines).where(lines.fo_id == fo.id,
                                                   lines.line_no == ln.line_no)
                    .values(picked_quantity=ln.open))
