"""Coalescing: the parcels of one order shipped within the window (five minutes for
``shipped`` by default) become one e-mail, held until the window closes and sent once,
whatever the order of queueing, claiming and concurrent workers."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import update

from ordermesh.events.tables import relay_cursors
from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork
from ordermesh.messaging.jobs import policy_of, rules_of
from ordermesh.messaging.sending import claim_due
from ordermesh.settings import Settings
from tests.helpers import ok
from tests.messaging_helpers import (
    at_once,
    messages,
    queue,
    run_jobs,
    send,
    ship,
    split_order,
    with_smtp,
)
from tests.smtp_server import running_smtp_server

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ADA = "ada@example.com"


@pytest.fixture
def box():
    with running_smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def container(container, box):
    container.clock.set(T0)
    return with_smtp(container, box)


def _windows(container: Container, windows: dict[str, int]) -> Container:
    settings = container.settings.model_copy(update={"message_coalesce_s": windows})
    return Container(settings=settings, engine=container.engine, clock=container.clock)


def _subjects(box) -> list[str]:
    return [m["Subject"] for m in box.to(ADA)]


def _shipped_two_minutes_apart(client, container) -> tuple[dict, list[str]]:
    order, (berlin, hamburg) = split_order(client, container)
    container.clock.set(T0)
    numbers = ship(client, berlin)
    container.clock.set(T0 + timedelta(minutes=2))
    return order, numbers + ship(client, hamburg)


def test_two_shipments_of_one_order_within_the_window_make_one_email_listing_every_parcel(
        client, container, box):
    order, numbers = _shipped_two_minutes_apart(client, container)
    run_jobs(container)
    assert _subjects(box) == [f"Your order {order['number']} is confirmed"]
    [held] = messages(client, type="shipped")
    assert (held["status"], held["next_attempt_at"]) == ("queued", "2026-11-26T10:05:00Z")

    container.clock.set(T0 + timedelta(minutes=4, seconds=59))
    assert send(container) == 0  # the window is still open
    container.clock.set(T0 + timedelta(minutes=5))
    run_jobs(container)
    run_jobs(container)
    shipped = box.to(ADA)[1:]
    assert [m["Subject"] for m in shipped] == [f"Your order {order['number']} is on its way"]
    text = shipped[0].get_body(("plain",)).get_content()
    assert "left us in 2 shipments" in text
    assert all(n in text for n in numbers) and len(numbers) == 2
    assert all(n in shipped[0].get_body(("html",)).get_content() for n in numbers)

    [message] = messages(client, type="shipped")
    detail = ok(client.get(f"/api/v1/messages/{message['id']}"))
    assert [e["type"] for e in detail["source_events"]] == ["fulfilment.shipped"] * 2
    assert [h["status"] for h in detail["history"]] == ["queued", "coalesced", "sent"]
    assert detail["history"][1]["detail"].endswith("joined: 2 events")


def test_a_shipment_after_the_window_gets_an_email_of_its_own(client, container, box):
    _, (berlin, hamburg) = split_order(client, container)
    first = ship(client, berlin)
    container.clock.set(T0 + timedelta(minutes=6))
    second = ship(client, hamburg)
    run_jobs(container)
    container.clock.set(T0 + timedelta(minutes=11))
    run_jobs(container)
    shipped = [m for m in box.to(ADA) if "on its way" in m["Subject"]]
    assert len(shipped) == 2
    assert [n in shipped[0].get_body(("plain",)).get_content() for n in first + second] == \
        [True, False]
    assert "left us on November 26, 2026" in shipped[1].get_body(("plain",)).get_content()


def test_without_a_window_every_shipment_is_an_email_at_once(client, container, box):
    container = _windows(container, {})
    _shipped_two_minutes_apart(client, container)
    run_jobs(container)
    assert len([s for s in _subjects(box) if "on its way" in s]) == 2


def test_a_shipment_queued_after_the_message_was_claimed_starts_a_new_one_and_is_not_lost(
        client, container, box):
    _, (berlin, hamburg) = split_order(client, container)
    numbers = ship(client, berlin)
    queue(container)
    container.clock.set(T0 + timedelta(minutes=2))
    numbers += ship(client, hamburg)  # inside Berlin's window, but not read yet
    container.clock.set(T0 + timedelta(minutes=5))
    policy, rules = policy_of(container.settings), rules_of(container.settings)
    with UnitOfWork(container.engine, container.clock) as uow:  # a sender claims it ...
        [claimed] = [c for c in claim_due(uow, 10, policy, rules) if c.subject.endswith("way")]
    queue(container)  # ... before Hamburg's event is read: it cannot join any more
    shipped = messages(client, type="shipped")
    assert sorted(m["status"] for m in shipped) == ["queued", "sending"]
    hamburg_message = next(m for m in shipped if m["status"] == "queued")
    assert hamburg_message["next_attempt_at"] == "2026-11-26T10:07:00Z"
    assert numbers[0] in claimed.text and numbers[1] not in claimed.text
    container.clock.set(T0 + timedelta(minutes=20))  # the claim's lease ran out: resent
    run_jobs(container)
    texts = [m.get_body(("plain",)).get_content() for m in box.to(ADA)
             if "on its way" in m["Subject"]]
    assert len(texts) == 2 and all(sum(n in t for n in numbers) == 1 for t in texts)


def test_a_replayed_outbox_tells_each_shipment_once(client, container, box):
    _shipped_two_minutes_apart(client, container)
    run_jobs(container)
    with container.engine.begin() as conn:
        conn.execute(update(relay_cursors).where(relay_cursors.c.name == "messaging")
                     .values(position=0))
    run_jobs(container)
    container.clock.set(T0 + timedelta(minutes=5))
    run_jobs(container)
    [shipped] = messages(client, type="shipped")
    assert (shipped["status"], len(box.to(ADA))) == ("sent", 2)
    detail = ok(client.get(f"/api/v1/messages/{shipped['id']}"))
    assert len(detail["source_events"]) == 2


def test_two_workers_at_the_close_of_the_window_send_the_coalesced_email_once(
        client, container, box):
    _shipped_two_minutes_apart(client, container)
    queue(container)
    container.clock.set(T0 + timedelta(minutes=5))
    errors = at_once(lambda: run_jobs(container))
    assert errors == []
    ids = Counter(m["Message-ID"] for m in box.mails())
    assert len(ids) == 2 and set(ids.values()) == {1}, ids


def test_coalescing_windows_that_make_no_sense_are_refused_at_start():
    for bad, why in (({"delayed": 60}, "never coalesced"), ({"parcel": 60}, "unknown"),
                     ({"shipped": 7200}, "0 to 3600")):
        with pytest.raises(ValidationError, match=why):
            Settings(message_coalesce_s=bad)
