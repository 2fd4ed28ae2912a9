"""GET /metrics: Prometheus's text format, behind its own token, with requests by route
template, orders placed, stock refusals, shed and limited requests, and the outbox and
webhook backlogs read from the database."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import assign_positions
from ordermesh.webhooks.jobs import WebhookFanOut
from tests.helpers import make_channel, ok, order_body, shop

TOKEN = "metrics-token-0123456789abcdef"
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}


def scrape(client) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape, parsed by prometheus_client's own parser."""
    answer = client.get("/metrics", headers=SCRAPER)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(answer.text)
            for sample in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_off_without_a_token_and_no_api_key_opens_them(serve, client):
    off = client.get("/metrics")
    on, _ = serve(metrics_token=TOKEN)

    assert off.status_code == 404
    assert off.json()["detail"] == "Metrics are off: set ORDERMESH_METRICS_TOKEN to serve them"
    assert on.get("/metrics").status_code == 401  # the admin API key is no scraper
    wrong = on.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"
    assert on.get("/metrics", headers=SCRAPER).status_code == 200


def test_requests_are_counted_by_route_template_and_status_with_their_latency(serve):
    client, _ = serve(metrics_token=TOKEN)
    web = make_channel(client)
    before = scrape(client)

    ok(client.get(f"/api/v1/channels/{web['id']}"))
    ok(client.get("/api/v1/channels/web"))
    assert client.get("/api/v1/channels/nope").status_code == 404
    assert client.get("/no/such/path").status_code == 404
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    route = "/api/v1/channels/{channel_id}"
    assert grew("ordermesh_http_requests_total", method="GET", route=route, status="200") == 2
    assert grew("ordermesh_http_requests_total", method="GET", route=route, status="404") == 1
    assert grew("ordermesh_http_requests_total", method="GET", route="unmatched",
                status="404") == 1
    assert grew("ordermesh_http_request_duration_seconds_count", method="GET",
                route=route) == 3
    assert not any("/api/v1/channels/web" in dict(labels).get("route", "")
                   for _, labels in after)  # raw paths never become series


def test_orders_placed_and_stock_refusals_are_counted(serve):
    client, _ = serve(metrics_token=TOKEN)
    shop(client, {"MUG": {"ber": 2}})
    before = scrape(client)

    ok(client.post("/api/v1/orders", json=order_body([("MUG", 1, "9.99")])), 201)
    refused = client.post("/api/v1/orders", json=order_body([("MUG", 5, "9.99")]))
    after = scrape(client)

    assert refused.status_code == 409
    assert (value(after, "ordermesh_orders_placed_total")
            - value(before, "ordermesh_orders_placed_total")) == 1
    assert (value(after, "ordermesh_events_committed_total", type="order.created")
            - value(before, "ordermesh_events_committed_total", type="order.created")) == 1
    assert (value(after, "ordermesh_stock_reservations_refused_total")
            - value(before, "ordermesh_stock_reservations_refused_total")) == 1


def test_shed_and_rate_limited_requests_are_counted_by_reason(serve):
    client, _ = serve(metrics_token=TOKEN, rate_limit_per_key="1/minute",
                      rate_limit_per_address="")
    before = scrape(client)

    assert client.get("/api/v1/channels").status_code == 200
    assert client.get("/api/v1/channels").status_code == 429
    after = scrape(client)  # the scrape itself is never limited

    reason = {"reason": "rate-limited-key"}
    assert (value(after, "ordermesh_http_requests_refused_total", **reason)
            - value(before, "ordermesh_http_requests_refused_total", **reason)) == 1


def test_a_request_shed_before_routing_is_counted_under_its_route_template(serve):
    client, _ = serve(metrics_token=TOKEN, rate_limit_per_address="1/minute")
    before = scrape(client)  # /metrics is exempt from the address limit as well

    assert client.get("/api/v1/channels/web").status_code == 404
    assert client.get("/api/v1/channels/web").status_code == 429
    after = scrape(client)

    labels = {"method": "GET", "route": "/api/v1/channels/{channel_id}", "status": "429"}
    assert (value(after, "ordermesh_http_requests_total", **labels)
            - value(before, "ordermesh_http_requests_total", **labels)) == 1


def test_the_outbox_and_webhook_backlogs_are_read_from_the_database(serve, clock):
    client, container = serve(metrics_token=TOKEN)
    make_channel(client, "web")
    make_channel(client, "shop")
    clock.advance(timedelta(seconds=30))

    waiting = scrape(client)
    assert value(waiting, "ordermesh_outbox_unpositioned_events") == 2
    assert value(waiting, "ordermesh_outbox_unpositioned_age_seconds") == 30

    ok(client.post("/api/v1/webhook-endpoints", json={
        "url": "https://hooks.example.com/orders", "event_types": ["*"]}), 201)
    WebhookFanOut().run_once(container)  # positions, then deliveries; none sent yet
    make_channel(client, "pos")  # an event the relay has not handed on
    with UnitOfWork(container.engine, container.clock) as uow:
        assign_positions(uow)
    clock.advance(timedelta(seconds=120))
    behind = scrape(client)

    assert value(behind, "ordermesh_outbox_unpositioned_events") == 0
    assert value(behind, "ordermesh_outbox_relay_behind_events", relay="webhooks") == 1
    assert value(behind, "ordermesh_outbox_relay_lag_seconds", relay="webhooks") == 120
    # an endpoint gets the events recorded after it: here the one of its own creation
    assert value(behind, "ordermesh_webhook_deliveries_due") == 1
    assert value(behind, "ordermesh_webhook_delivery_lag_seconds") == 120

    WebhookFanOut().run_once(container)
    caught_up = scrape(client)
    assert value(caught_up, "ordermesh_outbox_relay_behind_events", relay="webhooks") == 0
    assert value(caught_up, "ordermesh_outbox_relay_lag_seconds", relay="webhooks") == 0
