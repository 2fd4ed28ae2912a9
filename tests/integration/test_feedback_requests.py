"""A delivered order leads to a feedback request with a single-use signed link (the
worker job), unless a return is open or the customer was asked recently; the answer
through the public page is stored once and tied to what it is about."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.feedback_helpers import (
    DELIVERED_AT,
    deliver,
    path_of,
    request_link,
    run_job,
    with_secret,
)
from tests.helpers import ok
from tests.returns_helpers import ask

REQUESTS = "/api/v1/feedback-requests"


@pytest.fixture
def container(container):
    return with_secret(container)


def _requests(client, **params) -> list[dict]:
    return ok(client.get(REQUESTS, params=params))["items"]


def _answer(client, link: str, **fields):
    return client.post(path_of(link), data=fields)


def test_a_delivered_order_is_asked_for_feedback_three_days_after_the_delivery_scan(
        client, container):
    order = deliver(client, container)
    run_job(container)
    [scheduled] = _requests(client)
    assert (scheduled["status"], scheduled["trigger"]) == ("scheduled", "delivered")
    assert scheduled["due_at"].startswith("2026-11-30T10:00")
    assert scheduled["carrier"] == "sim" and scheduled["shipment_id"]
    assert [ln["sku"] for ln in scheduled["lines"]] == ["TEE"]
    container.clock.set(DELIVERED_AT + timedelta(days=3) - timedelta(minutes=1))
    run_job(container)
    assert _requests(client)[0]["status"] == "scheduled"  # not yet
    container.clock.set(DELIVERED_AT + timedelta(days=3))
    run_job(container)
    [sent] = _requests(client, order=order["number"])
    assert sent["status"] == "sent" and sent["expires_at"].startswith("2026-12-30")
    link = request_link(client)
    assert link.startswith("https://shop.example/feedback/fbr_")
    run_job(container)  # reads its own feedback.requested event
    assert run_job(container) == 0  # nothing more to do
    assert [r["status"] for r in _requests(client)] == ["sent"]


def test_the_answer_page_stores_every_piece_tied_to_order_line_product_and_carrier(
        client, container):
    order = deliver(client, container)
    run_job(container)
    container.clock.set(DELIVERED_AT + timedelta(days=3))
    run_job(container)
    link = request_link(client)
    page = client.get(path_of(link))
    assert page.status_code == 200 and 'name="nps"' in page.text and "TEE" in page.text
    done = _answer(client, link, nps="4", csat="2", rating_1="2",
                   review_1="The fabric feels cheap and the size runs small",
                   comment="The parcel arrived late and the box was crushed")
    assert done.status_code == 200 and "Thank you" in done.text
    pieces = ok(client.get("/api/v1/feedback", params={"order": order["number"]}))["items"]
    by_kind = {p["kind"]: p for p in pieces}
    assert sorted(by_kind) == ["csat", "nps", "product_rating"]
    assert by_kind["nps"]["text"].startswith("The parcel arrived late")
    assert {t["code"] for t in by_kind["nps"]["topics"]} == {
        "delivery_speed", "damage", "packaging"}
    assert by_kind["nps"]["sentiment"] < 0
    rating = by_kind["product_rating"]
    assert (rating["sku"], rating["line_no"], rating["score"]) == ("TEE", 1, 2)
    assert {t["code"] for t in rating["topics"]} >= {"quality", "size_fit"}
    [web] = ok(client.get("/api/v1/channels"))["items"]
    for piece in pieces:
        assert piece["order_id"] == order["id"] and piece["carrier"] == "sim"
        assert piece["customer_id"] == order["customer_id"] and piece["shipment_id"]
        assert piece["location_id"] and piece["channel_id"] == web["id"]
        assert piece["source"] == "request"
    assert _requests(client)[0]["status"] == "answered"


def test_a_used_forged_or_expired_link_is_refused_and_changes_nothing(client, container):
    deliver(client, container)
    run_job(container)
    container.clock.set(DELIVERED_AT + timedelta(days=3))
    run_job(container)
    link = request_link(client)
    request_id, expires, signature = path_of(link).removeprefix("/feedback/").split(".")
    forged = f"/feedback/{request_id}.{int(expires) + 86400}.{signature}"
    assert client.get(forged).status_code == 404
    assert client.post(forged, data={"nps": "10"}).status_code == 404
    assert client.get("/feedback/nonsense").status_code == 404
    container.clock.set(DELIVERED_AT + timedelta(days=34))
    expired = _answer(client, link, nps="10")
    assert expired.status_code == 410 and "expired" in expired.text
    container.clock.set(DELIVERED_AT + timedelta(days=4))
    assert ok(client.get("/api/v1/feedback"))["items"] == []
    assert _answer(client, link, nps="10").status_code == 200
    again = _answer(client, link, nps="0")
    assert again.status_code == 409 and "used already" in again.text
    assert client.get(path_of(link)).status_code == 409
    assert [p["score"] for p in ok(client.get("/api/v1/feedback"))["items"]] == [10]


def test_a_score_off_its_scale_shows_the_form_again_and_stores_nothing(client, container):
    deliver(client, container)
    run_job(container)
    container.clock.set(DELIVERED_AT + timedelta(days=3))
    run_job(container)
    link = request_link(client)
    for fields in ({"nps": "11"}, {"csat": "0"}, {"rating_1": "6"}, {"nps": "x"},
                   {"rating_7": "3", "nps": "5"}, {}):
        refused = _answer(client, link, **fields)
        assert refused.status_code == 422, (fields, refused.text)
        assert 'class="error"' in refused.text
    assert ok(client.get("/api/v1/feedback"))["items"] == []
    assert _requests(client)[0]["status"] == "sent"
    assert _answer(client, link, nps="9").status_code == 200


def test_no_request_while_a_return_is_open_nor_twice_within_the_quiet_days(
        client, container):
    first = deliver(client, container)
    second = deliver(client, container, new_shop=False)
    ok(ask(client, second, [(1, 1, "defective")]), 201)
    run_job(container)
    container.clock.set(DELIVERED_AT + timedelta(days=3))
    run_job(container)
    by_order = {r["order_id"]: r for r in _requests(client)}
    assert by_order[first["id"]]["status"] == "sent"
    assert by_order[second["id"]]["status"] == "suppressed"
    assert by_order[second["id"]]["suppressed_reason"].startswith("a return is open")
    third = deliver(client, container, new_shop=False)
    run_job(container)
    container.clock.set(DELIVERED_AT + timedelta(days=3))
    run_job(container)
    quiet = {r["order_id"]: r for r in _requests(client)}[third["id"]]
    assert quiet["status"] == "suppressed"
    assert quiet["suppressed_reason"] == "the customer was asked on 2026-11-30"


def test_an_order_without_a_customer_e_mail_is_not_asked(client, container):
    order = deliver(client, container, customer={"name": "Nobody", "phone": "+4930123456"})
    run_job(container)
    container.clock.set(DELIVERED_AT + timedelta(days=3))
    run_job(container)
    [request] = _requests(client, order=order["id"])
    assert (request["status"], request["suppressed_reason"]) == (
        "suppressed", "the customer has no e-mail address")


def test_a_customer_who_has_not_agreed_to_feedback_e_mails_is_not_asked(client, container):
    order = deliver(client, container, consent=False)
    run_job(container)
    container.clock.set(DELIVERED_AT + timedelta(days=3))
    run_job(container)
    [request] = _requests(client, order=order["id"])
    assert (request["status"], request["suppressed_reason"]) == (
        "suppressed", "the customer has not agreed to feedback e-mails")


def test_a_resolved_return_leads_to_its_own_request_once_no_return_is_open(
        client, container):
    order = deliver(client, container)
    run_job(container)
    ret = ok(ask(client, order, [(1, 1, "defective")]), 201)
    container.clock.set(DELIVERED_AT + timedelta(days=3))
    run_job(container)
    assert _requests(client)[0]["status"] == "suppressed"  # the return is open
    ok(client.post(f"/api/v1/returns/{ret['id']}/receipts", json={"location": "ber", "lines": [
        {"line_no": 1, "quantity": 1, "grade": "as_new", "disposition": "restock"}]}), 201)
    ok(client.post(f"/api/v1/returns/{ret['id']}/refund"), 201)
    run_job(container)
    resolved = next(r for r in _requests(client) if r["trigger"] == "return_resolved")
    assert (resolved["status"], resolved["return_id"]) == ("scheduled", ret["id"])
    assert [ln["line_no"] for ln in resolved["lines"]] == [1]
    container.clock.set(DELIVERED_AT + timedelta(days=6, hours=1))
    run_job(container)
    resolved = next(r for r in _requests(client) if r["trigger"] == "return_resolved")
    assert resolved["status"] == "sent"
    link = request_link(client)
    page = client.get(path_of(link))
    assert "your return" in page.text and 'name="csat"' not in page.text
    assert _answer(client, link, nps="8", comment="Refund was quick").status_code == 200
    [piece] = ok(client.get("/api/v1/feedback", params={"kind": "nps"}))["items"]
    assert piece["request_id"] == resolved["id"]
    assert "service" in {t["code"] for t in piece["topics"]}
