from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import bindparam, select

from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_ignore_returning
from ordermesh.locations.model import Address, Capability, Location, LocationKind
from ordermesh.locations.tables import locations


def _to_location(row) -> Location:
    caps = {c for c, on in ((Capability.SHIP, row.can_ship), (Capability.PICKUP, row.can_pickup))
            if on}
    return Location(
        id=row.id, code=row.code, name=row.name, kind=LocationKind(row.kind),
        address=Address(**row.address) if row.address else None,
        latitude=row.latitude, longitude=row.longitude,
        capabilities=frozenset(caps), created_at=as_utc(row.created_at),
    )


def create_location(
    uow: UnitOfWork, location: Location, idem: idempotency.IdempotencyKey | None = None
) -> Location:
    """``location.id`` and ``created_at`` are assigned here; whatever the caller set is ignored."""
    if prior := idempotency.claim(uow, idem):
        return get_location(uow, prior.resource_id)
    if (location.latitude is None) != (location.longitude is None):
        raise InvalidInput.for_field("latitude", "give both latitude and longitude, or neither")
    location_id = new_id("loc")
    inserted = insert_ignore_returning(uow, locations, ("code",), "id", dict(
        id=location_id, code=location.code, name=location.name, kind=location.kind.value,
        address=asdict(location.address) if location.address else None,
        latitude=location.latitude, longitude=location.longitude,
        can_ship=Capability.SHIP in location.capabilities,
        can_pickup=Capability.PICKUP in location.capabilities,
        created_at=uow.clock.now(),
    ))
    if inserted is None:
        raise Conflict(f"A location with code '{location.code}' already exists")
    record_event(uow, "location.created", "location", location_id,
                 {"code": location.code, "kind": location.kind.value})
    idempotency.complete(uow, idem, "location", location_id, 201)
    created = get_location(uow, location_id)
    uow.commit()
    return created


def get_location(uow: UnitOfWork, location_id: str) -> Location:
    row = uow.execute(select(locations).where(locations.c.id == location_id)).first()
    if row is None:
        raise NotFound(f"Location '{location_id}' does not exist")
    return _to_location(row)


def location_by_code(uow: UnitOfWork, code: str, field: str = "location") -> Location:
    row = uow.execute(select(locations).where(locations.c.code == code)).first()
    if row is None:
        raise InvalidInput.for_field(field, f"Unknown location '{code}'", "unknown_location")
    return _to_location(row)


def list_locations(uow: UnitOfWork) -> list[Location]:
    return [_to_location(r) for r in uow.execute(select(locations).order_by(locations.c.code))]


# A location's id and code never change once created, so each process may remember the
# pairs it has seen (the hot path of every order needs them). Renaming a code, if it is
# ever allowed, must clear this.
_code_by_id: dict[str, str] = {}
_CODES = select(locations.c.id, locations.c.code).where(
    locations.c.id.in_(bindparam("ids", expanding=True)))


def location_codes(uow: UnitOfWork, ids: set[str]) -> dict[str, str]:
    missing = sorted(i for i in ids if i not in _code_by_id)
    if missing:
        for row in uow.execute(_CODES, {"ids": missing}):
            _code_by_id[row.id] = row.code
    return {i: _code_by_id[i] for i in ids if i in _code_by_id}
