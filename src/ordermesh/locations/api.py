from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.http.schemas import CODE_PATTERN, AddressIn
from ordermesh.locations import service
from ordermesh.locations.model import Address, Capability, Location, LocationKind

router = APIRouter(prefix="/api/v1/locations", tags=["locations"])


class LocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=CODE_PATTERN, description="Short unique code, e.g. 'ber-1'")
    name: str = Field(min_length=1, max_length=200)
    kind: LocationKind
    address: AddressIn | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    capabilities: list[Capability] = Field(
        default_factory=lambda: [Capability.SHIP], max_length=len(Capability),
        description="What the location can do: ship parcels, hand over pick-ups",
    )


class LocationRead(BaseModel):
    id: str
    code: str
    name: str
    kind: LocationKind
    address: AddressIn | None
    latitude: float | None
    longitude: float | None
    capabilities: list[Capability]
    created_at: datetime | None

    @classmethod
    def of(cls, loc: Location) -> LocationRead:
        return cls(
            id=loc.id, code=loc.code, name=loc.name, kind=loc.kind,
            address=AddressIn(**vars(loc.address)) if loc.address else None,
            latitude=loc.latitude, longitude=loc.longitude,
            capabilities=sorted(loc.capabilities), created_at=loc.created_at,
        )


class LocationList(BaseModel):
    items: list[LocationRead]


@router.post("", status_code=201, summary="Create a stock location")
def create_location(body: LocationCreate, ctx: WriteContext) -> LocationRead:
    location = Location(
        id="", code=body.code, name=body.name, kind=body.kind,
        address=Address(**body.address.model_dump()) if body.address else None,
        latitude=body.latitude, longitude=body.longitude,
        capabilities=frozenset(body.capabilities),
    )
    idem = ctx.idempotency(body)
    return LocationRead.of(ctx.run(lambda uow: service.create_location(uow, location, idem)))


@router.get("", summary="List stock locations")
def list_locations(ctx: ReadContext) -> LocationList:
    with ctx.read_uow() as uow:
        return LocationList(items=[LocationRead.of(x) for x in service.list_locations(uow)])


@router.get("/{location_id}", summary="Get a stock location")
def get_location(location_id: str, ctx: ReadContext) -> LocationRead:
    with ctx.read_uow() as uow:
        return LocationRead.of(service.get_location(uow, location_id))
