"""Natural batching of placements over HTTP (group commit), behind the setting
``ORDERMESH_PLACEMENT_BATCHING``.

Each API process has one ``PlacementBatcher`` per database engine: request handlers hand
their placement to it and wait for their own outcome; a single writer thread places
whatever has arrived since it last wrote as one batch (``flows.placement.run_batch``),
at most ``max_batch`` orders of one actor (the history rows name the actor). When the
process is idle a request is a batch of one and waits for nothing. The writer thread
stops after ``IDLE_S`` without work and starts again with the next request.

Every order still gets its own answer (the batch answers each as if placed alone), and
an order whose data breaks the batch is split out and answered alone.
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field

from sqlalchemy import Engine

from ordermesh.flows.placement import Placement, run_batch
from ordermesh.kit.clock import Clock
from ordermesh.kit.db import UnitOfWork
from ordermesh.orders.service import Placed

IDLE_S = 2.0


@dataclass
class _Pending:
    placement: Placement
    actor: str
    future: Future = field(default_factory=Future)


class PlacementBatcher:
    def __init__(self, engine: Engine, clock: Clock, max_batch: int) -> None:
        self.engine, self.clock, self.max_batch = engine, clock, max_batch
        self._queue: deque[_Pending] = deque()
        self._cond = threading.Condition()
        self._writer: threading.Thread | None = None
        self.batches = 0  # written so far, for tests and the benchmark's notes

    def place(self, placement: Placement, actor: str) -> Placed:
        """Place one order through the next batch; raises its refusal or error."""
        pending = _Pending(placement, actor)
        with self._cond:
            self._queue.append(pending)
            if self._writer is None:
                self._writer = threading.Thread(target=self._write, name="placement-writer",
                                                daemon=True)
                self._writer.start()
            self._cond.notify()
        return pending.future.result()

    def _next_batch(self) -> list[_Pending] | None:
        with self._cond:
            if not self._queue and not self._cond.wait_for(lambda: self._queue, IDLE_S):
                self._writer = None  # the next request starts a new writer
                return None
            actor, batch = self._queue[0].actor, []
            while self._queue and len(batch) < self.max_batch \
                    and self._queue[0].actor == actor:
                batch.append(self._queue.popleft())
            return batch

    def _write(self) -> None:
        while (batch := self._next_batch()) is not None:
            actor = batch[0].actor
            try:
                outcomes = run_batch(
                    lambda: UnitOfWork(self.engine, self.clock, actor=actor),  # noqa: B023
                    [p.placement for p in batch])
            except BaseException as exc:  # a batch of one raises its error
                for p in batch:
                    p.future.set_exception(exc)
                continue
            finally:
                self.batches += 1
            for p, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    p.future.set_exception(outcome)
                else:
                    p.future.set_result(outcome)


_batchers: weakref.WeakKeyDictionary[Engine, PlacementBatcher] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def batcher_for(engine: Engine, clock: Clock, max_batch: int) -> PlacementBatcher:
    """This process's batcher for ``engine``."""
    with _lock:
        batcher = _batchers.get(engine)
        if batcher is None:
            batcher = _batchers[engine] = PlacementBatcher(engine, clock, max_batch)
        return batcher
