from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, UrlConstraints

from ordermesh.webhooks.model import Attempt, Delivery, Endpoint

WebhookUrl = Annotated[AnyHttpUrl, UrlConstraints(max_length=2000,
                                                  allowed_schemes=["http", "https"])]
EventTypes = Annotated[list[str], Field(
    min_length=1, max_length=100,
    description="Event types to receive: exact ('order.created'), a prefix ('order.*') or "
                "'*' for all", examples=[["order.*", "refund.issued"]])]
Secret = Annotated[str, Field(
    max_length=120, description="A Standard Webhooks secret, 'whsec_' and 24 to 64 bytes in "
    "base64; made for you when left out", examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])]


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: WebhookUrl = Field(description="Where deliveries are POSTed")
    event_types: EventTypes
    description: str | None = Field(None, max_length=200)
    secret: Secret | None = None


class EndpointPatch(BaseModel):
    """Only the fields sent change; `enabled: true` re-enables a disabled endpoint."""

    model_config = ConfigDict(extra="forbid")
    url: WebhookUrl | None = None
    event_types: EventTypes | None = None
    description: str | None = Field(None, max_length=200)
    enabled: bool | None = None


class RotateSecret(BaseModel):
    model_config = ConfigDict(extra="forbid")
    keep_previous_hours: int = Field(
        24, ge=0, le=168, description="How long deliveries are also signed with the old "
        "secret (0: not at all)")
    secret: Secret | None = None


class EndpointRead(BaseModel):
    id: str
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None = Field(description="Why it was disabled, when it is")
    consecutive_failures: int = Field(description="Failed attempts since the last success")
    previous_secret_until: datetime | None = Field(
        description="Until when deliveries are also signed with the previous secret")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, endpoint: Endpoint) -> EndpointRead:
        return cls(**{**vars(endpoint), "event_types": list(endpoint.event_types)})


class EndpointWithSecret(EndpointRead):
    secret: str = Field(description="The signing secret; shown only here: keep it")

    @classmethod
    def with_secret(cls, endpoint: Endpoint, secret: str) -> EndpointWithSecret:
        return cls(**EndpointRead.of(endpoint).model_dump(), secret=secret)


class EndpointList(BaseModel):
    items: list[EndpointRead]


class AttemptRead(BaseModel):
    attempt: int
    attempted_at: datetime
    status_code: int | None = Field(description="The endpoint's answer; null: none came")
    duration_ms: int
    error: str | None

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptRead:
        return cls(**vars(attempt))


class DeliveryRead(BaseModel):
    id: str
    endpoint_id: str
    event_id: str = Field(description="Sent as `webhook-id`: dedupe on it")
    event_position: int
    event_type: str
    occurred_at: datetime
    status: str = Field(description="pending, succeeded or dead (retried for the whole "
                                    "retry period in vain)")
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    attempt_log: list[AttemptRead] = Field(description="The latest attempts, newest first")

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryRead:
        return cls(**{**vars(delivery),
                      "attempt_log": [AttemptRead.of(a) for a in delivery.attempt_log]})


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next, older page")


class ReplayResult(BaseModel):
    requeued: int = Field(description="Deliveries that will be sent again")
    created: int = Field(description="Events of the range the endpoint had not been sent")
