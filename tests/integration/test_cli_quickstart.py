"""`make run` / `ordermesh quickstart`: a busy port is said before any address is printed,
and stopping quickstart stops the worker and the server it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from ordermesh.cli import app
from tests.processes import alive, answers, children, cmdline, free_port, port_free, wait_until

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _api_keys(db_url: str) -> int:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM api_keys")).scalar_one()
    engine.dispose()
    return count


def test_quickstart_on_a_busy_port_says_so_and_how_to_choose_another(db_url, tmp_path,
                                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    with socket.socket() as other_server:
        other_server.bind(("127.0.0.1", 0))
        other_server.listen()
        port = other_server.getsockname()[1]
        result = runner.invoke(app, ["quickstart", "--port", str(port), "--no-demo"],
                               env={"ORDERMESH_DATABASE_URL": db_url, "COLUMNS": None})
    assert result.exit_code == 1, result.output
    assert f"Port {port} on 127.0.0.1 is already in use" in result.output
    assert f"make run PORT={port + 100}" in result.output
    assert f"ordermesh quickstart --port {port + 100}" in result.output
    assert "http://" not in result.output
    assert _api_keys(db_url) == 0
    assert not (tmp_path / "var").exists()


def test_quickstart_on_an_address_it_cannot_listen_on_says_why(db_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["quickstart", "--host", "no-such-host.invalid", "--no-demo"],
                           env={"ORDERMESH_DATABASE_URL": db_url, "COLUMNS": None})
    assert result.exit_code == 1, result.output
    assert "Cannot listen on no-such-host.invalid port 8000" in result.output
    assert "http://" not in result.output
    assert _api_keys(db_url) == 0


def test_make_run_passes_port_and_host_to_quickstart():
    # run as `make test` does, the parent make's flags would make this one print
    # "Entering directory" around the command: a make of its own, without them
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    make = ["make", "--no-print-directory", "-n", "-o", ".venv/.installed", "run"]
    dry_run = subprocess.run([*make, "PORT=8100", "HOST=0.0.0.0"], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True)
    assert " ".join(dry_run.stdout.split()).endswith(
        "ordermesh quickstart --host 0.0.0.0 --port 8100")
    plain = subprocess.run(make, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert plain.stdout.split()[-1] == "quickstart"


@pytest.fixture
def running_quickstart(db_url: str, tmp_path) -> Iterator[tuple[subprocess.Popen, int, int]]:
    """A real `ordermesh quickstart --no-demo` on a free port: (process, port, worker pid)."""
    port = free_port()
    log = (tmp_path / "quickstart.log").open("wb")
    env = {**os.environ, "ORDERMESH_DATABASE_URL": db_url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ordermesh.cli", "quickstart", "--port", str(port), "--no-demo"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    started: list[int] = [proc.pid]
    try:
        try:
            wait_until(lambda: proc.poll() is None and answers(
                f"http://127.0.0.1:{port}/health"), 120, "quickstart answers /health")
        except AssertionError:
            raise AssertionError((tmp_path / "quickstart.log").read_text()) from None
        workers = [pid for pid in children(proc.pid) if b"worker" in cmdline(pid)]
        started += workers
        assert len(workers) == 1
        yield proc, port, workers[0]
    finally:  # whatever the test saw, nothing it started outlives it
        for pid in [*started, *children(proc.pid)]:
            if alive(pid) and b"ordermesh.cli" in cmdline(pid):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)
        log.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_quickstart_stops_its_worker_and_its_server(running_quickstart, sig):
    proc, port, worker = running_quickstart
    os.kill(proc.pid, sig)
    proc.wait(timeout=30)
    assert not alive(worker)
    assert port_free(port)


def test_a_quickstart_killed_outright_leaves_no_worker_behind(running_quickstart):
    proc, _, worker = running_quickstart
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    wait_until(lambda: not alive(worker), 30, "the orphaned worker stops")
