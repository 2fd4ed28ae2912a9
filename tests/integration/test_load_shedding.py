"""An API process works on a bounded number of requests: one more waits briefly for a
place, then is shed with 503 before any database work; a request that waited past its
deadline is not started; the liveness check is never shed."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ordermesh.apikeys.service import ENV_ADMIN
from ordermesh.http.deps import RequestContext
from ordermesh.http.problems import RequestExpired
from tests.helpers import ok
from tests.ops_helpers import table_held, until

CHANNEL = {"code": "web", "name": "Web", "kind": "web", "currency": "EUR"}


def _channels(client) -> list[str]:
    return [c["code"] for c in ok(client.get("/api/v1/channels"))["items"]]


def test_a_request_beyond_the_concurrency_limit_is_shed_with_503_and_retry_after(
        serve, db_url):
    client, container = serve(max_concurrent_requests=1, max_queue_wait_ms=0)
    assert client.get("/health").status_code == 200  # the database in use (table_held)
    with ThreadPoolExecutor(1) as pool:
        with table_held(db_url, "channels"):
            busy = pool.submit(client.post, "/api/v1/channels", json=CHANNEL)
            until(lambda: container.gate.in_use == 1)

            shed = client.get("/api/v1/locations")
            health = client.get("/health")
        created = busy.result(timeout=60)

    assert shed.status_code == 503, shed.text
    assert shed.headers["content-type"] == "application/problem+json"
    assert shed.headers["Retry-After"] == "1"
    problem = shed.json()
    assert problem["code"] == "overloaded"
    assert problem["request_id"] == shed.headers["X-Request-Id"]
    assert "limit of 1 requests" in problem["detail"]
    assert health.status_code == 200  # busy is not dead
    assert created.status_code == 201, created.text
    assert container.gate.in_use == 0
    assert _channels(client) == ["web"]


def test_a_request_that_finds_the_limit_reached_waits_for_a_place_within_its_bound(
        serve, db_url):
    client, container = serve(max_concurrent_requests=1, max_queue_wait_ms=30_000)
    assert client.get("/health").status_code == 200
    with ThreadPoolExecutor(2) as pool:
        with table_held(db_url, "channels"):
            first = pool.submit(client.post, "/api/v1/channels", json=CHANNEL)
            until(lambda: container.gate.in_use == 1)
            second = pool.submit(client.post, "/api/v1/channels",
                                 json={**CHANNEL, "code": "shop"})
            until(lambda: container.gate.waiting == 1)
        assert first.result(timeout=60).status_code == 201
        assert second.result(timeout=60).status_code == 201

    assert sorted(_channels(client)) == ["shop", "web"]
    assert container.gate.in_use == 0 and container.gate.waiting == 0


def test_a_request_stamped_by_the_load_balancer_longer_ago_than_the_deadline_is_not_started(
        serve):
    client, _ = serve(request_deadline_ms=10_000)
    stale = f"t={time.time() - 60:.3f}"  # as nginx stamps it: seconds since the epoch

    expired = client.post("/api/v1/channels", json=CHANNEL,
                          headers={"X-Request-Start": stale})

    assert expired.status_code == 503, expired.text
    assert expired.headers["content-type"] == "application/problem+json"
    assert expired.headers["Retry-After"] == "1"
    assert expired.json()["code"] == "request-expired"
    assert _channels(client) == []
    fresh = f"t={int(time.time() * 1000)}"  # milliseconds, as others stamp it
    assert client.post("/api/v1/channels", json=CHANNEL,
                       headers={"X-Request-Start": fresh}).status_code == 201


def test_a_forged_request_start_in_the_future_or_garbled_changes_nothing(serve):
    client, _ = serve(request_deadline_ms=10_000)

    future = client.post("/api/v1/channels", json=CHANNEL,
                         headers={"X-Request-Start": f"t={time.time() + 3600}"})
    garbled = client.get("/api/v1/channels", headers={"X-Request-Start": "t=yesterday"})

    assert future.status_code == 201, future.text
    assert garbled.status_code == 200



def test_a_request_whose_deadline_passed_before_its_unit_of_work_opens_is_not_started(
        container):
    late = RequestContext(container, ENV_ADMIN, "POST /api/v1/channels", None,
                          deadline=time.monotonic() - 1)
    in_time = RequestContext(container, ENV_ADMIN, "POST /api/v1/channels", None,
                             deadline=time.monotonic() + 60)

    with pytest.raises(RequestExpired):
        late.uow()
    with in_time.uow() as uow:
        assert uow.dialect in ("sqlite", "postgresql")
