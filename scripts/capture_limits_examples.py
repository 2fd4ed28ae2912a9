"""Capture the examples of docs/operations.md on limits, metrics and logs by running them.

A fresh SQLite database under /tmp, the app built as the server builds it, with small
limits so each refusal shows at once, driven in-process:

    .venv/bin/python scripts/capture_limits_examples.py > /tmp/limits.md

The ``503 overloaded`` is a second request while the only place of a process limited to
one is taken by a write waiting for SQLite's write lock, held by another connection.
"""

from __future__ import annotations

import io
import logging
import sqlite3
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import capture_operations_examples as operations_examples  # beside this script
from fastapi.testclient import TestClient

from ordermesh.app import create_app
from ordermesh.bootstrap import build_container
from ordermesh.http import logs
from ordermesh.migrations import upgrade
from ordermesh.settings import Settings

ADMIN_KEY = "docs-admin-key-0123456789abcdef"
METRICS_TOKEN = "docs-metrics-token-0123456789"
SHOWN = ("content-type", "retry-after", "ratelimit-limit", "ratelimit-remaining",
         "ratelimit-reset", "x-request-id")
CHANNEL = '{"code": "web", "name": "Web", "kind": "web", "currency": "EUR"}'
JSON = {"Content-Type": "application/json"}


def show(label: str, method: str, path: str, answer, headers: dict[str, str] | None = None,
         body: str | None = None) -> None:
    operations_examples.show(label, method, path, answer, body, headers, SHOWN)


def client_of(url: str, **settings: object) -> TestClient:
    container = build_container(Settings(database_url=url, admin_api_key=ADMIN_KEY,
                                         metrics_token=METRICS_TOKEN, **settings))
    return TestClient(create_app(container), headers={"Authorization": f"Bearer {ADMIN_KEY}"})


def overloaded(path: Path, url: str) -> None:
    client = client_of(url, max_concurrent_requests=1, max_queue_wait_ms=0)
    client.get("/health")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with ThreadPoolExecutor(1) as pool:
        busy = pool.submit(client.post, "/api/v1/channels", content=CHANNEL, headers=JSON)
        while client.app.state.container.gate.in_use == 0:
            time.sleep(0.01)
        headers = {"X-Request-Id": "lb-9c21"}
        show("One request more than the process's limit", "GET", "/api/v1/orders",
             client.get("/api/v1/orders", headers=headers), headers)
        holder.execute("ROLLBACK")
        busy.result()
    holder.close()


def limited(url: str) -> None:
    client = client_of(url, rate_limit_per_key="2/second;100/minute",
                       auth_failures_per_address="2/minute")
    for _ in range(2):
        client.get("/api/v1/channels")
    show("A key over its limit", "GET", "/api/v1/channels", client.get("/api/v1/channels"))
    for guess in ("om_guess-1", "om_guess-2"):
        client.get("/api/v1/channels", headers={"Authorization": f"Bearer {guess}"})
    bad = {"Authorization": "Bearer om_guess-3"}
    show("A third unknown key from one address", "GET", "/api/v1/channels",
         client.get("/api/v1/channels", headers=bad), bad)
    stale = {"X-Request-Start": f"t={time.time() - 30:.3f}"}
    show("A request the load balancer queued for 30 s", "POST", "/api/v1/channels",
         client.post("/api/v1/channels", content=CHANNEL, headers={**JSON, **stale}),
         {**JSON, **stale}, CHANNEL)


def scraped(url: str) -> None:
    written = io.StringIO()
    logs.configure("json", stream=written)
    client = client_of(url)
    client.get("/api/v1/channels/web", headers={"X-Request-Id": "lb-4d1e"})
    line = next(entry for entry in written.getvalue().splitlines()
                if '"ordermesh.access"' in entry)
    print(f"#### The access log line of a request, as JSON\n\n```json\n{line}\n```\n")
    answer = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    wanted = ("ordermesh_http_requests_total{", "ordermesh_http_requests_refused_total",
              "ordermesh_orders_placed_total", "ordermesh_stock_reservations_refused_total",
              "ordermesh_outbox_", "ordermesh_webhook_",
              "ordermesh_http_request_duration_seconds_count")
    lines = [line for line in answer.text.splitlines()
             if line.startswith(wanted) or (line.startswith("# HELP ordermesh_")
                                            and "created" not in line)]
    print("#### GET /metrics (an excerpt)\n\n```http\nGET /metrics\n"
          "Authorization: Bearer <ORDERMESH_METRICS_TOKEN>\n```\n\n```text")
    print("\n".join(lines) + "\n```\n")


def main() -> None:
    path = Path(tempfile.mkdtemp(prefix="ordermesh-limits-")) / "ordermesh.db"
    url = f"sqlite:///{path}"
    logging.disable(logging.WARNING)
    upgrade(url)
    logging.disable(logging.NOTSET)
    overloaded(path, url)
    limited(url)
    scraped(url)


if __name__ == "__main__":
    main()
