"""Messages are sent at least once and never doubled nor lost: a replayed outbox, a job
run twice or two workers at once send each e-mail once; a refusing or unreachable SMTP
server means retries with growing delays, then ``failed``; a sender that dies after its
claim is succeeded by another once the lease runs out."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import update

from ordermesh.events.tables import relay_cursors
from ordermesh.kit.db import UnitOfWork
from ordermesh.messaging.jobs import MessageSender, policy_of, rules_of, server_of
from ordermesh.messaging.sending import Outcome, claim_due, record
from ordermesh.messaging.sending import send as send_one
from tests.feedback_helpers import deliver
from tests.helpers import ok
from tests.messaging_helpers import at_once, messages, queue, run_jobs, send, with_smtp
from tests.smtp_server import closed_port, running_smtp_server


@pytest.fixture
def box():
    with running_smtp_server() as mailbox:
        yield mailbox


def _ids(box) -> Counter:
    return Counter(m["Message-ID"] for m in box.mails())


def test_a_replayed_outbox_and_a_second_run_queue_and_send_nothing_twice(
        client, container, box):
    container = with_smtp(container, box)
    deliver(client, container)
    run_jobs(container)
    with container.engine.begin() as conn:  # the cursor back to the start: a replay
        conn.execute(update(relay_cursors).where(relay_cursors.c.name == "messaging")
                     .values(position=0))
    run_jobs(container)
    run_jobs(container)
    assert len(messages(client)) == 3
    assert list(_ids(box).values()) == [1, 1, 1]


def test_two_workers_queueing_and_sending_at_once_send_each_email_once(
        client, container, box):
    container = with_smtp(container, box)
    for n in range(3):
        deliver(client, container, new_shop=n == 0,
                customer={"email": f"buyer{n}@example.com", "name": f"Buyer {n}"})
    errors = at_once(lambda: queue(container), lambda: send(container))
    assert errors == []
    assert len(messages(client)) == 9
    ids = _ids(box)
    assert len(ids) == 9 and set(ids.values()) == {1}, ids
    assert {m["status"] for m in messages(client)} == {"sent"}


def test_a_refusing_server_means_retries_with_growing_delays_then_failed(
        client, container, box):
    container = with_smtp(container, box, max_attempts=3)
    order = deliver(client, container)
    box.refuse = "451 4.3.0 mailbox busy, try later"
    queue(container)
    assert send(container) == 3
    [message] = messages(client, type="shipped")
    assert (message["status"], message["attempts"]) == ("queued", 1)
    assert "451" in message["last_error"]
    assert send(container) == 0  # not due yet: the first retry waits a minute
    container.clock.advance(timedelta(seconds=60))
    assert send(container) == 3
    container.clock.advance(timedelta(seconds=119))
    assert send(container) == 0  # the second retry waits twice as long
    container.clock.advance(timedelta(seconds=1))
    assert send(container) == 3
    assert box.refused == 9 and box.mails() == []
    failed = ok(client.get(f"/api/v1/messages/{message['id']}"))
    assert (failed["status"], failed["attempts"]) == ("failed", 3)
    assert [(h["status"], h["attempt"]) for h in failed["history"]] == [
        ("queued", None), ("retry", 1), ("retry", 2), ("failed", 3)]
    assert failed["finished_at"] is not None
    container.clock.advance(timedelta(days=2))
    assert send(container) == 0  # failed is final
    assert len(messages(client, order=order["id"], status="failed")) == 3


def test_a_permanent_refusal_fails_the_message_at_once_without_retrying(
        client, container, box):
    container = with_smtp(container, box, max_attempts=5)
    deliver(client, container)
    box.refuse = "550 5.1.1 no such mailbox"
    queue(container)
    assert send(container) == 3
    assert box.refused == 3
    [message] = messages(client, type="order_confirmation")
    failed = ok(client.get(f"/api/v1/messages/{message['id']}"))
    assert (failed["status"], failed["attempts"]) == ("failed", 1)
    assert [(h["status"], h["detail"]) for h in failed["history"]] == [
        ("queued", None), ("failed", "550 5.1.1 no such mailbox")]
    container.clock.advance(timedelta(days=1))
    assert send(container) == 0


def test_a_server_that_is_down_then_back_gets_the_message_late_not_never(
        client, container, box):
    down = with_smtp(container, port=closed_port())
    deliver(client, down)
    queue(down)
    assert send(down) == 3
    [message] = messages(client, type="delivered")
    assert message["status"] == "queued" and message["last_error"].startswith(
        "ConnectionRefusedError")
    back = with_smtp(container, box)
    container.clock.advance(timedelta(minutes=1))
    assert send(back) == 3
    assert len(box.mails()) == 3
    assert {m["attempts"] for m in messages(client)} == {2}


def test_a_sender_that_dies_after_its_claim_is_succeeded_once_its_lease_runs_out(
        client, container, box):
    container = with_smtp(container, box)
    deliver(client, container)
    queue(container)
    policy = policy_of(container.settings)
    with UnitOfWork(container.engine, container.clock) as uow:
        # ... and the process dies before sending
        lost = claim_due(uow, 10, policy, rules_of(container.settings))
    assert len(lost) == 3
    assert send(container) == 0  # claimed: nobody else sends while the lease runs
    assert {m["status"] for m in messages(client)} == {"sending"}
    assert lost[0].lease_until - container.clock.now() == policy.lease(3)
    container.clock.advance(policy.lease(3))
    assert send(container) == 3
    assert len(box.mails()) == 3
    # The first sender comes back and reports: its claim no longer decides.
    late = send_one(server_of(container.settings), lost[0])
    assert late.ok
    with UnitOfWork(container.engine, container.clock) as uow:
        assert record(uow, lost[0], Outcome("late", permanent=True), policy) == "sent"
    assert {m["attempts"] for m in messages(client)} == {2}


def test_a_sender_whose_lease_ran_out_sends_no_more_of_its_claim(client, container, box):
    container = with_smtp(container, box)
    deliver(client, container)
    queue(container)
    policy = policy_of(container.settings)
    with UnitOfWork(container.engine, container.clock) as uow:
        claimed = claim_due(uow, 10, policy, rules_of(container.settings))
    container.clock.advance(policy.lease(3))  # a slow server ate the whole lease
    MessageSender()._send_claimed(container, server_of(container.settings), policy, claimed)
    assert box.mails() == []
    assert send(container) == 3  # claimed again, sent once
    assert len(_ids(box)) == 3 and set(_ids(box).values()) == {1}


def test_without_an_smtp_host_nothing_is_queued_until_one_is_configured(
        client, container, box):
    deliver(client, container)
    assert queue(container) == 0 and send(container) == 0
    assert messages(client) == []
    run_jobs(with_smtp(container, box))
    assert len(box.mails()) == 3
