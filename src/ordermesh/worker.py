"""The background worker: runs every job again and again until told to stop.

A job is any object with a ``name`` and ``run_once(container) -> int`` (how much work it
did). Each unit of work a job does is its own transaction, claimed with
``FOR UPDATE SKIP LOCKED`` where it matters, so any number of worker processes may run
side by side. To add a job, append it to ``default_jobs``.

The loop runs every job, and sleeps ``interval`` seconds only after a pass in which no
job did anything, so a backlog is worked off at once. A job that fails is logged and
tried again on the next pass; the other jobs run regardless. SIGTERM or SIGINT stops the
loop once the job that is running has finished its unit of work; a second signal acts as
it normally would.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from sqlalchemy.exc import DBAPIError

from ordermesh.http.deps import Container
from ordermesh.inventory.forecasting import refresh_forecasts
from ordermesh.inventory.holds import expire_due_holds
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.db_errors import is_busy
from ordermesh.kit.idempotency import forget_older_than
from ordermesh.payments.service import resume_intents, sync_pending_payments

log = logging.getLogger("ordermesh.worker")

DEFAULT_INTERVAL = 5.0


class Job(Protocol):
    name: str

    def run_once(self, container: Container) -> int:
        """Do the work that is due now, in one or more transactions; return how much."""
        ...


@dataclass(frozen=True)
class _BatchedJob:
    """Work done ``batch`` items per transaction until none is due or ``max_batches``
    were done (so a stop request is honoured within a bounded time even with a large
    backlog; the rest follows at once in the next pass)."""

    name: str
    batch: int
    max_batches: int

    def step(self, uow: UnitOfWork, limit: int) -> int:
        raise NotImplementedError

    def run_once(self, container: Container) -> int:
        total = 0
        for _ in range(self.max_batches):
            with UnitOfWork(container.engine, container.clock,
                            actor=f"worker:{self.name}") as uow:
                done = self.step(uow, self.batch)
            total += done
            if done < self.batch:
                break
        return total


@dataclass(frozen=True)
class HoldExpiry(_BatchedJob):
    """Gives back the stock of holds past their ``expires_at``."""

    name: str = "hold-expiry"
    batch: int = 100
    max_batches: int = 100

    def step(self, uow: UnitOfWork, limit: int) -> int:
        return expire_due_holds(uow, limit)


@dataclass(frozen=True)
class ForecastRefresh(_BatchedJob):
    """Refits demand forecasts older than ``forecasting.FRESH_FOR``; few batches per
    pass, so hold expiry is never kept waiting long."""

    name: str = "forecast-refresh"
    batch: int = 50
    max_batches: int = 4

    def step(self, uow: UnitOfWork, limit: int) -> int:
        return refresh_forecasts(uow, limit)


@dataclass(frozen=True)
class PaymentSync(_BatchedJob):
    """Asks the provider how pending payments (3-D Secure, bank delays) ended."""

    name: str = "payment-sync"
    batch: int = 100
    max_batches: int = 10

    def step(self, uow: UnitOfWork, limit: int) -> int:
        return sync_pending_payments(uow, limit)


@dataclass(frozen=True)
class IntentResume:
    """Finishes intents nobody finished (``kit/intent_leases.py``): ``batch`` per
    transaction of leases, at most ``max_batches`` per pass."""

    name: str
    batch: int = 20
    max_batches: int = 5

    def resume(self, new_uow: Callable[[str], UnitOfWork], limit: int) -> int:
        raise NotImplementedError

    def run_once(self, container: Container) -> int:
        def new_uow(actor: str) -> UnitOfWork:
            return UnitOfWork(container.engine, container.clock, actor=actor)

        total = 0
        for _ in range(self.max_batches):
            done = self.resume(new_uow, self.batch)
            total += done
            if done < self.batch:
                break
        return total


@dataclass(frozen=True)
class PaymentIntentResume(IntentResume):
    """Sends again payment intents nobody finished: the provider gave no answer, or the
    process stopped between the call and the record. Each intent is retried with the
    same provider key after a backoff that doubles (30 s up to an hour) and is failed
    after ``intents.MAX_ATTEMPTS`` calls, for a person to check."""

    name: str = "payment-intents"

    def resume(self, new_uow: Callable[[str], UnitOfWork], limit: int) -> int:
        return resume_intents(new_uow, limit)


@dataclass(frozen=True)
class IdempotencyRetention:
    """Forgets Idempotency-Keys older than ``idempotency_retention_hours``, a batch per
    transaction, so the table does not grow with every request for ever."""

    name: str = "idempotency-retention"
    batch: int = 1000
    max_batches: int = 10

    def run_once(self, container: Container) -> int:
        keep = timedelta(hours=container.settings.idempotency_retention_hours)
        total = 0
        for _ in range(self.max_batches):
            with UnitOfWork(container.engine, container.clock,
                            actor=f"worker:{self.name}") as uow:
                done = forget_older_than(uow, uow.clock.now() - keep, self.batch)
                uow.commit()
            total += done
            if done < self.batch:
                break
        return total


def default_jobs() -> list[Job]:
    # Feature jobs import the worker's base classes, so they are imported here.
    from ordermesh.dropship.jobs import DropshipCancellations
    from ordermesh.events.nats import NatsRelay
    from ordermesh.feedback.jobs import FeedbackRequests
    from ordermesh.flows.booking_calls import CarrierBookingResume
    from ordermesh.flows.campaigns import CampaignRun
    from ordermesh.flows.channel_jobs import ConnectorPushes, ConnectorSync
    from ordermesh.flows.channel_poll import ConnectorPoll
    from ordermesh.flows.purchase_order_mail import PurchaseOrderMailer
    from ordermesh.fulfilment.jobs import PickupExpiry
    from ordermesh.messaging.jobs import MessageQueueing, MessageSender
    from ordermesh.shipping.jobs import SlaWatch, TrackingPoll
    from ordermesh.sourcing.jobs import BackorderSourcing
    from ordermesh.webhooks.jobs import WebhookFanOut, WebhookSender

    return [HoldExpiry(), PaymentIntentResume(), PaymentSync(), BackorderSourcing(), PickupExpiry(),
            CarrierBookingResume(), TrackingPoll(), SlaWatch(), ForecastRefresh(),
            WebhookFanOut(), WebhookSender(),
            NatsRelay(), FeedbackRequests(), IdempotencyRetention(), MessageQueueing(),
            CampaignRun(), MessageSender(), ConnectorSync(), ConnectorPushes(), ConnectorPoll(),
            PurchaseOrderMailer(), DropshipCancellations()]


@dataclass
class PassResult:
    done: dict[str, int] = field(default_factory=dict)  # job name -> work done
    busy: list[str] = field(default_factory=list)  # jobs the database was too busy for
    failed: list[str] = field(default_factory=list)  # jobs that raised anything else

    @property
    def work(self) -> int:
        return sum(self.done.values())


class Worker:
    def __init__(self, container: Container, jobs: Sequence[Job] | None = None,
                 interval: float = DEFAULT_INTERVAL) -> None:
        self.container = container
        self.jobs = list(jobs) if jobs is not None else default_jobs()
        self.interval = interval
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run_pass(self) -> PassResult:
        """Run every job once. Never raises for a job's failure: it is logged, and the job
        runs again on the next pass."""
        result = PassResult()
        for job in self.jobs:
            if self.stopping:
                break
            try:
                done = job.run_once(self.container)
            except Exception as exc:
                if isinstance(exc, DBAPIError) and is_busy(exc):
                    log.warning("job %s: database busy, retrying next pass: %s", job.name,
                                exc.orig)
                    result.busy.append(job.name)
                else:
                    # A bug or an unreachable database must not stop the other jobs.
                    log.exception("job %s failed", job.name)
                    result.failed.append(job.name)
                continue
            result.done[job.name] = done
            if done:
                log.info("job %s: %d done", job.name, done)
        return result

    def run(self, *, once: bool = False) -> PassResult:
        """Run passes until stopped (or one pass with ``once``); returns the last pass."""
        with self._stop_on_signals():
            while True:
                result = self.run_pass()
                if once or self.stopping:
                    return result
                if result.work == 0:
                    self._wait(self.interval)
                    if self.stopping:
                        return result

    def _wait(self, seconds: float) -> None:
        """Sleep, waking at once when asked to stop."""
        self._stop.wait(seconds)

    @contextmanager
    def _stop_on_signals(self) -> Iterator[None]:
        """SIGTERM/SIGINT ask the loop to stop; handlers can only be set in the main
        thread, so a worker run in another thread is stopped with ``stop()``."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

        def handle(signum: int, _frame: object) -> None:
            log.info("received %s, stopping after the current unit of work",
                     signal.Signals(signum).name)
            self.stop()
            for sig, handler in previous.items():  # a second signal is not so patient
                signal.signal(sig, handler)

        for sig in previous:
            signal.signal(sig, handle)
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
