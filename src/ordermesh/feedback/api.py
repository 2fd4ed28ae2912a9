"""Routes of feedback: entering and importing it, reading it, the requests, insights."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from ordermesh.feedback import insights as insights_query
from ordermesh.feedback import requests, service
from ordermesh.feedback.model import Kind, RequestStatus
from ordermesh.feedback.schemas import (
    FeedbackIn,
    FeedbackList,
    FeedbackRead,
    InsightsRead,
    RequestList,
)
from ordermesh.http.deps import ReadContext, WriteContext
from ordermesh.kit.pagination import MAX_PAGE_SIZE
from ordermesh.orders.queries import order_ref

router = APIRouter(tags=["feedback"])
FEEDBACK = "/api/v1/feedback"
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Ref = Annotated[str | None, Query(min_length=1, max_length=64)]


@router.post(FEEDBACK, status_code=201, summary="Enter feedback, or import a channel's rating")
def create_feedback(body: FeedbackIn, ctx: WriteContext) -> FeedbackRead:
    """One piece of feedback an agent took down (`source: agent`) or a marketplace rating
    imported (`source: import`, with its `channel` and `external_ref`). The score must
    be on its kind's scale, the order the customer's, the line in the order: otherwise
    `422` and nothing is stored. The text is collated at once (sentiment, topics).
    Writes `feedback.received` (and `feedback.alert_raised` when its product, carrier or
    location turns negative)."""
    idem = ctx.idempotency(body)
    return FeedbackRead(**ctx.run(lambda uow: service.record_feedback(
        uow, body.command(), idem)))


@router.get(FEEDBACK, summary="List feedback, newest first")
def list_feedback(
    ctx: ReadContext, customer: Ref = None,
    order: Annotated[str | None, Query(max_length=40, description="Order id or number")] = None,
    sku: Ref = None, carrier: Ref = None, kind: Kind | None = None, limit: Limit = 50,
) -> FeedbackList:
    def work(uow):
        order_id = order_ref(uow, order).id if order else None
        return service.list_feedback(uow, customer_id=customer, order_id=order_id, sku=sku,
                                     carrier=carrier, kind=kind.value if kind else None,
                                     limit=limit)
    return FeedbackList(items=ctx.run(work))


@router.get(f"{FEEDBACK}/insights", summary="What customers think of X, the hitch, and "
            "whether it is getting better")
def feedback_insights(
    ctx: ReadContext, sku: Ref = None, category: Ref = None,
    channel: Ref = None, carrier: Ref = None, location: Ref = None,
    since: AwareDatetime | None = None, until: AwareDatetime | None = None,
    period: Annotated[str, Query(pattern="^(week|month)$")] = "month",
) -> InsightsRead:
    """NPS, CSAT and average rating of the subject (any of product `sku`, `category`,
    `channel`, `carrier`, `location`; none: everything) in the window (default the last
    180 days), each with its sample size `n` and 95 % interval; the trend per week or
    month and whether the last period is better than the one before; the topics mentioned
    (negative ones first) with the words that matched and the quotes behind them; the
    topics in detractors' answers; alerts raised about the subject."""
    about = insights_query.About(sku, category, channel, carrier, location,
                                 _utc(since), _utc(until), period)
    return InsightsRead(**ctx.run(lambda uow: insights_query.insights(uow, about)))


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value else None


@router.get(f"{FEEDBACK}/{{feedback_id}}", summary="One piece of feedback")
def get_feedback(feedback_id: str, ctx: ReadContext) -> FeedbackRead:
    return FeedbackRead(**ctx.run(lambda uow: service.get_feedback(uow, feedback_id)))


@router.get("/api/v1/feedback-requests", summary="Feedback requests, newest first")
def list_requests(
    ctx: ReadContext, status: RequestStatus | None = None,
    order: Annotated[str | None, Query(max_length=40, description="Order id or number")] = None,
    limit: Limit = 50,
) -> RequestList:
    """Scheduled, sent, suppressed (with the reason) and answered requests. The link
    itself is only in the `feedback.requested` event, for the mailer."""
    def work(uow):
        order_id = order_ref(uow, order).id if order else None
        return requests.list_requests(uow, status=status.value if status else None,
                                      order_id=order_id, limit=limit)
    return RequestList(items=ctx.run(work))
