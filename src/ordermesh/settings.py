"""Typed settings, read from ``ORDERMESH_*`` environment variables (and a ``.env`` file)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_ADMIN_KEY_LENGTH = 24
MIN_FEEDBACK_SECRET_LENGTH = 32


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
    webhook_timeout_s: float = Field(
        10.0, gt=0, le=60, description="How long one webhook delivery may take")
    webhook_retry_hours: float = Field(
        72.0, gt=0, le=24 * 14, description="How long a failing webhook delivery is "
        "retried (with exponential backoff and jitter) before it is dead-lettered")
    webhook_disable_after: int = Field(
        20, ge=1, le=100_000, description="Failed webhook attempts in a row after which an "
        "endpoint is disabled")
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

    @field_validator("admin_api_key")
    @classmethod
    def _refuse_weak_admin_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_ADMIN_KEY_LENGTH:
            raise ValueError(
                f"ORDERMESH_ADMIN_API_KEY must be at least {MIN_ADMIN_KEY_LENGTH} characters"
            )
        return value

    @field_validator("feedback_secret")
    @classmethod
    def _refuse_weak_feedback_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_FEEDBACK_SECRET_LENGTH:
            raise ValueError("ORDERMESH_FEEDBACK_SECRET must be at least "
                             f"{MIN_FEEDBACK_SECRET_LENGTH} characters")
        return value
