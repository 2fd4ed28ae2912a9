"""Webhook endpoints write exactly their declared events (tests/event_contract.py); the
deliveries themselves write none, except the failure that disables an endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from ordermesh.webhooks.jobs import WebhookFanOut, WebhookSender
from tests.event_checks import assert_writes, assert_writes_nothing, of_type
from tests.helpers import make_location, ok
from tests.webhook_receiver import Receiver, running_receiver

EP = "/api/v1/webhook-endpoints"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def test_webhook_endpoint_set_up_writes_created_changed_rotated_and_deleted(client):
    created, written = assert_writes(client, "webhook.create", lambda: ok(client.post(EP, json={
        "url": "https://hooks.example.com/om", "event_types": ["order.*"]}), 201))
    event = of_type(written, "webhook.endpoint_created")
    assert event["aggregate_id"] == created["id"]
    assert event["payload"] == {"url": "https://hooks.example.com/om",
                                "event_types": ["order.*"]}
    assert "secret" not in str(event["payload"])
    url = f"{EP}/{created['id']}"
    _, written = assert_writes(client, "webhook.update", lambda: ok(client.patch(url, json={
        "event_types": ["order.*", "refund.issued"]})))
    assert of_type(written, "webhook.endpoint_changed")["payload"] == {
        "event_types": ["order.*", "refund.issued"]}
    rotated, written = assert_writes(client, "webhook.rotate", lambda: ok(client.post(
        f"{url}/rotate-secret", json={"keep_previous_hours": 2})))
    assert of_type(written, "webhook.secret_rotated")["payload"] == {
        "previous_secret_until": rotated["previous_secret_until"].replace("Z", "+00:00")}
    refused = assert_writes_nothing(client, lambda: client.patch(url, json={
        "event_types": ["Not A Type"]}))
    assert refused.status_code == 422
    _, written = assert_writes(client, "webhook.delete", lambda: client.delete(url))
    assert of_type(written, "webhook.endpoint_deleted")["payload"] == {
        "url": "https://hooks.example.com/om"}


def test_an_endpoint_that_keeps_failing_is_disabled_by_the_worker_with_an_event(
        client, container, clock, receiver):
    container.settings = container.settings.model_copy(update={"webhook_disable_after": 2})
    receiver.status = 500
    endpoint = ok(client.post(EP, json={"url": receiver.url(),
                                        "event_types": ["location.*"]}), 201)
    make_location(client, "ber")
    WebhookFanOut().run_once(container)
    assert_writes(client, "webhook.send.failing",
                  lambda: WebhookSender().run_once(container))
    clock.advance(timedelta(minutes=1))
    _, written = assert_writes(client, "webhook.send.disable",
                               lambda: WebhookSender().run_once(container))
    disabled = of_type(written, "webhook.endpoint_disabled")
    assert disabled["aggregate_id"] == endpoint["id"]
    assert disabled["payload"]["consecutive_failures"] == 2
    assert disabled["payload"]["last_error"].startswith("HTTP 500")
    assert not ok(client.get(f"{EP}/{endpoint['id']}"))["enabled"]
