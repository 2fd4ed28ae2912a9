"""`ordermesh serve --workers N`: a worker killed outright is replaced and the API keeps
answering meanwhile; the supervisor waits long enough for a slow start."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.processes import alive, answers, children, cmdline, free_port, wait_until

START_S = 120  # a worker imports the whole app: seconds on a machine busy with the suite


def workers_of(supervisor: int) -> list[int]:
    return sorted(pid for pid in children(supervisor)
                  if b"spawn_main" in cmdline(pid) and alive(pid))


@pytest.fixture
def served(sqlite_template: str, tmp_path) -> Iterator[tuple[subprocess.Popen, str]]:
    """`ordermesh serve --workers 2` on a free port: (the supervisor, its base URL)."""
    shutil.copy(sqlite_template, tmp_path / "shop.db")
    port = free_port()
    env = {**os.environ, "ORDERMESH_DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}"}
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ordermesh.cli", "serve", "--workers", "2", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: len(workers_of(proc.pid)) == 2 and answers(f"{base}/health"),
                   START_S, "two workers serve /health")
        yield proc, base
    finally:
        for pid in [*children(proc.pid), proc.pid]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)
        log.close()


def test_a_worker_killed_outright_is_replaced_and_the_api_answers_throughout(served):
    proc, base = served
    first, second = workers_of(proc.pid)
    os.kill(first, signal.SIGKILL)
    with httpx.Client(timeout=10) as http:
        # the other worker answers while the first is replaced
        assert http.get(f"{base}/health").status_code == 200
        wait_until(lambda: len(workers_of(proc.pid)) == 2 and first not in workers_of(proc.pid),
                   START_S, "a new worker replaces the killed one")
        replacement = next(pid for pid in workers_of(proc.pid) if pid != second)
        # with the second one gone too, only the replacement can answer: it serves
        wait_until(lambda: answers(f"{base}/health") and alive(replacement), START_S,
                   "the replacement serves")
        os.kill(second, signal.SIGKILL)
        wait_until(lambda: answers(f"{base}/health"), 30, "the replacement answers alone")
        assert alive(replacement) and proc.poll() is None
