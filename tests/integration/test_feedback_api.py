"""Feedback entered by an agent or imported from a channel through the API: tied to the
customer's order and line, refused with a 4xx (and nothing stored) when the score is off
its scale, the order is not the customer's or the line not in the order; and insights
that answer what customers think of a product or carrier, the hitch and the trend, with
the quotes behind each theme."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers import ok
from tests.returns_helpers import shipped_order

FEEDBACK = "/api/v1/feedback"
INSIGHTS = f"{FEEDBACK}/insights"


def _order(client, email="ada@example.com", new_shop=True):
    return shipped_order(client, lines=(("TEE", 2, "20.00"), ("MUG", 1, "9.00")),
                         new_shop=new_shop, customer={"email": email, "name": email})


def _post(client, **body):
    return client.post(FEEDBACK, json=body)


def test_an_agent_enters_a_product_review_tied_to_the_line_product_and_shipment(client):
    order = _order(client)
    entered = ok(_post(client, source="agent", customer_id=order["customer_id"],
                       order=order["number"], line_no=2, kind="product_rating", score=5,
                       text="Sturdy mug, great quality for the price"), 201)
    assert (entered["sku"], entered["line_no"], entered["source"]) == ("MUG", 2, "agent")
    shipment = ok(client.get(f"/api/v1/orders/{order['id']}/fulfilment"))[
        "fulfilment_orders"][0]
    assert entered["order_id"] == order["id"] and entered["carrier"] == shipment["carrier"]
    assert entered["location_id"] and entered["channel_id"]
    assert entered["sentiment"] > 0.5
    assert {t["code"]: t["evidence"] for t in entered["topics"]} == {
        "quality": ["quality", "sturdy"], "price": ["price"]}
    assert ok(client.get(f"{FEEDBACK}/{entered['id']}")) == entered
    body = {"source": "agent", "customer_id": order["customer_id"], "kind": "nps",
            "score": 8}
    first = ok(client.post(FEEDBACK, json=body, headers={"Idempotency-Key": "call-1"}), 201)
    again = ok(client.post(FEEDBACK, json=body, headers={"Idempotency-Key": "call-1"}), 201)
    assert again["id"] == first["id"]
    assert len(ok(client.get(FEEDBACK, params={"kind": "nps"}))["items"]) == 1
    listed = ok(client.get(FEEDBACK, params={"sku": "MUG"}))["items"]
    assert [f["id"] for f in listed] == [entered["id"]]


def test_a_marketplace_rating_is_imported_once(client):
    order = _order(client)
    body = {"source": "import", "customer_id": order["customer_id"], "order": order["id"],
            "kind": "product_rating", "line_no": 1, "score": 2, "channel": "web",
            "external_ref": "AMZ-R-1", "text": "Runs small", "received_at":
                "2026-11-25T08:00:00Z"}
    imported = ok(_post(client, **body), 201)
    assert imported["received_at"].startswith("2026-11-25T08:00")
    again = _post(client, **body)
    assert again.status_code == 409
    assert len(ok(client.get(FEEDBACK))["items"]) == 1


def test_bad_feedback_is_refused_with_a_4xx_and_nothing_is_stored(client):
    order = _order(client)
    other = _order(client, email="bob@example.com", new_shop=False)
    ada = order["customer_id"]
    cases = [
        ({"kind": "nps", "score": 11}, 422),
        ({"kind": "csat", "score": 0}, 422),
        ({"kind": "csat", "score": 6}, 422),
        ({"kind": "product_rating", "score": 6, "order": order["id"], "line_no": 1}, 422),
        ({"kind": "nps"}, 422),
        ({"kind": "text", "score": 3, "text": "hi"}, 422),
        ({"kind": "text", "text": "   "}, 422),
        ({"kind": "nps", "score": "7"}, 422),
        ({"kind": "nps", "score": 7, "order": other["id"]}, 422),
        ({"kind": "product_rating", "score": 4, "order": order["id"], "line_no": 9}, 422),
        ({"kind": "product_rating", "score": 4, "order": order["id"]}, 422),
        ({"kind": "product_rating", "score": 4, "line_no": 1}, 422),
        ({"kind": "nps", "score": 7, "order": "OM-999999"}, 422),
        ({"kind": "nps", "score": 7, "customer_id": "cus_nobody"}, 422),
        ({"kind": "nps", "score": 7, "source": "import"}, 422),
        ({"kind": "nps", "score": 7, "source": "request"}, 422),
        ({"kind": "nps", "score": 7, "channel": "nowhere"}, 422),
        ({"kind": "nps", "score": 7, "received_at": "2030-01-01T00:00:00Z"}, 422),
        ({"kind": "nps", "score": 7, "colour": "red"}, 422),
    ]
    for extra, status in cases:
        body = {"source": "agent", "customer_id": ada, **extra}
        refused = _post(client, **body)
        assert refused.status_code == status, (extra, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert _post(client, source="agent", customer_id=ada, kind="nps", score=7,
                 order=other["id"]).json()["errors"][0]["code"] == "not_the_customers"
    assert _post(client, source="agent", customer_id=ada, kind="product_rating", score=4,
                 order=order["id"], line_no=9).json()["errors"][0]["code"] == "not_in_order"
    assert ok(client.get(FEEDBACK))["items"] == []
    assert client.get(INSIGHTS, params={"sku": "NOPE"}).status_code == 422
    assert client.get(INSIGHTS, params={"period": "year"}).status_code == 422


def _rate(client, order, score, text, at, kind="product_rating", line_no=1):
    body = {"source": "agent", "customer_id": order["customer_id"], "order": order["id"],
            "kind": kind, "score": score, "text": text, "received_at": at.isoformat()}
    if kind == "product_rating":
        body["line_no"] = line_no
    return ok(_post(client, **body), 201)


def test_insights_say_what_customers_think_the_hitch_and_whether_it_gets_better(
        client, container):
    order = _order(client)
    container.clock.set(datetime(2026, 12, 20, 12, tzinfo=UTC))
    october = datetime(2026, 10, 10, tzinfo=UTC)
    november = datetime(2026, 11, 10, tzinfo=UTC)
    for i in range(6):
        _rate(client, order, 1, "Arrived damaged, the box was crushed", october + timedelta(i))
        _rate(client, order, 2, "NPS: late delivery, too slow", october + timedelta(i),
              kind="nps")
    for i in range(6):
        _rate(client, order, 5, "Lovely quality, fits well", november + timedelta(i))
        _rate(client, order, 10, "Great service", november + timedelta(i), kind="nps")
    tee = ok(client.get(INSIGHTS, params={"sku": "TEE", "since": "2026-10-01T00:00:00Z"}))
    assert tee["about"]["sku"] == "TEE" and tee["pieces"] == 12
    assert tee["rating"]["n"] == 12 and tee["rating"]["value"] == 3.0
    low, high = tee["rating"]["ci95"]
    assert low < 3.0 < high
    assert [t["period"] for t in tee["trend"]] == ["2026-10", "2026-11"]
    assert [t["rating"]["value"] for t in tee["trend"]] == [1.0, 5.0]
    assert tee["getting_better"]["rating"] == "better"
    hitch = tee["themes"][0]
    assert (hitch["topic"], hitch["negative"], hitch["mentions"]) == ("damage", 6, 6)
    assert hitch["quotes"][0]["text"] == "Arrived damaged, the box was crushed"
    assert hitch["quotes"][0]["evidence"] == ["crushed", "damaged"]
    assert "damage" in tee["summary"].lower() and "better" in tee["summary"]
    carrier = ok(client.get(FEEDBACK, params={"limit": 1}))["items"][0]["carrier"]
    everything = ok(client.get(INSIGHTS, params={"since": "2026-10-01T00:00:00Z",
                                                 "carrier": carrier}))
    assert everything["nps"] == {"value": 0.0, "ci95": everything["nps"]["ci95"], "n": 12}
    # each piece entered alone is an answer: 6 NPS of 2, 6 ratings of 1
    assert everything["detractors"] == 12
    assert {(t["topic"], t["share_of_detractors"]) for t in everything["detractor_themes"]
            } == {("damage", 0.5), ("packaging", 0.5), ("delivery_speed", 0.5)}
    assert everything["alerts"] == []  # all of it older than the alert window


def test_a_product_turning_negative_raises_one_alert_a_month(client, container):
    order = _order(client)
    now = container.clock.now()
    for i in range(4):
        _rate(client, order, 1, "Broken on arrival", now - timedelta(hours=i))
    assert ok(client.get(INSIGHTS, params={"sku": "TEE"}))["alerts"] == []
    _rate(client, order, 2, "Cheap material", now)
    [alert] = ok(client.get(INSIGHTS, params={"sku": "TEE"}))["alerts"]
    assert (alert["subject_kind"], alert["negative"], alert["sample"]) == ("product", 5, 5)
    _rate(client, order, 1, "Broken again", now)
    assert len(ok(client.get(INSIGHTS, params={"sku": "TEE"}))["alerts"]) == 1
