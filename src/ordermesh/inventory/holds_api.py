from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.http.schemas import CODE_PATTERN, SKU_PATTERN
from ordermesh.inventory import holds
from ordermesh.inventory.holds import HoldStatus
from ordermesh.inventory.model import SkuQuantity

router = APIRouter(prefix="/api/v1/reservations", tags=["reservations"])

MAX_QUANTITY = 100_000
REPLAYED_HEADER = "Idempotent-Replayed"


class ReservationLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(pattern=SKU_PATTERN)
    quantity: int = Field(gt=0, le=MAX_QUANTITY, strict=True)


class ReservationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str = Field(pattern=CODE_PATTERN, description="Channel code")
    lines: list[ReservationLineIn] = Field(
        min_length=1, max_length=holds.MAX_LINES,
        description="A SKU may appear on several lines; each stays its own line")
    expires_in_seconds: int = Field(
        holds.DEFAULT_EXPIRY_SECONDS, ge=holds.MIN_EXPIRY_SECONDS, le=holds.MAX_EXPIRY_SECONDS,
        strict=True, description="How long the stock is held")
    reference: str | None = Field(None, min_length=1, max_length=100,
                                  description="Your cart or checkout id")


class ReservationRelease(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(None, max_length=500)


class ReservationAllocationOut(BaseModel):
    location: str = Field(description="Location code")
    quantity: int


class ReservationLineOut(BaseModel):
    line_no: int
    sku: str
    quantity: int
    allocations: list[ReservationAllocationOut]


class ReservationRead(BaseModel):
    id: str
    status: HoldStatus
    channel: str = Field(description="Channel code")
    reference: str | None
    expires_at: datetime
    order_id: str | None = Field(description="The order that took the reservation over")
    created_at: datetime
    updated_at: datetime
    lines: list[ReservationLineOut]

    @classmethod
    def of(cls, h: holds.Hold) -> ReservationRead:
        return cls(
            id=h.id, status=h.status, channel=h.channel_code, reference=h.reference,
            expires_at=h.expires_at, order_id=h.order_id, created_at=h.created_at,
            updated_at=h.updated_at,
            lines=[ReservationLineOut(
                line_no=ln.line_no, sku=ln.sku, quantity=ln.quantity,
                allocations=[ReservationAllocationOut(location=a.location_code,
                                                      quantity=a.quantity)
                             for a in h.allocations if a.line_no == ln.line_no])
                   for ln in h.lines],
        )


@router.post(
    "", status_code=201, summary="Hold stock for a cart or checkout",
    responses={409: {"description": "Not enough stock for the channel (each short SKU is "
                                    "listed); nothing was reserved"},
               422: {"description": "Invalid input; nothing was written"}},
)
def place_reservation(
    body: ReservationCreate, ctx: WriteContext, response: Response
) -> ReservationRead:
    """Reserves every line for the channel, or nothing. The stock is given back when the
    reservation is released, when it expires, or taken over by an order placed with its
    `reservation_id`. Retries are safe with an `Idempotency-Key`."""
    cmd = holds.PlaceHold(
        channel=body.channel,
        lines=[SkuQuantity(ln.sku, ln.quantity) for ln in body.lines],
        expires_in_seconds=body.expires_in_seconds, reference=body.reference)
    idem = ctx.idempotency(body)
    placed = ctx.run(lambda uow: holds.place_hold(uow, cmd, idem))
    if placed.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return ReservationRead.of(placed.hold)


@router.get("/{reservation_id}", summary="Get a reservation",
            responses={404: {"description": "No such reservation"}})
def get_reservation(reservation_id: str, ctx: ReadContext) -> ReservationRead:
    with ctx.read_uow() as uow:
        return ReservationRead.of(holds.get_hold(uow, reservation_id))


@router.post(
    "/{reservation_id}/release", summary="Give a reservation's stock back",
    responses={404: {"description": "No such reservation"},
               409: {"description": "The reservation is not active"}},
)
def release_reservation(
    reservation_id: str, ctx: WriteContext, body: ReservationRelease | None = None
) -> ReservationRead:
    """For an abandoned cart: the reservation becomes `released` and its stock is
    available again at once. The body is optional."""
    body = body or ReservationRelease()
    idem = ctx.idempotency(body)
    return ReservationRead.of(ctx.run(
        lambda uow: holds.release_hold(uow, reservation_id, body.reason, idem)))
