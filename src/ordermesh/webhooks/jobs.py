"""Worker jobs of webhooks: the fan-out from the outbox, and the sender."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import httpx

from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import assign_positions
from ordermesh.settings import Settings
from ordermesh.webhooks.fanout import fan_out
from ordermesh.webhooks.model import RetryPolicy
from ordermesh.webhooks.sending import Claimed, claim_due, record, send

ACTOR = "worker:webhooks"


def policy_of(settings: Settings) -> RetryPolicy:
    return RetryPolicy(give_up_after=timedelta(hours=settings.webhook_retry_hours),
                       disable_after=settings.webhook_disable_after,
                       timeout_s=settings.webhook_timeout_s,
                       lease=timedelta(seconds=settings.webhook_timeout_s * 4 + 60))


@dataclass(frozen=True)
class WebhookFanOut:
    """New outbox events become deliveries to the endpoints subscribed to them."""

    name: str = "webhook-fan-out"
    batch: int = 500
    max_batches: int = 20

    def run_once(self, container: Container) -> int:
        total = 0
        with UnitOfWork(container.engine, container.clock, actor=ACTOR) as uow:
            assign_positions(uow)
        for _ in range(self.max_batches):
            with UnitOfWork(container.engine, container.clock, actor=ACTOR) as uow:
                done = fan_out(uow, self.batch)
            total += done
            if done < self.batch:
                break
        return total


@dataclass(frozen=True)
class WebhookSender:
    """Sends due deliveries, ``parallel`` at a time, each with the timeout of
    ``ORDERMESH_WEBHOOK_TIMEOUT_S``; records every attempt."""

    name: str = "webhook-sender"
    batch: int = 50
    max_batches: int = 10
    parallel: int = 8
    rng: random.Random | None = None

    def run_once(self, container: Container) -> int:
        policy = policy_of(container.settings)
        claimed = self._claim(container, policy)
        if not claimed:
            return 0  # idle: no client, no threads
        total = 0
        with httpx.Client(timeout=httpx.Timeout(policy.timeout_s),
                          follow_redirects=False) as client, \
                ThreadPoolExecutor(self.parallel) as pool:
            for batch in range(self.max_batches):
                if batch:
                    claimed = self._claim(container, policy)
                at = container.clock.now()
                outcomes = list(pool.map(send, [client] * len(claimed), claimed,
                                         [at] * len(claimed)))
                for one, outcome in zip(claimed, outcomes, strict=True):
                    with UnitOfWork(container.engine, container.clock, actor=ACTOR) as uow:
                        record(uow, one, outcome, policy, self.rng)
                total += len(claimed)
                if len(claimed) < self.batch:
                    break
        return total

    def _claim(self, container: Container, policy: RetryPolicy) -> list[Claimed]:
        with UnitOfWork(container.engine, container.clock, actor=ACTOR) as uow:
            return claim_due(uow, self.batch, policy)
