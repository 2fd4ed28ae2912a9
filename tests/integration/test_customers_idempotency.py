"""Customer writes honour an Idempotency-Key: a request retried with the same key and body
does its work once and answers what the first did; the key with another body is refused
and changes nothing; the OpenAPI document lists the header on each of them."""

from __future__ import annotations

from tests.customer_helpers import customer_shop, order
from tests.event_checks import written_by
from tests.helpers import ok

ADA = {"email": "ada@example.com", "name": "Ada Lovelace"}
OPT_IN = {"purpose": "marketing", "medium": "email", "granted": True, "level": "single",
          "source_channel": "web"}


def _twice(client, method: str, path: str, body: dict, key: str, status: int):
    headers = {"Idempotency-Key": key}
    first = ok(client.request(method, path, json=body, headers=headers), status)
    again = ok(client.request(method, path, json=body, headers=headers), status)
    return first, again


def test_a_retried_consent_appends_one_ledger_entry_and_answers_it_again(client):
    customer_shop(client)
    cid = order(client, ADA)["customer_id"]
    path = f"/api/v1/customers/{cid}/consents"
    (first, again), written = written_by(
        client, lambda: _twice(client, "POST", path, OPT_IN, "consent-1", 201))
    assert first == again and first["id"] is not None
    assert [e["type"] for e in written] == ["customer.consent_recorded"]
    assert len(ok(client.get(path))["ledger"]) == 1
    other = client.post(path, json={**OPT_IN, "medium": "sms"},
                        headers={"Idempotency-Key": "consent-1"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"
    assert len(ok(client.get(path))["ledger"]) == 1


def test_retried_profile_address_identity_merge_and_segment_writes_happen_once(client):
    customer_shop(client)
    cid = order(client, ADA)["customer_id"]
    dup = order(client, {"email": "relay@marketplace.example"}, channel="amazon-de")
    base = f"/api/v1/customers/{cid}"
    calls = [
        ("PATCH", base, {"tags": ["vip"]}, 200),
        ("POST", f"{base}/addresses", {"label": "home", "address": {
            "name": "Ada", "line1": "Invalidenstr. 1", "city": "Berlin",
            "postal_code": "10115", "country": "DE"}}, 201),
        ("POST", f"{base}/identities", {"kind": "phone", "value": "+49 30 1234567"}, 201),
        ("POST", f"{base}/merges", {"customer_id": dup["customer_id"], "reason": "same"},
         201),
        ("POST", "/api/v1/segments", {"name": "vips", "rules": {"rfm": ["new"]}}, 201),
    ]
    for n, (method, path, body, status) in enumerate(calls):
        (first, again), written = written_by(
            client, lambda m=method, p=path, b=body, s=status, k=f"key-{n}":
            _twice(client, m, p, b, k, s))
        assert first == again, path
        assert len(written) == 1, (path, [e["type"] for e in written])
    whole = ok(client.get(base))
    assert len(whole["addresses"]) == 1 and whole["merged_customer_ids"] == [
        dup["customer_id"]]
    assert len(ok(client.get("/api/v1/segments"))) == 1
    # without a key, the second merge and the second segment are refused as duplicates
    assert client.post(f"{base}/merges", json=calls[3][2]).status_code == 409
    assert client.post("/api/v1/segments", json=calls[4][2]).status_code == 409


def test_the_openapi_document_offers_the_key_on_the_customer_writes(client):
    paths = ok(client.get("/openapi.json"))["paths"]

    def offers(path: str, method: str) -> bool:
        return any(p["name"] == "Idempotency-Key"
                   for p in paths[path][method].get("parameters", []))

    for path, method in [("/api/v1/customers/{customer_id}", "patch"),
                         ("/api/v1/customers/{customer_id}/addresses", "post"),
                         ("/api/v1/customers/{customer_id}/identities", "post"),
                         ("/api/v1/customers/{customer_id}/consents", "post"),
                         ("/api/v1/customers/{customer_id}/merges", "post"),
                         ("/api/v1/segments", "post")]:
        assert offers(path, method), (path, method)
