"""Linking the carriers and 3PLs we already work with to their supplier record
(``PUT /api/v1/suppliers/{id}/links``): the carrier accounts (shipping) and locations
must exist, a location must be a 3PL's, and suppliers keeps the links and their rules
(``suppliers/links.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import InvalidInput, NotFound
from ordermesh.locations.model import Location, LocationKind
from ordermesh.locations.service import find_location, locations_by_ids
from ordermesh.shipping.accounts import CarrierAccount, find_account
from ordermesh.suppliers import links
from ordermesh.suppliers.model import Supplier
from ordermesh.suppliers.service import find_supplier


@dataclass(frozen=True)
class SupplierLinks:
    supplier: Supplier
    carrier_accounts: list[CarrierAccount]
    locations: list[Location]


def _once(field: str, refs: list[str]) -> None:
    for i, ref in enumerate(refs):
        if ref in refs[:i]:
            raise InvalidInput.for_field(f"{field}[{i}]", f"'{ref}' is named twice",
                                         "duplicate")


def _accounts(uow: UnitOfWork, codes: list[str]) -> list[CarrierAccount]:
    _once("carrier_accounts", codes)
    found = []
    for i, code in enumerate(codes):
        account = find_account(uow, code)
        if account is None:
            raise InvalidInput.for_field(f"carrier_accounts[{i}]",
                                         f"No carrier account '{code}'", "unknown")
        found.append(account)
    return found


def _locations(uow: UnitOfWork, refs: list[str]) -> list[Location]:
    _once("locations", refs)
    found = []
    for i, ref in enumerate(refs):
        try:
            location = find_location(uow, ref)
        except NotFound as exc:
            raise InvalidInput.for_field(f"locations[{i}]", exc.detail, "unknown") from exc
        if location.kind != LocationKind.THREE_PL:
            raise InvalidInput.for_field(
                f"locations[{i}]", f"{location.code} is a location of kind "
                f"{location.kind.value}: only a 3pl location is run by a supplier",
                "not_a_3pl")
        found.append(location)
    _once("locations", [loc.id for loc in found])  # the same one by id and by code
    return found


def set_supplier_links(uow: UnitOfWork, supplier_ref: str, carrier_codes: list[str],
                       location_refs: list[str]) -> SupplierLinks:
    """The supplier stands behind exactly these carrier accounts (codes) and 3PL
    locations (ids or codes) from now on. Commits."""
    find_supplier(uow, supplier_ref)  # an unknown supplier is a 404 before any 422
    accounts = _accounts(uow, carrier_codes)
    locations = _locations(uow, location_refs)
    supplier, _ = links.set_links(uow, supplier_ref, [a.code for a in accounts],
                                  [loc.id for loc in locations])
    result = supplier_links(uow, supplier.id)
    uow.commit()
    return result


def supplier_links(uow: UnitOfWork, supplier_ref: str) -> SupplierLinks:
    supplier = find_supplier(uow, supplier_ref)
    held = links.links_of(uow, supplier.id)
    accounts = [a for code in held.carriers if (a := find_account(uow, code)) is not None]
    located = sorted(locations_by_ids(uow, set(held.location_ids)), key=lambda loc: loc.code)
    return SupplierLinks(supplier, accounts, located)
