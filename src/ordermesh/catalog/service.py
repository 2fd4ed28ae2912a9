from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update

from ordermesh.catalog.model import Dimensions, Handling, Product, TaxClass
from ordermesh.catalog.tables import products
from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, FieldError, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.lookup import row_by_id_or_key
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import record_event
from ordermesh.kit.pagination import Page, decode_cursor, encode_cursor
from ordermesh.kit.upsert import insert_ignore_returning


@dataclass(frozen=True)
class ProductRef:
    """The little a hot path needs to know about a product."""

    id: str
    sku: str
    name: str
    tax_class: str = "standard"
    price: Money | None = None  # the product's own list price, when it has one


_BY_SKUS = select(products.c.id, products.c.sku, products.c.name, products.c.tax_class,
                  products.c.price_amount, products.c.price_currency).where(
    products.c.sku.in_(bindparam("skus", expanding=True)))


def _to_product(row) -> Product:
    dims = (Dimensions(row.length_mm, row.width_mm, row.height_mm)
            if row.length_mm is not None else None)
    price = (Money.of(row.price_amount, row.price_currency)
             if row.price_amount is not None else None)
    return Product(
        id=row.id, sku=row.sku, name=row.name, price=price, tax_class=TaxClass(row.tax_class),
        category=row.category, weight_grams=row.weight_grams, dimensions=dims,
        handling=frozenset(Handling(h) for h in row.handling),
        created_at=as_utc(row.created_at), backorderable=bool(row.backorderable),
    )


def create_product(
    uow: UnitOfWork, product: Product, idem: idempotency.IdempotencyKey | None = None
) -> Product:
    """Assigns ``id`` and ``created_at``."""
    if prior := idempotency.claim(uow, idem):
        return get_product(uow, prior.resource_id)
    product_id = new_id("prd")
    dims = product.dimensions
    inserted = insert_ignore_returning(uow, products, ("sku",), "id", dict(
        id=product_id, sku=product.sku, name=product.name,
        price_amount=product.price.amount if product.price else None,
        price_currency=product.price.currency if product.price else None,
        tax_class=product.tax_class.value, category=product.category,
        weight_grams=product.weight_grams,
        length_mm=dims.length_mm if dims else None,
        width_mm=dims.width_mm if dims else None,
        height_mm=dims.height_mm if dims else None,
        handling=sorted(h.value for h in product.handling),
        created_at=uow.clock.now(), backorderable=product.backorderable,
    ))
    if inserted is None:
        raise Conflict(f"A product with SKU '{product.sku}' already exists")
    record_event(uow, "product.created", "product", product_id, {"sku": product.sku})
    idempotency.complete(uow, idem, "product", product_id, 201)
    created = get_product(uow, product_id)
    uow.commit()
    return created


# What ``update_product`` may change: the product's fields, keyed by their names.
UPDATABLE = frozenset({"name", "category", "weight_grams", "dimensions", "handling",
                       "backorderable"})


def update_product(uow: UnitOfWork, product_id: str, changes: dict) -> Product:
    """Change some fields of a product (``UPDATABLE`` keys, values as on ``Product``);
    orders already placed keep what they were placed with. Commits."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(sorted(unknown))}", errors=[
            FieldError(name, "cannot be changed", "not_updatable") for name in sorted(unknown)])
    current = get_product(uow, product_id)
    values: dict = {}
    for name, value in changes.items():
        if name == "dimensions":
            values.update(length_mm=value.length_mm if value else None,
                          width_mm=value.width_mm if value else None,
                          height_mm=value.height_mm if value else None)
        elif name == "handling":
            values["handling"] = sorted(h.value for h in value)
        else:
            values[name] = value
    if not values:
        return current
    uow.execute(update(products).where(products.c.id == product_id).values(**values))
    record_event(uow, "product.updated", "product", product_id, {
        "sku": current.sku, "changed": sorted(changes),
        **{k: v for k, v in values.items() if k not in ("length_mm", "width_mm", "height_mm")},
        **({"dimensions": vars(changes["dimensions"]) if changes["dimensions"] else None}
           if "dimensions" in changes else {})})
    updated = get_product(uow, product_id)
    uow.commit()
    return updated


def get_product(uow: UnitOfWork, product_id: str) -> Product:
    row = uow.execute(select(products).where(products.c.id == product_id)).first()
    if row is None:
        raise NotFound(f"Product '{product_id}' does not exist")
    return _to_product(row)


def find_product(uow: UnitOfWork, ref: str) -> Product:
    """A product by id or SKU: how the API addresses products everywhere."""
    row = row_by_id_or_key(uow, products, products.c.sku, ref)
    if row is None:
        raise NotFound(f"No product with id or SKU '{ref}'")
    return _to_product(row)


def get_product_by_sku(uow: UnitOfWork, sku: str) -> Product:
    row = uow.execute(select(products).where(products.c.sku == sku)).first()
    if row is None:
        raise NotFound(f"No product with SKU '{sku}'")
    return _to_product(row)


def check_known_skus(skus: list[str], found: Iterable[str], fields: list[str]) -> None:
    """Unknown SKUs are bad input, each named by its field (``fields[i]``)."""
    known = set(found)
    missing = [s for s in skus if s not in known]
    if missing:
        raise InvalidInput(
            "Unknown SKU: " + ", ".join(dict.fromkeys(missing)),
            errors=[FieldError(fields[i], f"Unknown SKU '{s}'", "unknown_sku")
                    for i, s in enumerate(skus) if s not in known],
        )


def resolve_skus(
    uow: UnitOfWork, skus: list[str], fields: list[str] | None = None
) -> dict[str, ProductRef]:
    """Map SKUs to products in one query; unknown SKUs are bad input, each named by its
    field (``fields[i]``, by default ``lines.{i}.sku``)."""
    fields = fields or [f"lines.{i}.sku" for i in range(len(skus))]
    found = find_skus(uow, skus)
    check_known_skus(skus, found, fields)
    return found


def find_skus(uow: UnitOfWork, skus: Iterable[str]) -> dict[str, ProductRef]:
    """The products of the known ones of ``skus``, in one query (unknown ones are left
    out: for callers that check them later, such as a batch of orders)."""
    rows = uow.execute(_BY_SKUS, {"skus": sorted(set(skus))})
    return {r.sku: ProductRef(r.id, r.sku, r.name, r.tax_class,
                              Money.of(r.price_amount, r.price_currency)
                              if r.price_amount is not None else None)
            for r in rows}


def list_products(
    uow: UnitOfWork, *, limit: int = 50, cursor: str | None = None, category: str | None = None,
    sku: str | None = None,
) -> Page[Product]:
    """Ordered by SKU; the cursor is the position after the last SKU returned."""
    after = decode_cursor(cursor)
    query = select(products).order_by(products.c.sku)
    # SKUs are text, so the cursor carries a row offset rather than a key.
    offset = after or 0
    if category:
        query = query.where(products.c.category == category)
    if sku is not None:
        query = query.where(products.c.sku == sku)
    rows = list(uow.execute(query.offset(offset).limit(limit + 1)))
    next_cursor = encode_cursor(offset + limit) if len(rows) > limit else None
    return Page([_to_product(r) for r in rows[:limit]], next_cursor)
