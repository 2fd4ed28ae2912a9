"""Worker jobs of messaging: queue messages from the outbox, then send the due ones.
Registered in ``worker.default_jobs``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import assign_positions
from ordermesh.messaging.model import RetryPolicy
from ordermesh.messaging.queueing import queue_from_events
from ordermesh.messaging.rules import SendRules, parse_window
from ordermesh.messaging.sending import (
    Claimed,
    EmailMedium,
    Medium,
    SmtpServer,
    claim_due,
    record,
)
from ordermesh.messaging.sms import SmsMedium, SmsProvider
from ordermesh.settings import Settings


def policy_of(settings: Settings) -> RetryPolicy:
    return RetryPolicy(max_attempts=settings.message_max_attempts,
                       base=timedelta(seconds=settings.message_retry_base_s),
                       cap=timedelta(days=1),
                       # an SMS attempt (three connects, a write, a read) fits in the
                       # six steps of an SMTP conversation the lease allows per message
                       timeout_s=max(settings.smtp_timeout_s, settings.sms_timeout_s))


def rules_of(settings: Settings) -> SendRules:
    quiet = settings.message_quiet_hours
    return SendRules(quiet_hours=parse_window(quiet) if quiet else None,
                     transactional_in_quiet_hours=settings.message_transactional_in_quiet_hours,
                     cap=settings.message_cap,
                     cap_period=timedelta(hours=settings.message_cap_hours))


def server_of(settings: Settings) -> SmtpServer | None:
    if not settings.smtp_host:
        return None
    return SmtpServer(settings.smtp_host, settings.smtp_port, settings.smtp_from,
                      settings.smtp_timeout_s)


STATUS_CALLBACK = "/api/v1/sms/status"


def media_of(settings: Settings) -> dict[str, Medium]:
    """The media configured: e-mail with an SMTP host, SMS with a provider URL."""
    media: dict[str, Medium] = {}
    server = server_of(settings)
    if server is not None:
        media["email"] = EmailMedium(server)
    if settings.sms_provider_url:
        key = settings.sms_api_key.get_secret_value() if settings.sms_api_key else ""
        media["sms"] = SmsMedium(SmsProvider(
            settings.sms_provider_url, key, settings.sms_sender, settings.sms_timeout_s,
            settings.public_url.rstrip("/") + STATUS_CALLBACK))
    return media


@dataclass(frozen=True)
class MessageQueueing:
    """New outbox events become messages, each batch its own transaction. Without a
    medium (``ORDERMESH_SMTP_HOST``, ``ORDERMESH_SMS_PROVIDER_URL``) nothing is queued
    (the cursor stays, so configuring one later picks up the events of the last two
    days)."""

    name: str = "message-queueing"
    batch: int = 200
    max_batches: int = 10

    def run_once(self, container: Container) -> int:
        media = frozenset(media_of(container.settings))
        if not media:
            return 0
        actor = f"worker:{self.name}"
        with UnitOfWork(container.engine, container.clock, actor=actor) as uow:
            assign_positions(uow)
        total = 0
        for _ in range(self.max_batches):
            with UnitOfWork(container.engine, container.clock, actor=actor) as uow:
                done = queue_from_events(uow, self.batch, media,
                                         container.settings.message_coalesce_s)
            total += done
            if done < self.batch:
                break
        return total


@dataclass(frozen=True)
class MessageSender:
    """Sends due messages one attempt each (an SMTP conversation, a request to the SMS
    provider), never inside a transaction."""

    name: str = "message-sender"
    batch: int = 20
    max_batches: int = 10

    def run_once(self, container: Container) -> int:
        media = media_of(container.settings)
        if not media:
            return 0
        policy, rules = policy_of(container.settings), rules_of(container.settings)
        total = 0
        for _ in range(self.max_batches):
            claimed = self._claim(container, policy, rules, frozenset(media))
            self._send_claimed(container, media, policy, claimed)
            total += len(claimed)
            if len(claimed) < self.batch:
                break
        return total

    def _send_claimed(self, container: Container, media: dict[str, Medium],
                      policy: RetryPolicy, claimed: list[Claimed]) -> None:
        for one in claimed:
            if container.clock.now() >= one.lease_until:
                return  # too slow: the rest is another sender's once the lease is over
            outcome = media[one.medium].send(one)
            with UnitOfWork(container.engine, container.clock,
                            actor=f"worker:{self.name}") as uow:
                record(uow, one, outcome, policy)

    def _claim(self, container: Container, policy: RetryPolicy, rules: SendRules,
               media: frozenset[str]) -> list[Claimed]:
        with UnitOfWork(container.engine, container.clock,
                        actor=f"worker:{self.name}") as uow:
            return claim_due(uow, self.batch, policy, rules, media)
