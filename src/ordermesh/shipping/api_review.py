"""Parked tracking events over HTTP: list them, release or discard one after review."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.shipping import review

router = APIRouter(prefix="/api/v1", tags=["shipping"])  # served by shipping.api


class ReviewedEventOut(BaseModel):
    id: str = Field(description="Our id of the stored event")
    carrier: str = Field(description="Carrier account code")
    event_id: str = Field(description="The carrier's event id")
    tracking_number: str
    fulfilment_order_id: str
    status: str = Field(description="The normalised status the carrier reported")
    carrier_status: str = Field(description="The carrier's own code")
    occurred_at: datetime = Field(description="When the carrier says it happened")
    received_at: datetime
    review: str = Field(description="`parked` (waiting for review), `released` (applied "
                        "after review) or `discarded` (never applied)")
    reason: str | None = Field(description="Why it was parked")
    applied: bool = Field(description="Whether it moved the parcel and fulfilment order")
    reviewed_at: datetime | None

    @classmethod
    def of(cls, e: review.ReviewedEvent) -> ReviewedEventOut:
        return cls(**e.__dict__)


class ReviewedEventList(BaseModel):
    items: list[ReviewedEventOut]


@router.get("/tracking-events/parked", summary="Tracking events parked for review")
def list_parked(ctx: ReadContext, carrier: str | None = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> ReviewedEventList:
    """Carrier events not believed (dated in the future or before the parcel's label,
    beyond the account's clock-skew allowance), oldest received first. They changed
    nothing; release or discard each after review."""
    with ctx.read_uow() as uow:
        return ReviewedEventList(items=[ReviewedEventOut.of(e) for e in
                                        review.list_parked(uow, carrier, limit)])


@router.post("/tracking-events/{event_id}/release",
             summary="Apply a parked tracking event after review")
def release(event_id: str, ctx: WriteContext) -> ReviewedEventOut:
    """Applies the event by the usual tracking rules (it may move the fulfilment order and
    complete delivery). 409 when it is not parked, or still dated in the future."""
    return ReviewedEventOut.of(ctx.run(lambda uow: review.release(uow, event_id)))


@router.post("/tracking-events/{event_id}/discard",
             summary="Discard a parked tracking event after review")
def discard(event_id: str, ctx: WriteContext) -> ReviewedEventOut:
    """The event stays on the timeline and is never applied. 409 when it is not parked."""
    return ReviewedEventOut.of(ctx.run(lambda uow: review.discard(uow, event_id)))
