"""A real ordermesh server (uvicorn, N workers) as a subprocess, always stopped cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 60.0
SHUTDOWN_TIMEOUT_S = 15.0
REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A port nobody listens on right now (127.0.0.1 only)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def uvicorn_command(port: int, workers: int) -> list[str]:
    venv_uvicorn = Path(sys.executable).parent / "uvicorn"
    launcher = [str(venv_uvicorn)] if venv_uvicorn.exists() else [sys.executable, "-m", "uvicorn"]
    return [*launcher, "--factory", "ordermesh.bootstrap:app_from_env", "--host", HOST,
            "--port", str(port), "--workers", str(workers), "--log-level", "warning",
            "--no-access-log"]


class ServerFailed(RuntimeError):
    pass


class Server:
    def __init__(self, process: subprocess.Popen, base_url: str, log_path: Path) -> None:
        self.process = process
        self.base_url = base_url
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.process.pid

    def process_ids(self) -> list[int]:
        """The supervisor and all its children: what the server costs in CPU."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [self.pid, *(int(p) for p in children.read_text().split())]
        except OSError:
            return [self.pid]

    def peak_rss_mb(self) -> float | None:
        """The largest peak resident set (VmHWM) of the worker processes, in MB."""
        peaks = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status")
            try:
                line = next(ln for ln in status.read_text().splitlines()
                            if ln.startswith("VmHWM:"))
            except (OSError, StopIteration):
                continue
            peaks.append(int(line.split()[1]) / 1024)
        return max(peaks) if peaks else None

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes, for profilers (not multiprocessing's tracker)."""
        children = self.process_ids()[1:]
        return [pid for pid in children if b"spawn_main" in _cmdline(pid)] or children

    def connections_per_worker(self) -> list[int]:
        """Client connections each worker holds now, in ``worker_pids`` order. The kernel
        hands a new connection to whichever worker accepts first, and a keep-alive
        connection stays there: with few clients, one worker may get them all."""
        port = int(self.base_url.rsplit(":", 1)[1])
        established = _established_socket_inodes(port)
        return [len(_socket_inodes(pid) & established) for pid in self.worker_pids()]

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerFailed(f"server exited with {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise ServerFailed(f"server not healthy after {timeout:.0f}s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM the whole process group (supervisor and workers), then SIGKILL if needed."""
        if self.process.poll() is not None:
            return
        _signal_group(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            _signal_group(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=SHUTDOWN_TIMEOUT_S)
        # Workers of a killed supervisor may linger in the group: make sure they are gone.
        _signal_group(self.process.pid, signal.SIGKILL)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _established_socket_inodes(port: int) -> set[str]:
    """Inodes of the established TCP sockets whose local port is ``port`` (IPv4)."""
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return set()
    found = set()
    for line in lines:
        fields = line.split()  # sl local remote state ... inode (10th)
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
            found.add(fields[9])
    return found


def _socket_inodes(pid: int) -> set[str]:
    found = set()
    with suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    found.add(target[8:-1])
    return found


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pgid, sig)


@contextmanager
def running_server(database_url: str, workers: int) -> Iterator[Server]:
    """Start uvicorn on a free port with ``ORDERMESH_DATABASE_URL`` and wait for /health.

    The server gets its own session (process group), so a Ctrl-C in the terminal reaches
    only the benchmark, which then stops the server here on the way out.
    """
    port = free_port()
    # The benchmark's clients share one key and one address and measure throughput: the
    # rate limits (per process, docs/operations.md) would measure themselves instead.
    env = dict(os.environ, ORDERMESH_DATABASE_URL=database_url,
               ORDERMESH_RATE_LIMIT_PER_KEY="", ORDERMESH_RATE_LIMIT_PER_ADDRESS="")
    env.pop("ORDERMESH_ADMIN_API_KEY", None)
    with tempfile.NamedTemporaryFile(prefix="ordermesh-bench-server-", suffix=".log",
                                     delete=False) as log:
        log_path = Path(log.name)
        process = subprocess.Popen(
            uvicorn_command(port, workers), cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = Server(process, f"http://{HOST}:{port}", log_path)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()
        log_path.unlink(missing_ok=True)
