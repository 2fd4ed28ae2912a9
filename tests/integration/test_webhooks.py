"""Outgoing webhooks through the API and the worker, against a real HTTP receiver that
checks every signature with the ``standardwebhooks`` package."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ordermesh.kit.clock import FixedClock
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import record_event
from ordermesh.webhooks.jobs import WebhookFanOut, WebhookSender, policy_of
from ordermesh.webhooks.model import new_secret
from ordermesh.webhooks.sending import claim_due
from ordermesh.webhooks.tables import webhook_deliveries
from tests.event_checks import events_after, log_end
from tests.helpers import make_channel, make_location, ok
from tests.webhook_receiver import Receiver, running_receiver

EP = "/api/v1/webhook-endpoints"


@pytest.fixture
def clock() -> FixedClock:
    # Fixed, but at the real time: receivers refuse signatures more than 5 minutes off.
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def relay(container, sender: WebhookSender | None = None) -> int:
    """One pass of the webhook relay: fan out, then send what is due."""
    WebhookFanOut().run_once(container)
    return (sender or WebhookSender()).run_once(container)


def subscribe(client, url: str, types: list[str], **extra) -> dict:
    return ok(client.post(EP, json={"url": url, "event_types": types, **extra}), 201)


def deliveries(client, endpoint_id: str, **params) -> list[dict]:
    return ok(client.get(f"{EP}/{endpoint_id}/deliveries", params=params))["items"]


def set_policy(container, **settings) -> None:
    container.settings = container.settings.model_copy(update=settings)


def test_a_subscribed_endpoint_receives_matching_events_signed_as_standard_webhooks_says(
        client, container, receiver):
    endpoint = subscribe(client, receiver.url(), ["location.*"])
    assert endpoint["secret"].startswith("whsec_") and endpoint["enabled"]
    start = log_end(client)
    make_channel(client, "web")
    make_location(client, "ber")
    [created] = [e for e in events_after(client, start) if e["type"] == "location.created"]

    assert relay(container) == 1
    [got] = receiver.on("/hook")
    payload = Webhook(endpoint["secret"]).verify(got.body, got.headers)
    assert got.headers["webhook-id"] == created["id"] == payload["id"]
    assert payload["type"] == "location.created"
    assert payload["data"]["aggregate_id"] == created["aggregate_id"]
    assert payload["data"]["payload"] == {"code": "ber", "kind": "warehouse"}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(got.body, got.headers)

    [delivery] = deliveries(client, endpoint["id"])
    assert delivery["status"] == "succeeded" and delivery["event_id"] == created["id"]
    [attempt] = delivery["attempt_log"]
    assert attempt["status_code"] == 204 and attempt["duration_ms"] >= 0
    assert relay(container) == 0, "a delivered event is not sent again"
    assert "secret" not in ok(client.get(f"{EP}/{endpoint['id']}"))


def test_during_a_secret_rotation_each_delivery_verifies_with_the_old_and_the_new_secret(
        client, container, receiver, clock):
    now = clock.now()
    clock.set(now - timedelta(hours=25))  # a rotation whose overlap is over by now
    endpoint = subscribe(client, receiver.url(), ["location.created"])
    first = ok(client.post(f"{EP}/{endpoint['id']}/rotate-secret",
                           json={"keep_previous_hours": 24}))
    clock.set(now)
    make_location(client, "ber")
    relay(container)
    [got] = receiver.on("/hook")
    Webhook(first["secret"]).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(got.body, got.headers)

    second = ok(client.post(f"{EP}/{endpoint['id']}/rotate-secret",
                            json={"keep_previous_hours": 24}))
    assert second["secret"] != first["secret"]
    assert datetime.fromisoformat(second["previous_secret_until"]) == now + timedelta(hours=24)
    make_location(client, "muc")
    relay(container)
    later = receiver.on("/hook")[1]
    assert len(later.headers["webhook-signature"].split(" ")) == 2
    for secret in (first["secret"], second["secret"]):
        Webhook(secret).verify(later.body, later.headers)


def test_a_failing_endpoint_is_retried_after_a_jittered_backoff_then_disabled(
        client, container, receiver, clock):
    set_policy(container, webhook_disable_after=3)
    sender = WebhookSender(rng=random.Random(7))
    receiver.status = 500
    endpoint = subscribe(client, receiver.url(), ["location.created"])
    make_location(client, "ber")
    assert relay(container, sender) == 1
    [delivery] = deliveries(client, endpoint["id"])
    assert delivery["status"] == "pending" and delivery["last_status_code"] == 500
    wait = datetime.fromisoformat(delivery["next_attempt_at"]) - clock.now()
    assert timedelta(seconds=7.5) <= wait <= timedelta(seconds=12.5)
    assert relay(container, sender) == 0, "not before the backoff is over"

    clock.advance(wait)
    assert relay(container, sender) == 1
    second = deliveries(client, endpoint["id"])[0]
    assert timedelta(seconds=30) <= datetime.fromisoformat(second["next_attempt_at"]) \
        - clock.now() <= timedelta(seconds=50), "the second wait is four times the first"
    clock.advance(timedelta(minutes=1))
    start = log_end(client)
    assert relay(container, sender) == 1
    disabled = ok(client.get(f"{EP}/{endpoint['id']}"))
    assert not disabled["enabled"] and "3 deliveries in a row failed" in \
        disabled["disabled_reason"]
    [event] = [e for e in events_after(client, start)
               if e["type"] == "webhook.endpoint_disabled"]
    assert event["aggregate_id"] == endpoint["id"]
    assert [a["status_code"] for a in deliveries(client, endpoint["id"])[0]["attempt_log"]] \
        == [500, 500, 500]

    clock.advance(timedelta(days=1))
    assert relay(container, sender) == 0, "a disabled endpoint is sent nothing"
    receiver.status = 200
    ok(client.patch(f"{EP}/{endpoint['id']}", json={"enabled": True}))
    assert relay(container, sender) == 1
    assert deliveries(client, endpoint["id"])[0]["status"] == "succeeded"
    assert len(receiver.on("/hook")) == 4


def test_a_delivery_that_fails_for_three_days_is_dead_lettered_and_can_be_replayed(
        client, container, receiver, clock):
    sender = WebhookSender(rng=random.Random(1))
    receiver.status = 503
    set_policy(container, webhook_disable_after=1000)
    endpoint = subscribe(client, receiver.url(), ["location.*"])
    start = clock.now()
    make_location(client, "ber")
    WebhookFanOut().run_once(container)
    longest = policy_of(container.settings).longest_delay
    while sender.run_once(container):  # each retry when it falls due
        [delivery] = deliveries(client, endpoint["id"])
        if delivery["status"] == "pending":
            clock.set(datetime.fromisoformat(delivery["next_attempt_at"]))
    [dead] = [d for d in deliveries(client, endpoint["id"], status="dead")]
    assert dead["event_type"] == "location.created" and dead["next_attempt_at"] is None
    finished = datetime.fromisoformat(dead["finished_at"])
    assert start + timedelta(days=3) <= finished <= start + timedelta(days=3) + longest
    assert 10 <= dead["attempts"] <= 20

    receiver.status = 200
    replayed = ok(client.post(f"/api/v1/webhook-deliveries/{dead['id']}/replay"))
    assert replayed["status"] == "pending"
    sender.run_once(container)
    assert ok(client.get(f"{EP}/{endpoint['id']}/deliveries", params={"status": "dead"})
              )["items"] == []


def test_two_relays_side_by_side_deliver_each_event_once_per_endpoint(
        client, container, receiver):
    subscribe(client, receiver.url("/a"), ["test.*"])
    subscribe(client, receiver.url("/b"), ["*"])
    ids = []
    for batch in range(6):
        with UnitOfWork(container.engine, container.clock) as uow:
            ids += [record_event(uow, "test.happened", "test", f"t{batch}-{i}", {"i": i})
                    for i in range(10)]
            uow.commit()
    fan_out, sender = WebhookFanOut(batch=7), WebhookSender(batch=4)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(40):
                if fan_out.run_once(container) + sender.run_once(container) == 0:
                    return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    for path in ("/a", "/b"):
        got = Counter(r.headers["webhook-id"] for r in receiver.on(path))
        assert set(ids) <= set(got) and max(got.values()) == 1, path
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        rows = uow.execute(select(webhook_deliveries.c.status)).scalars().all()
    assert Counter(rows) == {"succeeded": len(rows)} and len(rows) >= 120


def test_a_delivery_claimed_by_a_worker_that_crashed_is_sent_once_its_lease_runs_out(
        client, container, receiver, clock):
    endpoint = subscribe(client, receiver.url(), ["location.*"])
    make_location(client, "ber")
    WebhookFanOut().run_once(container)
    policy = policy_of(container.settings)
    with UnitOfWork(container.engine, container.clock) as uow:
        [claimed] = claim_due(uow, 10, policy)  # ...and the worker dies before sending
    assert WebhookSender().run_once(container) == 0, "the claim holds for its lease"
    clock.advance(policy.lease)
    assert WebhookSender().run_once(container) == 1
    [got] = receiver.on("/hook")
    assert got.headers["webhook-id"] == claimed.event_id
    [delivery] = deliveries(client, endpoint["id"])
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 2


def test_replaying_a_time_range_sends_events_from_before_the_endpoint_existed(
        client, container, receiver, clock):
    make_location(client, "ber")
    clock.advance(timedelta(minutes=5))
    endpoint = subscribe(client, receiver.url(), ["location.*"])
    make_location(client, "muc")
    relay(container)
    assert [json.loads(r.body)["data"]["payload"]["code"] for r in receiver.on("/hook")] \
        == ["muc"]
    since = (clock.now() - timedelta(hours=1)).isoformat()
    until = (clock.now() + timedelta(seconds=1)).isoformat()
    result = ok(client.post(f"{EP}/{endpoint['id']}/replay",
                            params={"from": since, "to": until}))
    assert result == {"requeued": 1, "created": 1}
    relay(container)
    assert sorted(json.loads(r.body)["data"]["payload"]["code"]
                  for r in receiver.on("/hook")) == ["ber", "muc", "muc"]


@pytest.mark.parametrize("body, field", [
    ({"url": "ftp://example.com/x", "event_types": ["*"]}, "url"),
    ({"url": "https://example.com/x", "event_types": []}, "event_types"),
    ({"url": "https://example.com/x", "event_types": ["Order created"]}, "event_types"),
    ({"url": "https://example.com/x", "event_types": ["*"], "secret": "s3cr3t"}, "secret"),
    ({"url": "https://example.com/x", "event_types": ["*"], "secret": "whsec_c2hvcnQ="},
     "secret"),
])
def test_a_bad_subscription_is_refused_with_the_field_and_creates_nothing(client, body,
                                                                          field):
    response = client.post(EP, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text
    assert ok(client.get(EP))["items"] == []


def test_a_replay_range_without_offset_or_backwards_is_refused(client, receiver):
    endpoint = subscribe(client, receiver.url(), ["*"])
    for params in ({"from": "2026-01-02T00:00:00", "to": "2026-01-03T00:00:00Z"},
                   {"from": "2026-01-03T00:00:00Z", "to": "2026-01-02T00:00:00Z"},
                   {"from": "2026-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}):
        response = client.post(f"{EP}/{endpoint['id']}/replay", params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"], response.text  # names what is wrong
    assert client.post(f"{EP}/whe_nope/replay", params={
        "from": "2026-01-02T00:00:00Z", "to": "2026-01-03T00:00:00Z"}).status_code == 404
    assert client.post("/api/v1/webhook-deliveries/whd_nope/replay").status_code == 404


def test_a_deleted_endpoint_is_gone_with_its_deliveries(client, container, receiver):
    endpoint = subscribe(client, receiver.url(), ["*"])
    make_location(client, "ber")
    relay(container)
    assert client.delete(f"{EP}/{endpoint['id']}").status_code == 204
    assert client.get(f"{EP}/{endpoint['id']}").status_code == 404
    assert client.get(f"{EP}/{endpoint['id']}/deliveries").status_code == 404
    make_location(client, "muc")
    assert relay(container) == 0
