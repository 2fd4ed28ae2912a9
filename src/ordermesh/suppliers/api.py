"""Supplier master and the terms on which suppliers sell products."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.http.schemas import SKU_PATTERN
from ordermesh.kit.pagination import MAX_PAGE_SIZE
from ordermesh.suppliers import service
from ordermesh.suppliers.model import Supplier, SupplierKind, SupplierStatus
from ordermesh.suppliers.schemas import (
    SupplierCreate,
    SupplierPage,
    SupplierPatch,
    SupplierProductIn,
    SupplierProductRead,
    SupplierRead,
    convert,
)

router = APIRouter(prefix="/api/v1/suppliers", tags=["suppliers"])

SupplierRef = Annotated[str, Path(description="The supplier's id or code",
                                  examples=["LINEN-CO"])]
Sku = Annotated[str, Path(pattern=SKU_PATTERN)]


def _problems(by_status: dict[int, str]) -> dict[int | str, dict]:
    return {status: {"description": text} for status, text in by_status.items()}


def _read(s: Supplier, ctx) -> SupplierRead:
    return SupplierRead.of(s, ctx.container.clock.now().date())


@router.post("", status_code=201, summary="Create a supplier",
             responses=_problems({409: "A supplier with this code exists"}))
def create_supplier(body: SupplierCreate, ctx: WriteContext) -> SupplierRead:
    """A supplier of goods, packaging, 3PL, carrier or other services, with its
    contacts, addresses, currency, payment terms, incoterm, lead time, minimum order,
    searchable tags and certifications. Writes `supplier.created`."""
    values = convert(body.model_dump(exclude={"minimum_order", "contacts", "addresses",
                                              "certifications"})
                     | {"minimum_order": body.minimum_order, "contacts": body.contacts,
                        "addresses": body.addresses, "certifications": body.certifications})
    epoch = datetime.min
    new = Supplier(id="", created_at=epoch, updated_at=epoch, **values)
    idem = ctx.idempotency(body)
    return _read(ctx.run(lambda uow: service.create_supplier(uow, new, idem)), ctx)


@router.get("", summary="Search suppliers")
def list_suppliers(
    ctx: ReadContext,
    tag: Annotated[str | None, Query(max_length=60, description="Has this tag")] = None,
    sku: Annotated[str | None, Query(max_length=64, description="Sells this SKU")] = None,
    country: Annotated[str | None, Query(min_length=2, max_length=2,
                                         description="First address in this country")] = None,
    status: SupplierStatus | None = None,
    kind: SupplierKind | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> SupplierPage:
    """Ordered by code. Filters combine: `?tag=organic-cotton&country=PT`."""
    flt = service.SupplierFilter(tag, sku, country, status, kind)
    with ctx.read_uow() as uow:
        page = service.list_suppliers(uow, flt, limit=limit, cursor=cursor)
    return SupplierPage(items=[_read(s, ctx) for s in page.items], next_cursor=page.next_cursor)


@router.get("/{supplier_id}", summary="Get a supplier",
            responses=_problems({404: "No such supplier"}))
def get_supplier(supplier_id: SupplierRef, ctx: ReadContext) -> SupplierRead:
    with ctx.read_uow() as uow:
        return _read(service.find_supplier(uow, supplier_id), ctx)


@router.patch("/{supplier_id}", summary="Change a supplier, or block it",
              responses=_problems({404: "No such supplier"}))
def update_supplier(supplier_id: SupplierRef, body: SupplierPatch,
                    ctx: WriteContext) -> SupplierRead:
    """Only the fields sent change. `status: blocked` stops new purchase orders to the
    supplier, `on_hold` stops sending them. Writes `supplier.changed` when something
    changed."""
    changes = body.changes()
    return _read(ctx.run(lambda uow: service.update_supplier(uow, supplier_id, changes)), ctx)


@router.put("/{supplier_id}/products/{sku}", summary="Set the terms for one product",
            responses=_problems({404: "No such supplier",
                                 422: "Unknown SKU, or a price in another currency"}))
def set_supplier_product(supplier_id: SupplierRef, sku: Sku, body: SupplierProductIn,
                         ctx: WriteContext) -> SupplierProductRead:
    """The supplier's SKU, pack size, minimum order quantity, promised lead time and
    unit costs (quantity breaks with validity periods, in the supplier's currency) for
    one of our products; `preferred` makes it the product's preferred supplier. Writes
    `supplier.changed`."""
    offer = body.to_offer(sku)
    return SupplierProductRead.of(ctx.run(
        lambda uow: service.set_supplier_product(uow, supplier_id, offer)))


@router.get("/{supplier_id}/products", summary="The products a supplier sells us",
            responses=_problems({404: "No such supplier"}))
def list_supplier_products(supplier_id: SupplierRef,
                           ctx: ReadContext) -> list[SupplierProductRead]:
    with ctx.read_uow() as uow:
        return [SupplierProductRead.of(o) for o in service.products_of(uow, supplier_id)]
