"""The carrier accounts and locations a supplier stands behind: a carrier supplier's
carrier accounts, a 3PL's locations. Each account or location belongs to at most one
supplier; their performance shows on that supplier's scorecard
(``flows/supplier_service.py``). That the accounts and locations exist is checked by the
caller (``flows/supplier_links.py``), which knows shipping."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_ignore_returning
from ordermesh.locations.service import location_codes
from ordermesh.suppliers.model import LINKED_KIND, Supplier
from ordermesh.suppliers.service import find_supplier, suppliers_by_ids
from ordermesh.suppliers.tables import supplier_carriers, supplier_locations


@dataclass(frozen=True)
class Links:
    carriers: tuple[str, ...]  # carrier account codes, sorted
    location_ids: tuple[str, ...]  # sorted


def links_of(uow: UnitOfWork, supplier_id: str) -> Links:
    carriers = uow.execute(select(supplier_carriers.c.carrier).where(
        supplier_carriers.c.supplier_id == supplier_id)).scalars().all()
    locations = uow.execute(select(supplier_locations.c.location_id).where(
        supplier_locations.c.supplier_id == supplier_id)).scalars().all()
    return Links(tuple(sorted(carriers)), tuple(sorted(locations)))


def _check_kind(supplier: Supplier, field: str, wanted: list[str]) -> None:
    kind = LINKED_KIND[field]
    if wanted and supplier.kind is not kind:
        raise InvalidInput.for_field(
            field, f"{supplier.code} is a supplier of kind {supplier.kind.value}: only a "
            f"supplier of kind {kind.value} stands behind {field.replace('_', ' ')}",
            "wrong_supplier_kind")


def _taken(uow: UnitOfWork, supplier: Supplier, table, key: str, wanted: list[str],
           shown: dict[str, str]) -> dict[str, str]:
    """What of ``wanted`` another supplier holds: shown key -> that supplier's code."""
    rows = list(uow.execute(select(table.c[key], table.c.supplier_id).where(
        table.c[key].in_(wanted), table.c.supplier_id != supplier.id)))
    others = suppliers_by_ids(uow, {r.supplier_id for r in rows}) if rows else {}
    return {shown[r[0]]: others[r.supplier_id].code for r in rows}


def _replace(uow: UnitOfWork, supplier: Supplier, table, key: str, wanted: list[str],
             have: tuple[str, ...]) -> None:
    gone = sorted(set(have) - set(wanted))
    if gone:
        uow.execute(delete(table).where(table.c.supplier_id == supplier.id,
                                        table.c[key].in_(gone)))
    now = uow.clock.now()
    for value in sorted(set(wanted) - set(have)):
        # a concurrent request may have linked it to another supplier since we looked
        if insert_ignore_returning(uow, table, (key,), key, {
                key: value, "supplier_id": supplier.id, "created_at": now}) is None:
            raise Conflict(f"'{value}' was just linked to another supplier")


def set_links(uow: UnitOfWork, supplier_ref: str, carriers: list[str],
              location_ids: list[str]) -> tuple[Supplier, Links]:
    """Make ``carriers`` (existing carrier account codes) and ``location_ids`` (existing
    locations) exactly the ones the supplier stands behind. A carrier supplier takes
    carrier accounts, a 3PL locations; one held by another supplier is a conflict (unlink
    it there first). Writes ``supplier.changed`` when something changed. Does not
    commit."""
    supplier = find_supplier(uow, supplier_ref, for_update=True)
    _check_kind(supplier, "carrier_accounts", carriers)
    _check_kind(supplier, "locations", location_ids)
    codes = location_codes(uow, set(location_ids))
    taken = {"carrier_accounts": _taken(uow, supplier, supplier_carriers, "carrier", carriers,
                                        {c: c for c in carriers}),
             "locations": _taken(uow, supplier, supplier_locations, "location_id",
                                 location_ids, codes)}
    if any(taken.values()):
        held = ", ".join(f"{what} by {code}" for kind in taken.values()
                         for what, code in sorted(kind.items()))
        raise Conflict(f"Already linked to another supplier: {held}; unlink it there first",
                       extra={"linked_elsewhere": {k: v for k, v in taken.items() if v}})
    current = links_of(uow, supplier.id)
    wanted = Links(tuple(sorted(set(carriers))), tuple(sorted(set(location_ids))))
    if wanted == current:
        return supplier, current
    _replace(uow, supplier, supplier_carriers, "carrier", carriers, current.carriers)
    _replace(uow, supplier, supplier_locations, "location_id", location_ids,
             current.location_ids)
    record_event(uow, "supplier.changed", "supplier", supplier.id, {
        "code": supplier.code, "changed": ["links"],
        "carrier_accounts": list(wanted.carriers),
        "previous_carrier_accounts": list(current.carriers),
        "locations": sorted(codes[i] for i in wanted.location_ids),
        "previous_locations": sorted(location_codes(uow, set(current.location_ids)).values())})
    return supplier, wanted

