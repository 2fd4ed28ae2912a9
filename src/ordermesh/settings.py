"""Typed settings, read from ``ORDERMESH_*`` environment variables (and a ``.env`` file)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_ADMIN_KEY_LENGTH = 24
MIN_FEEDBACK_SECRET_LENGTH = 32
_MIN_LENGTHS = {"admin_api_key": MIN_ADMIN_KEY_LENGTH, "metrics_token": MIN_ADMIN_KEY_LENGTH,
                "feedback_secret": MIN_FEEDBACK_SECRET_LENGTH}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERMESH_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite:///./var/ordermesh.db",
        description="SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user@host/db",
    )
    admin_api_key: SecretStr | None = Field(
        None, description="Accepted as an admin API key (for automation); 24+ characters"
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    worker_healthcheck_s: int = Field(
        30, ge=1, le=600, description="With several API worker processes: how long a worker "
        "may take to answer the supervisor's health check (starting one imports the whole "
        "app) before it is replaced")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest request body accepted")
    db_pool_size: int = Field(10, ge=1)
    db_max_overflow: int = Field(30, ge=0)
    db_pool_timeout_s: float = Field(
        10.0, gt=0, description="How long a request waits for a free database connection "
        "before it is answered 503"
    )
    sqlite_busy_timeout_ms: int = Field(
        10_000, ge=0, description="How long a SQLite writer waits for the write lock"
    )
    db_lock_timeout_ms: int = Field(
        5_000, ge=0, le=3_600_000, description="PostgreSQL: how long a statement waits for "
        "a lock held by another transaction before the request is answered 503 (0: for ever)")
    db_statement_timeout_ms: int = Field(
        60_000, ge=0, le=86_400_000, description="PostgreSQL: how long one statement may run "
        "before it is cancelled and the request answered 503 (0: no limit)")
    max_concurrent_requests: int = Field(
        32, ge=0, le=10_000, description="Requests one API process works on at once (keep it "
        "at most the thread pool's 40 and the connection pool's size plus overflow); one "
        "more waits up to ORDERMESH_MAX_QUEUE_WAIT_MS for a free place, then is answered "
        "503 with Retry-After before any database work (0: no limit)")
    max_queue_wait_ms: int = Field(
        250, ge=0, le=60_000, description="How long a request waits for a free place among "
        "ORDERMESH_MAX_CONCURRENT_REQUESTS before it is shed with 503")
    request_deadline_ms: int = Field(
        10_000, ge=0, le=600_000, description="A request that has waited this long since it "
        "arrived (at this process, or at the load balancer when it sends X-Request-Start) "
        "is answered 503 instead of being started (0: no deadline)")
    rate_limit_per_key: str = Field(
        "100/second;3000/minute", description="Requests one API key may make per API "
        "process ('N/second', 'N/minute', ... joined by ';'; empty: no limit); beyond, 429 "
        "with Retry-After")
    rate_limit_per_address: str = Field(
        "200/second", description="Requests one client address may make per API process "
        "(the same syntax; empty: no limit); beyond, 429 with Retry-After")
    auth_failures_per_address: str = Field(
        "30/minute", description="Unknown API keys one client address may try per API "
        "process before its keys stop being looked up (429) until the window passes")
    metrics_token: SecretStr | None = Field(
        None, description="The bearer token Prometheus sends to GET /metrics (24+ "
        "characters). Unset: /metrics answers 404")
    idempotency_secrets: SecretStr | None = Field(
        None, description="Keys (comma-separated, newest first, 32+ characters each) of the "
        "HMAC that fingerprints the bodies of Idempotency-Key requests. Unset: derived from "
        "ORDERMESH_SECRET_KEYS; both unset: an unkeyed SHA-256 (development only)")
    log_format: Literal["text", "json"] = Field(
        "text", description="'json': one JSON object per log line, with the request id, "
        "route, status and duration of each request")
    webhook_timeout_s: float = Field(
        10.0, gt=0, le=60, description="How long one webhook delivery may take")
    webhook_retry_hours: float = Field(
        72.0, gt=0, le=24 * 14, description="How long a failing webhook delivery is "
        "retried (with exponential backoff and jitter) before it is dead-lettered")
    webhook_disable_after: int = Field(
        20, ge=1, le=100_000, description="Failed webhook attempts in a row after which an "
        "endpoint is disabled")
    connector_timeout_s: float = Field(
        10.0, gt=0, le=60, description="How long one call to a shop platform may take")
    connector_max_attempts: int = Field(
        8, ge=1, le=50, description="Attempts of one push to a platform before it is failed")
    connector_retry_base_s: float = Field(
        30.0, gt=0, le=3600, description="Delay before a push is retried; each next one "
        "waits up to twice as long (at most an hour), or the platform's Retry-After")
    connector_stock_interval_s: float = Field(
        60.0, gt=0, le=86_400, description="How often each connector's available-to-sell "
        "is compared with what the platform was last told (one push per changed SKU)")
    connector_poll_interval_s: float = Field(
        300.0, gt=0, le=86_400, description="How often each connector asks its platform for "
        "orders updated since its last poll, to take in what a webhook missed")
    connector_poll_overlap_s: float = Field(
        120.0, ge=0, le=86_400, description="How far before the last poll's start the next "
        "one reads again, so a platform clock behind ours loses no order")
    connector_poll_page_size: int = Field(
        100, ge=1, le=250, description="Orders asked for per page (WooCommerce takes at "
        "most 100, Shopify 250)")
    connector_poll_max_pages: int = Field(
        10, ge=1, le=1000, description="Pages one worker pass reads per connector; a longer "
        "walk goes on at the next pass")
    connector_listings_refresh_minutes: float = Field(
        60.0, gt=0, le=10_080, description="How often the platform's SKUs and their ids "
        "are read again")
    nats_url: str | None = Field(
        None, description="NATS server with JetStream (nats://127.0.0.1:4222) the worker "
        "publishes every event to; unset: no publishing")
    nats_stream: str = Field("ORDERMESH", pattern=r"^[A-Za-z0-9_-]{1,64}$",
                             description="The JetStream stream events are published to")
    nats_subject_prefix: str = Field(
        "ordermesh.events", pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$",
        description="Each event goes to '<prefix>.<event type>'")
    nats_timeout_s: float = Field(5.0, gt=0, le=60,
                                  description="Limit of each wait on the NATS server")
    payment_gateway_url: str | None = Field(
        None, description="Base URL of the card gateway reached over HTTP (provider "
        "'gateway', docs/payments.md); unset: no such provider")
    payment_gateway_api_key: SecretStr | None = Field(
        None, description="Sent to the gateway as 'Authorization: Bearer <key>'")
    payment_gateway_timeout_s: float = Field(
        10.0, gt=0, le=50, description="How long one call to the gateway may take; past "
        "it the outcome is unknown and the call is sent again later with the same key "
        "(below the 60 s a call holds its payment intent)")
    idempotency_retention_hours: float = Field(
        24 * 30, gt=0, le=24 * 3650, description="How long an Idempotency-Key is remembered; "
        "the worker forgets older ones, and a request repeated with a forgotten key runs again")
    placement_batching: bool = Field(
        False, description="Place the orders that arrive together at one API process in "
        "one transaction (natural batching, flows/batcher.py)"
    )
    placement_batch_max: int = Field(
        256, ge=1, le=1000, description="Most orders one natural batch places"
    )

    feedback_secret: SecretStr | None = Field(
        None, description="Signs the single-use links of feedback requests (32+ characters; "
        "changing it makes the links already sent unusable). Unset: no feedback requests "
        "are sent, and the answer page refuses every link")
    public_url: str = Field(
        "http://127.0.0.1:8000", pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="Where customers reach this server: feedback links start with it")
    feedback_delay_days: int = Field(
        3, ge=0, le=60, description="Days after the delivery scan (or a resolved return) "
        "a feedback request is sent")
    feedback_quiet_days: int = Field(
        30, ge=0, le=365, description="A customer asked for feedback in the last this many "
        "days is not asked again")
    feedback_link_days: int = Field(
        30, ge=1, le=365, description="How long a feedback link may be used")
    smtp_host: str | None = Field(
        None, min_length=1, max_length=253, description="The SMTP server customer e-mails are "
        "handed to. Unset: the worker queues no messages and sends none")
    smtp_port: int = Field(25, ge=1, le=65535, description="Its port")
    smtp_from: str = Field(
        "shop@example.com", min_length=3, max_length=254,
        description="The From address of customer e-mails ('Shop <shop@example.com>' too)")
    smtp_timeout_s: float = Field(
        10.0, gt=0, le=120, description="How long one SMTP conversation may take")
    message_max_attempts: int = Field(
        6, ge=1, le=50, description="Attempts to send a message before it is failed")
    message_retry_base_s: float = Field(
        60.0, gt=0, le=86_400, description="Delay before the first retry; each next one "
        "waits twice as long (at most a day)")
    sms_provider_url: str | None = Field(
        None, pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        description="Base URL of the HTTP SMS provider (docs/messaging.md#sms). Unset: no "
        "SMS; customers who prefer SMS get e-mail")
    sms_api_key: SecretStr | None = Field(
        None, description="Bearer token the SMS provider expects")
    sms_sender: str = Field("Shop", min_length=1, max_length=15,
                            description="Sender id or number the SMS come from")
    sms_timeout_s: float = Field(
        10.0, gt=0, le=60, description="How long one request to the SMS provider may take")
    sms_callback_secret: SecretStr | None = Field(
        None, description="Shared secret the SMS provider signs its delivery reports with "
        "(HMAC-SHA256). Unset: every report is refused")
    message_quiet_hours: str | None = Field(
        "21:00-08:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="Local hours in the customer's time zone when no message goes out to a "
        "customer who set no contact hours of their own; messages wait for the end. "
        "Unset: none")
    message_transactional_in_quiet_hours: bool = Field(
        False, description="Shipping, delivery and refund notices go out in quiet hours too "
        "(order confirmations always do; feedback requests never)")
    message_cap: int = Field(
        3, ge=0, le=1000, description="At most this many messages to one customer in "
        "`message_cap_hours`; further ones that are not transactional are suppressed. "
        "0: no cap")
    message_cap_hours: int = Field(24, ge=1, le=24 * 31, description="The cap's period")
    message_coalesce_s: dict[str, int] = Field(
        {"shipped": 300}, description="Coalescing windows per message type, in seconds (JSON, "
        "'{\"shipped\": 300}'): the events of one order and type within the window after "
        "the first become one message, sent when the window closes. A type not named: none. "
        "Delay notices are never coalesced")

    @field_validator("message_coalesce_s")
    @classmethod
    def _refuse_bad_coalescing(cls, value: dict[str, int]) -> dict[str, int]:
        from ordermesh.messaging.model import coalescing_errors

        if errors := coalescing_errors(value):
            raise ValueError("; ".join(errors))
        return value
    secret_keys: SecretStr | None = Field(
        None, description="Fernet keys (comma-separated, newest first) that encrypt stored "
        "secrets (carrier webhook secrets and credentials); `ordermesh secrets new-key` "
        "makes one. Unset: stored in clear (development only)")

    @field_validator("secret_keys")
    @classmethod
    def _refuse_bad_secret_keys(cls, value: SecretStr | None) -> SecretStr | None:
        from ordermesh.kit.secrets import Keyring

        if value is not None:
            Keyring.from_setting(value.get_secret_value())  # raises ValueError if malformed
        return value

    @field_validator("rate_limit_per_key", "rate_limit_per_address", "auth_failures_per_address")
    @classmethod
    def _refuse_bad_rate_limits(cls, value: str) -> str:
        from ordermesh.http.rate_limits import parse_limits

        parse_limits(value)  # raises ValueError if malformed
        return value

    @field_validator("idempotency_secrets")
    @classmethod
    def _refuse_weak_idempotency_secrets(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and any(
                len(part.strip()) < MIN_FEEDBACK_SECRET_LENGTH
                for part in value.get_secret_value().split(",")):
            raise ValueError("each of ORDERMESH_IDEMPOTENCY_SECRETS must be at least "
                             f"{MIN_FEEDBACK_SECRET_LENGTH} characters")
        return value

    @field_validator("admin_api_key", "metrics_token", "feedback_secret")
    @classmethod
    def _refuse_short_secrets(cls, value: SecretStr | None,
                              info: ValidationInfo) -> SecretStr | None:
        least = _MIN_LENGTHS[info.field_name]
        if value is not None and len(value.get_secret_value()) < least:
            raise ValueError(
                f"ORDERMESH_{info.field_name.upper()} must be at least {least} characters")
        return value
