from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from ordermesh.catalog import service
from ordermesh.catalog.model import Dimensions, Handling, Product, TaxClass
from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.http.schemas import SKU_PATTERN, MoneyIn, MoneyOut
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.pagination import MAX_PAGE_SIZE

router = APIRouter(prefix="/api/v1/products", tags=["products"])

ProductRef = Annotated[str, Path(description="The product's id or SKU",
                                 examples=["TSHIRT-BLK-M"])]


class DimensionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    length_mm: int = Field(gt=0, le=100_000)
    width_mm: int = Field(gt=0, le=100_000)
    height_mm: int = Field(gt=0, le=100_000)


class ProductCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(pattern=SKU_PATTERN, examples=["TSHIRT-BLK-M"])
    name: str = Field(min_length=1, max_length=300)
    price: MoneyIn | None = Field(None, description="List price")
    tax_class: TaxClass = TaxClass.STANDARD
    category: str | None = Field(None, min_length=1, max_length=100)
    weight_grams: int | None = Field(None, gt=0, le=10_000_000)
    dimensions: DimensionsIn | None = None
    handling: list[Handling] = Field(default_factory=list, max_length=len(Handling))
    backorderable: bool = Field(
        False, description="A shortfall may become a backorder, shipped when supply arrives "
                           "(on channels that allow backorders)")


class ProductPatch(BaseModel):
    """Only the fields sent change; `null` clears an optional field."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=300)
    category: str | None = Field(None, min_length=1, max_length=100)
    weight_grams: int | None = Field(None, gt=0, le=10_000_000)
    dimensions: DimensionsIn | None = None
    handling: list[Handling] | None = Field(None, max_length=len(Handling))
    backorderable: bool | None = None


class ProductRead(BaseModel):
    id: str
    sku: str
    name: str
    price: MoneyOut | None
    tax_class: TaxClass
    category: str | None
    weight_grams: int | None
    dimensions: DimensionsIn | None
    handling: list[Handling]
    backorderable: bool
    created_at: datetime | None

    @classmethod
    def of(cls, p: Product) -> ProductRead:
        return cls(
            id=p.id, sku=p.sku, name=p.name, price=MoneyOut.of(p.price) if p.price else None,
            tax_class=p.tax_class, category=p.category, weight_grams=p.weight_grams,
            dimensions=DimensionsIn(**vars(p.dimensions)) if p.dimensions else None,
            handling=sorted(p.handling), backorderable=p.backorderable,
            created_at=p.created_at,
        )


class ProductPage(BaseModel):
    items: list[ProductRead]
    next_cursor: str | None


@router.post("", status_code=201, summary="Create a product")
def create_product(body: ProductCreate, ctx: WriteContext) -> ProductRead:
    product = Product(
        id="", sku=body.sku, name=body.name,
        price=body.price.to_money("price.amount") if body.price else None,
        tax_class=body.tax_class, category=body.category, weight_grams=body.weight_grams,
        dimensions=Dimensions(**body.dimensions.model_dump()) if body.dimensions else None,
        handling=frozenset(body.handling), backorderable=body.backorderable,
    )
    idem = ctx.idempotency(body)
    return ProductRead.of(ctx.run(lambda uow: service.create_product(uow, product, idem)))


@router.get("", summary="List products, ordered by SKU")
def list_products(
    ctx: ReadContext,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=100)] = None,
    sku: Annotated[str | None, Query(max_length=64, description="Only the product with "
                                     "this SKU (an empty page when there is none)")] = None,
) -> ProductPage:
    with ctx.read_uow() as uow:
        page = service.list_products(uow, limit=limit, cursor=cursor, category=category,
                                     sku=sku)
    return ProductPage(items=[ProductRead.of(p) for p in page.items], next_cursor=page.next_cursor)


@router.get("/{product_id}", summary="Get a product by id or SKU",
            responses={404: {"description": "No product with that id or SKU"}})
def get_product(product_id: ProductRef, ctx: ReadContext) -> ProductRead:
    with ctx.read_uow() as uow:
        return ProductRead.of(service.find_product(uow, product_id))


@router.patch("/{product_id}", summary="Change a product (by id or SKU)",
              responses={404: {"description": "No product with that id or SKU"},
                         422: {"description": "Invalid input; nothing was changed"}})
def update_product(product_id: ProductRef, body: ProductPatch, ctx: WriteContext) -> ProductRead:
    """Only the fields sent change. `name` and `backorderable` cannot be `null`."""
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    for name in ("name", "backorderable", "handling"):
        if name in changes and changes[name] is None:
            raise InvalidInput.for_field(name, f"{name} cannot be null")
    if changes.get("dimensions") is not None:
        changes["dimensions"] = Dimensions(**body.dimensions.model_dump())
    if changes.get("handling") is not None:
        changes["handling"] = frozenset(changes["handling"])
    return ProductRead.of(ctx.run(lambda uow: service.update_product(
        uow, service.find_product(uow, product_id).id, changes)))
