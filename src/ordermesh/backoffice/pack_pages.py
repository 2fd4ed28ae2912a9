"""The pack station: a location's picked fulfilment orders, oldest first; one order's
items scanned unit by unit into a parcel; the parcel closed as a package with its SSCC;
its label and the packing slip.

Closing a parcel is ``packing.service.pack`` with the packer's one package, acting as the
signed-in person: the same checks, SSCC numbering, packaging stock consumption, events
and status change as ``POST /api/v1/fulfilment-orders/{id}/packages``. The parcel being
filled is kept in the page (see ``pack_station``), so scanning records nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from ordermesh.backoffice.model import Permission
from ordermesh.backoffice.pack_station import (
    OWN_PACKAGING,
    StationLine,
    encode_parcel,
    parse_parcel,
    parse_quantity,
    scan_into,
)
from ordermesh.backoffice.queries import age
from ordermesh.backoffice.scoping import check_fulfilment_order, check_location
from ordermesh.backoffice.web import PageContext, form_for, need
from ordermesh.fulfilment.model import FulfilmentOrder, FulfilmentStatus
from ordermesh.fulfilment.queries import get_fulfilment_order, picked_at
from ordermesh.http.problems import status_for
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import DomainError, InvalidInput
from ordermesh.locations.service import list_locations, location_by_code
from ordermesh.packing import printing
from ordermesh.packing.catalogue import list_packaging_types
from ordermesh.packing.content import PackSpec, items_for
from ordermesh.packing.marks import marks_for, notes_for
from ordermesh.packing.model import ProposedPackage
from ordermesh.packing.service import (
    Package,
    PackRequest,
    get_package,
    pack,
    packable_units,
    packages_for,
    packed_units,
    packed_units_of,
    preview_package,
    proposal_for,
)

router = APIRouter()
Packer = Annotated[PageContext, Depends(need(Permission.PACK))]
PackerForm = Annotated[PageContext, Depends(form_for(Permission.PACK))]
QUEUE = 50  # the oldest; a packer works from the top
MAX_REF = 60


@dataclass(frozen=True)
class Station:
    """What the pack station shows for one fulfilment order."""

    fo: FulfilmentOrder
    lines: list[StationLine]
    packages: list[Package]
    proposed: list[ProposedPackage]
    proposal_warnings: list[str]
    packaging_types: list
    next_fo: FulfilmentOrder | None


def _pdf(found: tuple[str, bytes]) -> Response:
    name, pdf = found
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"',
                             "Cache-Control": "no-store"})


@router.get("/pack")
def pack_station(page: Packer, location: str = "", fo: str = "") -> Response:
    if fo.strip():
        if len(fo) > MAX_REF:
            raise InvalidInput.for_field("fo", f"a fulfilment order number is at most "
                                         f"{MAX_REF} characters")
        with page.read() as uow:
            found = check_fulfilment_order(page.user, get_fulfilment_order(uow, fo.strip()))
        return page.redirect(f"/app/pack/{found.number}")
    with page.read() as uow:
        locations = [loc for loc in list_locations(uow) if page.user.sees_location(loc.id)]
        chosen = location_by_code(uow, location.strip()) if location.strip() else None
        if chosen is not None:
            check_location(page.user, chosen.id, chosen.code)
        queue = [f for f in (picked_at(uow, chosen.id, limit=QUEUE) if chosen else [])
                 if page.user.sees_channel(f.channel_id)]
        packed_by_fo = packed_units_of(uow, [f.id for f in queue])
        packed = {f.id: packed_by_fo.get(f.id, {}) for f in queue}
        now = uow.clock.now()
    to_pack = {f.id: sum(packable_units(f, packed[f.id]).values()) for f in queue}
    return page.render("pack_station.html", locations=locations, chosen=chosen, queue=queue,
                       to_pack=to_pack, packed={k: sum(v.values()) for k, v in packed.items()},
                       now=now, age=age, limit=QUEUE)


def _fo(uow: UnitOfWork, page: PageContext, ref: str) -> FulfilmentOrder:
    """The fulfilment order, if it is at one of the page's user's locations."""
    return check_fulfilment_order(page.user, get_fulfilment_order(uow, ref))


def _station(uow: UnitOfWork, page: PageContext, ref: str, parcel: dict[int, int]
             ) -> Station:
    fo = _fo(uow, page, ref)
    packed = packed_units(uow, fo.id)
    units = packable_units(fo, packed)
    items = items_for(uow, fo, units) if units else {}
    lines = []
    for ln in fo.lines:
        item = items.get(ln.line_no)
        lines.append(StationLine(
            ln.line_no, ln.sku, ln.name, ln.open, packed.get(ln.line_no, 0),
            units.get(ln.line_no, 0), parcel.get(ln.line_no, 0),
            marks_for([item]) if item else (), notes_for([item], False) if item else ()))
    proposed, warnings = [], []
    if units:
        proposal = proposal_for(uow, fo.id)[2]
        proposed, warnings = list(proposal.packages), list(proposal.warnings)
    following = [f for f in picked_at(uow, fo.location_id, limit=2) if f.id != fo.id]
    return Station(fo, lines, packages_for(uow, fo.id), proposed, warnings,
                   list_packaging_types(uow, active_only=True),
                   following[0] if following else None)


def _order_page(page: PageContext, ref: str, parcel: dict[int, int], packaging: str,
                status: int = 200, **extra) -> HTMLResponse:
    with page.read() as uow:
        station = _station(uow, page, ref, parcel)
        if not packaging:
            first = station.proposed[0].packaging_code if station.proposed else None
            packaging = first or OWN_PACKAGING
        preview, preview_error = None, None
        if parcel:
            try:
                preview = preview_package(uow, station.fo.id, PackSpec(
                    None if packaging == OWN_PACKAGING else packaging, parcel))
            except DomainError as exc:
                preview_error = exc.detail
    packed_now = next((p for p in station.packages if p.id == extra.pop("packed", None)), None)
    return page.render(
        "pack_order.html", status, s=station, fo=station.fo, parcel=encode_parcel(parcel),
        in_parcel=sum(parcel.values()), packaging=packaging, own=OWN_PACKAGING,
        preview=preview, preview_error=preview_error, packed_now=packed_now,
        done=station.fo.status != FulfilmentStatus.PICKED
        and not any(ln.to_pack for ln in station.lines),
        close_key=secrets.token_urlsafe(16), **extra)


@router.get("/pack/{ref}")
def pack_order(page: Packer, ref: str, parcel: str = "", packaging: str = "",
               packed: str = "") -> HTMLResponse:
    return _order_page(page, ref, parse_parcel(parcel), packaging.strip(), packed=packed)


def _back_to(number: str, parcel: dict[int, int], packaging: str, **more: str) -> str:
    query = {k: v for k, v in (("parcel", encode_parcel(parcel)), ("packaging", packaging),
                               *more.items()) if v}
    return f"/app/pack/{number}" + (f"?{urlencode(query)}" if query else "")


@router.post("/pack/{ref}/scan")
def scan(page: PackerForm, ref: str) -> Response:
    form = page.form
    parcel = parse_parcel(form.get("parcel", ""))
    packaging = form.get("packaging", "").strip()
    try:
        quantity = parse_quantity(form.get("quantity", ""))
        with page.read() as uow:
            station = _station(uow, page, ref, parcel)
        parcel = scan_into(station.lines, parcel, form.get("code", ""), quantity,
                           station.fo.number)
    except DomainError as exc:
        field = (exc.errors[0].field if isinstance(exc, InvalidInput) and exc.errors
                 else "code")
        return _order_page(page, ref, parcel, packaging, status_for(exc),
                           scan_errors={field: exc.detail})
    return page.redirect(_back_to(station.fo.number, parcel, packaging))


@router.post("/pack/{ref}/packaging")
def choose_packaging(page: PackerForm, ref: str) -> Response:
    parcel = parse_parcel(page.form.get("parcel", ""))
    with page.read() as uow:
        number = _fo(uow, page, ref).number
    return page.redirect(_back_to(number, parcel, page.form.get("packaging", "").strip()))


@router.post("/pack/{ref}/close")
def close_parcel(page: PackerForm, ref: str) -> Response:
    form = page.form
    parcel = parse_parcel(form.get("parcel", ""))
    packaging = form.get("packaging", "").strip()
    gift_wrap, allow_shortage = form.get("gift_wrap") == "on", form.get("allow_shortage") == "on"
    if not parcel:
        return _order_page(page, ref, parcel, packaging, 422,
                           close_error="The parcel is empty: scan its items first.")
    req = PackRequest(packages=[PackSpec(None if packaging in ("", OWN_PACKAGING)
                                         else packaging, parcel)],
                      gift_wrap=gift_wrap, allow_packaging_shortage=allow_shortage)
    # A double click or a resent form replays the first close instead of packing twice.
    key = form.get("close_key", "")[:MAX_REF] or None
    idem = page.container.fingerprints.key(
        page.user.id, key, f"POST /app/pack/{ref}/close",
        {"parcel": encode_parcel(parcel), "packaging": packaging, "gift_wrap": gift_wrap,
         "allow_shortage": allow_shortage}) if key else None
    with page.read() as uow:
        _fo(uow, page, ref)
    try:
        result = page.run(lambda uow: pack(uow, ref, req, idem))
    except DomainError as exc:
        return _order_page(page, ref, parcel, packaging, status_for(exc),
                           close_error=exc.detail)
    number = result.fulfilment_order.number
    return page.redirect(_back_to(number, {}, "", packed=result.packages[-1].id))


@router.get("/pack/{ref}/packing-slip.pdf")
def packing_slip(page: Packer, ref: str) -> Response:
    with page.read() as uow:
        _fo(uow, page, ref)
        return _pdf(printing.packing_slip_pdf(uow, ref))


@router.get("/pack/packages/{package_id}/label.pdf")
def label(page: Packer, package_id: str) -> Response:
    with page.read() as uow:
        if page.user.scoped:
            _fo(uow, page, get_package(uow, package_id).fulfilment_order_id)
        return _pdf(printing.label_pdf(uow, package_id))
