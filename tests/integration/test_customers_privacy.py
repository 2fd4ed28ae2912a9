"""The customer seen whole, the export of everything held about them, and erasure."""

from __future__ import annotations

from datetime import timedelta

from tests.customer_helpers import customer_of, customer_shop, order
from tests.helpers import ok, pay

ADA = {"email": "ada@example.com", "name": "Ada Lovelace", "phone": "+49 30 1234567"}


def test_the_whole_customer_shows_value_net_of_refunds_channel_mix_and_timeline(client):
    customer_shop(client)
    first = order(client, ADA, quantity=2)  # 40.00
    pay(client, first)
    ok(client.post(f"/api/v1/orders/{first['id']}/refunds",
                   json={"amount": "5.00", "reason": "arrived late"}), 201)
    order(client, {"email": "ada@example.com"}, channel="amazon-de")  # 20.00
    cancelled = order(client, {"email": "ada@example.com"})
    ok(client.post(f"/api/v1/orders/{cancelled['id']}/cancel", json={"reason": "changed mind"}))
    whole = customer_of(client, first["customer_id"])
    assert whole["orders_count"] == 3
    [eur] = whole["value"]
    assert eur["orders"] == 2
    assert eur["lifetime_value_gross"] == {"amount": "60.00", "currency": "EUR"}
    assert eur["refunded"] == {"amount": "5.00", "currency": "EUR"}
    assert eur["lifetime_value_net"] == {"amount": "55.00", "currency": "EUR"}
    assert eur["average_order_value"] == {"amount": "30.00", "currency": "EUR"}
    assert whole["channel_mix"] == [{"channel": "amazon-de", "orders": 1, "share": "0.5000"},
                                    {"channel": "web", "orders": 1, "share": "0.5000"}]
    assert whole["rfm"]["segment"] == "active" and whole["rfm"]["frequency"] == 2
    assert whole["returns_rate"] == "0.0000"
    types = [e["type"] for e in whole["timeline"]]
    assert types[0] == "customer.created"
    assert types.count("order.created") == 3 and "order.cancelled" in types
    assert [e["at"] for e in whole["timeline"]] == sorted(e["at"] for e in whole["timeline"])


def test_a_customer_without_orders_left_is_a_prospect_and_a_new_one_is_new(client, clock):
    customer_shop(client)
    cid = order(client, ADA)["customer_id"]
    assert customer_of(client, cid)["rfm"]["segment"] == "new"
    clock.advance(timedelta(days=400))
    assert customer_of(client, cid)["rfm"] == {
        "recency_days": 400, "frequency": 1, "segment": "lapsed",
        "monetary": {"amount": "20.00", "currency": "EUR"}}
    assert client.get("/api/v1/customers/cus_nope").status_code == 404


def test_an_export_holds_everything_and_is_audited(client):
    customer_shop(client)
    placed = order(client, ADA)
    cid = placed["customer_id"]
    ok(client.post(f"/api/v1/customers/{cid}/consents", json={
        "purpose": "feedback", "medium": "email", "granted": True, "level": "single",
        "source_channel": "web"}), 201)
    response = client.post(f"/api/v1/customers/{cid}/export")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    data = response.json()
    assert data["customers"][0]["email"] == "ada@example.com"
    assert {i["kind"] for i in data["identities"]} == {"email", "phone"}
    assert data["consents"][0]["purpose"] == "feedback"
    assert [o["id"] for o in data["orders"]] == [placed["id"]]
    assert data["orders"][0]["shipping_address"]["city"] == "Berlin"
    assert {"customer.created", "order.created"} <= {e["type"] for e in data["events"]}
    again = client.post(f"/api/v1/customers/{cid}/export").json()
    assert [(a["action"], a["actor"] != "") for a in again["audit"]] == [("exported", True)]


def test_erasure_is_refused_while_an_order_is_open_and_changes_nothing(client):
    customer_shop(client)
    placed = order(client, ADA)
    cid = placed["customer_id"]
    refused = client.post(f"/api/v1/customers/{cid}/erasure", json={"reason": "art. 17"})
    assert refused.status_code == 409
    assert refused.json()["reason"] == "open_orders"
    assert refused.json()["orders"] == [placed["number"]]
    assert customer_of(client, cid)["email"] == "ada@example.com"
    assert client.post("/api/v1/customers/cus_nope/erasure",
                       json={"reason": "x"}).status_code == 404
    assert client.post(f"/api/v1/customers/{cid}/erasure", json={}).status_code == 422


def test_erasure_anonymises_the_person_and_keeps_their_orders(client, uow):
    from ordermesh.customers.consent import may_contact

    customer_shop(client)
    placed = order(client, ADA)
    cid = placed["customer_id"]
    ok(client.post(f"/api/v1/customers/{cid}/addresses", json={"address": {
        "line1": "Invalidenstr. 1", "city": "Berlin", "country": "DE"}}), 201)
    ok(client.post(f"/api/v1/orders/{placed['id']}/cancel", json={"reason": "test"}))
    erased = ok(client.post(f"/api/v1/customers/{cid}/erasure",
                            json={"reason": "GDPR art. 17 request of 2026-11-20"}))
    assert erased == {"erased_customer_ids": [cid]}
    after = customer_of(client, cid)
    assert (after["email"], after["phone"], after["name"]) == (None, None, None)
    assert after["erased_at"] is not None
    assert after["identities"] == [] and after["addresses"] == []
    kept = ok(client.get(f"/api/v1/orders/{placed['id']}"))
    assert kept["customer_id"] == cid and kept["number"] == placed["number"]
    with uow() as unit:
        assert not may_contact(unit.conn, cid, "transactional", "email")
    created = ok(client.get("/api/v1/events", params={"type": "customer.created"}))["items"]
    assert created[0]["payload"] == {"email": None}
    assert client.patch(f"/api/v1/customers/{cid}", json={"notes": "x"}).status_code == 409
    assert client.post(f"/api/v1/customers/{cid}/erasure",
                       json={"reason": "again"}).status_code == 409
    # the same person ordering again is a new customer
    assert order(client, ADA)["customer_id"] != cid
