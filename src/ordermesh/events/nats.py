"""Publishing the outbox to NATS JetStream.

Every event goes to the subject ``<prefix>.<event type>`` (``ordermesh.events.order.created``)
of one stream (``ORDERMESH``, subjects ``ordermesh.events.>``), made when missing, with the
header ``Nats-Msg-Id`` set to the event id: JetStream drops a message it has seen within
its duplicate window, and consumers dedupe on the id beyond it.

The publisher holds a lease on its cursor (``events/cursors.py``) while it publishes, so
several workers never publish side by side, and moves the cursor after the server has
acknowledged each message. Nothing is published inside a transaction. A crash between
the acknowledgement and the cursor's move means those events are published again: at
least once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

import nats
import orjson
from nats.js.errors import NotFoundError

from ordermesh.events.cursors import cursor_position, end_lease, take_lease
from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.ids import new_id
from ordermesh.kit.outbox import Event, assign_positions, read_events
from ordermesh.settings import Settings

CURSOR = "nats"
ACTOR = "worker:nats"


def subject_of(settings: Settings, event_type: str) -> str:
    return f"{settings.nats_subject_prefix}.{event_type}"


def message(event: Event) -> bytes:
    return orjson.dumps({
        "id": event.id, "type": event.type, "position": event.position,
        "aggregate_type": event.aggregate_type, "aggregate_id": event.aggregate_id,
        "payload": event.payload, "actor": event.actor,
        "occurred_at": event.occurred_at.isoformat(),
    })


async def ensure_stream(js, settings: Settings) -> None:
    try:
        await js.stream_info(settings.nats_stream)
    except NotFoundError:
        await js.add_stream(name=settings.nats_stream,
                            subjects=[f"{settings.nats_subject_prefix}.>"])


async def publish(settings: Settings, events: list[Event]) -> int:
    """Publish ``events`` in order; returns how many the server acknowledged before the
    first failure (which is raised)."""
    timeout = settings.nats_timeout_s
    nc = await nats.connect(settings.nats_url, connect_timeout=timeout, allow_reconnect=False,
                            max_reconnect_attempts=0)
    done = 0
    try:
        js = nc.jetstream(timeout=timeout)
        await ensure_stream(js, settings)
        for event in events:
            await js.publish(subject_of(settings, event.type), message(event),
                             timeout=timeout, stream=settings.nats_stream,
                             headers={"Nats-Msg-Id": event.id})
            done += 1
    except Exception as exc:
        exc.add_note(f"{done} of {len(events)} events were published")
        exc.published = done  # type: ignore[attr-defined]
        raise
    finally:
        await nc.close()
    return done


@dataclass(frozen=True)
class NatsRelay:
    """Publishes new outbox events to JetStream, ``batch`` per lease, when
    ``ORDERMESH_NATS_URL`` is set."""

    name: str = "nats-relay"
    batch: int = 500
    max_batches: int = 20
    owner: str = field(default_factory=lambda: new_id("relay"))

    def run_once(self, container: Container) -> int:
        settings = container.settings
        if not settings.nats_url:
            return 0
        with UnitOfWork(container.engine, container.clock, actor=ACTOR) as uow:
            assign_positions(uow)
        total = 0
        for _ in range(self.max_batches):
            done = self._one_batch(container)
            total += done
            if done < self.batch:
                break
        return total

    def _one_batch(self, container: Container) -> int:
        settings = container.settings
        with UnitOfWork(container.engine, container.clock, write=False) as uow:
            after = cursor_position(uow, CURSOR)
            if not read_events(uow, after=after, limit=1):
                return 0  # nothing new: no lease, no connection
        # The lease outlasts the slowest batch: a connect and one publish per event.
        longest = timedelta(seconds=settings.nats_timeout_s * (self.batch + 2))
        with UnitOfWork(container.engine, container.clock, actor=ACTOR) as uow:
            after = take_lease(uow, CURSOR, self.owner, container.clock.now() + longest)
        if after is None:
            return 0  # another worker is publishing
        with UnitOfWork(container.engine, container.clock, write=False) as uow:
            events = read_events(uow, after=after, limit=self.batch)
        published = 0
        try:
            published = asyncio.run(asyncio.wait_for(
                publish(settings, events), longest.total_seconds()))
        except BaseException as exc:
            published = getattr(exc, "published", 0)
            raise
        finally:
            position = events[published - 1].position if published else after
            with UnitOfWork(container.engine, container.clock, actor=ACTOR) as uow:
                end_lease(uow, CURSOR, self.owner, position)
        return published
