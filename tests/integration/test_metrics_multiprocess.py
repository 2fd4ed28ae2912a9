"""`ordermesh serve --workers 2`: whichever worker answers a scrape, it reports the
requests of both (prometheus_client's multiprocess mode)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ADMIN_KEY
from tests.ops_helpers import until

TOKEN = "metrics-token-0123456789abcdef"
REQUESTS = 24


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serving(base: str, server: subprocess.Popen) -> bool:
    assert server.poll() is None, "the server exited"
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _counted(text: str) -> float:
    return sum(sample.value for family in text_string_to_metric_families(text)
               for sample in family.samples
               if sample.name == "ordermesh_http_requests_total"
               and sample.labels["route"] == "/api/v1/channels")


def test_two_workers_report_the_requests_of_both_in_every_scrape(sqlite_template, tmp_path):
    database = tmp_path / "served.db"
    shutil.copy(sqlite_template, database)
    port = _free_port()
    env = {**os.environ, "ORDERMESH_DATABASE_URL": f"sqlite:///{database}",
           "ORDERMESH_ADMIN_API_KEY": ADMIN_KEY, "ORDERMESH_METRICS_TOKEN": TOKEN,
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_999999.db").write_bytes(b"stale")  # an earlier run's
    server = subprocess.Popen(
        [sys.executable, "-c", "from ordermesh.cli import app; app()", "serve",
         "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        until(lambda: _serving(base, server), within_s=90)
        auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
        for _ in range(REQUESTS):  # a new connection each: either worker may take it
            assert httpx.get(f"{base}/api/v1/channels", headers=auth).status_code == 200
        scrapes = [httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"},
                             timeout=10) for _ in range(6)]
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    assert all(scrape.status_code == 200 for scrape in scrapes)
    assert [_counted(scrape.text) for scrape in scrapes] == [REQUESTS] * len(scrapes)
