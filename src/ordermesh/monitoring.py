"""``GET /metrics``: Prometheus's view of this process and of the database's backlogs.

Two kinds of numbers. Counters and histograms of this process (requests, refusals,
orders placed, events committed; ``http/metrics.py``, ``kit/metrics.py``): with several
uvicorn workers, set ``PROMETHEUS_MULTIPROC_DIR`` and every worker writes them to files
there, which any worker sums up when scraped. And readings of the database, taken at
scrape time by the process answering (so once, however many processes there are): how
far each outbox relay is behind, events not yet given a position, webhook deliveries
overdue. The route is guarded by ``ORDERMESH_METRICS_TOKEN``, not by an API key: a
scraper needs no role in the shop.
"""

from __future__ import annotations

import atexit
import hmac
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from ordermesh.events.cursors import relay_lags
from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import NotFound, Unauthenticated
from ordermesh.kit.outbox import unpositioned
from ordermesh.webhooks.deliveries import due_deliveries

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

router = APIRouter(tags=["operations"])
scraper_token = HTTPBearer(scheme_name="metricsToken", auto_error=False,
                           description="ORDERMESH_METRICS_TOKEN, for GET /metrics only")


class DatabaseBacklogs(Collector):
    """Gauges read from the database when scraped: one read-only transaction."""

    def __init__(self, container: Container) -> None:
        self.container = container

    def collect(self) -> Iterator[Metric]:
        with UnitOfWork(self.container.engine, self.container.clock, write=False) as uow:
            lags = relay_lags(uow)
            waiting, waiting_age = unpositioned(uow)
            due, due_late = due_deliveries(uow)
        behind = GaugeMetricFamily("ordermesh_outbox_relay_behind_events", "Events after a "
                                   "relay's cursor: not yet handed on", labels=["relay"])
        age = GaugeMetricFamily("ordermesh_outbox_relay_lag_seconds", "Age of the oldest "
                                "event a relay has not handed on (0: up to date)",
                                labels=["relay"])
        for lag in lags:
            behind.add_metric([lag.name], lag.behind)
            age.add_metric([lag.name], lag.oldest_age_s)
        yield behind
        yield age
        yield GaugeMetricFamily("ordermesh_outbox_unpositioned_events", "Committed events "
                                "still waiting for their position", value=waiting)
        yield GaugeMetricFamily("ordermesh_outbox_unpositioned_age_seconds", "Age of the "
                                "oldest of them", value=waiting_age)
        yield GaugeMetricFamily("ordermesh_webhook_deliveries_due", "Webhook deliveries "
                                "whose attempt is due and not yet made", value=due)
        yield GaugeMetricFamily("ordermesh_webhook_delivery_lag_seconds", "How late the most "
                                "overdue webhook delivery attempt is (worker job lag)",
                                value=due_late)


def prepare_multiprocess(workers: int) -> str | None:
    """Before uvicorn starts ``workers`` processes: the directory their metrics share.
    ``PROMETHEUS_MULTIPROC_DIR`` if set (emptied: files of an earlier run would add to the
    counts), else a new temporary one when there is more than one worker."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        return given
    if workers > 1:
        os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="ordermesh-metrics-")
        return os.environ[MULTIPROC_ENV]
    return None


def join_multiprocess() -> None:
    """In each worker: when it exits, its in-progress gauge stops counting (its counters
    stay in the sums). A worker killed with SIGKILL leaves its gauge until the restart."""
    if MULTIPROC_ENV in os.environ:
        pid = os.getpid()
        atexit.register(mark_process_dead, pid)


def _check_token(container: Container, credentials: HTTPAuthorizationCredentials | None) -> None:
    token = container.settings.metrics_token
    if token is None:
        raise NotFound("Metrics are off: set ORDERMESH_METRICS_TOKEN to serve them")
    given = credentials.credentials.strip() if credentials else ""
    if not hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise Unauthenticated("Send 'Authorization: Bearer <ORDERMESH_METRICS_TOKEN>'")


@router.get(
    "/metrics", summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}},
                     "description": "The Prometheus text exposition format"}},
    description="Requests by route template and status, their latency, refusals (shed, "
    "expired, rate limited), orders placed, stock reservations refused, and the outbox "
    "and webhook backlogs. Send `Authorization: Bearer <ORDERMESH_METRICS_TOKEN>`; "
    "without that setting the route answers 404. See docs/operations.md.",
)
def metrics(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(scraper_token)],
) -> Response:
    container: Container = request.app.state.container
    _check_token(container, credentials)
    if MULTIPROC_ENV in os.environ:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        own = generate_latest(registry)
    else:
        own = generate_latest(REGISTRY)
    backlogs = CollectorRegistry(auto_describe=False)
    backlogs.register(DatabaseBacklogs(container))
    return Response(own + generate_latest(backlogs), media_type=CONTENT_TYPE)
