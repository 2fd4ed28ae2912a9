"""Gathering what a label or a packing slip shows, and rendering it."""

from __future__ import annotations

from dataclasses import asdict

from ordermesh.fulfilment import service as fulfilment
from ordermesh.fulfilment.model import FulfilmentKind, FulfilmentOrder
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, NotFound
from ordermesh.locations.service import get_location
from ordermesh.packing.documents import (
    LabelData,
    SlipData,
    SlipPackage,
    address_lines,
    render_label,
    render_packing_slip,
)
from ordermesh.packing.service import get_package, packages_for, packed_units


def _sender(uow: UnitOfWork, location_id: str) -> list[str]:
    location = get_location(uow, location_id)
    address = asdict(location.address) if location.address else None
    return address_lines(address, location.name) if address else [location.name]


def _recipient(uow: UnitOfWork, fo: FulfilmentOrder) -> list[str]:
    """Where the parcel goes: a ship order's address, never a stand-in (without one it
    cannot be labelled); a pickup order's parcel waits at its pick-up location."""
    if fo.kind == FulfilmentKind.PICKUP:
        return [f"Pick-up at {get_location(uow, fo.location_id).name}",
                f"order {fo.order_number}"]
    if not fo.shipping_address:
        raise Conflict(f"Fulfilment order {fo.number} has no shipping address: its parcels "
                       "cannot be labelled; give the order an address (POST "
                       "/api/v1/orders/{id}/edits, set_shipping_address) first",
                       extra={"fulfilment_order": fo.number})
    return address_lines(fo.shipping_address)


def label_pdf(uow: UnitOfWork, package_id: str) -> tuple[str, bytes]:
    """(file name, PDF) of a package's 4x6 in label."""
    package = get_package(uow, package_id)
    fo = fulfilment.get_fulfilment_order(uow, package.fulfilment_order_id)
    count = len(packages_for(uow, fo.id))
    data = LabelData(
        sender=_sender(uow, fo.location_id),
        recipient=_recipient(uow, fo),
        carrier=fo.carrier, service=fo.carrier_service, service_level=fo.service_level,
        weight_g=package.weight_g, weight_estimated=package.weight_estimated,
        seq=package.seq, count=count, sscc=package.sscc,
        tracking_number=package.tracking_number, marks=package.marks,
        reference=f"{fo.number} / order {fo.order_number}")
    return f"label-{package.sscc or package.id}.pdf", render_label(data)


def packing_slip_pdf(uow: UnitOfWork, fo_id: str) -> tuple[str, bytes]:
    fo = fulfilment.get_fulfilment_order(uow, fo_id)
    packages = packages_for(uow, fo.id)
    if not packages:
        raise NotFound(f"Fulfilment order {fo.number} has no packages yet: pack it first")
    packed = packed_units(uow, fo.id)
    lines = {ln.line_no: ln for ln in fo.lines}
    data = SlipData(
        fo_number=fo.number, order_number=fo.order_number,
        ship_to=_recipient(uow, fo),
        ship_from=_sender(uow, fo.location_id),
        lines=[(ln.sku, ln.name, ln.quantity - ln.cancelled_quantity - ln.rejected_quantity,
                packed.get(ln.line_no, 0)) for ln in fo.lines],
        packages=[SlipPackage(
            p.seq, p.sscc, p.packaging_code, p.weight_g, p.tracking_number, p.marks,
            [(lines[no].sku, lines[no].name, q) for no, q in p.lines if no in lines])
            for p in packages],
        gift=any(p.gift_wrap for p in packages))
    return f"packing-slip-{fo.number}.pdf", render_packing_slip(data)
