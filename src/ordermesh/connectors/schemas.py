"""The API's shapes of connector accounts, their inbox and their pushes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ordermesh.connectors.accounts import AccountView
from ordermesh.connectors.health import Health
from ordermesh.connectors.inbox import InboxEntry
from ordermesh.connectors.model import InboxStatus, Platform, PushKind, PushStatus
from ordermesh.connectors.polls import PollState
from ordermesh.connectors.pushes import Push

CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
Credentials = dict[str, str]


class ConnectorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=CODE_PATTERN, description="Our name of the connection; its "
                      "webhook address is /api/v1/connectors/{code}/webhooks")
    platform: Platform
    channel: str = Field(min_length=1, max_length=40,
                         description="Our channel (code) its orders are placed in and "
                         "whose available-to-sell it is told")
    base_url: str = Field(max_length=300, description="The shop's address: "
                          "https://{shop}.myshopify.com, or the WordPress site's")
    credentials: Credentials = Field(description="Shopify: access_token (Admin API) and "
                                     "webhook_secret (the app's secret that signs "
                                     "webhooks); WooCommerce: consumer_key, "
                                     "consumer_secret (REST API) and webhook_secret. "
                                     "Write-only, encrypted at rest, never returned")
    settings: dict[str, Any] = Field(default_factory=dict,
                                     description="Shopify: location_id (required), "
                                     "api_version, tracking_url_template; WooCommerce: "
                                     "tracking_url_template")


class ConnectorPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    base_url: str | None = Field(None, max_length=300)
    credentials: Credentials | None = Field(None, description="Replaces every credential")
    settings: dict[str, Any] | None = None
    active: bool | None = None


class ConnectorRead(BaseModel):
    id: str
    code: str
    platform: Platform
    channel: str
    base_url: str
    settings: dict[str, Any]
    credential_names: list[str] = Field(description="Which credentials are stored (their "
                                        "values are never returned)")
    active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: AccountView) -> ConnectorRead:
        return cls(**view.__dict__)


class ConnectorList(BaseModel):
    items: list[ConnectorRead]


class InboxRead(BaseModel):
    id: str
    webhook_id: str = Field(description="The platform's delivery id (X-Shopify-Webhook-Id)")
    topic: str
    external_id: str | None = Field(description="The platform's order id")
    status: InboxStatus
    order_id: str | None
    reason: dict[str, Any] | None = Field(description="Why it was refused or ignored: the "
                                          "problem the order was refused with")
    received_at: datetime

    @classmethod
    def of(cls, entry: InboxEntry) -> InboxRead:
        return cls(**entry.__dict__)


class InboxPage(BaseModel):
    items: list[InboxRead]
    next_cursor: str | None


class PushRead(BaseModel):
    id: str
    kind: PushKind
    subject: str = Field(description="The SKU (stock) or the platform's order id")
    payload: dict[str, Any]
    status: PushStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, push: Push) -> PushRead:
        return cls(**{k: v for k, v in push.__dict__.items() if k != "account_id"})


class PushPage(BaseModel):
    items: list[PushRead]
    next_cursor: str | None


class PollRead(BaseModel):
    mark: datetime = Field(description="Orders updated since this time (less the overlap) "
                           "are read at the next walk")
    walk_started_at: datetime | None = Field(description="A walk over the pages under way "
                                             "since then; the mark moves here at its end")
    due_at: datetime = Field(description="When the worker polls next")
    failures: int = Field(description="Polls in a row the platform did not answer")
    orders_read: int
    last_poll_at: datetime | None
    last_ok_at: datetime | None = Field(description="The last page read and recorded")
    last_error: str | None
    last_error_at: datetime | None

    @classmethod
    def of(cls, poll: PollState) -> PollRead:
        return cls(**{k: v for k, v in poll.__dict__.items()
                      if k not in ("account_id", "cursor")})


class HealthRead(BaseModel):
    last_webhook_at: datetime | None
    webhooks_refused: int = Field(description="Platform orders that could not be placed")
    pushes_waiting: int
    pushes_failed: int
    oldest_waiting_since: datetime | None = Field(description="The lag: when the oldest "
                                                  "waiting push was recorded")
    last_push_ok_at: datetime | None
    last_error: str | None
    listings: int = Field(description="SKUs the platform lists")
    listings_refreshed_at: datetime | None
    stock_compared_at: datetime | None
    poll: PollRead | None = Field(description="Polling for orders a webhook missed; null "
                                  "until the first poll")

    @classmethod
    def of(cls, health: Health) -> HealthRead:
        return cls(**{**health.__dict__,
                      "poll": PollRead.of(health.poll) if health.poll else None})
