"""Campaigns write exactly their declared events (tests/event_contract.py): created,
updated, scheduled and cancelled by the API; started (with a queued message per member
it reaches) and completed by the worker; a test send queues one message; the unsubscribe
link records the withdrawal in the consent ledger. Refusals write nothing."""

from __future__ import annotations

import pytest

from tests.campaign_helpers import (
    at_its_time,
    campaign_body,
    consent,
    create,
    customers,
    run,
    schedule,
    segment,
    unsubscribe_path,
)
from tests.event_checks import assert_writes, assert_writes_nothing
from tests.helpers import ok
from tests.messaging_helpers import send, with_smtp
from tests.smtp_server import running_smtp_server


@pytest.fixture
def box():
    with running_smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def container(container, box):
    return with_smtp(container, box)


@pytest.fixture
def people(client, uow) -> list[str]:
    """Ada and Bernd opted in to marketing e-mails; Cleo did not."""
    ids = customers(uow, ("Ada Lovelace", "ada@example.com"),
                    ("Bernd Brot", "bernd@example.de"), ("Cleo Nix", "cleo@example.com"))
    consent(client, ids[0])
    consent(client, ids[1])
    return ids


def test_writing_scheduling_and_running_a_campaign_writes_each_step(
        client, container, people):
    seg = segment(client)
    body = campaign_body(seg, container)
    refused = assert_writes_nothing(client, lambda: client.post("/api/v1/campaigns", json={
        **body, "content": {"en": {"subject": "{{ nobody }}", "text": "x"}}}))
    assert refused.status_code == 422
    created, [event] = assert_writes(client, "campaign.create", lambda: ok(
        client.post("/api/v1/campaigns", json=body), 201))
    assert event["payload"] == {"id": created["id"], "name": "Winter sale",
                                "segment_id": seg, "medium": "email"}
    path = f"/api/v1/campaigns/{created['id']}"
    _, [updated] = assert_writes(client, "campaign.update", lambda: ok(
        client.patch(path, json={"throttle_per_minute": 50})))
    assert updated["payload"]["changed"] == ["throttle_per_minute"]
    _, [queued] = assert_writes(client, "campaign.test_send", lambda: ok(
        client.post(f"{path}/test-send", json={"address": "me@shop.example"}), 202))
    assert queued["payload"]["test"] is True
    _, [scheduled] = assert_writes(client, "campaign.schedule",
                                   lambda: ok(client.post(f"{path}/schedule")))
    assert scheduled["payload"]["scheduled_at"] == created["scheduled_at"].replace(
        "Z", "+00:00")
    assert_writes_nothing(client, lambda: ok(client.post(f"{path}/schedule")))
    at_its_time(container, created)
    _, written = assert_writes(client, "campaign.start", lambda: run(container))
    assert {e["payload"]["customer_id"] for e in written
            if e["type"] == "message.queued"} == set(people[:2])
    assert {e["actor"] for e in written} == {"worker:campaigns"}
    send(container)
    _, [completed] = assert_writes(client, "campaign.complete", lambda: run(container))
    assert (completed["payload"]["audience"], completed["payload"]["sent"]) == (3, 2)
    assert completed["payload"]["skipped"]["no_consent"] == 1


def test_cancelling_a_campaign_and_unsubscribing_write_their_events(
        client, container, box, people):
    campaign = create(client, segment(client), container, throttle_per_minute=1)
    schedule(client, campaign["id"])
    at_its_time(container, campaign)
    run(container)
    send(container)  # Ada's; Bernd's waits for the next minute
    _, [cancelled] = assert_writes(client, "campaign.cancel", lambda: ok(
        client.post(f"/api/v1/campaigns/{campaign['id']}/cancel")))
    assert cancelled["payload"] == {"id": campaign["id"], "was": "running", "suppressed": 1}
    assert_writes_nothing(client, lambda: client.post(
        f"/api/v1/campaigns/{campaign['id']}/cancel"))
    path = unsubscribe_path(box.to("ada@example.com")[0])
    _, [withdrawn] = assert_writes(client, "campaign.unsubscribe",
                                   lambda: ok(client.post(path)))
    assert withdrawn["aggregate_id"] == people[0]
    assert withdrawn["payload"]["granted"] is False
    assert withdrawn["actor"] == "customer:unsubscribe-link"
    assert_writes_nothing(client, lambda: client.post(path))
