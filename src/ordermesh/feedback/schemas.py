"""Pydantic models of the feedback API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ordermesh.feedback.model import MAX_TEXT, Kind, RequestStatus, Source, Trigger
from ordermesh.feedback.service import Entered, Piece


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FeedbackIn(Strict):
    source: Source = Field(description="`agent`: entered by an agent; `import`: a channel's "
                           "rating (needs `channel`). `request` answers come only through "
                           "the link.")
    customer_id: str = Field(min_length=1, max_length=40)
    kind: Kind = Field(description="nps 0-10, csat 1-5 (the delivery), product_rating 1-5 "
                       "(one order line, needs `line_no`), text (no score)")
    score: int | None = Field(None, strict=True, ge=0, le=10,
                              description="On the kind's scale; none for text")
    text: str | None = Field(None, max_length=MAX_TEXT, description="What the customer said")
    order: str | None = Field(None, min_length=1, max_length=40,
                              description="Order id or number; must be the customer's")
    line_no: int | None = Field(None, strict=True, ge=1, description="A line of `order`")
    channel: str | None = Field(None, min_length=1, max_length=40,
                                description="Channel code or id (an order's own channel)")
    external_ref: str | None = Field(None, min_length=1, max_length=200,
                                     description="The channel's id of the rating: a second "
                                     "import of it is refused with 409")
    received_at: AwareDatetime | None = Field(None, description="When the customer said it "
                                              "(default now); not in the future")

    def command(self) -> Entered:
        return Entered(self.source, self.customer_id,
                       Piece(self.kind, self.score, self.text, self.line_no), self.order,
                       self.channel, self.external_ref, self.received_at)


class FeedbackRead(BaseModel):
    id: str
    source: Source
    kind: Kind
    score: int | None
    text: str | None
    request_id: str | None
    customer_id: str
    order_id: str | None
    line_no: int | None
    product_id: str | None
    sku: str | None
    category: str | None
    shipment_id: str | None
    carrier: str | None
    location_id: str | None
    channel_id: str | None
    external_ref: str | None
    sentiment: float | None = Field(description="VADER compound score, -1 (negative) to 1")
    topics: list[dict[str, Any]] = Field(description="Topics of the taxonomy the text "
                                         "mentions, each with the words that matched")
    actor: str
    received_at: datetime
    created_at: datetime


class FeedbackList(BaseModel):
    items: list[FeedbackRead]


class RequestRead(BaseModel):
    id: str
    trigger: Trigger
    status: RequestStatus
    customer_id: str | None
    order_id: str
    order_number: str
    fo_id: str | None
    shipment_id: str | None
    carrier: str | None
    location_id: str | None
    channel_id: str | None
    return_id: str | None
    lines: list[dict[str, Any]]
    due_at: datetime
    sent_at: datetime | None
    expires_at: datetime | None
    answered_at: datetime | None
    suppressed_reason: str | None


class RequestList(BaseModel):
    items: list[RequestRead]


class InsightsRead(BaseModel):
    about: dict[str, Any] = Field(description="The subject asked about; empty: everything")
    since: datetime
    until: datetime
    period: str
    pieces: int = Field(description="Pieces of feedback in the window about the subject")
    summary: str = Field(description="The answer in one paragraph")
    nps: dict[str, Any] | None = Field(description="value (-100..100), ci95, n")
    csat: dict[str, Any] | None = Field(description="% of 4-5 answers, Wilson ci95, n")
    rating: dict[str, Any] | None = Field(description="average stars, ci95, n")
    sentiment: dict[str, Any]
    trend: list[dict[str, Any]] = Field(description="Per week or month: nps, csat, rating")
    getting_better: dict[str, str] = Field(description="Last period against the one "
                                           "before: better, worse (intervals apart), no "
                                           "clear change, not enough data")
    themes: list[dict[str, Any]] = Field(description="Topics mentioned, most negative first, "
                                         "with the matched words and the quotes behind them")
    detractors: int
    detractor_themes: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
