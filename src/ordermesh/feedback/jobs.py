"""Worker job of feedback: schedule requests from deliveries and resolved returns, then
send (or suppress) those that are due. Registered in ``worker.default_jobs``."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ordermesh.feedback.requests import RequestPolicy, schedule_from_events, send_due_requests
from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import assign_positions

log = logging.getLogger("ordermesh.feedback")


@dataclass(frozen=True)
class FeedbackRequests:
    """Each batch its own transaction; bounded per pass like the other jobs. Without
    ``ORDERMESH_FEEDBACK_SECRET`` nothing is scheduled or sent (the cursor stays, so
    setting the secret later picks up the recent deliveries)."""

    name: str = "feedback-requests"
    batch: int = 200
    max_batches: int = 10

    def run_once(self, container: Container) -> int:
        policy = RequestPolicy.of(container.settings)
        if policy.secret is None:
            return 0
        total = 0

        def uow() -> UnitOfWork:
            return UnitOfWork(container.engine, container.clock, actor=f"worker:{self.name}")

        with uow() as work:
            assign_positions(work)  # events committed since the last pass get positions
        for step in (schedule_from_events, send_due_requests):
            for _ in range(self.max_batches):
                with uow() as work:
                    done = step(work, policy, self.batch)
                total += done
                if done < self.batch:
                    break
        return total
