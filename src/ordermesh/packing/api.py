"""Packing: packaging catalogue and stock, packages, SSCC numbering, labels and slips."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from ordermesh.fulfilment.service import get_fulfilment_order
from ordermesh.http.deps import AdminContext, ReadContext, WriteContext
from ordermesh.packing import catalogue, printing, service, sscc
from ordermesh.packing.model import PackagingType
from ordermesh.packing.schemas import (
    HazmatMarkIn,
    LineQuantity,
    PackageList,
    PackageOut,
    PackagingTypeIn,
    PackagingTypeList,
    PackagingTypeOut,
    PackagingTypePatch,
    PackIn,
    PackOut,
    ProposalOut,
    ProposedPackageOut,
    SsccSettingsIn,
    SsccSettingsOut,
)

router = APIRouter(prefix="/api/v1", tags=["packing"])
PDF = {200: {"content": {"application/pdf": {}}, "description": "The PDF"}}


@router.post("/packaging-types", status_code=201, summary="Add a packaging type")
def create_packaging_type(body: PackagingTypeIn, ctx: AdminContext) -> PackagingTypeOut:
    t = PackagingType(
        code=body.code, name=body.name, length_mm=body.length_mm, width_mm=body.width_mm,
        height_mm=body.height_mm, max_weight_g=body.max_weight_g,
        own_weight_g=body.own_weight_g, cost=body.cost.to_money("cost.amount"),
        handling=frozenset(body.handling), gift_wrap=body.gift_wrap,
        material_sku=body.material_sku, active=body.active)
    idem = ctx.idempotency(body)
    return PackagingTypeOut.of(ctx.run(lambda uow: catalogue.create_packaging_type(uow, t, idem)))


@router.get("/packaging-types", summary="The packaging catalogue")
def list_packaging_types(ctx: ReadContext, active: bool = False) -> PackagingTypeList:
    with ctx.read_uow() as uow:
        return PackagingTypeList(items=[PackagingTypeOut.of(t) for t in
                                        catalogue.list_packaging_types(uow, active_only=active)])


@router.get("/packaging-types/{ref}", summary="A packaging type, by id or code")
def get_packaging_type(ref: str, ctx: ReadContext) -> PackagingTypeOut:
    with ctx.read_uow() as uow:
        return PackagingTypeOut.of(catalogue.get_packaging_type(uow, ref))


@router.patch("/packaging-types/{ref}", summary="Change a packaging type (or deactivate it)")
def update_packaging_type(ref: str, body: PackagingTypePatch,
                          ctx: AdminContext) -> PackagingTypeOut:
    fields = body.model_dump(exclude_unset=True)
    changes = catalogue.PackagingChanges(
        **{k: v for k, v in fields.items() if k not in ("cost", "handling", "material_sku")},
        cost=body.cost.to_money("cost.amount") if body.cost else None,
        handling=frozenset(body.handling) if body.handling is not None else None,
        material_sku=body.material_sku or None,
        clear_material_sku="material_sku" in fields and not body.material_sku)
    return PackagingTypeOut.of(ctx.run(
        lambda uow: catalogue.update_packaging_type(uow, ref, changes)))


@router.put("/hazmat-marks/{sku}", status_code=204,
            summary="The hazmat mark text a product's packages carry")
def set_hazmat_mark(sku: str, body: HazmatMarkIn, ctx: AdminContext) -> Response:
    ctx.run(lambda uow: catalogue.set_hazmat_mark(uow, sku, body.mark))
    return Response(status_code=204)


@router.get("/fulfilment-orders/{fo_id}/packing-proposal",
            summary="Packages proposed for what was picked and not yet packed")
def packing_proposal(fo_id: str, ctx: ReadContext,
                     gift_wrap: bool = Query(False, description="Gift-wrap capable "
                                             "packaging where possible")) -> ProposalOut:
    with ctx.read_uow() as uow:
        fo, units, proposal = service.proposal_for(uow, fo_id, gift_wrap)
    return ProposalOut(
        fulfilment_order_id=fo.id, fulfilment_order_number=fo.number,
        units_to_pack=[LineQuantity(line_no=no, quantity=q) for no, q in sorted(units.items())],
        packages=[ProposedPackageOut.of(p) for p in proposal.packages],
        warnings=list(proposal.warnings))


@router.post("/fulfilment-orders/{fo_id}/packages", status_code=201,
             summary="Pack: the proposal, or the packer's own packages")
def pack(fo_id: str, body: PackIn, ctx: WriteContext) -> PackOut:
    """Each package gets an SSCC; packaging with a material SKU is taken from the
    location's stock (not enough: 409 unless `allow_packaging_shortage`). More units than
    picked and not yet packed: 422, nothing changes. When every picked unit is packed the
    fulfilment order becomes `packed`."""
    req = service.PackRequest(
        packages=None if body.packages is None else [
            service.PackSpec(p.packaging_code, _merge(p.lines)) for p in body.packages],
        gift_wrap=body.gift_wrap, allow_packaging_shortage=body.allow_packaging_shortage)
    idem = ctx.idempotency(body)
    return PackOut.of(ctx.run(lambda uow: service.pack(uow, fo_id, req, idem)))


def _merge(lines: list[LineQuantity]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for ln in lines:
        merged[ln.line_no] = merged.get(ln.line_no, 0) + ln.quantity
    return merged


@router.get("/fulfilment-orders/{fo_id}/packages", summary="A fulfilment order's packages")
def list_packages(fo_id: str, ctx: ReadContext) -> PackageList:
    with ctx.read_uow() as uow:
        fo = get_fulfilment_order(uow, fo_id)
        return PackageList(items=[PackageOut.of(p) for p in service.packages_for(uow, fo.id)])


@router.get("/packages/{package_id}", summary="A package")
def get_package(package_id: str, ctx: ReadContext) -> PackageOut:
    with ctx.read_uow() as uow:
        return PackageOut.of(service.get_package(uow, package_id))


@router.get("/packages/{package_id}/label.pdf", summary="The 4x6 in shipping label",
            response_class=Response, responses=PDF)
def label(package_id: str, ctx: ReadContext) -> Response:
    with ctx.read_uow() as uow:
        name, pdf = printing.label_pdf(uow, package_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.get("/fulfilment-orders/{fo_id}/packing-slip.pdf", summary="The packing slip",
            response_class=Response, responses=PDF)
def packing_slip(fo_id: str, ctx: ReadContext) -> Response:
    with ctx.read_uow() as uow:
        name, pdf = printing.packing_slip_pdf(uow, fo_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@router.get("/sscc-settings", summary="SSCC numbering: prefix, extension digit, serials left")
def get_sscc_settings(ctx: AdminContext) -> SsccSettingsOut:
    with ctx.read_uow() as uow:
        return SsccSettingsOut.of(sscc.get_settings(uow))


@router.put("/sscc-settings", summary="Set the GS1 company prefix and extension digit")
def put_sscc_settings(body: SsccSettingsIn, ctx: AdminContext) -> SsccSettingsOut:
    return SsccSettingsOut.of(ctx.run(lambda uow: sscc.put_settings(
        uow, body.extension_digit, body.company_prefix, body.next_serial, body.serial_limit)))
