"""Drop-ship rules: which order lines a supplier ships for us, and the location that
stands for a drop-shipping supplier in sourcing and fulfilment.

A supplier that drop-ships gets one location of kind ``supplier`` (code ``DS-<supplier
code>``) the first time a rule names it. Its fulfilment orders, shipments and tracking
are those of any other location; it never holds free stock (``flows/dropship_routing``
books in exactly the units an order routes to it, reserved at once), so sourcing never
picks it for anything else.
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import delete, insert, select

from ordermesh.catalog.service import find_product, get_product
from ordermesh.channels.service import find_channel, get_channel
from ordermesh.dropship.model import DropshipRule, RoutingMode
from ordermesh.dropship.tables import dropship_rules, dropship_sources
from ordermesh.kit.clock import as_utc
from ordermesh.kit.config_cache import cached
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.locations.model import (
    Address,
    Capability,
    FulfilmentSettings,
    Location,
    LocationKind,
)
from ordermesh.locations.service import create_location
from ordermesh.suppliers.model import Supplier, SupplierStatus
from ordermesh.suppliers.service import find_supplier, supplier_product_or_none, suppliers_by_ids

LOCATION_PREFIX = "DS-"
# Behind every location of our own when sourcing ranks by priority (lower first).
LOCATION_PRIORITY = 10_000
MAX_PROCESSING_DAYS = 10_000  # what a location's settings allow


def check_can_dropship(supplier: Supplier, field: str = "supplier") -> None:
    if supplier.status is SupplierStatus.BLOCKED:
        raise InvalidInput.for_field(field, f"Supplier {supplier.code} is blocked: it cannot "
                                     "ship orders for us", "supplier_blocked")


def create_rule(uow: UnitOfWork, supplier_ref: str, sku: str | None, channel: str | None,
                mode: RoutingMode) -> DropshipRule:
    """A routing rule, checked: the supplier exists and is not blocked, carries the
    product (a rule for a product it does not sell is refused), the channel exists.
    The supplier's drop-ship location is created with the first rule (its own commit,
    after every check passed). Writes ``dropship.rule_created``; commits."""
    try:
        supplier = find_supplier(uow, supplier_ref)
    except NotFound as exc:
        raise InvalidInput.for_field("supplier", str(exc), "unknown_supplier") from exc
    check_can_dropship(supplier)
    product_id = channel_id = None
    if sku is not None:
        try:
            product_id = find_product(uow, sku).id
        except NotFound as exc:
            raise InvalidInput.for_field("sku", str(exc), "unknown_sku") from exc
        if supplier_product_or_none(uow, supplier.id, product_id) is None:
            raise InvalidInput.for_field(
                "sku", f"Supplier {supplier.code} does not carry {sku}: add it to the "
                "supplier's products first", "not_carried")
    if channel is not None:
        try:
            channel_id = find_channel(uow, channel).id
        except NotFound as exc:
            raise InvalidInput.for_field("channel", str(exc), "unknown_channel") from exc
    location_id = _source_location(uow, supplier)
    rule_id = new_id("dsr")
    uow.execute(insert(dropship_rules).values(
        id=rule_id, supplier_id=supplier.id, product_id=product_id, channel_id=channel_id,
        mode=mode.value, created_at=uow.clock.now()))
    record_event(uow, "dropship.rule_created", "dropship_rule", rule_id, {
        "id": rule_id, "supplier": supplier.code, "sku": sku, "channel_id": channel_id,
        "mode": mode.value, "location_id": location_id})
    uow.commit()
    return get_rule(uow, rule_id)


def _source_location(uow: UnitOfWork, supplier: Supplier) -> str:
    known = uow.execute(select(dropship_sources.c.location_id).where(
        dropship_sources.c.supplier_id == supplier.id)).scalar()
    if known is not None:
        return known
    first = supplier.addresses[0] if supplier.addresses else None
    address = (Address(**{k: v for k, v in asdict(first).items()
                          if k in Address.__dataclass_fields__}) if first else None)
    location = create_location(uow, Location(
        id="", code=f"{LOCATION_PREFIX}{supplier.code}"[:40],
        name=f"{supplier.name} (drop-ship)"[:200], kind=LocationKind.SUPPLIER,
        address=address, latitude=None, longitude=None,
        capabilities=frozenset({Capability.SHIP}),
        # the supplier's lead time is its handling time in the customer's promise date
        fulfilment=FulfilmentSettings(priority=LOCATION_PRIORITY,
                                      processing_days=min(supplier.lead_time_days or 0,
                                                          MAX_PROCESSING_DAYS))))
    uow.execute(insert(dropship_sources).values(supplier_id=supplier.id,
                                                location_id=location.id))
    return location.id


def delete_rule(uow: UnitOfWork, rule_id: str) -> None:
    """Orders already routed keep their drop-ship orders. Commits."""
    rule = get_rule(uow, rule_id)
    uow.execute(delete(dropship_rules).where(dropship_rules.c.id == rule.id))
    record_event(uow, "dropship.rule_deleted", "dropship_rule", rule.id, {
        "id": rule.id, "supplier": rule.supplier_code, "sku": rule.sku,
        "channel_id": rule.channel_id, "mode": rule.mode.value})
    uow.commit()


def _rules(uow: UnitOfWork, rule_id: str | None = None) -> tuple[DropshipRule, ...]:
    """The rules with their supplier's, product's and channel's codes (a seller has a
    handful of rules: one look-up per code is cheaper to read than a join across four
    features' tables)."""
    query = select(dropship_rules).order_by(dropship_rules.c.created_at, dropship_rules.c.id)
    if rule_id is not None:
        query = query.where(dropship_rules.c.id == rule_id)
    rows = uow.execute(query).all()
    suppliers = suppliers_by_ids(uow, {r.supplier_id for r in rows})
    skus = {p: get_product(uow, p).sku for p in {r.product_id for r in rows} if p}
    channels = {c: get_channel(uow, c).code for c in {r.channel_id for r in rows} if c}
    return tuple(DropshipRule(
        r.id, r.supplier_id, suppliers[r.supplier_id].code, r.product_id,
        skus.get(r.product_id), r.channel_id, channels.get(r.channel_id),
        RoutingMode(r.mode), as_utc(r.created_at)) for r in rows)


def get_rule(uow: UnitOfWork, rule_id: str) -> DropshipRule:
    found = _rules(uow, rule_id)
    if not found:
        raise NotFound(f"Drop-ship rule '{rule_id}' does not exist")
    return found[0]


def list_rules(uow: UnitOfWork) -> list[DropshipRule]:
    return list(_rules(uow))


def routing_rules(uow: UnitOfWork) -> tuple[tuple[DropshipRule, ...], dict[str, str]]:
    """Every rule and each drop-shipping supplier's location: what placement reads for
    every order, from the per-process configuration cache (empty for most sellers)."""
    def load() -> tuple[tuple[DropshipRule, ...], dict[str, str]]:
        rules = _rules(uow)
        if not rules:
            return (), {}
        sources = {r.supplier_id: r.location_id for r in uow.execute(select(dropship_sources))}
        return rules, sources

    return cached(uow, ("dropship_rules",), load)


def location_of(uow: UnitOfWork, supplier_id: str) -> str | None:
    return routing_rules(uow)[1].get(supplier_id)


def active_suppliers(uow: UnitOfWork, ids: set[str]) -> dict[str, Supplier]:
    """Those of ``ids`` that may ship for us now (active: not blocked, not on hold)."""
    return {sid: s for sid, s in suppliers_by_ids(uow, ids).items()
            if s.status is SupplierStatus.ACTIVE}

