"""Setting a shop up (keys, channels, locations, products, rules, prices, legal entities,
tax rates) writes exactly the declared events (tests/event_contract.py); refused set-up
writes none."""

from __future__ import annotations

from ordermesh.app import create_app
from tests.backoffice_helpers import PASSWORD, post_form, signed_in
from tests.event_checks import assert_writes, assert_writes_nothing, of_type
from tests.helpers import make_channel, make_location, make_product, ok


def test_creating_and_revoking_an_api_key_each_write_their_event(client):
    key, written = assert_writes(client, "apikey.create", lambda: ok(client.post(
        "/api/v1/api-keys", json={"name": "shop-sync", "role": "operator"}), 201))
    assert of_type(written, "apikey.created")["payload"] == {"name": "shop-sync",
                                                              "role": "operator"}
    _, written = assert_writes(client, "apikey.revoke", lambda: ok(client.post(
        f"/api/v1/api-keys/{key['id']}/revoke")))
    assert of_type(written, "apikey.revoked")["aggregate_id"] == key["id"]
    listed = ok(client.get("/api/v1/api-keys"))["items"]
    assert next(k for k in listed if k["id"] == key["id"])["revoked_at"] is not None


def test_back_office_people_changes_each_write_their_event(client, container):
    # its own app: the back office keeps the container it was built with
    admin = signed_in(create_app(container), container, "admin", "admin@shop.example")
    answer, written = assert_writes(client, "user.create", lambda: post_form(
        admin, "/app/users", "/app/users", email="kim@shop.example", password=PASSWORD,
        role="agent"))
    assert answer.status_code == 303, answer.text
    created = of_type(written, "user.created")
    assert (created["payload"], created["actor"]) == (
        {"email": "kim@shop.example", "role": "agent"}, "user:admin@shop.example")
    kim = f"/app/users/{created['aggregate_id']}"
    _, written = assert_writes(client, "user.role", lambda: post_form(
        admin, "/app/users", f"{kim}/role", role="warehouse"))
    assert of_type(written, "user.role_changed")["payload"]["role"] == "warehouse"
    assert_writes(client, "user.disable", lambda: post_form(admin, "/app/users",
                                                            f"{kim}/disable"))
    assert_writes(client, "user.enable", lambda: post_form(admin, "/app/users",
                                                           f"{kim}/enable"))
    # a refused change writes nothing
    assert_writes_nothing(client, lambda: post_form(admin, "/app/users", f"{kim}/role",
                                                    role="owner"))


def test_channel_set_up_writes_created_updated_sources_and_sourcing(client):
    channel, written = assert_writes(client, "channel.create",
                                     lambda: make_channel(client, "web"))
    assert of_type(written, "channel.created")["payload"]["code"] == "web"
    make_location(client, "ber")
    _, written = assert_writes(client, "channel.update", lambda: ok(client.patch(
        f"/api/v1/channels/{channel['id']}", json={"capture_policy": "shipment"})))
    assert of_type(written, "channel.updated")["payload"]["capture_policy"] == "shipment"
    _, written = assert_writes(client, "channel.sources", lambda: ok(client.put(
        "/api/v1/channels/web/sources", json={"locations": ["ber"]})))
    assert of_type(written, "channel.sources_set")["payload"]["locations"] == ["ber"]
    unknown = assert_writes_nothing(client, lambda: client.put(
        "/api/v1/channels/web/sources", json={"locations": ["nowhere"]}))
    assert unknown.status_code == 422
    saved, written = assert_writes(client, "channel.sourcing", lambda: ok(client.put(
        f"/api/v1/channels/{channel['id']}/sourcing",
        json={"rules": ["distance"], "max_splits": 1})))
    assert saved["configured"] is True
    assert of_type(written, "channel.sourcing_updated")["payload"]["max_splits"] == 1
    twice = assert_writes_nothing(client, lambda: client.post(
        "/api/v1/channels", json={"code": "web", "name": "Web", "kind": "web",
                                  "currency": "EUR"}))
    assert twice.status_code == 409


def test_location_set_up_writes_created_updated_and_bins_set(client):
    location, written = assert_writes(client, "location.create",
                                      lambda: make_location(client, "ber"))
    assert of_type(written, "location.created")["payload"]["code"] == "ber"
    changed, written = assert_writes(client, "location.update", lambda: ok(client.patch(
        f"/api/v1/locations/{location['id']}", json={"fulfilment": {"priority": 7}})))
    assert changed["fulfilment"]["priority"] == 7
    assert of_type(written, "location.updated")["payload"]["code"] == "ber"
    make_product(client, "TEE")
    _, written = assert_writes(client, "location.bins", lambda: ok(client.put(
        "/api/v1/locations/ber/bins", json=[{"sku": "TEE", "bin": "A-01"}])))
    assert of_type(written, "fulfilment.bins_set")["payload"]["location"] == "ber"
    unknown = assert_writes_nothing(client, lambda: client.put(
        "/api/v1/locations/ber/bins", json=[{"sku": "NOPE", "bin": "A"}]))
    assert unknown.status_code == 422
    assert ok(client.get("/api/v1/locations/ber/bins"))["items"] == [
        {"sku": "TEE", "bin": "A-01"}]


def test_product_set_up_writes_created_updated_and_stock_policy_set(client):
    product, written = assert_writes(client, "product.create",
                                     lambda: make_product(client, "TEE"))
    assert of_type(written, "product.created")["payload"] == {"sku": "TEE"}
    _, written = assert_writes(client, "product.update", lambda: ok(client.patch(
        f"/api/v1/products/{product['id']}", json={"backorderable": True})))
    assert of_type(written, "product.updated")["payload"]["changed"] == ["backorderable"]
    _, written = assert_writes(client, "product.stock_policy", lambda: ok(client.put(
        "/api/v1/products/TEE/stock-policy", json={"low_stock_threshold": 5})))
    assert of_type(written, "product.stock_policy_set")["payload"]["low_stock_threshold"] == 5
    refused = assert_writes_nothing(client, lambda: client.put(
        "/api/v1/products/TEE/stock-policy", json={"low_stock_threshold": -1}))
    assert refused.status_code == 422


def test_allocation_rules_and_safety_stock_write_their_events(client):
    make_channel(client, "web")
    make_location(client, "ber")
    make_product(client, "TEE")
    rule, written = assert_writes(client, "allocation_rule.create", lambda: ok(client.post(
        "/api/v1/allocation-rules", json={"channel": "web", "sku": "TEE", "kind": "quota",
                                          "units": 10}), 201))
    assert of_type(written, "allocation_rule.created")["payload"]["units"] == 10
    _, written = assert_writes(client, "allocation_rule.delete", lambda: client.delete(
        f"/api/v1/allocation-rules/{rule['id']}"))
    assert of_type(written, "allocation_rule.deleted")["aggregate_id"] == rule["id"]
    gone = assert_writes_nothing(client, lambda: client.delete(
        f"/api/v1/allocation-rules/{rule['id']}"))
    assert gone.status_code == 404
    _, written = assert_writes(client, "inventory.safety_stock", lambda: ok(client.put(
        "/api/v1/inventory/safety-stock", json={"sku": "TEE", "location": "ber",
                                                "quantity": 2})))
    assert of_type(written, "inventory.safety_stock_set")["payload"]["safety_stock"] == 2
    _, written = assert_writes(client, "inventory.safety_default", lambda: ok(client.put(
        "/api/v1/inventory/safety-stock/defaults", json={"location": "ber", "quantity": 1})))
    assert of_type(written, "inventory.safety_default_set")["payload"]["safety_stock"] == 1
    assert ok(client.get("/api/v1/inventory/safety-stock/defaults"))["items"] == [
        {"location": "ber", "category": None, "quantity": 1}]


def test_price_lists_and_prices_write_their_events(client):
    make_channel(client, "web")
    make_product(client, "TEE")
    _, written = assert_writes(client, "price_list.create", lambda: ok(client.post(
        "/api/v1/price-lists", json={"code": "web-eur", "name": "Web", "channel": "web"}), 201))
    assert of_type(written, "price_list.created")["payload"]["code"] == "web-eur"
    _, written = assert_writes(client, "price_list.update", lambda: ok(client.patch(
        "/api/v1/price-lists/web-eur", json={"priority": 5})))
    assert of_type(written, "price_list.updated")["payload"]["changes"] == {"priority": 5}
    _, written = assert_writes(client, "prices.set", lambda: ok(client.put(
        "/api/v1/price-lists/web-eur/prices", json={"prices": [{"sku": "TEE",
                                                               "amount": "12.50"}]})))
    assert of_type(written, "prices.set")["payload"]["prices"] == [
        {"sku": "TEE", "amount": "12.50"}]
    _, written = assert_writes(client, "price.delete", lambda: client.delete(
        "/api/v1/price-lists/web-eur/prices/TEE"))
    assert of_type(written, "price.deleted")["payload"]["amount"] == "12.50"
    unknown = assert_writes_nothing(client, lambda: client.put(
        "/api/v1/price-lists/web-eur/prices", json={"prices": [{"sku": "NOPE",
                                                               "amount": "1.00"}]}))
    assert unknown.status_code == 422


ENTITY = {"code": "ACME", "name": "ACME Handels GmbH",
          "address": {"lines": ["Friedrichstraße 1"], "postal_code": "10117",
                      "city": "Berlin", "country": "DE"},
          "vat_id": "DE136695976", "email": "billing@acme.example", "locale": "de-DE"}


def test_legal_entities_series_and_tax_rates_write_their_events(client):
    _, written = assert_writes(client, "legal_entity.create", lambda: ok(client.post(
        "/api/v1/legal-entities", json=ENTITY), 201))
    assert of_type(written, "legal_entity.created")["payload"]["vat_id"] == "DE136695976"
    _, written = assert_writes(client, "legal_entity.update", lambda: ok(client.patch(
        "/api/v1/legal-entities/ACME", json={"email": "invoices@acme.example"})))
    assert of_type(written, "legal_entity.updated")["payload"]["changed"] == ["email"]
    bad = assert_writes_nothing(client, lambda: client.patch(
        "/api/v1/legal-entities/ACME", json={"vat_id": "DE136695977"}))
    assert bad.status_code == 422
    _, written = assert_writes(client, "invoice_series.activate", lambda: ok(client.post(
        "/api/v1/legal-entities/ACME/series", json={"kind": "invoice",
                                                    "prefix": "ACME-INV-2027-"}), 201))
    assert of_type(written, "invoice_series.activated")["payload"]["prefix"] == \
        "ACME-INV-2027-"
    _, written = assert_writes(client, "tax.rate_add", lambda: ok(client.post(
        "/api/v1/tax/rates", json={"country": "DE", "tax_class": "standard",
                                   "jurisdiction": "DE", "name": "VAT", "rate_percent": "21",
                                   "valid_from": "2027-01-01", "source": "test"}), 201))
    assert of_type(written, "tax.rate_added")["payload"]["rate_percent"] == "21"


def test_changing_tax_registrations_writes_registrations_changed_once(client):
    ok(client.post("/api/v1/legal-entities", json=ENTITY), 201)
    url = "/api/v1/tax/registrations/ACME"
    body = {"registrations": ["CH", "GB"], "oss": True}
    changed, written = assert_writes(client, "tax.registrations_change", lambda: ok(
        client.put(url, json=body)))
    assert (changed["registrations"], changed["oss"]) == (["CH", "DE", "GB"], True)
    event = of_type(written, "tax.registrations_changed")
    assert (event["aggregate_type"], event["payload"]["added"]) == ("legal_entity",
                                                                    ["CH", "GB"])
    assert ok(client.get(url))["registrations"] == ["CH", "DE", "GB"]
    assert_writes_nothing(client, lambda: ok(client.put(url, json=body)))  # the same again
    bad = assert_writes_nothing(client, lambda: client.put(
        url, json={"registrations": ["XX"]}))
    assert bad.status_code == 422
    assert ok(client.get(url))["oss"] is True
