"""The worker publishes the outbox to the real NATS JetStream at 127.0.0.1:4222 and a
consumer reads it back. Skipped only when NATS is unreachable outside CI."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta

import nats
import orjson
import pytest
from sqlalchemy import update

from ordermesh.events.cursors import cursor_position, take_lease
from ordermesh.events.nats import NatsRelay
from ordermesh.events.tables import relay_cursors
from ordermesh.kit.db import UnitOfWork
from tests.event_checks import events_after, log_end
from tests.helpers import make_channel, make_location

NATS_URL = os.environ.get("ORDERMESH_TEST_NATS_URL", "nats://127.0.0.1:4222")


def _reachable(url: str) -> bool:
    host, _, port = url.removeprefix("nats://").partition(":")
    try:
        with socket.create_connection((host, int(port or 4222)), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def nats_settings(container) -> Iterator[dict]:
    if not _reachable(NATS_URL):
        if os.environ.get("CI"):
            pytest.fail(f"NATS must be reachable at {NATS_URL} in CI")
        pytest.skip(f"NATS is not reachable at {NATS_URL}")
    tag = uuid.uuid4().hex[:10]
    settings = {"nats_url": NATS_URL, "nats_stream": f"TEST_{tag}",
                "nats_subject_prefix": f"test_{tag}.events"}
    container.settings = container.settings.model_copy(update=settings)
    yield settings
    asyncio.run(_delete_stream(settings["nats_stream"]))


async def _delete_stream(name: str) -> None:
    nc = await nats.connect(NATS_URL, connect_timeout=5)
    try:
        await nc.jetstream().delete_stream(name)
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await nc.close()


async def _read_back(settings: dict, most: int) -> tuple[list, int]:
    """Every message of the stream (with a fresh consumer) and the stream's count."""
    nc = await nats.connect(NATS_URL, connect_timeout=5)
    try:
        js = nc.jetstream(timeout=5)
        sub = await js.pull_subscribe(f"{settings['nats_subject_prefix']}.>",
                                      stream=settings["nats_stream"])
        messages = []
        while len(messages) < most:
            try:
                batch = await sub.fetch(most - len(messages), timeout=2)
            except (nats.errors.TimeoutError, TimeoutError):
                break
            for msg in batch:
                await msg.ack()
            messages += batch
        info = await js.stream_info(settings["nats_stream"])
        return messages, info.state.messages
    finally:
        await nc.close()


def test_the_worker_publishes_every_event_to_jetstream_once_with_its_id(
        client, container, nats_settings):
    start = log_end(client)
    make_channel(client, "web")
    make_location(client, "ber")
    make_location(client, "muc")
    written = events_after(client, 0)
    assert len(written) > len(events_after(client, start)) - 1 >= 3 - 1

    relay = NatsRelay(batch=2)  # several batches, each its own lease
    assert relay.run_once(container) == len(written)
    assert relay.run_once(container) == 0, "the cursor moved past what was published"
    messages, stored = _run(_read_back(nats_settings, 100))
    assert stored == len(written)
    assert [m.headers["Nats-Msg-Id"] for m in messages] == [e["id"] for e in written]
    prefix = nats_settings["nats_subject_prefix"]
    assert [m.subject for m in messages] == [f"{prefix}.{e['type']}" for e in written]
    body = orjson.loads(messages[-1].data)
    assert body["id"] == written[-1]["id"] and body["payload"] == {"code": "muc",
                                                                    "kind": "warehouse"}


def test_events_published_again_after_a_crash_are_dropped_by_jetstream(
        client, container, nats_settings):
    make_location(client, "ber")
    NatsRelay().run_once(container)
    _, stored = _run(_read_back(nats_settings, 100))
    # A worker that published but died before moving the cursor: the next one starts over.
    with UnitOfWork(container.engine, container.clock) as uow:
        uow.execute(update(relay_cursors).where(relay_cursors.c.name == "nats")
                    .values(position=0))
        uow.commit()
    assert NatsRelay().run_once(container) == stored
    _, again = _run(_read_back(nats_settings, 100))
    assert again == stored, "JetStream de-duplicates by Nats-Msg-Id"


def test_a_second_worker_waits_while_the_first_holds_the_lease_and_takes_over_after_it(
        client, container, clock, nats_settings):
    make_location(client, "ber")
    with UnitOfWork(container.engine, container.clock) as uow:
        assert take_lease(uow, "nats", "relay_other", clock.now() + timedelta(minutes=5)) == 0
    assert NatsRelay().run_once(container) == 0
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        assert cursor_position(uow, "nats") == 0
    clock.advance(timedelta(minutes=5, seconds=1))  # the other worker died holding it
    published = NatsRelay().run_once(container)
    assert published == len(events_after(client, 0))
    _, stored = _run(_read_back(nats_settings, 100))
    assert stored == published


def test_without_a_nats_url_the_relay_does_nothing(client, container):
    make_location(client, "ber")
    assert container.settings.nats_url is None
    assert NatsRelay().run_once(container) == 0


def _run(coroutine):
    return asyncio.run(coroutine)
