"""Legal entities (sellers) and their invoice series, through the API."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import ok

ENTITIES = "/api/v1/legal-entities"


def entity_body(**overrides: Any) -> dict[str, Any]:
    return {"code": "ACME", "name": "ACME Handels GmbH",
            "address": {"lines": ["Friedrichstraße 1"], "postal_code": "10117",
                        "city": "Berlin", "country": "DE"},
            "vat_id": "de 136 695 976", "tax_ids": {"EORI": "DE1234567890"},
            "email": "billing@acme.example", "locale": "de-DE", **overrides}


def events(client, prefix: str) -> list[dict]:
    return ok(client.get("/api/v1/events", params={"type": prefix}))["items"]


def test_a_legal_entity_gets_its_normalised_vat_id_and_a_series_per_kind(client):
    created = ok(client.post(ENTITIES, json=entity_body()), 201)
    assert created["vat_id"] == "DE136695976"
    assert (created["country"], created["region"], created["locale"]) == ("DE", None, "de_DE")
    assert created["address"] == {"lines": ["Friedrichstraße 1"], "postal_code": "10117",
                                  "city": "Berlin", "region": None, "country": "DE"}
    assert {(s["kind"], s["prefix"], s["next_document_number"]) for s in created["series"]} == {
        ("invoice", "ACME-INV-", "ACME-INV-000001"),
        ("credit_note", "ACME-CN-", "ACME-CN-000001")}
    assert ok(client.get(f"{ENTITIES}/ACME")) == created
    assert ok(client.get(f"{ENTITIES}/{created['id']}")) == created
    assert ok(client.get(ENTITIES))["items"] == [created]
    [event] = events(client, "legal_entity.")
    assert event["type"] == "legal_entity.created"
    assert event["payload"]["vat_id"] == "DE136695976"


def test_series_prefixes_can_be_chosen_when_the_entity_is_created(client):
    created = ok(client.post(ENTITIES, json=entity_body(
        invoice_prefix="RE-2026-", credit_note_prefix="GS-2026-")), 201)
    assert sorted(s["prefix"] for s in created["series"]) == ["GS-2026-", "RE-2026-"]


@pytest.mark.parametrize(("change", "field"), [
    ({"vat_id": "DE136695977"}, "vat_id"),  # wrong check digit
    ({"vat_id": "FR40303265045"}, "vat_id"),  # a French id for a German seller
    ({"locale": "xx_YY"}, "locale"),
    ({"country": "US"}, "region"),  # US sellers must give their state
    ({"country": "IN", "region": "XX", "vat_id": None}, "region"),
    ({"country": "ZZ"}, "country"),
    ({"invoice_prefix": "INV-2026"}, "invoice_prefix"),  # ends in a digit
    ({"invoice_prefix": "SAME-", "credit_note_prefix": "SAME-"}, "credit_note_prefix"),
    ({"email": "not-an-email"}, "email"),
    ({"tax_ids": {"EORI": ""}}, "tax_ids.EORI"),
])
def test_a_seller_with_invalid_details_is_refused_and_nothing_is_written(client, change, field):
    response = client.post(ENTITIES, json=entity_body(**change))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert ok(client.get(ENTITIES))["items"] == []
    assert events(client, "legal_entity.") == []


def test_a_seller_in_india_keeps_its_state_and_gstin(client):
    created = ok(client.post(ENTITIES, json=entity_body(
        code="ACME-IN", country="IN", region="IN-MH", vat_id="27AAPFU0939F1ZV",
        locale="en_IN", address={"lines": ["1 Marine Drive"], "city": "Mumbai",
                                 "country": "IN"})), 201)
    assert (created["region"], created["vat_id"]) == ("MH", "27AAPFU0939F1ZV")


def test_a_code_is_taken_once(client):
    first = ok(client.post(ENTITIES, json=entity_body()), 201)
    taken = client.post(ENTITIES, json=entity_body(name="Other"))
    assert taken.status_code == 409
    assert taken.json()["detail"] == "A legal entity with code 'ACME' already exists"
    assert ok(client.get(ENTITIES))["items"] == [first]


def test_creating_again_with_the_same_idempotency_key_returns_the_first_entity(client):
    headers = {"Idempotency-Key": "le-1"}
    first = ok(client.post(ENTITIES, json=entity_body(), headers=headers), 201)
    again = ok(client.post(ENTITIES, json=entity_body(), headers=headers), 201)
    assert again == first
    assert len(events(client, "legal_entity.")) == 1


def test_name_address_email_and_locale_change_but_the_tax_registration_does_not(client):
    ok(client.post(ENTITIES, json=entity_body()), 201)
    changed = ok(client.patch(f"{ENTITIES}/ACME", json={
        "name": "ACME Europe GmbH", "email": None, "locale": "en_GB",
        "address": {"lines": ["Unter den Linden 5"], "city": "Berlin", "country": "DE"}}))
    assert (changed["name"], changed["email"], changed["locale"]) == (
        "ACME Europe GmbH", None, "en_GB")
    assert changed["address"]["lines"] == ["Unter den Linden 5"]
    assert changed["vat_id"] == "DE136695976"
    updated = [e for e in events(client, "legal_entity.") if e["type"] == "legal_entity.updated"]
    assert updated[0]["payload"]["changed"] == ["address", "email", "locale", "name"]
    for fixed in ({"vat_id": "DE136695976"}, {"country": "FR"}, {"code": "X"},
                  {"tax_ids": {}}, {"name": None}, {"address": None}, {"locale": None},
                  {"locale": "xx_YY"}, {"name": " "}):
        response = client.patch(f"{ENTITIES}/ACME", json=fixed)
        assert response.status_code == 422, response.text
    assert ok(client.get(f"{ENTITIES}/ACME")) == changed


def test_a_change_that_changes_nothing_records_no_event(client):
    ok(client.post(ENTITIES, json=entity_body()), 201)
    ok(client.patch(f"{ENTITIES}/ACME", json={"name": "ACME Handels GmbH"}))
    assert [e["type"] for e in events(client, "legal_entity.")] == ["legal_entity.created"]


def test_an_unknown_legal_entity_is_not_found(client):
    assert client.get(f"{ENTITIES}/NOPE").status_code == 404
    assert client.patch(f"{ENTITIES}/NOPE", json={"name": "x"}).status_code == 404
    assert client.post(f"{ENTITIES}/NOPE/series", json={
        "kind": "invoice", "prefix": "X-"}).status_code == 404


def test_a_new_series_becomes_active_and_a_used_prefix_never_restarts(client):
    ok(client.post(ENTITIES, json=entity_body()), 201)
    started = ok(client.post(f"{ENTITIES}/ACME/series", json={
        "kind": "invoice", "prefix": "ACME-INV-2027-", "first_number": 100}), 201)
    assert (started["active"], started["next_document_number"]) == (
        True, "ACME-INV-2027-000100")
    entity = ok(client.get(f"{ENTITIES}/ACME"))
    assert sorted(s["prefix"] for s in entity["series"]) == ["ACME-CN-", "ACME-INV-2027-"]
    every = ok(client.get(f"{ENTITIES}/ACME/series"))["items"]
    assert {(s["prefix"], s["active"]) for s in every} == {
        ("ACME-CN-", True), ("ACME-INV-", False), ("ACME-INV-2027-", True)}
    for prefix, kind in (("ACME-INV-", "invoice"), ("ACME-INV-", "credit_note")):
        again = client.post(f"{ENTITIES}/ACME/series", json={"kind": kind, "prefix": prefix})
        assert again.status_code == 409, again.text
    [event] = events(client, "invoice_series.")
    assert event["payload"]["replaces_prefix"] == "ACME-INV-"


@pytest.mark.parametrize("body", [
    {"kind": "invoice", "prefix": "INV 2027"},
    {"kind": "invoice", "prefix": "INV-", "first_number": 0},
    {"kind": "invoice", "prefix": "INV-", "first_number": "5"},
    {"kind": "receipt", "prefix": "INV-"},
])
def test_a_bad_series_is_refused(client, body):
    ok(client.post(ENTITIES, json=entity_body()), 201)
    assert client.post(f"{ENTITIES}/ACME/series", json=body).status_code == 422
    assert len(ok(client.get(f"{ENTITIES}/ACME/series"))["items"]) == 2


def test_only_an_admin_may_create_or_change_a_legal_entity(client):
    operator = ok(client.post("/api/v1/api-keys", json={"name": "ops", "role": "operator"}),
                  201)
    ok(client.post(ENTITIES, json=entity_body()), 201)
    auth = {"Authorization": f"Bearer {operator['key']}"}
    assert client.post(ENTITIES, json=entity_body(code="B"), headers=auth).status_code == 403
    assert client.patch(f"{ENTITIES}/ACME", json={"name": "x"},
                        headers=auth).status_code == 403
    assert client.get(f"{ENTITIES}/ACME", headers=auth).status_code == 200
