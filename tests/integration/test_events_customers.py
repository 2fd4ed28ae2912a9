"""Each change of a customer writes exactly its declared events (tests/event_contract.py);
a refused change writes none."""

from __future__ import annotations

from tests.customer_helpers import customer_shop, order
from tests.event_checks import assert_writes, assert_writes_nothing, of_type
from tests.helpers import ok

ADA = {"email": "ada@example.com", "name": "Ada Lovelace"}


def test_profile_addresses_and_identities_each_write_customer_updated(client):
    customer_shop(client)
    cid = order(client, ADA)["customer_id"]
    base = f"/api/v1/customers/{cid}"
    _, written = assert_writes(client, "customer.update", lambda: ok(client.patch(
        base, json={"language": "de", "tags": ["vip"]})))
    assert of_type(written, "customer.updated")["payload"] == {"changed": ["language", "tags"]}
    assert_writes_nothing(client, lambda: ok(client.patch(base, json={"language": "de"})))
    address, written = assert_writes(client, "customer.address_add", lambda: ok(client.post(
        f"{base}/addresses", json={"address": {"line1": "Invalidenstr. 1", "city": "Berlin",
                                               "country": "DE"}}), 201))
    assert of_type(written, "customer.updated")["payload"]["address_id"] == address["id"]
    assert_writes(client, "customer.address_remove", lambda: client.delete(
        f"{base}/addresses/{address['id']}"))
    identity, written = assert_writes(client, "customer.identity_add", lambda: ok(client.post(
        f"{base}/identities", json={"kind": "account", "value": "A1", "channel": "amazon-de"}),
        201))
    assert of_type(written, "customer.updated")["payload"] == {
        "changed": ["identities"], "added": ["account"]}
    assert_writes(client, "customer.identity_remove", lambda: client.delete(
        f"{base}/identities/{identity['id']}"))
    missing = assert_writes_nothing(client, lambda: client.delete(f"{base}/identities/cid_x"))
    assert missing.status_code == 404


def test_consent_merges_export_and_erasure_write_their_events(client):
    customer_shop(client)
    placed = order(client, ADA)
    cid = placed["customer_id"]
    dup = order(client, {"email": "relay@marketplace.example"}, channel="amazon-de")
    _, written = assert_writes(client, "customer.consent", lambda: ok(client.post(
        f"/api/v1/customers/{cid}/consents", json={
            "purpose": "marketing", "medium": "email", "granted": True, "level": "single",
            "source_channel": "web"}), 201))
    assert of_type(written, "customer.consent_recorded")["payload"] == {
        "purpose": "marketing", "medium": "email", "granted": True, "level": "single",
        "source_channel": "web"}
    merge, written = assert_writes(client, "customer.merge", lambda: ok(client.post(
        f"/api/v1/customers/{cid}/merges",
        json={"customer_id": dup["customer_id"], "reason": "same person"}), 201))
    assert of_type(written, "customer.merged")["aggregate_id"] == cid
    assert_writes(client, "customer.unmerge", lambda: ok(client.post(
        f"/api/v1/customer-merges/{merge['id']}/undo")))
    _, written = assert_writes(client, "customer.export", lambda: ok(client.post(
        f"/api/v1/customers/{cid}/export")))
    assert of_type(written, "customer.exported")["payload"] == {"customers": [cid], "orders": 1}
    refused = assert_writes_nothing(client, lambda: client.post(
        f"/api/v1/customers/{cid}/erasure", json={"reason": "art. 17"}))
    assert refused.status_code == 409
    ok(client.post(f"/api/v1/orders/{placed['id']}/cancel", json={"reason": "test"}))
    _, written = assert_writes(client, "customer.erase", lambda: ok(client.post(
        f"/api/v1/customers/{cid}/erasure", json={"reason": "art. 17"})))
    assert of_type(written, "customer.erased")["payload"] == {"customers": [cid],
                                                              "reason": "art. 17"}


def test_saving_a_segment_writes_created_and_refused_rules_write_nothing(client):
    customer_shop(client)
    body = {"name": "champions", "rules": {"rfm": ["champion"], "channels": ["web"]}}
    segment, written = assert_writes(client, "segment.create", lambda: ok(client.post(
        "/api/v1/segments", json=body), 201))
    created = of_type(written, "segment.created")
    assert created["aggregate_id"] == segment["id"]
    assert created["payload"] == {"id": segment["id"], "name": "champions",
                                  "rules": {"rfm": ["champion"], "channels": ["web"]}}
    taken = assert_writes_nothing(client, lambda: client.post("/api/v1/segments", json=body))
    assert taken.status_code == 409
    bad = assert_writes_nothing(client, lambda: client.post("/api/v1/segments", json={
        "name": "other", "rules": {"channels": ["nope"]}}))
    assert bad.status_code == 422
