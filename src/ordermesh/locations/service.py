from __future__ import annotations

from dataclasses import asdict, replace

import pycountry
from sqlalchemy import bindparam, select, update

from ordermesh.kit import idempotency
from ordermesh.kit.clock import as_utc
from ordermesh.kit.config_cache import cached_many
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict, InvalidInput, NotFound
from ordermesh.kit.ids import new_id
from ordermesh.kit.lookup import row_by_id_or_key
from ordermesh.kit.outbox import record_event
from ordermesh.kit.upsert import insert_ignore_returning
from ordermesh.locations.model import (
    Address,
    Capability,
    FulfilmentSettings,
    Location,
    LocationKind,
)
from ordermesh.locations.tables import locations


def _to_location(row) -> Location:
    caps = {c for c, on in ((Capability.SHIP, row.can_ship), (Capability.PICKUP, row.can_pickup))
            if on}
    return Location(
        id=row.id, code=row.code, name=row.name, kind=LocationKind(row.kind),
        address=Address(**row.address) if row.address else None,
        latitude=row.latitude, longitude=row.longitude,
        capabilities=frozenset(caps), created_at=as_utc(row.created_at),
        fulfilment=FulfilmentSettings(
            priority=row.priority, daily_capacity=row.daily_capacity,
            regions=tuple(row.regions) if row.regions is not None else None,
            pickup_hold_days=row.pickup_hold_days, carrier=row.carrier,
            carrier_service=row.carrier_service, processing_days=row.processing_days,
        ),
    )


def _check_region(code: str) -> str:
    code = code.strip().upper()
    country, dash, sub = code.partition("-")
    if dash and not sub:
        raise InvalidInput.for_field("fulfilment.regions", f"'{code}' has no subdivision "
                                     "after the '-' (give 'CC' or 'CC-RR', ISO 3166)",
                                     "unknown_region")
    if pycountry.countries.get(alpha_2=country) is None or len(country) != 2:
        raise InvalidInput.for_field("fulfilment.regions", f"'{code}' is not a known country "
                                     "(give 'CC' or 'CC-RR', ISO 3166)", "unknown_region")
    if sub and pycountry.subdivisions.get(code=code) is None:
        raise InvalidInput.for_field("fulfilment.regions", f"'{code}' is not a known "
                                     "ISO 3166-2 subdivision", "unknown_region")
    return code


def checked_settings(settings: FulfilmentSettings) -> FulfilmentSettings:
    """The settings with region codes normalised; InvalidInput when one is out of range."""
    for name in ("priority", "pickup_hold_days", "processing_days"):
        value = getattr(settings, name)
        if not isinstance(value, int) or not 0 <= value <= 10_000:
            raise InvalidInput.for_field(f"fulfilment.{name}", "must be 0 to 10000")
    if settings.daily_capacity is not None and not 0 <= settings.daily_capacity <= 1_000_000:
        raise InvalidInput.for_field("fulfilment.daily_capacity", "must be 0 to 1000000 or null")
    regions = None
    if settings.regions is not None:
        regions = tuple(dict.fromkeys(_check_region(r) for r in settings.regions))
    if settings.carrier_service and not settings.carrier:
        raise InvalidInput.for_field("fulfilment.carrier_service", "needs a carrier")
    return replace(settings, regions=regions)


def _settings_columns(settings: FulfilmentSettings) -> dict:
    return dict(
        priority=settings.priority, daily_capacity=settings.daily_capacity,
        regions=list(settings.regions) if settings.regions is not None else None,
        pickup_hold_days=settings.pickup_hold_days, carrier=settings.carrier,
        carrier_service=settings.carrier_service, processing_days=settings.processing_days,
    )


def create_location(
    uow: UnitOfWork, location: Location, idem: idempotency.IdempotencyKey | None = None
) -> Location:
    """``location.id`` and ``created_at`` are assigned here; whatever the caller set is ignored."""
    if prior := idempotency.claim(uow, idem):
        return get_location(uow, prior.resource_id)
    if (location.latitude is None) != (location.longitude is None):
        raise InvalidInput.for_field("latitude", "give both latitude and longitude, or neither")
    settings = checked_settings(location.fulfilment)
    location_id = new_id("loc")
    inserted = insert_ignore_returning(uow, locations, ("code",), "id", dict(
        id=location_id, code=location.code, name=location.name, kind=location.kind.value,
        address=asdict(location.address) if location.address else None,
        latitude=location.latitude, longitude=location.longitude,
        can_ship=Capability.SHIP in location.capabilities,
        can_pickup=Capability.PICKUP in location.capabilities,
        created_at=uow.clock.now(), **_settings_columns(settings),
    ))
    if inserted is None:
        raise Conflict(f"A location with code '{location.code}' already exists")
    record_event(uow, "location.created", "location", location_id,
                 {"code": location.code, "kind": location.kind.value})
    idempotency.complete(uow, idem, "location", location_id, 201)
    created = get_location(uow, location_id)
    uow.commit()
    return created


def update_fulfilment_settings(uow: UnitOfWork, location_id: str, changes: dict) -> Location:
    """Change some fulfilment settings (keys of ``FulfilmentSettings``); commits.

    Also accepts ``capabilities`` (a set of Capability) to switch ship/pickup on or off."""
    current = get_location(uow, location_id)
    capabilities = changes.pop("capabilities", None)
    if "regions" in changes and changes["regions"] is not None:
        changes["regions"] = tuple(changes["regions"])
    settings = checked_settings(replace(current.fulfilment, **changes))
    values = _settings_columns(settings)
    if capabilities is not None:
        values.update(can_ship=Capability.SHIP in capabilities,
                      can_pickup=Capability.PICKUP in capabilities)
    uow.execute(update(locations).where(locations.c.id == location_id).values(**values))
    payload = {**values, "code": current.code}
    record_event(uow, "location.updated", "location", location_id, payload)
    updated = get_location(uow, location_id)
    uow.commit()
    return updated


def get_location(uow: UnitOfWork, location_id: str) -> Location:
    row = uow.execute(select(locations).where(locations.c.id == location_id)).first()
    if row is None:
        raise NotFound(f"Location '{location_id}' does not exist")
    return _to_location(row)


def find_location(uow: UnitOfWork, ref: str) -> Location:
    """A location by id or code: how the API addresses locations everywhere."""
    row = row_by_id_or_key(uow, locations, locations.c.code, ref)
    if row is None:
        raise NotFound(f"No location with id or code '{ref}'")
    return _to_location(row)


def location_by_code(uow: UnitOfWork, code: str, field: str = "location") -> Location:
    row = uow.execute(select(locations).where(locations.c.code == code)).first()
    if row is None:
        raise InvalidInput.for_field(field, f"Unknown location '{code}'", "unknown_location")
    return _to_location(row)


_BY_IDS = select(locations).where(locations.c.id.in_(bindparam("ids", expanding=True)))


def locations_by_ids(uow: UnitOfWork, ids: set[str]) -> list[Location]:
    """The locations with these ids (unknown ids are left out), sorted by id; read in one
    query and kept per process between changes (kit.config_cache)."""
    if not ids:
        return []

    def load(wanted: list[str]) -> dict[str, Location]:
        return {r.id: _to_location(r) for r in uow.execute(_BY_IDS, {"ids": wanted})}

    found = cached_many(uow, "location", ids, load)
    return [found[i] for i in sorted(ids) if found[i] is not None]


def list_locations(uow: UnitOfWork, code: str | None = None) -> list[Location]:
    query = select(locations).order_by(locations.c.code)
    if code is not None:
        query = query.where(locations.c.code == code)
    return [_to_location(r) for r in uow.execute(query)]


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
