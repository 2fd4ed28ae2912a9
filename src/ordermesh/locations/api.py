from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from ordermesh.http.deps import AdminContext, ReadContext, WriteContext
from ordermesh.http.schemas import CODE_PATTERN, AddressIn
from ordermesh.kit.errors import InvalidInput
from ordermesh.locations import service
from ordermesh.locations.model import (
    Address,
    Capability,
    FulfilmentSettings,
    Location,
    LocationKind,
)

router = APIRouter(prefix="/api/v1/locations", tags=["locations"])

LocationRef = Annotated[str, Path(description="The location's id or code",
                                  examples=["berlin-dc"])]


CARRIER_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,39}$"


class FulfilmentIn(BaseModel):
    """How the location takes part in sourcing and fulfilment (all optional)."""

    model_config = ConfigDict(extra="forbid")
    priority: int = Field(100, ge=0, le=10_000,
                          description="Lower is preferred by the sourcing rule 'priority'")
    daily_capacity: int | None = Field(
        None, ge=0, le=1_000_000,
        description="Fulfilment orders the location can take per UTC day; null = unlimited")
    regions: list[str] | None = Field(
        None, max_length=500,
        description="Destinations served: 'CC' or 'CC-RR' (ISO 3166); null = everywhere")
    pickup_hold_days: int = Field(3, ge=0, le=365,
                                  description="Days a pick-up waits before going back to stock")
    carrier: str | None = Field(None, pattern=CARRIER_PATTERN,
                                description="Default carrier account code; null = simulated")
    carrier_service: str | None = Field(None, max_length=40)
    processing_days: int = Field(0, ge=0, le=365,
                                 description="Days between release and hand-over to the carrier")

    def settings(self) -> FulfilmentSettings:
        data = self.model_dump()
        data["regions"] = tuple(data["regions"]) if data["regions"] is not None else None
        return FulfilmentSettings(**data)


class FulfilmentOut(BaseModel):
    priority: int
    daily_capacity: int | None
    regions: list[str] | None
    pickup_hold_days: int
    carrier: str | None
    carrier_service: str | None
    processing_days: int


class FulfilmentPatch(BaseModel):
    """Only the fields sent change; send null to clear an optional one."""

    model_config = ConfigDict(extra="forbid")
    priority: int | None = Field(None, ge=0, le=10_000)
    daily_capacity: int | None = Field(None, ge=0, le=1_000_000)
    regions: list[str] | None = Field(None, max_length=500)
    pickup_hold_days: int | None = Field(None, ge=0, le=365)
    carrier: str | None = Field(None, pattern=CARRIER_PATTERN)
    carrier_service: str | None = Field(None, max_length=40)
    processing_days: int | None = Field(None, ge=0, le=365)


class LocationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    capabilities: list[Capability] | None = Field(None, max_length=len(Capability))
    fulfilment: FulfilmentPatch | None = None


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
    fulfilment: FulfilmentIn = Field(default_factory=FulfilmentIn)


class LocationRead(BaseModel):
    id: str
    code: str
    name: str
    kind: LocationKind
    address: AddressIn | None
    latitude: float | None
    longitude: float | None
    capabilities: list[Capability]
    fulfilment: FulfilmentOut
    created_at: datetime | None

    @classmethod
    def of(cls, loc: Location) -> LocationRead:
        return cls(
            id=loc.id, code=loc.code, name=loc.name, kind=loc.kind,
            address=AddressIn(**vars(loc.address)) if loc.address else None,
            latitude=loc.latitude, longitude=loc.longitude,
            capabilities=sorted(loc.capabilities), created_at=loc.created_at,
            fulfilment=FulfilmentOut(
                **{**vars(loc.fulfilment), "regions": list(loc.fulfilment.regions)
                   if loc.fulfilment.regions is not None else None}),
        )


class LocationList(BaseModel):
    items: list[LocationRead]


@router.post("", status_code=201, summary="Create a stock location")
def create_location(body: LocationCreate, ctx: WriteContext) -> LocationRead:
    location = Location(
        id="", code=body.code, name=body.name, kind=body.kind,
        address=Address(**body.address.model_dump()) if body.address else None,
        latitude=body.latitude, longitude=body.longitude,
        capabilities=frozenset(body.capabilities), fulfilment=body.fulfilment.settings(),
    )
    idem = ctx.idempotency(body)
    return LocationRead.of(ctx.run(lambda uow: service.create_location(uow, location, idem)))


@router.get("", summary="List stock locations, ordered by code")
def list_locations(
    ctx: ReadContext,
    code: Annotated[str | None, Query(max_length=40, description="Only the location with "
                                      "this code (an empty list when there is none)")] = None,
) -> LocationList:
    with ctx.read_uow() as uow:
        return LocationList(items=[LocationRead.of(x)
                                   for x in service.list_locations(uow, code)])


@router.get("/{location_id}", summary="Get a stock location by id or code",
            responses={404: {"description": "No location with that id or code"}})
def get_location(location_id: LocationRef, ctx: ReadContext) -> LocationRead:
    with ctx.read_uow() as uow:
        return LocationRead.of(service.find_location(uow, location_id))


@router.patch("/{location_id}", summary="Change a location's capabilities and fulfilment settings",
              responses={404: {"description": "No location with that id or code"}})
def update_location(location_id: LocationRef, body: LocationPatch,
                    ctx: AdminContext) -> LocationRead:
    """Only what is sent changes. Fulfilment orders already released keep their settings."""
    changes: dict = {}
    if body.fulfilment is not None:
        sent = body.fulfilment.model_dump(exclude_unset=True)
        for name, value in sent.items():
            if value is None and name not in ("daily_capacity", "regions", "carrier",
                                              "carrier_service"):
                raise InvalidInput.for_field(f"fulfilment.{name}", "may not be null")
        changes.update(sent)
    if body.capabilities is not None:
        changes["capabilities"] = frozenset(body.capabilities)
    return LocationRead.of(ctx.run(lambda uow: service.update_fulfilment_settings(
        uow, service.find_location(uow, location_id).id, dict(changes))))
