"""Serving for `make run`: the port taken before any address is printed, and a worker
process beside the server that never outlives it.

The listening socket is bound first and handed to uvicorn, so the address printed is
ours and not another server's that happens to hold the port. uvicorn handles SIGTERM and
SIGINT by shutting down gracefully and then raising the same signal again with the
handler it found; with Python's default SIGTERM handler that ends the process at once,
before any clean-up of ours could run. So SIGTERM is turned into ``SystemExit`` while
serving, and the worker is stopped on every way out. Should this process die without
clean-up (SIGKILL), the worker notices that its parent changed and stops by itself
(``ordermesh worker --parent-pid``).
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

WORKER_STOP_TIMEOUT_S = 15  # the worker finishes its unit of work; then it is killed
PARENT_POLL_S = 0.5


class PortUnavailable(Exception):
    """The address cannot be listened on; ``busy`` when another process holds it."""

    def __init__(self, host: str, port: int, reason: str, busy: bool) -> None:
        super().__init__(f"{host}:{port}: {reason}")
        self.host, self.port, self.reason, self.busy = host, port, reason, busy


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port``, or ``PortUnavailable``. IPv6 when the host
    has a colon, as uvicorn decides."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # As uvicorn does: a port left in TIME_WAIT by the last run is free to reuse, and
        # still no two processes can listen on it.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise PortUnavailable(host, port, exc.strerror or str(exc),
                              busy=exc.errno == errno.EADDRINUSE) from exc
    return sock


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def stop_process(process: subprocess.Popen, timeout: float = WORKER_STOP_TIMEOUT_S) -> None:
    """SIGTERM, then SIGKILL if it has not ended within ``timeout`` seconds."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def serve_with_worker(listener: socket.socket, host: str, port: int) -> bool:
    """Serve the API on ``listener`` with an ``ordermesh worker`` process beside it until
    the server stops (SIGTERM, Ctrl-C); the worker is stopped with it. Returns whether
    the server started."""
    import uvicorn

    config = uvicorn.Config("ordermesh.bootstrap:app_from_env", factory=True, host=host,
                            port=port, log_level="info")
    server = uvicorn.Server(config)
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    worker = subprocess.Popen([sys.executable, "-m", "ordermesh.cli", "worker",
                               "--parent-pid", str(os.getpid())])
    try:
        server.run(sockets=[listener])
    finally:
        # A second signal while the worker finishes its unit of work ends quickstart at
        # once (the worker still follows through --parent-pid).
        signal.signal(signal.SIGTERM, previous)
        stop_process(worker)
    return server.started


def stop_when_parent_changes(parent_pid: int, stop: Callable[[], None],
                             every: float = PARENT_POLL_S) -> threading.Thread:
    """Call ``stop`` once this process is no longer the child of ``parent_pid`` (the
    parent ended and the process was adopted). Runs in a daemon thread."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(every)
        stop()

    thread = threading.Thread(target=watch, name="parent-watch", daemon=True)
    thread.start()
    return thread
