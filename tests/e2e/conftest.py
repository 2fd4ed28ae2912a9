"""A real ordermesh server process, over real HTTP, against the test database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import ADMIN_KEY, TEST_LOCK_MS, connection_share


@dataclass
class LiveServer:
    url: str
    headers: dict[str, str]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(db_url: str, tmp_path) -> Iterator[LiveServer]:
    port = _free_port()
    # 2 processes x 10 connections (less with many xdist workers, see connection_share): the
    # storm tests queue on the pool instead of taking PostgreSQL's last connection slots
    # from the other workers.
    per_process = max(1, connection_share()[1] // 2)
    env = {**os.environ, "ORDERMESH_DATABASE_URL": db_url, "ORDERMESH_ADMIN_API_KEY": ADMIN_KEY,
           "ORDERMESH_DB_POOL_SIZE": str(max(1, per_process // 2)),
           "ORDERMESH_DB_MAX_OVERFLOW": str(per_process - max(1, per_process // 2)),
           "ORDERMESH_DB_POOL_TIMEOUT_S": "30", "ORDERMESH_DB_LOCK_TIMEOUT_MS": str(TEST_LOCK_MS),
           # The storms prove correctness under contention, one key from one address: their
           # buyers wait for a place (as long as their own timeout) instead of being shed,
           # and are not rate limited (tests/integration/test_load_shedding.py and
           # test_rate_limits.py prove those).
           "ORDERMESH_MAX_QUEUE_WAIT_MS": "60000", "ORDERMESH_REQUEST_DEADLINE_MS": "0",
           "ORDERMESH_RATE_LIMIT_PER_KEY": "", "ORDERMESH_RATE_LIMIT_PER_ADDRESS": ""}
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "ordermesh.bootstrap:app_from_env",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--log-level",
         "warning", "--no-access-log"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a busy machine starts it slowly
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "server.log").read_text())
            time.sleep(0.1)
        yield LiveServer(url, {"Authorization": f"Bearer {ADMIN_KEY}"})
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
