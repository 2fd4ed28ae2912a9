"""Available to promise, for one SKU or a batch."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from ordermesh.http.deps import ReadContext
from ordermesh.http.schemas import CODE_PATTERN, SKU_PATTERN
from ordermesh.inventory.availability import MAX_BATCH, Availability, availability
from ordermesh.locations.service import location_codes

router = APIRouter(prefix="/api/v1/availability", tags=["availability"])


class LocationAvailability(BaseModel):
    location: str
    on_hand: int
    reserved: int
    safety_stock: int
    damaged: int
    in_transit: int
    available: int = Field(description="What this channel may take here now")


class QuotaRead(BaseModel):
    allocated: int = Field(description="Units the quota gives the channel now")
    reserved: int = Field(description="Units the channel holds reserved (orders, holds)")
    remaining: int


class Breakdown(BaseModel):
    on_hand: int = Field(description="At the locations that may serve the channel")
    reserved: int
    safety_stock: int = Field(description="Units held back as safety stock")
    allocated_to_other_channels: int = Field(
        description="Free units ring-fenced by other channels' quotas")
    free_at_other_locations: int = Field(
        description="Free units at locations that may not serve this channel")
    quota: QuotaRead | None
    excluded: bool
    incoming: int = Field(description="Units expected at the channel's locations")
    returns_expected: int = Field(description="Customer returns on their way back; "
                                              "not promised until received")


class IncomingRead(BaseModel):
    location: str
    expected_date: date | None
    quantity: int
    source: str = Field(description="purchase_order, production, other or transfer")
    reference: str | None


class DatedAvailability(BaseModel):
    date: date
    available: int = Field(description="Available to this channel from that date")


class AvailabilityRead(BaseModel):
    sku: str
    channel: str
    available: int = Field(description="What the channel can promise now")
    locations: list[LocationAvailability]
    breakdown: Breakdown
    incoming: list[IncomingRead]
    by_date: list[DatedAvailability]


def _read(a: Availability, codes: dict[str, str]) -> dict:
    """The answer as plain data in the shape of ``AvailabilityRead``: a batch holds
    thousands of location rows, and building a model per row costs more than the rest
    of the request."""
    now = a.now
    quota = None if now.quota is None else {
        "allocated": now.quota.allocated, "reserved": now.quota.reserved,
        "remaining": now.quota.remaining}
    return {
        "sku": a.sku, "channel": a.channel, "available": now.available,
        "locations": [{
            "location": v.location_code, "on_hand": v.on_hand, "reserved": v.reserved,
            "safety_stock": v.safety, "damaged": v.damaged, "in_transit": v.in_transit,
            "available": v.available} for v in a.locations],
        "breakdown": {
            "on_hand": now.on_hand, "reserved": now.reserved, "safety_stock": now.safety,
            "allocated_to_other_channels": now.fenced_for_others,
            "free_at_other_locations": now.free_elsewhere, "quota": quota,
            "excluded": now.excluded, "incoming": sum(i.quantity for i in a.incoming),
            "returns_expected": a.returns_expected},
        "incoming": [{"location": codes[i.location_id], "expected_date": i.expected_date,
                      "quantity": i.quantity, "source": i.source, "reference": i.reference}
                     for i in a.incoming],
        "by_date": [{"date": d, "available": n} for d, n in a.by_date],
    }


def _answer(ctx, channel: str, skus: list[str], fields: list[str]) -> list[dict]:
    with ctx.read_uow() as uow:
        items = availability(uow, channel, skus, fields)
        codes = location_codes(uow, {i.location_id for a in items for i in a.incoming})
    return [_read(a, codes) for a in items]


def _json(data: dict) -> Response:
    return Response(orjson.dumps(data), media_type="application/json")


@router.get("", summary="What a channel can promise of one SKU, now and by date",
            response_model=AvailabilityRead)
def get_availability(
    ctx: ReadContext,
    sku: str = Query(pattern=SKU_PATTERN),
    channel: str = Query(pattern=CODE_PATTERN),
) -> Response:
    """Available now in total and per location for the channel, with a breakdown that
    explains the number, and from which date incoming supply raises it."""
    return _json(_answer(ctx, channel, [sku], ["sku"])[0])


class BatchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str = Field(pattern=CODE_PATTERN)
    skus: list[Annotated[str, Field(pattern=SKU_PATTERN)]] = Field(
        min_length=1, max_length=MAX_BATCH)


class BatchRead(BaseModel):
    channel: str
    items: list[AvailabilityRead]


@router.post("/batch", summary="Availability of up to 500 SKUs for one channel",
             response_model=BatchRead)
def batch_availability(body: BatchQuery, ctx: ReadContext) -> Response:
    """The same answer as `GET /api/v1/availability` for each SKU, in one call; a SKU
    listed twice is answered once."""
    return _json({"channel": body.channel,
                  "items": _answer(ctx, body.channel, body.skus,
                                   [f"skus.{i}" for i in range(len(body.skus))])})
