"""Packing a fulfilment order: the proposal, packages with SSCCs, packaging stock.

A fulfilment order (F) is read and locked through ``ordermesh.fulfilment.service``;
what is packed is recorded here (``packages``, ``package_lines``) and is the truth
about packed units. Packaging material with a catalogue SKU is consumed at the FO's
location through ``inventory.consumption`` in the same transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, insert, select, update

from ordermesh.catalog.service import get_product_by_sku
from ordermesh.fulfilment import service as fulfilment
from ordermesh.fulfilment.model import (
    FulfilmentKind,
    FulfilmentOrder,
    FulfilmentStatus,
    can_transition,
)
from ordermesh.inventory.consumption import consume_stock
from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import record_event
from ordermesh.packing import sscc
from ordermesh.packing.catalogue import list_packaging_types
from ordermesh.packing.content import PackSpec, check_request, items_for
from ordermesh.packing.model import (
    PackagingHandling,
    Proposal,
    ProposedPackage,
    SizeLimits,
    propose,
)
from ordermesh.packing.tables import package_lines, packages

MAX_PACKAGES = 200
PACKABLE = frozenset({FulfilmentStatus.RELEASED, FulfilmentStatus.ACCEPTED,
                      FulfilmentStatus.PICKING, FulfilmentStatus.PICKED})


@dataclass(frozen=True)
class Package:
    id: str
    fulfilment_order_id: str
    seq: int
    source: str  # "packed" here, or "external" (reported by a 3PL)
    sscc: str | None
    packaging_code: str | None
    weight_g: int | None
    weight_estimated: bool
    dimensions_mm: tuple[int, int, int] | None
    marks: list[str]
    notes: list[str]
    warnings: list[str]
    gift_wrap: bool
    why: str | None
    cost: Money | None
    packaging_shortfall: int
    lines: list[tuple[int, int]]
    tracking_number: str | None
    actor: str
    created_at: datetime


@dataclass(frozen=True)
class PackRequest:
    packages: list[PackSpec] | None = None  # None: accept the proposal
    gift_wrap: bool = False
    allow_packaging_shortage: bool = False


@dataclass(frozen=True)
class ExternalPackage:
    tracking_number: str
    lines: list[tuple[int, int]]
    sscc: str | None = None
    weight_g: int | None = None


@dataclass(frozen=True)
class PackResult:
    fulfilment_order: FulfilmentOrder
    packages: list[Package]
    complete: bool  # every picked unit is packed (the FO went to PACKED)
    warnings: list[str] = field(default_factory=list)


def _row_to_package(row, lines: list[tuple[int, int]]) -> Package:
    dims = ((row.length_mm, row.width_mm, row.height_mm)
            if row.length_mm is not None else None)
    cost = Money.of(row.cost_amount, row.cost_currency) if row.cost_amount is not None else None
    return Package(
        id=row.id, fulfilment_order_id=row.fulfilment_order_id, seq=row.seq,
        source=row.source, sscc=row.sscc, packaging_code=row.packaging_code,
        weight_g=row.weight_g, weight_estimated=row.weight_estimated, dimensions_mm=dims,
        marks=list(row.marks), notes=list(row.notes), warnings=list(row.warnings),
        gift_wrap=row.gift_wrap, why=row.why, cost=cost,
        packaging_shortfall=row.packaging_shortfall, lines=lines,
        tracking_number=row.tracking_number, actor=row.actor,
        created_at=as_utc(row.created_at))


def _load(uow: UnitOfWork, where) -> list[Package]:
    rows = list(uow.execute(select(packages).where(where).order_by(
        packages.c.fulfilment_order_id, packages.c.seq)))
    if not rows:
        return []
    lines: dict[str, list[tuple[int, int]]] = {r.id: [] for r in rows}
    for ln in uow.execute(select(package_lines).where(package_lines.c.package_id.in_(list(lines)))
                          .order_by(package_lines.c.package_id, package_lines.c.line_no)):
        lines[ln.package_id].append((ln.line_no, ln.quantity))
    return [_row_to_package(r, lines[r.id]) for r in rows]


def packages_for(uow: UnitOfWork, fo_id: str) -> list[Package]:
    """The FO's packages (by FO id) in order (n of m), packed here or reported by a 3PL."""
    return _load(uow, packages.c.fulfilment_order_id == fo_id)


def get_package(uow: UnitOfWork, package_id: str) -> Package:
    found = _load(uow, packages.c.id == package_id)
    if not found:
        raise NotFound(f"Package '{package_id}' does not exist")
    return found[0]


def packed_units(uow: UnitOfWork, fo_id: str) -> dict[int, int]:
    """line_no -> units in packages of this FO."""
    return packed_units_of(uow, [fo_id]).get(fo_id, {})


def packed_units_of(uow: UnitOfWork, fo_ids: list[str]) -> dict[str, dict[int, int]]:
    """FO id -> line_no -> units in its packages, for many FOs in one query (FOs without
    packages are left out)."""
    if not fo_ids:
        return {}
    fo = packages.c.fulfilment_order_id
    rows = uow.execute(
        select(fo, package_lines.c.line_no, func.sum(package_lines.c.quantity))
        .select_from(package_lines.join(packages, packages.c.id == package_lines.c.package_id))
        .where(fo.in_(sorted(set(fo_ids)))).group_by(fo, package_lines.c.line_no))
    found: dict[str, dict[int, int]] = {}
    for fo_id, line_no, quantity in rows:
        found.setdefault(fo_id, {})[line_no] = int(quantity)
    return found


def packable_units(fo: FulfilmentOrder, packed: dict[int, int]) -> dict[int, int]:
    """line_no -> units picked and not yet packed (only lines with some)."""
    units = {ln.line_no: min(ln.picked_quantity, ln.open) - packed.get(ln.line_no, 0)
             for ln in fo.lines}
    return {no: q for no, q in units.items() if q > 0}


def proposal_for(uow: UnitOfWork, fo_id: str, gift_wrap: bool = False
                 ) -> tuple[FulfilmentOrder, dict[int, int], Proposal]:
    """The packages proposed for what was picked and not yet packed."""
    fo = fulfilment.get_fulfilment_order(uow, fo_id)
    units = packable_units(fo, packed_units(uow, fo.id))
    items = items_for(uow, fo, units)
    proposal = propose(list(items.values()), list_packaging_types(uow, active_only=True),
                       gift_wrap=gift_wrap, limits=_limits(uow, fo))
    return fo, units, proposal


def preview_package(uow: UnitOfWork, fo_id: str, spec: PackSpec, gift_wrap: bool = False
                    ) -> ProposedPackage:
    """One package as the packer is filling it, checked as ``pack`` would check it
    (known lines and packaging, no more than picked and not yet packed), with its
    weight, marks, notes and warnings. Changes nothing."""
    fo = fulfilment.get_fulfilment_order(uow, fo_id)
    units = packable_units(fo, packed_units(uow, fo.id))
    return check_request(uow, fo, units, [spec], gift_wrap, _limits(uow, fo))[0]


def _limits(uow: UnitOfWork, fo: FulfilmentOrder) -> SizeLimits | None:
    """The parcel limits of the FO's carrier service (None for a pickup order): beyond
    them a package is marked OVERSIZE."""
    from ordermesh.shipping.promise import parcel_limits_for  # shipping owns the limits

    if fo.kind != FulfilmentKind.SHIP:
        return None
    return parcel_limits_for(uow, fo.carrier, fo.carrier_service)


def _consume_packaging(uow: UnitOfWork, fo: FulfilmentOrder, chosen: list[ProposedPackage],
                       allow_shortage: bool) -> dict[int, int]:
    """Packaging stock at the FO's location goes down by one per package of a type with a
    material SKU. Returns package index -> units of packaging not in stock."""
    by_sku: dict[str, list[int]] = {}
    for i, p in enumerate(chosen):
        if p.packaging is not None and p.packaging.material_sku:
            by_sku.setdefault(p.packaging.material_sku, []).append(i)
    if not by_sku:
        return {}
    products = {sku: get_product_by_sku(uow, sku) for sku in by_sku}
    try:
        consumed = consume_stock(
            uow, fo.location_id, {products[s].id: len(ix) for s, ix in by_sku.items()},
            order_id=fo.order_id, note=f"packaging for {fo.number}",
            allow_shortage=allow_shortage)
    except Conflict as exc:
        raise Conflict(f"Packaging material short at {fo.location_code}: {exc.detail}. "
                       "Restock it, choose other packaging, or pack anyway with "
                       "allow_packaging_shortage", extra=exc.extra) from None
    shortfall: dict[int, int] = {}
    for c in consumed:
        sku = next(s for s, p in products.items() if p.id == c.product_id)
        record_event(uow, "packaging.consumed", "fulfilment_order", fo.id, {
            "fulfilment_order_id": fo.id, "location_id": fo.location_id,
            "location_code": fo.location_code, "material_sku": sku,
            "quantity": c.taken, "shortfall": c.shortfall})
        for i in by_sku[sku][len(by_sku[sku]) - c.shortfall:]:
            shortfall[i] = 1
    return shortfall


def _all_packed(fo: FulfilmentOrder, packed: dict[int, int]) -> bool:
    """Every open unit is picked and packed."""
    return (fo.open_units > 0 and all(ln.to_pick == 0 for ln in fo.lines)
            and all(packed.get(ln.line_no, 0) >= ln.open for ln in fo.lines))


def pack(uow: UnitOfWork, fo_id: str, req: PackRequest,
         idem: idempotency.IdempotencyKey | None = None) -> PackResult:
    """Pack picked units into packages (the proposal, or the packer's own), each with an
    SSCC; consume packaging stock; when everything picked is packed the FO becomes
    PACKED. Commits."""
    batch_id = new_id("pkb")
    if prior := idempotency.claim(uow, idem, idempotency.PriorResult("package_batch",
                                                                       batch_id, 201)):
        done = _load(uow, packages.c.batch_id == prior.resource_id)
        fo = fulfilment.get_fulfilment_order(uow, fo_id)
        return PackResult(fo, done, fo.status == FulfilmentStatus.PACKED)
    fo = fulfilment.lock_fulfilment_order(uow, fo_id)
    fo_id = fo.id  # the caller may have named it by number
    if fo.status not in PACKABLE:
        raise IllegalTransition(f"Fulfilment order {fo.number} is {fo.status}: nothing can be "
                                "packed", extra={"current_status": fo.status.value})
    units = packable_units(fo, packed_units(uow, fo_id))
    if not units:
        raise InvalidInput.for_field("packages", f"Fulfilment order {fo.number} has no units "
                                     "picked and not yet packed", "nothing_to_pack")
    warnings: list[str] = []
    if req.packages is None:
        items = items_for(uow, fo, units)
        proposal = propose(list(items.values()), list_packaging_types(uow, active_only=True),
                           gift_wrap=req.gift_wrap, limits=_limits(uow, fo))
        chosen, warnings = list(proposal.packages), list(proposal.warnings)
        if unsafe := [p for p in chosen if p.packaging is None
                      and PackagingHandling.CERTIFIED in p.requires]:
            lines = ", ".join(str(no) for p in unsafe for no, _ in p.lines)
            raise Conflict(f"No certified packaging in the catalogue fits the dangerous "
                           f"goods of line(s) {lines}: add certified packaging (handling "
                           "'certified') first")
    else:
        if not req.packages or any(not s.lines for s in req.packages):
            raise InvalidInput.for_field("packages", "every package needs at least one line")
        chosen = check_request(uow, fo, units, req.packages, req.gift_wrap, _limits(uow, fo))
    if len(chosen) > MAX_PACKAGES:
        raise InvalidInput.for_field("packages", f"at most {MAX_PACKAGES} packages at once")
    numbers = sscc.allocate(uow, len(chosen))
    shortfall = _consume_packaging(uow, fo, chosen, req.allow_packaging_shortage)
    first_seq = uow.execute(select(func.coalesce(func.max(packages.c.seq), 0))
                            .where(packages.c.fulfilment_order_id == fo_id)).scalar_one() + 1
    now = uow.clock.now()
    for i, (p, number) in enumerate(zip(chosen, numbers, strict=True)):
        package_id = new_id("pkg")
        t = p.packaging
        dims = p.dimensions_mm
        uow.execute(insert(packages).values(
            id=package_id, fulfilment_order_id=fo_id, batch_id=batch_id, seq=first_seq + i,
            source="packed", sscc=number, packaging_type_id=t.id if t else None,
            packaging_code=t.code if t else None, weight_g=p.weight_g,
            weight_estimated=p.weight_estimated, length_mm=dims[0] if dims else None,
            width_mm=dims[1] if dims else None, height_mm=dims[2] if dims else None,
            marks=list(p.marks), notes=list(p.notes), warnings=list(p.warnings),
            gift_wrap=p.gift_wrap, why=p.why, cost_amount=t.cost.amount if t else None,
            cost_currency=t.cost.currency if t else None,
            packaging_shortfall=shortfall.get(i, 0), actor=uow.actor, created_at=now))
        uow.execute(insert(package_lines), [
            {"package_id": package_id, "line_no": no, "quantity": q} for no, q in p.lines])
        record_event(uow, "package.created", "fulfilment_order", fo_id, {
            "package_id": package_id, "fulfilment_order_id": fo_id, "order_id": fo.order_id,
            "sscc": number, "packaging_code": t.code if t else None, "weight_g": p.weight_g,
            "weight_estimated": p.weight_estimated, "marks": list(p.marks),
            "lines": [{"line_no": no, "quantity": q} for no, q in p.lines],
            "source": "packed"})
    packed = packed_units(uow, fo_id)
    complete = _all_packed(fo, packed)
    if complete and can_transition(fo.kind, fo.status, FulfilmentStatus.PACKED):
        fo = fulfilment.set_status(uow, fo_id, FulfilmentStatus.PACKED,
                                   f"{len(packages_for(uow, fo_id))} package(s)",
                                   {"packages": numbers})
    result = PackResult(fo, _load(uow, packages.c.batch_id == batch_id), complete, warnings)
    uow.commit()
    return result


def set_tracking_numbers(uow: UnitOfWork, numbers: dict[str, str]) -> None:
    """Carrier tracking numbers per package id (C, when booking). Does not commit."""
    for package_id, number in sorted(numbers.items()):
        changed = uow.execute(update(packages).where(packages.c.id == package_id)
                              .values(tracking_number=number)
                              .returning(packages.c.fulfilment_order_id)).first()
        if changed is None:
            raise NotFound(f"Package '{package_id}' does not exist")
        record_event(uow, "package.tracking_assigned", "fulfilment_order",
                     changed.fulfilment_order_id, {"package_id": package_id,
                                                   "tracking_number": number})


def record_external_packages(uow: UnitOfWork, fo_id: str,
                             reported: list[ExternalPackage]) -> list[str]:
    """Packages a 3PL packed and reports: stored as they are (no packaging stock is
    consumed, no SSCC is allocated; a reported SSCC must have a valid check digit).
    Does not commit."""
    fo = fulfilment.get_fulfilment_order(uow, fo_id)
    fo_id = fo.id
    by_line = {ln.line_no: ln for ln in fo.lines}
    packed = packed_units(uow, fo_id)
    totals: Counter[int] = Counter()
    for i, p in enumerate(reported):
        if p.sscc is not None and not sscc.is_valid(p.sscc):
            raise InvalidInput.for_field(f"packages.{i}.sscc",
                                         f"'{p.sscc}' is not a valid SSCC-18", "invalid_sscc")
        if p.sscc is not None and uow.execute(select(packages.c.id).where(
                packages.c.sscc == p.sscc)).first() is not None:
            raise Conflict(f"A package with SSCC {p.sscc} already exists",
                           extra={"sscc": p.sscc})
        for no, quantity in p.lines:
            if no not in by_line or quantity <= 0:
                raise InvalidInput.for_field(f"packages.{i}.lines",
                                             f"Fulfilment order {fo.number} has no line {no}"
                                             if no not in by_line else "quantity must be > 0")
            totals[no] += quantity
    for no, total in totals.items():
        if total + packed.get(no, 0) > by_line[no].open:
            raise InvalidInput.for_field("packages", f"Line {no}: {total} unit(s) reported in "
                                         f"packages but {by_line[no].open - packed.get(no, 0)} "
                                         "open", "more_than_open")
    first_seq = uow.execute(select(func.coalesce(func.max(packages.c.seq), 0))
                            .where(packages.c.fulfilment_order_id == fo_id)).scalar_one() + 1
    batch_id, now, ids = new_id("pkb"), uow.clock.now(), []
    for i, p in enumerate(reported):
        package_id = new_id("pkg")
        ids.append(package_id)
        uow.execute(insert(packages).values(
            id=package_id, fulfilment_order_id=fo_id, batch_id=batch_id, seq=first_seq + i,
            source="external", sscc=p.sscc, weight_g=p.weight_g, weight_estimated=False,
            marks=[], notes=[], warnings=[], gift_wrap=False, why="Reported by the 3PL",
            packaging_shortfall=0, tracking_number=p.tracking_number, actor=uow.actor,
            created_at=now))
        merged: Counter[int] = Counter()
        for no, q in p.lines:
            merged[no] += q
        uow.execute(insert(package_lines), [
            {"package_id": package_id, "line_no": no, "quantity": q}
            for no, q in sorted(merged.items())])
        record_event(uow, "package.created", "fulfilment_order", fo_id, {
            "package_id": package_id, "fulfilment_order_id": fo_id, "order_id": fo.order_id,
            "sscc": p.sscc, "tracking_number": p.tracking_number, "weight_g": p.weight_g,
            "lines": [{"line_no": no, "quantity": q} for no, q in sorted(merged.items())],
            "source": "external"})
    return ids
