"""Idempotency-Keys are remembered for ``idempotency_retention_hours`` (30 days by
default); the worker's retention job forgets older ones, oldest first, a batch per
transaction, after which the key is free for a new request."""

from __future__ import annotations

from datetime import timedelta

from ordermesh.worker import IdempotencyRetention
from tests.helpers import ok, order_body, shop

ORDERS = "/api/v1/orders"


def _post(client, key: str, external_id: str):
    return client.post(ORDERS, json=order_body([("TEE", 1, "10.00")], external_id=external_id),
                       headers={"Idempotency-Key": key})


def test_a_key_is_remembered_for_thirty_days_then_forgotten(client, clock, container):
    shop(client, {"TEE": {"ber": 10}})
    first = ok(_post(client, "K-1", "W-1"), 201)
    clock.advance(timedelta(days=29))
    assert IdempotencyRetention().run_once(container) == 0
    reused = _post(client, "K-1", "W-2")
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency-key-reused"
    assert ok(_post(client, "K-1", "W-1"), 201)["id"] == first["id"]  # still a replay
    clock.advance(timedelta(days=1, seconds=1))
    assert IdempotencyRetention().run_once(container) == 1
    second = ok(_post(client, "K-1", "W-2"), 201)
    assert second["id"] != first["id"]


def test_a_backlog_is_forgotten_a_batch_at_a_time_and_newer_keys_stay(client, clock,
                                                                      container):
    shop(client, {"TEE": {"ber": 10}})
    for i in range(5):
        ok(_post(client, f"OLD-{i}", f"W-{i}"), 201)
    clock.advance(timedelta(days=20))
    ok(_post(client, "NEW", "W-new"), 201)
    clock.advance(timedelta(days=11))
    assert IdempotencyRetention(batch=2, max_batches=2).run_once(container) == 4
    assert IdempotencyRetention(batch=2).run_once(container) == 1
    assert IdempotencyRetention(batch=2).run_once(container) == 0
    reused = _post(client, "NEW", "W-other")
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency-key-reused"
