"""Warehouse stock movements: expected supply, receipts, cycle counts, damage and
transfers between locations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.http.schemas import CODE_PATTERN, SKU_PATTERN, Identifier, IsoDate
from ordermesh.inventory import counts, supply, transfers
from ordermesh.inventory.counts import DamageAction
from ordermesh.inventory.model import AdjustmentReason, SkuQuantity
from ordermesh.inventory.service import MAX_ON_HAND
from ordermesh.inventory.stock_rows import MAX_LINES, MAX_QUANTITY
from ordermesh.inventory.supply import SupplyKind, SupplyStatus
from ordermesh.inventory.transfers import TransferStatus
from ordermesh.kit.pagination import MAX_PAGE_SIZE

router = APIRouter(prefix="/api/v1/inventory", tags=["inventory"])

Sku = Annotated[str, Field(pattern=SKU_PATTERN)]
LocationCode = Annotated[str, Field(pattern=CODE_PATTERN, description="Location code")]
Quantity = Annotated[int, Field(strict=True, ge=1, le=MAX_QUANTITY)]
Note = Annotated[str | None, Field(max_length=500)]
Reference = Annotated[Identifier | None, Field(max_length=100, description="PO number, ...")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Cursor = Annotated[str | None, Query(max_length=200)]


def _problems(by_status: dict[int, str]) -> dict[int | str, dict]:
    """OpenAPI entries for the problems a route answers with, besides 422."""
    return {status: {"description": text} for status, text in by_status.items()}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StockRowRead(BaseModel):
    """Every counter of one SKU at one location."""

    sku: str
    product_id: str
    location: str = Field(description="Location code")
    location_id: str
    on_hand: int = Field(description="Sellable units in the building")
    reserved: int = Field(description="Part of on_hand promised to orders")
    available: int = Field(description="on_hand - reserved")
    damaged: int = Field(description="Quarantined units in the building, not sellable")
    in_transit: int = Field(description="Units shipped here from another location")

    @classmethod
    def of(cls, row: counts.StockRow) -> StockRowRead:
        return cls(sku=row.sku, product_id=row.product_id, location=row.location_code,
                   location_id=row.location_id, on_hand=row.on_hand, reserved=row.reserved,
                   available=row.available, damaged=row.damaged, in_transit=row.in_transit)


# -- expected supply and receipts ----------------------------------------------------


class SupplyCreate(_Body):
    sku: Sku
    location: LocationCode
    quantity: Quantity
    expected_date: IsoDate
    kind: SupplyKind
    reference: Reference = None


class SupplyRead(BaseModel):
    id: str
    sku: str
    product_id: str
    location: str
    location_id: str
    kind: SupplyKind
    reference: str | None
    quantity: int
    received: int
    outstanding: int = Field(description="Units still expected; 0 unless open")
    expected_date: date
    status: SupplyStatus
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, s: supply.Supply) -> SupplyRead:
        return cls(id=s.id, sku=s.sku, product_id=s.product_id, location=s.location_code,
                   location_id=s.location_id, kind=s.kind, reference=s.reference,
                   quantity=s.quantity, received=s.received, outstanding=s.outstanding,
                   expected_date=s.expected_date, status=s.status, created_at=s.created_at,
                   updated_at=s.updated_at)


class SupplyPage(BaseModel):
    items: list[SupplyRead]
    next_cursor: str | None


class ReceiptCreate(_Body):
    sku: Sku
    location: LocationCode
    quantity: Quantity
    supply_id: str | None = Field(None, max_length=40,
                                  description="The expected supply these units arrive for")
    note: Note = None


class ReceiptRead(BaseModel):
    quantity: int
    reason: AdjustmentReason = Field(description="'returned' for supply of kind return")
    stock: StockRowRead
    supply: SupplyRead | None


@router.post("/supply", status_code=201, summary="Announce expected supply")
def create_supply(body: SupplyCreate, ctx: WriteContext) -> SupplyRead:
    """Units expected at a location on a date: a purchase order line, a production run,
    a customer return on its way back. Nothing changes in stock until they are received."""
    cmd = supply.NewSupply(body.sku, body.location, body.quantity, body.expected_date,
                           body.kind, body.reference)
    idem = ctx.idempotency(body)
    return SupplyRead.of(ctx.run(lambda uow: supply.create_supply(uow, cmd, idem)))


@router.get("/supply", summary="List expected supply, soonest first")
def list_supply(
    ctx: ReadContext,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    location: Annotated[str | None, Query(max_length=40, description="Location code")] = None,
    status: SupplyStatus | None = None,
    kind: SupplyKind | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> SupplyPage:
    flt = supply.SupplyFilter(sku, location, status, kind)
    with ctx.read_uow() as uow:
        page = supply.list_supply(uow, flt, limit=limit, cursor=cursor)
    return SupplyPage(items=[SupplyRead.of(s) for s in page.items], next_cursor=page.next_cursor)


@router.get("/supply/{supply_id}", summary="Get expected supply",
            responses=_problems({404: "No such expected supply"}))
def get_supply(supply_id: str, ctx: ReadContext) -> SupplyRead:
    with ctx.read_uow() as uow:
        return SupplyRead.of(supply.get_supply(uow, supply_id))


@router.post("/supply/{supply_id}/cancel", summary="Cancel what has not arrived yet",
             responses=_problems({404: "No such expected supply",
                                 409: "The supply is not open"}))
def cancel_supply(supply_id: str, ctx: WriteContext) -> SupplyRead:
    """Open supply becomes `cancelled`; units already received stay received. Supply
    that is received in full or already cancelled answers 409."""
    idem = ctx.idempotency({})
    return SupplyRead.of(ctx.run(lambda uow: supply.cancel_supply(uow, supply_id, idem)))


@router.post("/receipts", status_code=201, summary="Receive units at a location",
             responses=_problems({409: "More than outstanding, or the supply is not open"}))
def receive(body: ReceiptCreate, ctx: WriteContext) -> ReceiptRead:
    """Adds to `on_hand` and books a `receipt` movement. With `supply_id` the units count
    against that expected supply, which must be open, for the same SKU and location, and
    have at least this many outstanding (else 422 or 409); once all have arrived its
    status becomes `received`. A retry with the same Idempotency-Key books nothing and
    shows the stock as it is now."""
    cmd = supply.Receipt(body.sku, body.location, body.quantity, body.supply_id, body.note)
    idem = ctx.idempotency(body)
    result = ctx.run(lambda uow: supply.receive(uow, cmd, idem))
    return ReceiptRead(quantity=result.quantity, reason=result.reason,
                       stock=StockRowRead.of(result.stock),
                       supply=SupplyRead.of(result.supply) if result.supply else None)


# -- cycle counts and damage ---------------------------------------------------------


class CountLineIn(_Body):
    sku: Sku
    counted: int = Field(strict=True, ge=0, le=MAX_ON_HAND,
                         description="Sellable units found (quarantined units not included)")


class CountCreate(_Body):
    location: LocationCode
    lines: list[CountLineIn] = Field(min_length=1, max_length=MAX_LINES)
    note: Note = None


class CountedLineRead(BaseModel):
    sku: str
    expected: int = Field(description="on_hand before the count")
    counted: int
    difference: int = Field(description="counted - expected, as booked")


class CountRead(BaseModel):
    id: str
    location: str
    lines: list[CountedLineRead]


@router.post("/counts", status_code=201, summary="Book a cycle count of one location",
             responses=_problems({409: "Counted below the units reserved for orders"}))
def count(body: CountCreate, ctx: WriteContext) -> CountRead:
    """Sets `on_hand` of each counted SKU to what was counted and books each difference
    as a `count` movement (reason `count_correction`): every line or none. A count below
    the units reserved for orders is refused with 409 naming each such SKU."""
    cmd = counts.CycleCount(body.location, [counts.CountLine(ln.sku, ln.counted)
                                            for ln in body.lines], body.note)
    idem = ctx.idempotency(body)
    result = ctx.run(lambda uow: counts.count_stock(uow, cmd, idem))
    return CountRead(id=result.id, location=result.location_code, lines=[
        CountedLineRead(sku=ln.sku, expected=ln.expected, counted=ln.counted,
                        difference=ln.difference) for ln in result.lines])


class DamageCreate(_Body):
    sku: Sku
    location: LocationCode
    action: DamageAction
    quantity: Quantity
    reason: AdjustmentReason | None = Field(
        None, description="Defaults to 'damaged' ('correction' for restore)")
    note: Note = None


class DamageRead(BaseModel):
    action: DamageAction
    quantity: int
    reason: AdjustmentReason
    stock: StockRowRead


@router.post("/damage", status_code=201, summary="Quarantine, restore or write off units",
             responses=_problems({409: "Not enough free or quarantined units"}))
def damage(body: DamageCreate, ctx: WriteContext) -> DamageRead:
    """`quarantine` moves sellable units to `damaged` (never units reserved for orders);
    `restore` moves them back; `write_off` removes damaged units. Each books a `damage`
    movement; a move the row cannot make answers 409 with its counters."""
    cmd = counts.DamageMove(body.sku, body.location, body.action, body.quantity, body.reason,
                            body.note)
    idem = ctx.idempotency(body)
    result = ctx.run(lambda uow: counts.move_damaged(uow, cmd, idem))
    return DamageRead(action=result.action, quantity=result.quantity, reason=result.reason,
                      stock=StockRowRead.of(result.stock))


# -- transfers ------------------------------------------------------------------------


class TransferLineIn(_Body):
    sku: Sku
    quantity: Quantity


class TransferCreate(_Body):
    from_location: LocationCode = Field(alias="from")
    to_location: LocationCode = Field(alias="to")
    lines: list[TransferLineIn] = Field(min_length=1, max_length=MAX_LINES)
    expected_date: IsoDate | None = None
    reference: Reference = None
    note: Note = None


class TransferReceiptCreate(_Body):
    lines: list[TransferLineIn] = Field(min_length=1, max_length=MAX_LINES)
    note: Note = None


class TransferLineRead(BaseModel):
    sku: str
    product_id: str
    quantity: int
    received: int
    outstanding: int


class TransferRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: str
    from_location: str = Field(alias="from", description="Location code of the sender")
    to_location: str = Field(alias="to", description="Location code of the receiver")
    status: TransferStatus
    expected_date: date | None
    reference: str | None
    note: str | None
    shipped_at: datetime
    received_at: datetime | None = Field(description="When the last units arrived")
    lines: list[TransferLineRead]

    @classmethod
    def of(cls, t: transfers.Transfer) -> TransferRead:
        return cls(id=t.id, from_location=t.from_location, to_location=t.to_location,
                   status=t.status, expected_date=t.expected_date, reference=t.reference,
                   note=t.note, shipped_at=t.shipped_at, received_at=t.received_at,
                   lines=[TransferLineRead(sku=ln.sku, product_id=ln.product_id,
                                           quantity=ln.quantity, received=ln.received,
                                           outstanding=ln.outstanding) for ln in t.lines])


class TransferPage(BaseModel):
    items: list[TransferRead]
    next_cursor: str | None


def _lines(lines: list[TransferLineIn]) -> list[SkuQuantity]:
    return [SkuQuantity(ln.sku, ln.quantity) for ln in lines]


@router.post("/transfers", status_code=201, summary="Ship stock to another location",
             responses=_problems({409: "Not enough free stock: each short SKU is listed"}))
def ship_transfer(body: TransferCreate, ctx: WriteContext) -> TransferRead:
    """Takes each line's units off the sender's `on_hand` and adds them to the receiver's
    `in_transit`. Only free units (`on_hand - reserved`) can leave: otherwise 409
    `insufficient-stock` lists every short SKU and nothing changes."""
    cmd = transfers.ShipTransfer(body.from_location, body.to_location, _lines(body.lines),
                                 body.expected_date, body.reference, body.note)
    idem = ctx.idempotency(body)
    return TransferRead.of(ctx.run(lambda uow: transfers.ship_transfer(uow, cmd, idem)))


@router.get("/transfers", summary="List transfers, newest first")
def list_transfers(
    ctx: ReadContext,
    status: TransferStatus | None = None,
    location: Annotated[str | None, Query(max_length=40,
                                          description="Sender or receiver code")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> TransferPage:
    with ctx.read_uow() as uow:
        page = transfers.list_transfers(uow, status=status, location=location, limit=limit,
                                        cursor=cursor)
    return TransferPage(items=[TransferRead.of(t) for t in page.items],
                        next_cursor=page.next_cursor)


@router.get("/transfers/{transfer_id}", summary="Get a transfer",
            responses=_problems({404: "No such transfer"}))
def get_transfer(transfer_id: str, ctx: ReadContext) -> TransferRead:
    with ctx.read_uow() as uow:
        return TransferRead.of(transfers.get_transfer(uow, transfer_id))


@router.post("/transfers/{transfer_id}/receipts", status_code=201,
             summary="Receive units of a transfer",
             responses=_problems({404: "No such transfer", 409: "More than outstanding, "
                                 "or the transfer is received in full"}))
def receive_transfer(transfer_id: str, body: TransferReceiptCreate,
                     ctx: WriteContext) -> TransferRead:
    """Moves units from the receiver's `in_transit` to its `on_hand`. Any part of what
    is outstanding may arrive; more than outstanding is 409. The transfer becomes
    `partially_received`, then `received`."""
    cmd = transfers.ReceiveTransfer(_lines(body.lines), body.note)
    idem = ctx.idempotency(body)
    return TransferRead.of(ctx.run(
        lambda uow: transfers.receive_transfer(uow, transfer_id, cmd, idem)))
