"""Pydantic models of the messaging API."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field

from ordermesh.messaging.model import MessageStatus, MessageType


class MessageSummary(BaseModel):
    id: str
    type: MessageType
    medium: str = Field(description="`email` or `sms`")
    status: MessageStatus = Field(description="`queued` (waiting for its next attempt, "
                                  "or deferred by quiet hours: see `reason`), `sending`, "
                                  "`sent`, `failed` (every attempt failed), `bounced` (the "
                                  "recipient was refused for good), `suppressed` (a rule "
                                  "said no: see `reason`)")
    recipient: str = Field(description="The address it goes to; empty when the customer "
                           "has none")
    customer_id: str | None
    order_id: str | None
    order_number: str | None
    language: str = Field(description="The language of the template used")
    locale: str = Field(description="The locale money and dates are formatted in")
    subject: str
    reason: str | None = Field(description="Why it was suppressed, or why it was last "
                               "deferred (quiet hours, contact hours)")
    attempts: int
    next_attempt_at: AwareDatetime | None
    last_error: str | None = Field(description="What the SMTP server, the SMS provider "
                                   "(or the network) said at the last failed attempt")
    source_event_id: str = Field(description="The event that caused it")
    source_event_type: str
    created_at: AwareDatetime
    sent_at: AwareDatetime | None = Field(description="When the SMTP server or the SMS "
                                          "provider accepted it")
    finished_at: AwareDatetime | None = Field(description="When it reached its final "
                                              "status (an SMS: its delivery report)")
    provider_id: str | None = Field(description="The SMS provider's id of it")
    delivered_at: AwareDatetime | None = Field(description="When the SMS provider reported "
                                               "it delivered to the phone")


class HistoryEntry(BaseModel):
    status: str = Field(description="`queued`, `suppressed`, `deferred` (a rule said "
                        "later), `coalesced` (another event joined it), `retry` (an "
                        "attempt failed, another follows), `sent`, `failed` or `bounced`")
    attempt: int | None
    detail: str | None
    at: AwareDatetime


class SourceEvent(BaseModel):
    id: str
    type: str
    occurred_at: AwareDatetime | None = Field(description="None for a message queued "
                                              "before coalescing was built")


class MessageRead(MessageSummary):
    body_text: str
    body_html: str
    source_events: list[SourceEvent] = Field(
        description="Every event the message tells of, oldest first: several when events "
        "of one order were coalesced into it")
    history: list[HistoryEntry]


class MessageList(BaseModel):
    items: list[MessageSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next, older page")
