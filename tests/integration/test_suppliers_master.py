"""The supplier master and supplier products through the API."""

from __future__ import annotations

from tests.helpers import make_product, ok, shop
from tests.purchasing_helpers import SUPPLIERS, make_supplier, offer, refused

FULL = {
    "code": "LINEN-PT", "name": "Linen Works Porto", "kind": "goods", "currency": "EUR",
    "payment_terms": "30 days net", "incoterm": "FOB", "lead_time_days": 21,
    "lead_time_variability_days": 4, "minimum_order": {"amount": "500.00", "currency": "EUR"},
    "tags": ["Organic-Cotton", "linen", "linen"],
    "contacts": [{"name": "Ana Silva", "role": "sales", "email": "ana@linen.example"}],
    "addresses": [{"line1": "Rua das Flores 1", "city": "Porto", "country": "pt"}],
    "certifications": [{"name": "GOTS", "expires_on": "2027-06-30"},
                       {"name": "OEKO-TEX", "expires_on": "2026-01-31"}],
    "terms": "Delivery to dock 3.",
}


def test_a_supplier_is_created_with_its_terms_tags_and_certifications(client):
    created = ok(client.post(SUPPLIERS, json=FULL), 201)
    assert created["status"] == "active"
    assert created["tags"] == ["linen", "organic-cotton"]
    assert created["addresses"][0]["country"] == "PT"
    assert created["minimum_order"] == {"amount": "500.00", "currency": "EUR"}
    assert [(c["name"], c["valid"]) for c in created["certifications"]] == [
        ("GOTS", True), ("OEKO-TEX", False)]
    assert ok(client.get(f"{SUPPLIERS}/LINEN-PT")) == created
    assert ok(client.get(f"{SUPPLIERS}/{created['id']}"))["code"] == "LINEN-PT"


def test_suppliers_are_found_by_tag_country_product_and_status(client):
    shop(client, {"TEE": {}})
    make_supplier(client, "A", tags=["organic-cotton"],
                  addresses=[{"line1": "x", "city": "Porto", "country": "PT"}])
    make_supplier(client, "B", tags=["printing"],
                  addresses=[{"line1": "y", "city": "Izmir", "country": "TR"}])
    make_supplier(client, "C", kind="packaging", status="on_hold")
    offer(client, "B", "TEE")

    def codes(**params) -> list[str]:
        return [s["code"] for s in ok(client.get(SUPPLIERS, params=params))["items"]]

    assert codes() == ["A", "B", "C"]
    assert codes(tag="Organic-Cotton") == ["A"]
    assert codes(country="tr") == ["B"]
    assert codes(sku="TEE") == ["B"]
    assert codes(status="on_hold") == ["C"]
    assert codes(kind="packaging") == ["C"]
    assert codes(tag="printing", country="PT") == []


def test_a_second_supplier_with_the_same_code_is_refused(client, uow):
    make_supplier(client, "A")
    refused(client, uow, "POST", SUPPLIERS, 409,
            json={"code": "A", "name": "Other", "currency": "EUR"})


def test_a_minimum_order_in_another_currency_is_refused(client, uow):
    refused(client, uow, "POST", SUPPLIERS, 422, "minimum_order.currency",
            json={"code": "A", "name": "A", "currency": "EUR",
                  "minimum_order": {"amount": "10", "currency": "USD"}})


def test_changing_a_supplier_changes_only_the_fields_sent_and_blocking_is_a_status(client):
    make_supplier(client, "A", tags=["linen"], payment_terms="14 days")
    changed = ok(client.patch(f"{SUPPLIERS}/A", json={"status": "blocked",
                                                      "tags": ["Linen", "Wool"]}))
    assert (changed["status"], changed["tags"], changed["payment_terms"]) == (
        "blocked", ["linen", "wool"], "14 days")
    cleared = ok(client.patch(f"{SUPPLIERS}/A", json={"payment_terms": None}))
    assert cleared["payment_terms"] is None and cleared["status"] == "blocked"
    assert [s["code"] for s in ok(client.get(SUPPLIERS, params={"tag": "wool"}))["items"]] \
        == ["A"]


def test_an_unknown_supplier_is_404(client):
    for response in (client.get(f"{SUPPLIERS}/nope"),
                     client.patch(f"{SUPPLIERS}/nope", json={"name": "x"})):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "not-found" and "nope" in response.json()["detail"]
    assert ok(client.get(SUPPLIERS))["items"] == []  # the PATCH created nothing


def test_supplier_product_terms_keep_quantity_breaks_and_validity(client):
    shop(client, {"TEE": {}})
    make_supplier(client, "A")
    terms = ok(client.put(f"{SUPPLIERS}/A/products/TEE", json={
        "supplier_sku": "A-TEE-01", "pack_size": 12, "moq": 24, "lead_time_days": 14,
        "prices": [{"cost": {"amount": "4.00", "currency": "EUR"}},
                   {"cost": {"amount": "3.50", "currency": "EUR"}, "min_quantity": 100},
                   {"cost": {"amount": "9.99", "currency": "EUR"}, "min_quantity": 1,
                    "valid_from": "2027-01-01"}]}))
    assert (terms["supplier_sku"], terms["pack_size"], terms["moq"]) == ("A-TEE-01", 12, 24)
    assert [p["cost"]["amount"] for p in terms["prices"]] == ["4.00", "3.50", "9.99"]
    assert [t["sku"] for t in ok(client.get(f"{SUPPLIERS}/A/products"))] == ["TEE"]
    view = ok(client.get("/api/v1/products/TEE/suppliers", params={"quantity": 100}))
    option = view["suppliers"][0]
    assert (option["quantity"], option["unit_cost"]["amount"]) == (108, "3.50")
    small = ok(client.get("/api/v1/products/TEE/suppliers", params={"quantity": 5}))
    assert (small["suppliers"][0]["quantity"],
            small["suppliers"][0]["unit_cost"]["amount"]) == (24, "4.00")


def test_a_price_in_a_currency_the_supplier_does_not_sell_in_is_refused(client, uow):
    shop(client, {"TEE": {}})
    make_supplier(client, "A", currency="EUR")
    refused(client, uow, "PUT", f"{SUPPLIERS}/A/products/TEE", 422, "prices.0.cost.currency",
            json={"prices": [{"cost": {"amount": "4.00", "currency": "USD"}}]})


def test_a_negative_cost_is_refused(client, uow):
    shop(client, {"TEE": {}})
    make_supplier(client, "A")
    refused(client, uow, "PUT", f"{SUPPLIERS}/A/products/TEE", 422,
            json={"prices": [{"cost": {"amount": "-1.00", "currency": "EUR"}}]})


def test_terms_for_an_unknown_sku_are_refused(client, uow):
    make_supplier(client, "A")
    refused(client, uow, "PUT", f"{SUPPLIERS}/A/products/NOPE", 422, "sku", json={})


def test_a_product_has_one_preferred_supplier_listed_first_then_by_cost(client):
    make_product(client, "TEE")
    for code in ("A", "B", "C"):
        make_supplier(client, code)
    offer(client, "A", "TEE", "5.00", preferred=True)
    offer(client, "B", "TEE", "3.00")
    offer(client, "C", "TEE", "4.00")
    assert [o["supplier"] for o in ok(client.get(
        "/api/v1/products/TEE/suppliers"))["suppliers"]] == ["A", "B", "C"]
    offer(client, "C", "TEE", "4.00", preferred=True)
    view = ok(client.get("/api/v1/products/TEE/suppliers"))["suppliers"]
    assert [(o["supplier"], o["preferred"]) for o in view] == [
        ("C", True), ("B", False), ("A", False)]
