"""The packaging catalogue (boxes, mailers, insulated shippers...) and hazmat marks."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import bindparam, select, update

from ordermesh.catalog.service import get_product_by_sku
from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.money import Money
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_ignore_returning, upsert
from ordermesh.packing.model import PackagingHandling, PackagingType
from ordermesh.packing.tables import hazmat_marks, packaging_types


def _to_type(row) -> PackagingType:
    return PackagingType(
        id=row.id, code=row.code, name=row.name, length_mm=row.length_mm,
        width_mm=row.width_mm, height_mm=row.height_mm, max_weight_g=row.max_weight_g,
        own_weight_g=row.own_weight_g, cost=Money.of(row.cost_amount, row.cost_currency),
        handling=frozenset(PackagingHandling(h) for h in row.handling),
        gift_wrap=row.gift_wrap, material_sku=row.material_sku, active=row.active,
        created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at))


def _check(uow: UnitOfWork, t: PackagingType) -> None:
    if t.max_weight_g <= t.own_weight_g:
        raise InvalidInput.for_field("max_weight_g",
                                     "must be more than the packaging's own weight")
    if t.material_sku is not None:
        try:
            get_product_by_sku(uow, t.material_sku)
        except NotFound:
            raise InvalidInput.for_field(
                "material_sku", f"Unknown SKU '{t.material_sku}': create the packaging "
                "material as a product first", "unknown_sku") from None


def _values(t: PackagingType) -> dict:
    return {"code": t.code, "name": t.name, "length_mm": t.length_mm, "width_mm": t.width_mm,
            "height_mm": t.height_mm, "max_weight_g": t.max_weight_g,
            "own_weight_g": t.own_weight_g, "cost_amount": t.cost.amount,
            "cost_currency": t.cost.currency, "handling": sorted(h.value for h in t.handling),
            "gift_wrap": t.gift_wrap, "material_sku": t.material_sku, "active": t.active}


def _payload(t: PackagingType) -> dict:
    values = _values(t)
    values["cost_amount"] = str(t.cost.amount)
    return values


def create_packaging_type(uow: UnitOfWork, t: PackagingType,
                          idem: idempotency.IdempotencyKey | None = None) -> PackagingType:
    type_id = new_id("pkt")
    if prior := idempotency.claim(uow, idem, idempotency.PriorResult("packaging_type",
                                                                       type_id, 201)):
        return get_packaging_type(uow, prior.resource_id)
    _check(uow, t)
    now = uow.clock.now()
    inserted = insert_ignore_returning(uow, packaging_types, ("code",), "id", {
        "id": type_id, **_values(t), "created_at": now, "updated_at": now})
    if inserted is None:
        raise Conflict(f"A packaging type with code '{t.code}' already exists")
    created = get_packaging_type(uow, type_id)
    record_event(uow, "packaging_type.created", "packaging_type", type_id, _payload(created))
    uow.commit()
    return created


def get_packaging_type(uow: UnitOfWork, ref: str) -> PackagingType:
    """By id or by code."""
    c = packaging_types.c
    row = uow.execute(select(packaging_types).where((c.id == ref) | (c.code == ref))).first()
    if row is None:
        raise NotFound(f"Packaging type '{ref}' does not exist")
    return _to_type(row)


def list_packaging_types(uow: UnitOfWork, *, active_only: bool = False) -> list[PackagingType]:
    query = select(packaging_types).order_by(packaging_types.c.code)
    if active_only:
        query = query.where(packaging_types.c.active.is_(True))
    return [_to_type(r) for r in uow.execute(query)]


@dataclass(frozen=True)
class PackagingChanges:
    """Fields a PATCH sets; None leaves a field as it is (``material_sku``: ``clear``)."""

    name: str | None = None
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
    max_weight_g: int | None = None
    own_weight_g: int | None = None
    cost: Money | None = None
    handling: frozenset[PackagingHandling] | None = None
    gift_wrap: bool | None = None
    material_sku: str | None = None
    clear_material_sku: bool = False
    active: bool | None = None


def update_packaging_type(uow: UnitOfWork, ref: str, ch: PackagingChanges) -> PackagingType:
    current = get_packaging_type(uow, ref)
    changes = {k: v for k, v in vars(ch).items()
               if v is not None and k != "clear_material_sku"}
    if ch.clear_material_sku:
        changes["material_sku"] = None
    changed = replace(current, **changes)
    _check(uow, changed)
    uow.execute(update(packaging_types).where(packaging_types.c.id == current.id)
                .values(**_values(changed), updated_at=uow.clock.now()))
    result = get_packaging_type(uow, current.id)
    record_event(uow, "packaging_type.updated", "packaging_type", current.id,
                 {"code": current.code, "changed": sorted(changes), **_payload(result)})
    uow.commit()
    return result


def set_hazmat_mark(uow: UnitOfWork, sku: str, mark: str) -> None:
    """The text a package of this product carries, e.g. 'UN3481 Lithium ion batteries
    packed with equipment'. Commits."""
    product = get_product_by_sku(uow, sku)
    if "hazmat" not in {h.value for h in product.handling}:
        raise InvalidInput.for_field("sku", f"{sku} is not flagged hazmat in the catalogue")
    uow.execute(upsert(uow, hazmat_marks, ["sku"], {
        "sku": sku, "mark": mark, "updated_at": uow.clock.now()}, ["mark", "updated_at"]))
    record_event(uow, "packing.hazmat_mark_set", "product", product.id,
                 {"sku": sku, "mark": mark})
    uow.commit()


_MARKS = select(hazmat_marks.c.sku, hazmat_marks.c.mark).where(
    hazmat_marks.c.sku.in_(bindparam("skus", expanding=True)))


def marks_for_skus(uow: UnitOfWork, skus: set[str]) -> dict[str, str]:
    if not skus:
        return {}
    return {r.sku: r.mark for r in uow.execute(_MARKS, {"skus": sorted(skus)})}
