"""Expected supply and receipts through the API."""

from __future__ import annotations

import pytest

from tests.helpers import make_location, make_product, ok, shop
from tests.stock_checks import assert_no_drift, event_types, movements, refused

SUPPLY = "/api/v1/inventory/supply"
RECEIPTS = "/api/v1/inventory/receipts"
def expect(client, sku="TEE", location="ber", quantity=10, kind="purchase_order", **extra):
    return ok(client.post(SUPPLY, json={"sku": sku, "location": location, "quantity": quantity,
                                        "expected_date": "2026-12-03", "kind": kind,
                                        **extra}), 201)


def receipt(sku="TEE", location="ber", quantity=1, **extra) -> dict:
    return {"sku": sku, "location": location, "quantity": quantity, **extra}


@pytest.fixture
def store(client):
    """TEE: 2 at 'ber'; MUG: none; 'ham' is empty."""
    shop(client, {"TEE": {"ber": 2}})
    make_product(client, "MUG")
    make_location(client, "ham")
    return client


def test_expected_supply_is_received_in_parts_until_it_is_complete(store, uow):
    supply = expect(store, quantity=10, reference="PO-4711")
    assert (supply["status"], supply["received"], supply["outstanding"]) == ("open", 0, 10)
    first = ok(store.post(RECEIPTS, json=receipt(quantity=4, supply_id=supply["id"],
                                                 note="GRN 1")), 201)
    assert first["stock"]["on_hand"] == 6 and first["reason"] == "received"
    assert (first["supply"]["status"], first["supply"]["outstanding"]) == ("open", 6)
    last = ok(store.post(RECEIPTS, json=receipt(quantity=6, supply_id=supply["id"])), 201)
    assert (last["supply"]["status"], last["supply"]["received"]) == ("received", 10)
    assert last["supply"]["outstanding"] == 0
    assert last["stock"] | {"product_id": None, "location_id": None} == {
        "sku": "TEE", "product_id": None, "location": "ber", "location_id": None,
        "on_hand": 12, "reserved": 0, "available": 12, "damaged": 0, "in_transit": 0}
    assert ok(store.get(f"{SUPPLY}/{supply['id']}")) == last["supply"]
    booked = movements(uow, "receipt")
    assert [(m["on_hand_delta"], m["reason"], m["reference_type"], m["reference_id"])
            for m in booked] == [(4, "received", "supply", supply["id"]),
                                 (6, "received", "supply", supply["id"])]
    assert_no_drift(uow)


def test_a_receipt_without_expected_supply_creates_the_stock_row_and_books_a_receipt(
        store, uow):
    done = ok(store.post(RECEIPTS, json=receipt("MUG", "ham", 7)), 201)
    assert (done["stock"]["on_hand"], done["supply"]) == (7, None)
    assert ok(store.get("/api/v1/inventory/MUG"))["totals"]["on_hand"] == 7
    assert movements(uow, "receipt")[-1]["reference_type"] is None
    assert "inventory.received" in event_types(store, "inventory.")
    assert "inventory.back_in_stock" in event_types(store, "inventory.")
    assert_no_drift(uow)


def test_a_customer_return_is_booked_with_reason_returned(store, uow):
    back = expect(store, "MUG", "ber", 1, kind="return", reference="RMA-12")
    done = ok(store.post(RECEIPTS, json=receipt("MUG", quantity=1, supply_id=back["id"])), 201)
    assert done["reason"] == "returned" and done["supply"]["status"] == "received"
    assert movements(uow, "receipt")[-1]["reason"] == "returned"


def test_supply_is_listed_soonest_first_and_filtered_by_sku_location_status_and_kind(store):
    late = expect(store, quantity=3, expected_date="2027-01-10")
    soon = expect(store, "MUG", "ham", 5, kind="production", expected_date="2026-12-01")
    done = expect(store, "MUG", quantity=1, kind="return")
    ok(store.post(RECEIPTS, json=receipt("MUG", quantity=1, supply_id=done["id"])), 201)

    def ids(**params) -> list[str]:
        return [s["id"] for s in ok(store.get(SUPPLY, params=params))["items"]]

    assert ids() == [soon["id"], done["id"], late["id"]]
    assert ids(sku="MUG") == [soon["id"], done["id"]]
    assert ids(location="ham") == [soon["id"]]
    assert ids(status="open") == [soon["id"], late["id"]]
    assert ids(kind="return", status="received") == [done["id"]]
    assert ids(sku="NOPE") == []
    page = ok(store.get(SUPPLY, params={"limit": 2}))
    rest = ok(store.get(SUPPLY, params={"limit": 2, "cursor": page["next_cursor"]}))
    assert [s["id"] for s in page["items"] + rest["items"]] == ids()
    assert rest["next_cursor"] is None


def test_cancelling_keeps_what_arrived_and_refuses_further_receipts(store, uow):
    supply = expect(store, quantity=10)
    ok(store.post(RECEIPTS, json=receipt(quantity=3, supply_id=supply["id"])), 201)
    cancelled = ok(store.post(f"{SUPPLY}/{supply['id']}/cancel"))
    assert (cancelled["status"], cancelled["received"], cancelled["outstanding"]) == (
        "cancelled", 3, 0)
    refused(store, uow, "POST", RECEIPTS, 409,
            json=receipt(quantity=1, supply_id=supply["id"]))
    refused(store, uow, "POST", f"{SUPPLY}/{supply['id']}/cancel", 409)
    assert event_types(store, "supply.") == ["supply.created", "supply.cancelled"]
    assert_no_drift(uow)


def test_supply_received_in_full_cannot_be_cancelled(store, uow):
    supply = expect(store, quantity=2)
    ok(store.post(RECEIPTS, json=receipt(quantity=2, supply_id=supply["id"])), 201)
    problem = refused(store, uow, "POST", f"{SUPPLY}/{supply['id']}/cancel", 409)
    assert problem["status"] == 409 and "received" in problem["detail"]


def test_a_receipt_retried_with_the_same_key_is_booked_once(store, uow):
    supply = expect(store, quantity=10)
    body, key = receipt(quantity=4, supply_id=supply["id"]), {"Idempotency-Key": "grn-1"}
    first = ok(store.post(RECEIPTS, json=body, headers=key), 201)
    again = ok(store.post(RECEIPTS, json=body, headers=key), 201)
    assert again == first
    assert ok(store.get(f"{SUPPLY}/{supply['id']}"))["received"] == 4
    assert len(movements(uow, "receipt")) == 1
    other = receipt(quantity=5, supply_id=supply["id"])
    problem = refused(store, uow, "POST", RECEIPTS, 422, json=other, headers=key)
    assert problem["code"] == "idempotency-key-reused"


def test_creating_and_cancelling_supply_retried_with_the_same_key_happen_once(store):
    body = {"sku": "TEE", "location": "ber", "quantity": 5, "expected_date": "2026-12-24",
            "kind": "purchase_order"}
    key = {"Idempotency-Key": "po-1"}
    first = ok(store.post(SUPPLY, json=body, headers=key), 201)
    assert ok(store.post(SUPPLY, json=body, headers=key), 201) == first
    cancel = f"{SUPPLY}/{first['id']}/cancel"
    once = ok(store.post(cancel, headers={"Idempotency-Key": "c-1"}))
    assert ok(store.post(cancel, headers={"Idempotency-Key": "c-1"})) == once
    assert len(ok(store.get(SUPPLY))["items"]) == 1
    assert event_types(store, "supply.") == ["supply.created", "supply.cancelled"]


def test_receiving_more_than_is_outstanding_is_refused_and_changes_nothing(store, uow):
    supply = expect(store, quantity=5)
    ok(store.post(RECEIPTS, json=receipt(quantity=3, supply_id=supply["id"])), 201)
    problem = refused(store, uow, "POST", RECEIPTS, 409,
                      json=receipt(quantity=3, supply_id=supply["id"]))
    assert problem["outstanding"] == 2


@pytest.mark.parametrize(("sku", "location"), [("MUG", "ber"), ("TEE", "ham")])
def test_a_receipt_against_supply_of_another_sku_or_location_is_refused(
        store, uow, sku, location):
    supply = expect(store, quantity=5)
    problem = refused(store, uow, "POST", RECEIPTS, 422, "supply_id",
                      json=receipt(sku, location, 1, supply_id=supply["id"]))
    assert "TEE at ber" in problem["detail"]


@pytest.mark.parametrize(("url", "body", "field"), [
    (RECEIPTS, receipt("NOPE"), "sku"),
    (RECEIPTS, receipt(location="par"), "location"),
    (RECEIPTS, receipt(supply_id="sup_unknown"), "supply_id"),
    (SUPPLY, {"sku": "NOPE", "location": "ber", "quantity": 1, "expected_date": "2026-12-01",
              "kind": "other"}, "sku"),
    (SUPPLY, {"sku": "TEE", "location": "par", "quantity": 1, "expected_date": "2026-12-01",
              "kind": "other"}, "location"),
])
def test_unknown_skus_locations_and_supply_are_refused_naming_the_field(
        store, uow, url, body, field):
    assert refused(store, uow, "POST", url, 422, field, json=body)["code"] == "invalid-input"


@pytest.mark.parametrize(("changes", "field"), [
    ({"quantity": 0}, "quantity"),
    ({"quantity": -3}, "quantity"),
    ({"quantity": "5"}, "quantity"),
    ({"quantity": 2.5}, "quantity"),
    ({"quantity": 1_000_001}, "quantity"),
    ({"sku": "bad sku"}, "sku"),
    ({"location": ""}, "location"),
    ({"colour": "red"}, "colour"),
    ({"note": "x" * 501}, "note"),
])
def test_receipts_with_bad_values_are_refused_naming_the_field(store, uow, changes, field):
    refused(store, uow, "POST", RECEIPTS, 422, field, json={**receipt(), **changes})


@pytest.mark.parametrize(("changes", "field"), [
    ({"quantity": 0}, "quantity"),
    ({"quantity": -1}, "quantity"),
    ({"kind": "gift"}, "kind"),
    ({"expected_date": "next week"}, "expected_date"),
    ({"expected_date": 0}, "expected_date"),
    ({"reference": "x" * 101}, "reference"),
])
def test_supply_with_bad_values_is_refused_naming_the_field(store, uow, changes, field):
    body = {"sku": "TEE", "location": "ber", "quantity": 1, "expected_date": "2026-12-01",
            "kind": "other", **changes}
    refused(store, uow, "POST", SUPPLY, 422, field, json=body)


@pytest.mark.parametrize(("method", "url"), [
    ("GET", f"{SUPPLY}/sup_unknown"),
    ("POST", f"{SUPPLY}/sup_unknown/cancel"),
])
def test_unknown_supply_is_not_found(store, uow, method, url):
    assert refused(store, uow, method, url, 404)["code"] == "not-found"


def test_a_supply_list_filter_naming_an_unknown_location_is_refused(store, uow):
    refused(store, uow, "GET", SUPPLY, 422, "query.location", params={"location": "par"})
