"""Request and response bodies of the campaign routes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from ordermesh.messaging.campaigns import CampaignStatus

Language = Annotated[str, Field(min_length=2, max_length=2, pattern=r"^[a-z]{2}$")]
Template = Annotated[str, Field(max_length=20_000)]


class ContentIn(BaseModel):
    """One language of the message, as sandboxed Jinja2 templates: they see `name` (the
    customer's), `unsubscribe_url` and `locale`, and the filters `money` and `date`."""

    model_config = ConfigDict(extra="forbid")
    subject: Template | None = Field(None, description="E-mail only: the subject line")
    text: Template = Field(description="The plain text (the whole SMS)")
    html: Template | None = Field(None, description="E-mail only; made from the text when "
                                  "missing. What a variable inserts is escaped")

    def as_stored(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class CampaignFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=200)
    segment_id: str | None = Field(None, min_length=1, max_length=40,
                                   description="The saved segment it goes to")
    medium: Literal["email", "sms"] | None = None
    content: dict[Language, ContentIn] | None = Field(
        None, min_length=1, max_length=20, description="The message per language; a "
        "customer gets theirs, else the default language's")
    default_language: Language | None = None
    throttle_per_minute: int | None = Field(None, ge=1, le=100_000,
                                            description="At most this many sent a minute")
    scheduled_at: AwareDatetime | None = Field(None, description="When the worker starts "
                                               "it (after `POST …/schedule`)")

    def changes(self) -> dict:
        out = {k: v for k, v in self.model_dump(exclude_unset=True).items()
               if k != "content"}
        if "content" in self.model_fields_set and self.content is not None:
            out["content"] = {lang: c.as_stored() for lang, c in self.content.items()}
        return out


class CampaignCreate(CampaignFields):
    name: str = Field(min_length=1, max_length=200)
    segment_id: str = Field(min_length=1, max_length=40)
    medium: Literal["email", "sms"] = "email"
    content: dict[Language, ContentIn] = Field(min_length=1, max_length=20)
    default_language: Language = "en"
    throttle_per_minute: int = Field(100, ge=1, le=100_000)


class CampaignPatch(CampaignFields):
    """Only what is given changes."""


class Skipped(BaseModel):
    no_consent: int = Field(description="No marketing opt-in for the medium")
    unsubscribed: int = Field(description="Withdrew their marketing consent (before the "
                              "start, or while their message waited)")
    no_address: int = Field(description="No e-mail address (phone number for SMS)")
    undeliverable: int = Field(description="The address bounced for good")
    duplicate_address: int = Field(description="Another member with the same address got "
                                   "the message")
    frequency_cap: int = Field(description="The frequency cap was reached before its "
                               "attempt")
    cancelled: int = Field(description="Queued when the campaign was cancelled")


class Counts(BaseModel):
    audience: int = Field(description="Members of the segment when it started, looked at "
                          "so far")
    queued: int = Field(description="Messages waiting for their attempt (the throttle, a "
                        "retry, quiet hours)")
    waiting_quiet_hours: int = Field(description="Of those queued, deferred by the "
                                     "customer's quiet hours or contact hours")
    sent: int = Field(description="Accepted by the SMTP server or the SMS provider")
    delivered: int = Field(description="Of those sent, reported delivered (SMS)")
    failed: int = Field(description="Every attempt failed, or the address bounced")
    skipped: Skipped


class CampaignRead(BaseModel):
    id: str
    name: str
    segment_id: str
    medium: str
    content: dict[str, dict[str, str]]
    default_language: str
    throttle_per_minute: int
    scheduled_at: AwareDatetime | None
    status: CampaignStatus
    version: int = Field(description="1 when created, one more with each edit")
    created_at: AwareDatetime
    created_by: str
    updated_at: AwareDatetime
    started_at: AwareDatetime | None = Field(description="When the worker froze its "
                                             "audience")
    finished_at: AwareDatetime | None
    audience_frozen: bool = Field(description="Every customer was looked at")
    counts: Counts | None = Field(None, description="Only when one campaign is read")


class SendTestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: str = Field(min_length=3, max_length=254, description="An e-mail address "
                         "(a phone number for an SMS campaign)")
    language: Language | None = Field(None, description="Default: the campaign's")


class SendTestRead(BaseModel):
    message_id: str = Field(description="The message, in `GET /messages/{id}`")
    campaign_id: str
    recipient: str
    medium: str
    language: str
    subject: str
    status: str
