"""Request and response bodies of the customer routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ordermesh.customers.model import ConsentEntry, Customer, Medium
from ordermesh.http.schemas import AddressIn

Tag = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class ContactHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: list[Weekday] = Field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"],
                                max_length=7)
    start: str = Field("09:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", alias="from")
    end: str = Field("18:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", alias="to")
    time_zone: str | None = Field(None, max_length=60, examples=["Europe/Berlin"],
                                  description="IANA time zone the hours are in")


class Preferences(BaseModel):
    """How the customer wants to be treated; every field optional."""

    model_config = ConfigDict(extra="forbid")
    gift_wrap: bool | None = None
    no_calls: bool | None = Field(None, description="Never phone them (messages are fine)")
    no_doorbell: bool | None = None
    accessibility_needs: list[Literal[
        "step_free_delivery", "large_print", "screen_reader", "hearing_impaired",
        "extra_delivery_time", "carry_to_room"]] | None = Field(None, max_length=6)
    packaging: Literal["standard", "minimal", "plastic_free"] | None = None
    delivery_instructions: str | None = Field(None, max_length=300)


class CustomerPatch(BaseModel):
    """Only the fields sent change; `null` clears one."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=200)
    language: str | None = Field(None, min_length=2, max_length=8, examples=["de"])
    locale: str | None = Field(None, min_length=2, max_length=16, examples=["de_AT"])
    preferred_channel: str | None = Field(None, max_length=40, description="A channel code")
    preferred_contact: Medium | None = None
    contact_hours: ContactHours | None = None
    notes: str | None = Field(None, max_length=4000)
    tags: list[Tag] | None = Field(None, max_length=30)
    preferences: Preferences | None = None

    def changes(self) -> dict[str, Any]:
        data = self.model_dump(exclude_unset=True, by_alias=True, exclude_none=False)
        for key in ("contact_hours", "preferences"):
            value = getattr(self, key)
            if key in data and value is not None:
                data[key] = value.model_dump(by_alias=True, exclude_none=True)
        if data.get("preferred_contact") is not None:
            data["preferred_contact"] = data["preferred_contact"].value
        return data


class CustomerRead(BaseModel):
    id: str
    email: str | None
    phone: str | None
    name: str | None
    language: str | None
    locale: str | None
    preferred_channel: str | None
    preferred_contact: str | None
    contact_hours: dict | None
    notes: str | None
    tags: list[str]
    preferences: dict
    source_channel: str | None
    merged_into: str | None
    erased_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, c: Customer) -> CustomerRead:
        return cls(
            id=c.id, email=c.email, phone=c.phone, name=c.name, language=c.language,
            locale=c.locale, preferred_channel=c.preferred_channel,
            preferred_contact=c.preferred_contact, contact_hours=c.contact_hours,
            notes=c.notes, tags=c.tags, preferences=c.preferences,
            source_channel=c.source_channel, merged_into=c.merged_into, erased_at=c.erased_at,
            created_at=c.created_at, updated_at=c.updated_at)


class CustomerPage(BaseModel):
    items: list[CustomerRead]
    next_cursor: str | None


class AddressCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str | None = Field(None, max_length=40, examples=["home"])
    address: AddressIn
    default: bool = False


class AddressRead(BaseModel):
    id: str
    customer_id: str
    label: str | None
    address: dict
    is_default: bool
    created_at: datetime


class IdentityCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(max_length=10, description="email, phone or account")
    value: str = Field(min_length=1, max_length=254)
    channel: str | None = Field(None, max_length=40,
                                description="The channel an account id belongs to")


class IdentityRead(BaseModel):
    id: str
    customer_id: str
    kind: str
    channel: str | None
    value: str
    source: str
    created_at: datetime
    undeliverable_at: datetime | None = Field(
        None, description="When a message to it bounced for good (a 5xx answer to the "
        "recipient): nothing is sent to it any more; remove and add it again once fixed")
    undeliverable_reason: str | None = Field(None, description="What the server answered")


class ConsentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: str = Field(max_length=20, examples=["marketing"],
                         description="transactional, marketing, feedback or profiling")
    medium: str = Field(max_length=10, examples=["email"],
                        description="email, sms, whatsapp or push")
    granted: bool = Field(description="true: an opt-in; false: a withdrawal or objection")
    level: str | None = Field(None, max_length=10,
                              description="single or confirmed (opt-ins only)")
    source_channel: str = Field(max_length=40, description="A channel code, or `direct`")
    proof: dict[str, Any] | None = Field(
        None, description="What shows the consent was given: the form, the confirmation "
        "link clicked, the recorded call (a confirmed opt-in needs it)")


class ConsentEntryRead(BaseModel):
    id: str | None = Field(None, description="The ledger entry")
    purpose: str
    medium: str
    granted: bool
    level: str | None
    source_channel: str
    proof: dict[str, Any] | None
    recorded_at: datetime
    recorded_by: str

    @classmethod
    def of(cls, e: ConsentEntry) -> ConsentEntryRead:
        return cls(id=e.id, purpose=e.purpose.value, medium=e.medium.value, granted=e.granted,
                   level=e.level.value if e.level else None, source_channel=e.source_channel,
                   proof=e.proof, recorded_at=e.recorded_at, recorded_by=e.recorded_by)


class ConsentNow(BaseModel):
    purpose: str
    medium: str
    allowed: bool
    level: str | None
    since: datetime | None


class ConsentRead(BaseModel):
    current: list[ConsentNow]
    ledger: list[ConsentEntryRead]


class MergeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: str = Field(max_length=40, description="The duplicate, merged into this one")
    reason: str = Field(min_length=1, max_length=300)


class MergeRead(BaseModel):
    id: str
    survivor_id: str
    merged_id: str
    reason: str
    merged_at: datetime
    merged_by: str
    undone_at: datetime | None
    undone_by: str | None


class DuplicateRead(BaseModel):
    customer_id: str
    name: str | None
    email: str | None
    score: int = Field(description="0-100: how close, the best of the reasons")
    reasons: list[str] = Field(examples=[["name 92", "e-mail 88"]])
