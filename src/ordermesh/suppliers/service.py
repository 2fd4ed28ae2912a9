"""Supplier master: create, change, find and search suppliers (by tag, product and
country), and the terms on which a supplier sells each product."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date

from sqlalchemy import delete, insert, select, update

from ordermesh.catalog.service import resolve_skus
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
from ordermesh.suppliers.model import (
    LINKED_KIND,
    Address,
    Certification,
    Contact,
    PriceBreak,
    Supplier,
    SupplierKind,
    SupplierProduct,
    SupplierStatus,
    check_prices,
    normal_tags,
)
from ordermesh.suppliers.tables import (
    supplier_carriers,
    supplier_locations,
    supplier_products,
    supplier_tags,
    suppliers,
)


@dataclass(frozen=True)
class SupplierFilter:
    tag: str | None = None
    sku: str | None = None
    country: str | None = None
    status: SupplierStatus | None = None
    kind: SupplierKind | None = None


def _json_contacts(values) -> list[dict]:
    return [{k: v for k, v in asdict(c).items() if v is not None} for c in values]


def _json_certs(values: tuple[Certification, ...]) -> list[dict]:
    return [{"name": c.name, "expires_on": c.expires_on.isoformat() if c.expires_on else None}
            for c in values]


def _to_supplier(row, tags: tuple[str, ...]) -> Supplier:
    return Supplier(
        id=row.id, code=row.code, name=row.name, kind=SupplierKind(row.kind),
        status=SupplierStatus(row.status), currency=row.currency,
        payment_terms=row.payment_terms, incoterm=row.incoterm,
        lead_time_days=row.lead_time_days,
        lead_time_variability_days=row.lead_time_variability_days,
        minimum_order=(Money.of(row.minimum_order_amount, row.currency)
                       if row.minimum_order_amount is not None else None),
        tags=tags, contacts=tuple(Contact(**c) for c in row.contacts),
        addresses=tuple(Address(**a) for a in row.addresses),
        certifications=tuple(Certification(c["name"], date.fromisoformat(c["expires_on"])
                                           if c.get("expires_on") else None)
                             for c in row.certifications),
        terms=row.terms, created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at))


def _tags_of(uow: UnitOfWork, ids: list[str]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {i: [] for i in ids}
    if ids:
        for r in uow.execute(select(supplier_tags).where(supplier_tags.c.supplier_id.in_(ids))
                             .order_by(supplier_tags.c.tag)):
            found[r.supplier_id].append(r.tag)
    return {i: tuple(t) for i, t in found.items()}


def _columns(s: Supplier) -> dict:
    return dict(
        code=s.code, name=s.name, kind=s.kind.value, status=s.status.value,
        currency=s.currency, payment_terms=s.payment_terms, incoterm=s.incoterm,
        lead_time_days=s.lead_time_days,
        lead_time_variability_days=s.lead_time_variability_days,
        minimum_order_amount=s.minimum_order.amount if s.minimum_order else None,
        country=s.country, contacts=_json_contacts(s.contacts),
        addresses=_json_contacts(s.addresses), certifications=_json_certs(s.certifications),
        terms=s.terms)


def _check(s: Supplier) -> None:
    if s.minimum_order is not None:
        if s.minimum_order.currency != s.currency:
            raise InvalidInput.for_field(
                "minimum_order.currency", f"the minimum order is in {s.minimum_order.currency}"
                f", the supplier's currency is {s.currency}", "currency_mismatch")
        if s.minimum_order.is_negative():
            raise InvalidInput.for_field("minimum_order.amount",
                                         "a minimum order cannot be negative")


def _set_tags(uow: UnitOfWork, supplier_id: str, tags: tuple[str, ...]) -> None:
    uow.execute(delete(supplier_tags).where(supplier_tags.c.supplier_id == supplier_id))
    if tags:
        uow.execute(insert(supplier_tags), [{"supplier_id": supplier_id, "tag": t}
                                            for t in tags])


def create_supplier(uow: UnitOfWork, new: Supplier,
                    idem: idempotency.IdempotencyKey | None = None) -> Supplier:
    """``new`` without id and times (they are assigned). Commits."""
    if prior := idempotency.claim(uow, idem):
        return get_supplier(uow, prior.resource_id)
    _check(new)
    supplier_id, now = new_id("spl"), uow.clock.now()
    inserted = insert_ignore_returning(uow, suppliers, ("code",), "id", dict(
        id=supplier_id, created_at=now, updated_at=now, **_columns(new)))
    if inserted is None:
        raise Conflict(f"A supplier with code '{new.code}' already exists")
    tags = normal_tags(list(new.tags))
    _set_tags(uow, supplier_id, tags)
    record_event(uow, "supplier.created", "supplier", supplier_id, {
        "code": new.code, "name": new.name, "kind": new.kind.value,
        "status": new.status.value, "currency": new.currency, "tags": list(tags)})
    idempotency.complete(uow, idem, "supplier", supplier_id, 201)
    created = get_supplier(uow, supplier_id)
    uow.commit()
    return created


UPDATABLE = frozenset({"name", "kind", "status", "currency", "payment_terms", "incoterm",
                       "lead_time_days", "lead_time_variability_days", "minimum_order",
                       "tags", "contacts", "addresses", "certifications", "terms"})


def update_supplier(uow: UnitOfWork, ref: str, changes: dict) -> Supplier:
    """Change some fields (``UPDATABLE`` keys, values as on ``Supplier``); blocking is
    ``status: blocked``. Commits; nothing is written when nothing changes."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(sorted(unknown))}", errors=[
            FieldError(name, "cannot be changed", "not_updatable") for name in sorted(unknown)])
    current = find_supplier(uow, ref, for_update=True)
    if "tags" in changes:
        changes = {**changes, "tags": normal_tags(list(changes["tags"]))}
    changed = sorted(k for k, v in changes.items() if getattr(current, k) != v)
    if not changed:
        return current
    new = replace(current, **changes)
    _check(new)
    if "kind" in changed:
        _check_links_kept(uow, new)
    uow.execute(update(suppliers).where(suppliers.c.id == current.id)
                .values(updated_at=uow.clock.now(), **_columns(new)))
    if "tags" in changed:
        _set_tags(uow, current.id, new.tags)
    payload: dict = {"code": current.code, "changed": changed}
    if "status" in changed:
        payload.update(status=new.status.value, previous_status=current.status.value)
    record_event(uow, "supplier.changed", "supplier", current.id, payload)
    updated = get_supplier(uow, current.id)
    uow.commit()
    return updated


def _check_links_kept(uow: UnitOfWork, new: Supplier) -> None:
    """A supplier standing behind carrier accounts or locations (suppliers/links.py)
    keeps the one kind that may."""
    for field, table in (("carrier_accounts", supplier_carriers),
                         ("locations", supplier_locations)):
        held = uow.execute(select(table.c.supplier_id).where(
            table.c.supplier_id == new.id).limit(1)).first()
        if held and new.kind is not LINKED_KIND[field]:
            raise Conflict(f"{new.code} stands behind {field.replace('_', ' ')}: it stays "
                           f"of kind {LINKED_KIND[field].value} until they are unlinked "
                           f"(PUT /api/v1/suppliers/{new.code}/links)",
                           extra={"kind": LINKED_KIND[field].value})


def get_supplier(uow: UnitOfWork, supplier_id: str) -> Supplier:
    row = uow.execute(select(suppliers).where(suppliers.c.id == supplier_id)).first()
    if row is None:
        raise NotFound(f"Supplier '{supplier_id}' does not exist")
    return _to_supplier(row, _tags_of(uow, [row.id])[row.id])


def find_supplier(uow: UnitOfWork, ref: str, *, for_update: bool = False) -> Supplier:
    """A supplier by id or code."""
    row = row_by_id_or_key(uow, suppliers, suppliers.c.code, ref)
    if row is None:
        raise NotFound(f"No supplier with id or code '{ref}'")
    if for_update:
        row = uow.execute(select(suppliers).where(suppliers.c.id == row.id)
                          .with_for_update()).one()
    return _to_supplier(row, _tags_of(uow, [row.id])[row.id])


def suppliers_by_ids(uow: UnitOfWork, ids: set[str]) -> dict[str, Supplier]:
    rows = list(uow.execute(select(suppliers).where(suppliers.c.id.in_(sorted(ids)))))
    tags = _tags_of(uow, [r.id for r in rows])
    return {r.id: _to_supplier(r, tags[r.id]) for r in rows}


def list_suppliers(uow: UnitOfWork, flt: SupplierFilter, *, limit: int = 50,
                   cursor: str | None = None) -> Page[Supplier]:
    """Ordered by code; the cursor carries a row offset."""
    offset = decode_cursor(cursor) or 0
    query = select(suppliers).order_by(suppliers.c.code)
    if flt.tag:
        query = query.where(suppliers.c.id.in_(select(supplier_tags.c.supplier_id).where(
            supplier_tags.c.tag == flt.tag.strip().lower())))
    if flt.sku:
        query = query.where(suppliers.c.id.in_(
            select(supplier_products.c.supplier_id).join(
                products, products.c.id == supplier_products.c.product_id)
            .where(products.c.sku == flt.sku)))
    if flt.country:
        query = query.where(suppliers.c.country == flt.country.upper())
    if flt.status:
        query = query.where(suppliers.c.status == flt.status.value)
    if flt.kind:
        query = query.where(suppliers.c.kind == flt.kind.value)
    rows = list(uow.execute(query.offset(offset).limit(limit + 1)))
    tags = _tags_of(uow, [r.id for r in rows[:limit]])
    next_cursor = encode_cursor(offset + limit) if len(rows) > limit else None
    return Page([_to_supplier(r, tags[r.id]) for r in rows[:limit]], next_cursor)


# -- supplier products -------------------------------------------------------------------


_OFFERS = select(supplier_products, products.c.sku).join(
    products, products.c.id == supplier_products.c.product_id)


def _prices_json(prices: tuple[PriceBreak, ...]) -> list[dict]:
    return [{"amount": str(p.cost.amount), "currency": p.cost.currency,
             "min_quantity": p.min_quantity,
             "valid_from": p.valid_from.isoformat() if p.valid_from else None,
             "valid_to": p.valid_to.isoformat() if p.valid_to else None} for p in prices]


def _to_offer(row) -> SupplierProduct:
    def day(v: str | None) -> date | None:
        return date.fromisoformat(v) if v else None

    return SupplierProduct(
        supplier_id=row.supplier_id, product_id=row.product_id, sku=row.sku,
        supplier_sku=row.supplier_sku, pack_size=row.pack_size, moq=row.moq,
        lead_time_days=row.lead_time_days, preferred=bool(row.preferred),
        prices=tuple(PriceBreak(Money.of(p["amount"], p["currency"]), p["min_quantity"],
                                day(p["valid_from"]), day(p["valid_to"])) for p in row.prices),
        updated_at=as_utc(row.updated_at))


def set_supplier_product(uow: UnitOfWork, supplier_ref: str, offer: SupplierProduct
                         ) -> SupplierProduct:
    """Create or replace the terms on which a supplier sells a product. ``preferred``
    makes this supplier the product's one preferred supplier (any other loses it).
    Prices must be in the supplier's currency. Commits."""
    supplier = find_supplier(uow, supplier_ref, for_update=True)
    product = resolve_skus(uow, [offer.sku], ["sku"])[offer.sku]
    check_prices(list(offer.prices))
    for i, p in enumerate(offer.prices):
        if p.cost.currency != supplier.currency:
            raise InvalidInput.for_field(
                f"prices.{i}.cost.currency", f"{supplier.code} sells in {supplier.currency}, "
                f"not {p.cost.currency}", "currency_mismatch")
    sp, now = supplier_products.c, uow.clock.now()
    values = dict(supplier_sku=offer.supplier_sku, pack_size=offer.pack_size, moq=offer.moq,
                  lead_time_days=offer.lead_time_days, preferred=offer.preferred,
                  prices=_prices_json(offer.prices), updated_at=now)
    if offer.preferred:
        uow.execute(update(supplier_products).where(
            sp.product_id == product.id, sp.supplier_id != supplier.id, sp.preferred)
            .values(preferred=False, updated_at=now))
    changed = uow.execute(update(supplier_products).where(
        sp.supplier_id == supplier.id, sp.product_id == product.id).values(**values)).rowcount
    if not changed:
        uow.execute(insert(supplier_products).values(
            id=new_id("spp"), supplier_id=supplier.id, product_id=product.id, created_at=now,
            **values))
    record_event(uow, "supplier.changed", "supplier", supplier.id, {
        "code": supplier.code, "changed": ["products"], "sku": offer.sku,
        "preferred": offer.preferred, "prices": _prices_json(offer.prices)})
    result = supplier_product(uow, supplier.id, product.id)
    uow.commit()
    return result


def supplier_product(uow: UnitOfWork, supplier_id: str, product_id: str) -> SupplierProduct:
    row = uow.execute(_OFFERS.where(supplier_products.c.supplier_id == supplier_id,
                                    supplier_products.c.product_id == product_id)).first()
    if row is None:
        raise NotFound(f"Supplier '{supplier_id}' has no terms for product '{product_id}'")
    return _to_offer(row)


def supplier_product_or_none(uow: UnitOfWork, supplier_id: str, product_id: str
                             ) -> SupplierProduct | None:
    row = uow.execute(_OFFERS.where(supplier_products.c.supplier_id == supplier_id,
                                    supplier_products.c.product_id == product_id)).first()
    return _to_offer(row) if row else None


def products_of(uow: UnitOfWork, supplier_ref: str) -> list[SupplierProduct]:
    supplier = find_supplier(uow, supplier_ref)
    return [_to_offer(r) for r in uow.execute(
        _OFFERS.where(supplier_products.c.supplier_id == supplier.id).order_by(products.c.sku))]


def offers_for_product(uow: UnitOfWork, product_id: str) -> list[SupplierProduct]:
    """Every supplier's terms for one product, the preferred supplier first."""
    return [_to_offer(r) for r in uow.execute(
        _OFFERS.where(supplier_products.c.product_id == product_id)
        .order_by(supplier_products.c.preferred.desc(), supplier_products.c.supplier_id))]
