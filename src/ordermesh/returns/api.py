"""Routes of returns: reasons, policies, previews and reading them (requests and
decisions expect stock back: ``flows.returns_api``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from ordermesh.channels.service import find_channel
from ordermesh.http.deps import AdminContext, ReadContext, WriteContext
from ordermesh.kit.pagination import MAX_PAGE_SIZE
from ordermesh.orders.queries import order_ref
from ordermesh.returns import analytics, policies, queries, service
from ordermesh.returns.model import ReturnStatus
from ordermesh.returns.schemas import (
    AnalyticsOut,
    PolicyIn,
    PolicyOut,
    PreviewOut,
    ReasonIn,
    ReasonList,
    ReasonOut,
    ReturnableOut,
    ReturnCreate,
    ReturnList,
    ReturnRead,
)

router = APIRouter(tags=["returns"])
RETURNS = "/api/v1/returns"


@router.get("/api/v1/return-reasons", summary="The return reasons a line may give")
def list_reasons(ctx: ReadContext) -> ReasonList:
    return ReasonList(items=ctx.run(lambda uow: policies.list_reasons(uow)))


@router.post("/api/v1/return-reasons", status_code=201, summary="Add a return reason")
def add_reason(body: ReasonIn, ctx: AdminContext) -> ReasonOut:
    """Reasons are data: the usual ones (damaged in transit, defective, wrong item, not as
    described, size or fit, changed mind, arrived late, other) come installed. An
    existing code: `409`."""
    return ReasonOut(**ctx.run(lambda uow: policies.add_reason(uow, body.code, body.label)))


@router.get("/api/v1/return-policies/{channel}", summary="A channel's return policy")
def get_policy(channel: str, ctx: ReadContext) -> PolicyOut:
    """The stored policy, or the default (`stored: false`): 30 days, refunds, authorised
    automatically, no final-sale categories, no returnless refunds."""
    return PolicyOut(**ctx.run(lambda uow: policies.get_policy(uow, channel)))


@router.put("/api/v1/return-policies/{channel}", summary="Set a channel's return policy")
def set_policy(channel: str, body: PolicyIn, ctx: AdminContext) -> PolicyOut:
    """Replaces the whole policy; it applies to returns requested from now on."""
    return PolicyOut(**ctx.run(lambda uow: policies.set_policy(uow, channel, body.policy())))


@router.get("/api/v1/orders/{order_id}/returnable",
            summary="What of an order may be returned, and until when")
def returnable(order_id: str, ctx: ReadContext) -> ReturnableOut:
    """Per line: units shipped, already in a return, refunded, returnable now, and
    whether the product is final sale; with the end of the return window."""
    return ReturnableOut(**ctx.run(lambda uow: service.return_window(uow, order_id)))


@router.post(f"{RETURNS}/preview", summary="Judge a return and show its refund, "
             "without creating it")
def preview(body: ReturnCreate, ctx: WriteContext) -> PreviewOut:
    """The same rules as `POST /returns`, but every refused line is listed in the answer
    (with the rule that refused it) instead of a `422`; writes nothing."""
    return PreviewOut(**ctx.run(lambda uow: service.preview_return(uow, body.command())))


@router.get(RETURNS, summary="List returns, oldest first")
def list_returns(
    ctx: ReadContext,
    status: ReturnStatus | None = None,
    order: Annotated[str | None, Query(max_length=40, description="Order id or number")] = None,
    channel: Annotated[str | None, Query(max_length=40, description="Channel code or id")
                       ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ReturnList:
    def work(uow):
        order_id = order_ref(uow, order).id if order else None
        channel_id = find_channel(uow, channel).id if channel else None
        return queries.list_returns(uow, status=status.value if status else None,
                                    order_id=order_id, channel_id=channel_id, limit=limit,
                                    cursor=cursor)
    items, next_cursor = ctx.run(work)
    return ReturnList(items=items, next_cursor=next_cursor)


@router.get(f"{RETURNS}/analytics", summary="Return rates, what returns cost, customers "
            "far above the norm")
def return_analytics(
    ctx: ReadContext,
    date_from: Annotated[date, Query(alias="from", description="First day orders were "
                                     "placed (UTC)")],
    date_to: Annotated[date, Query(alias="to", description="Last day (included)")],
    group_by: analytics.GroupBy = analytics.GroupBy.SKU,
    channel: Annotated[str | None, Query(max_length=40, description="Channel code or id")
                       ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Most groups answered")] = 50,
) -> AnalyticsOut:
    """By cohort: of the units shipped for the orders placed in the period, how many are in
    a return that was not rejected or cancelled, per SKU, category, channel or reason (most
    returned first); the refunds of those returns and the units each disposition took;
    and the customers whose return rate is far above the period's."""
    def work(uow):
        channel_id = find_channel(uow, channel).id if channel else None
        return analytics.return_analytics(uow, date_from, date_to, group_by, channel_id,
                                          limit)
    with ctx.read_uow() as uow:
        return AnalyticsOut(**work(uow))


@router.get(f"{RETURNS}/{{return_id}}", summary="A return with its timeline")
def get_return(return_id: str, ctx: ReadContext) -> ReturnRead:
    return ReturnRead(**ctx.run(lambda uow: queries.get_return(uow, return_id)))
