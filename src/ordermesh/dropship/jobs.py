"""Worker job of drop-ship: tell suppliers of the units the merchant cancelled.

It follows the outbox with a cursor of its own (``events.cursors``), locked, read and
moved in the transaction that writes what it found, like the webhook fan-out: a crash
loses nothing and a second worker waits, then starts where the first stopped. Registered
in ``worker.default_jobs``."""

from __future__ import annotations

from dataclasses import dataclass

from ordermesh.dropship.cancellations import dropships_of_fulfilment, note_cancellations
from ordermesh.dropship.service import lock_dropship
from ordermesh.events.cursors import advance_cursor, lock_cursor
from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import assign_positions, read_events

CURSOR = "dropship-cancellations"
CANCELLED = "fulfilment.lines_cancelled"  # every way an order gives units up writes it


def tell_cancellations(uow: UnitOfWork, limit: int) -> int:
    """``dropship.cancel_requested`` for the drop-ship orders among the fulfilment orders
    that lost units in up to ``limit`` events after the cursor; commits. Returns how many
    events were read."""
    after = lock_cursor(uow, CURSOR)
    events = read_events(uow, after=after, limit=limit, type_prefix=CANCELLED)
    for ds_id in dropships_of_fulfilment(uow, {e.aggregate_id for e in events}):
        note_cancellations(uow, lock_dropship(uow, ds_id))
    if events:
        advance_cursor(uow, CURSOR, events[-1].position)
    uow.commit()
    return len(events)


@dataclass(frozen=True)
class DropshipCancellations:
    name: str = "dropship-cancellations"
    batch: int = 200
    max_batches: int = 10

    def run_once(self, container: Container) -> int:
        actor = f"worker:{self.name}"
        with UnitOfWork(container.engine, container.clock, actor=actor) as uow:
            assign_positions(uow)
        total = 0
        for _ in range(self.max_batches):
            with UnitOfWork(container.engine, container.clock, actor=actor) as uow:
                done = tell_cancellations(uow, self.batch)
            total += done
            if done < self.batch:
                break
        return total
