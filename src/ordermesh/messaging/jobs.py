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
from ordermesh.messaging.sending import Claimed, SmtpServer, claim_due, record, send
from ordermesh.settings import Settings


def policy_of(settings: Settings) -> RetryPolicy:
    return RetryPolicy(max_attempts=settings.message_max_attempts,
                       base=timedelta(seconds=settings.message_retry_base_s),
                       cap=timedelta(days=1), timeout_s=settings.smtp_timeout_s)


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


@dataclass(frozen=True)
class MessageQueueing:
    """New outbox events become messages, each batch its own transaction. Without
    ``ORDERMESH_SMTP_HOST`` nothing is queued (the cursor stays, so configuring SMTP later
    picks up the events of the last two days)."""

    name: str = "message-queueing"
    batch: int = 200
    max_batches: int = 10

    def run_once(self, container: Container) -> int:
        if server_of(container.settings) is None:
            return 0
        actor = f"worker:{self.name}"
        with UnitOfWork(container.engine, container.clock, actor=actor) as uow:
            assign_positions(uow)
        total = 0
        for _ in range(self.max_batches):
            with UnitOfWork(container.engine, container.clock, actor=actor) as uow:
                done = queue_from_events(uow, self.batch)
            total += done
            if done < self.batch:
                break
        return total


@dataclass(frozen=True)
class MessageSender:
    """Sends due messages one SMTP conversation each, never inside a transaction."""

    name: str = "message-sender"
    batch: int = 20
    max_batches: int = 10

    def run_once(self, container: Container) -> int:
        server = server_of(container.settings)
        if server is None:
            return 0
        policy, rules = policy_of(container.settings), rules_of(container.settings)
        total = 0
        for _ in range(self.max_batches):
            claimed = self._claim(container, policy, rules)
            self._send_claimed(container, server, policy, claimed)
            total += len(claimed)
            if len(claimed) < self.batch:
                break
        return total

    def _send_claimed(self, container: Container, server: SmtpServer, policy: RetryPolicy,
                      claimed: list[Claimed]) -> None:
        for one in claimed:
            if container.clock.now() >= one.lease_until:
                return  # too slow: the rest is another sender's once the lease is over
            outcome = send(server, one)
            with UnitOfWork(container.engine, container.clock,
                            actor=f"worker:{self.name}") as uow:
                record(uow, one, outcome, policy)

    def _claim(self, container: Container, policy: RetryPolicy, rules: SendRules
               ) -> list[Claimed]:
        with UnitOfWork(container.engine, container.clock,
                        actor=f"worker:{self.name}") as uow:
            return claim_due(uow, self.batch, policy, rules)
