"""Routes of the return steps that span features: requesting and deciding (units
expected in stock), receiving (stock) and refunding (orders, payments, invoices)."""

from __future__ import annotations

from fastapi import APIRouter

from ordermesh.flows.returns_exchange import place_exchange
from ordermesh.flows.returns_inspection import inspect_return
from ordermesh.flows.returns_receiving import ReceivedLine, receive_return
from ordermesh.flows.returns_refunds import refund_return
from ordermesh.flows.returns_requests import decide, request_return
from ordermesh.http.deps import WriteContext
from ordermesh.returns.inspection import InspectedLine
from ordermesh.returns.model import ReturnStatus
from ordermesh.returns.schemas import (
    Decision,
    InspectionCreate,
    ReceiptCreate,
    RejectDecision,
    ReturnCreate,
    ReturnRead,
)

router = APIRouter(prefix="/api/v1/returns", tags=["returns"])


@router.post("", status_code=201, summary="Request a return of shipped units")
def create_return(body: ReturnCreate, ctx: WriteContext) -> ReturnRead:
    """Each line names an order line, units, a reason and the resolution wanted. Only
    shipped units, less those already in a return or refunded, within the channel's
    window, not final sale; `override_reason` waives the window and final sale. A
    refused line: `422` with one error per line naming the rule (`code`): nothing is
    created. Authorised at once when the policy says so, else `requested`. An authorised
    return's units are expected back (as `returns_expected` in availability, never
    promised) at the location they shipped from."""
    idem = ctx.idempotency(body)
    return ReturnRead(**ctx.run(lambda uow: request_return(uow, body.command(), idem)))


@router.post("/{return_id}/authorise", summary="Authorise a requested return")
def authorise(return_id: str, body: Decision, ctx: WriteContext) -> ReturnRead:
    """Only a `requested` return; its units are expected back (as `returns_expected` in
    availability, never promised) at the location they shipped from."""
    return ReturnRead(**ctx.run(lambda uow: decide(
        uow, return_id, ReturnStatus.AUTHORISED, body.reason)))


@router.post("/{return_id}/reject", summary="Reject a requested return")
def reject(return_id: str, body: RejectDecision, ctx: WriteContext) -> ReturnRead:
    """Only a `requested` return; its units may be asked for again."""
    return ReturnRead(**ctx.run(lambda uow: decide(
        uow, return_id, ReturnStatus.REJECTED, body.reason)))


@router.post("/{return_id}/cancel", summary="Cancel a return before any unit arrived")
def cancel(return_id: str, body: Decision, ctx: WriteContext) -> ReturnRead:
    """Its units are no longer expected back, and may be asked for again."""
    return ReturnRead(**ctx.run(lambda uow: decide(
        uow, return_id, ReturnStatus.CANCELLED, body.reason)))


@router.post("/{return_id}/receipts", status_code=201,
             summary="Receive units of a return at a location, graded, with a disposition")
def receive(return_id: str, body: ReceiptCreate, ctx: WriteContext) -> ReturnRead:
    """Counts per return line, each with a grade and a disposition, each a stock movement
    at the location with reason `returned`: restock (sellable), refurbish and quarantine
    (held aside as damaged stock), scrap (booked in and written off). The return becomes
    `partially_received` or `received`. Receiving refunds only when the return's policy
    releases refunds at receipt (`refund_release: receipt`), with the last unit. More
    units than still expected on a line (receiving twice): `422`, nothing changed."""
    idem = ctx.idempotency(body)
    lines = [ReceivedLine(ln.line_no, ln.quantity, ln.grade, ln.disposition)
             for ln in body.lines]
    return ReturnRead(**ctx.run(lambda uow: receive_return(
        uow, return_id, body.location, lines, body.note, idem)))


@router.post("/{return_id}/inspection", status_code=201,
             summary="Inspect a received return: grade every unit received, once")
def inspect(return_id: str, body: InspectionCreate, ctx: WriteContext) -> ReturnRead:
    """Only a return whose units all arrived (`received`); it becomes `inspected`. Each
    unit received is graded once (the counts per line must equal what was received, or
    `422`). When the return's policy releases refunds after inspection
    (`refund_release: inspection`), the inspection refunds it and it is `resolved`; before
    that its refund is refused (`409`). Inspecting twice: `409`, nothing changed."""
    idem = ctx.idempotency(body)
    lines = [InspectedLine(ln.line_no, ln.quantity, ln.grade) for ln in body.lines]
    return ReturnRead(**ctx.run(lambda uow: inspect_return(
        uow, return_id, lines, body.note, idem)))


@router.post("/{return_id}/exchange", status_code=201,
             summary="Place the replacement order of a return's exchange lines")
def exchange(return_id: str, ctx: WriteContext) -> ReturnRead:
    """A new order on the same channel, for the same customer and address, of each
    exchange line's `exchange_for` SKU at today's price, reserved and released for
    fulfilment like any order. The returned units' value is taken off it as an order
    discount, up to its total: the customer pays the difference on the replacement when
    it costs more (`exchange_credit` is what the units took off), and the return's
    refund keeps `exchange_credit` back, so the difference comes back when it costs
    less; an even exchange moves no money. Allowed once the return is authorised, or
    only once every unit came back when the policy says `exchange_reserve: at_receipt`.
    Exchanged already, or not at the allowed step: `409`; a replacement that cannot be
    reserved: `409` naming the SKU; nothing changed."""
    idem = ctx.idempotency(None)
    return ReturnRead(**ctx.run(lambda uow: place_exchange(uow, return_id, idem)))


@router.post("/{return_id}/refund", status_code=201,
             summary="Refund a received (or returnless) return and resolve it")
def refund(return_id: str, ctx: WriteContext) -> ReturnRead:
    """Refunds the units received (every unit of a returnless return) to the original
    payment, each at its share of what was paid for its line (discounts and tax
    included), with a credit note when the order was invoiced. The return is `resolved`;
    the refund is in its `refund`."""
    idem = ctx.idempotency(None)
    return ReturnRead(**ctx.run(lambda uow: refund_return(uow, return_id, idem)))
