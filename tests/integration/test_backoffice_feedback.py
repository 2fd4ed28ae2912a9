"""The feedback screen: what customers think of a product, carrier, location or channel
in a period (NPS, CSAT and rating with sample sizes and intervals, the trend, themes with
quotes, detractors' topics, alerts), as the API's insights say, and the latest feedback
with links to the orders; a filter naming nothing known is refused on the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ordermesh.app import create_app
from tests.backoffice_helpers import signed_in
from tests.helpers import ok
from tests.returns_helpers import shipped_order

FEEDBACK = "/api/v1/feedback"


@pytest.fixture
def app(container):
    return create_app(container)


def _order(client):
    return shipped_order(client, lines=(("TEE", 2, "20.00"), ("MUG", 1, "9.00")),
                         customer={"email": "ada@example.com", "name": "Ada"})


def _say(client, order, score, text, at, kind="product_rating", line_no=1):
    body = {"source": "agent", "customer_id": order["customer_id"], "order": order["number"],
            "kind": kind, "score": score, "text": text, "received_at": at.isoformat()}
    if kind == "product_rating":
        body["line_no"] = line_no
    return ok(client.post(FEEDBACK, json=body), 201)


def _history(client, container) -> dict:
    """October: six damaged tees and six slow deliveries; November: six happy answers of
    each kind."""
    order = _order(client)
    container.clock.set(datetime(2026, 12, 20, 12, tzinfo=UTC))
    october, november = datetime(2026, 10, 10, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC)
    for i in range(6):
        _say(client, order, 1, "Arrived damaged, the box was crushed", october + timedelta(i))
        _say(client, order, 2, "Late delivery, too slow", october + timedelta(i), kind="nps")
        _say(client, order, 5, "Lovely quality, fits well", november + timedelta(i))
        _say(client, order, 10, "Great service", november + timedelta(i), kind="nps")
    return order


def test_the_feedback_screen_says_what_customers_think_and_whether_it_gets_better(
        app, client, container):
    order = _history(client, container)
    page = signed_in(app, container, "viewer").get(
        "/app/feedback", params={"sku": "TEE", "since": "2026-10-01"})
    assert page.status_code == 200, page.text
    html = page.text
    api = ok(client.get(f"{FEEDBACK}/insights", params={
        "sku": "TEE", "since": "2026-10-01T00:00:00Z", "until": "2026-12-20T12:00:00Z"}))
    low, high = api["rating"]["ci95"]
    assert (f'<td data-measure="rating"><strong>3.0</strong> <span class="muted">(95 % '
            f'interval {low}\u2013{high}, n=12)</span>') in html
    assert '<td data-better="rating">better</td>' in html
    assert api["summary"] in html.replace("&#39;", "'")
    assert "<td>2026-10</td>" in html and "<td>2026-11</td>" in html
    assert '<section class="card" data-topic="damage">' in html
    assert "<q>Arrived damaged, the box was crushed</q>" in html
    latest = html[html.index('<table id="latest">'):]
    assert f'<a href="/app/orders/{order["number"]}">{order["number"]}</a>' in latest
    assert f'<a href="/app/customers/{order["customer_id"]}">Ada</a>' in latest
    assert "Great service" not in latest  # NPS answers are not about the product


def test_everything_with_weekly_trend_shows_nps_csat_and_detractor_topics(
        app, client, container):
    _history(client, container)
    html = signed_in(app, container, "viewer").get(
        "/app/feedback", params={"since": "2026-10-01", "period": "week"}).text
    assert '<td data-measure="nps"><strong>0.0</strong>' in html and "n=12)" in html
    assert '<td data-measure="csat"><span class="muted">no answers</span>' in html
    assert "<td>2026-W41</td>" in html
    assert "Why detractors are unhappy (12 detractor answer(s))" in html
    topics = html[html.index('<table id="detractor-topics">'):]
    for label in ("Damage", "Delivery speed", "Packaging"):
        assert f'<td>{label}</td><td class="num">6</td><td class="num">50 %</td>' in topics


def test_a_filter_naming_an_unknown_product_or_a_bad_date_is_refused_on_the_page(
        app, client, container):
    _history(client, container)
    browser = signed_in(app, container, "viewer")
    unknown = browser.get("/app/feedback", params={"sku": "NOPE"})
    assert unknown.status_code == 422
    assert 'id="filter-error"' in unknown.text and "NOPE" in unknown.text
    assert 'value="NOPE"' in unknown.text  # the form keeps what was typed
    bad_date = browser.get("/app/feedback", params={"since": "10/01/2026"})
    assert bad_date.status_code == 422 and "is not a date (YYYY-MM-DD)" in bad_date.text
    backwards = browser.get("/app/feedback", params={"since": "2026-12-01",
                                                     "until": "2026-11-01"})
    assert backwards.status_code == 422 and "must be before until" in backwards.text


def test_what_a_customer_wrote_is_shown_as_text(app, client, container):
    order = _order(client)
    _say(client, order, 1, "<script>alert('x')</script> broken", container.clock.now())
    html = signed_in(app, container, "viewer").get("/app/feedback").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; broken" in html
    assert "<script>alert" not in html


def test_the_latest_feedback_follows_the_carrier_location_and_channel_chosen(
        app, client, container):
    order = _order(client)
    said = _say(client, order, 4, "Fine mug", container.clock.now(), line_no=2)
    browser = signed_in(app, container, "viewer")
    for params in ({"carrier": said["carrier"]}, {"location": "ber"}, {"channel": "web"}):
        page = browser.get("/app/feedback", params=params)
        assert page.status_code == 200, page.text
        assert "<td>Fine mug</td>" in page.text, params
    other = browser.get("/app/feedback", params={"carrier": said["carrier"] + "-other"})
    assert "<td>Fine mug</td>" not in other.text
    assert "No feedback in this period." in other.text
    assert browser.get("/app/feedback", params={"location": "nowhere"}).status_code == 422
