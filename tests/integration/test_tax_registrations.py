"""A seller's tax registrations decide what its orders are taxed with: exports are
zero-rated, EU distance sales follow the One-Stop-Shop rules."""

from __future__ import annotations

from decimal import Decimal

from tests.helpers import make_channel, ok, order_body, shop

ZURICH = {"name": "Ueli", "line1": "Bahnhofstr. 1", "city": "Zürich", "country": "CH"}
FRESNO = {"name": "Cy", "line1": "1 Main", "city": "Fresno", "region": "CA", "country": "US"}
PARIS = {"name": "Bea", "line1": "Rue 1", "city": "Paris", "country": "FR"}
SAO_PAULO = {"name": "Rui", "line1": "Av. Paulista 1", "city": "São Paulo", "country": "BR"}


def german_seller(client, code: str = "acme-de") -> None:
    ok(client.post("/api/v1/legal-entities", json={
        "code": code, "name": "Acme GmbH", "locale": "de_DE", "vat_id": "DE136695976",
        "address": {"lines": ["Friedrichstr. 1"], "postal_code": "10117", "city": "Berlin",
                    "country": "DE"}}), 201)
    channel = next(c for c in ok(client.get("/api/v1/channels"))["items"] if c["code"] == "web")
    ok(client.patch(f"/api/v1/channels/{channel['id']}", json={"legal_entity": code}))


def register(client, code: str, registrations: list[str], oss: bool = False) -> dict:
    return ok(client.put(f"/api/v1/tax/registrations/{code}",
                         json={"registrations": registrations, "oss": oss}))


def place(client, address: dict, price: str = "100.00", quantity: int = 1) -> dict:
    return ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", quantity, price)], shipping_address=address)), 201)


def test_a_new_legal_entity_is_registered_only_in_its_own_country(client):
    make_channel(client)
    german_seller(client)
    regs = ok(client.get("/api/v1/tax/registrations/acme-de"))
    assert regs["home"] == "DE"
    assert regs["registrations"] == ["DE"]
    assert regs["oss"] is False
    assert Decimal(regs["eu_distance_sales"]["this_year"]) == 0
    assert Decimal(regs["eu_distance_sales"]["threshold"]) == 10000


def test_a_german_seller_zero_rates_a_sale_to_switzerland_as_an_export(client):
    shop(client, {"TEE": {"ber": 10}})
    german_seller(client)
    order = place(client, ZURICH)
    assert order["totals"]["tax"]["amount"] == "0.00"
    [component] = order["lines"][0]["tax_components"]
    assert component["name"] == "export"
    assert component["reason_code"] == "export_outside_eu"
    assert "Art. 146 Directive 2006/112/EC" in component["reason"]
    # an inclusive price is what the customer pays: no Swiss VAT taken out of it
    assert order["totals"]["total"]["amount"] == "100.00"


def test_a_german_seller_collects_no_sales_tax_in_california_without_nexus(client):
    shop(client, {"TEE": {"ber": 10}})
    german_seller(client)
    order = place(client, FRESNO)
    assert order["totals"]["tax"]["amount"] == "0.00"
    [component] = order["tax"]["breakdown"]
    assert component["jurisdiction"] == "US-CA"
    assert component["reason_code"] == "export_outside_eu"


def test_a_us_seller_without_nexus_in_california_says_it_is_not_registered_there(client):
    make_channel(client, "us", currency="USD")
    shop(client, {"TEE": {"ber": 10}}, currency="USD")
    ok(client.post("/api/v1/legal-entities", json={
        "code": "acme-us", "name": "Acme Inc", "locale": "en_US", "region": "NY",
        "address": {"lines": ["1 Broadway"], "city": "New York", "region": "NY",
                    "country": "US"}}), 201)
    channel = next(c for c in ok(client.get("/api/v1/channels"))["items"] if c["code"] == "us")
    ok(client.patch(f"/api/v1/channels/{channel['id']}",
                    json={"legal_entity": "acme-us", "pricing_mode": "exclusive"}))
    body = order_body([("TEE", 1, "100.00")], channel="us", shipping_address=FRESNO)
    order = ok(client.post("/api/v1/orders", json=body), 201)
    [component] = order["tax"]["breakdown"]
    assert component["reason"] == "Not registered in US-CA: no sales tax collected"
    assert order["totals"]["tax"]["amount"] == "0.00"
    register(client, "acme-us", ["US-CA"])
    body = order_body([("TEE", 1, "100.00")], channel="us", shipping_address=FRESNO,
                      external_id="second")
    order = ok(client.post("/api/v1/orders", json=body), 201)
    assert order["totals"]["tax"]["amount"] == "7.25"


def test_a_sale_to_a_country_without_rate_data_is_an_export_not_an_error(client):
    shop(client, {"TEE": {"ber": 10}})
    german_seller(client)
    order = place(client, SAO_PAULO)
    assert order["totals"]["tax"]["amount"] == "0.00"
    assert order["tax"]["country"] == "BR"
    assert order["tax"]["breakdown"][0]["name"] == "export"


def test_a_seller_registered_in_switzerland_charges_swiss_vat(client):
    shop(client, {"TEE": {"ber": 10}})
    german_seller(client)
    assert register(client, "acme-de", ["CH"])["registrations"] == ["CH", "DE"]
    order = place(client, ZURICH, price="108.10")
    assert order["lines"][0]["tax"]["amount"] == "8.10"  # 8.1 % included
    assert order["tax"]["breakdown"][0]["jurisdiction"] == "CH"


def test_a_distance_sale_to_france_below_the_threshold_carries_german_vat(client):
    shop(client, {"TEE": {"ber": 10}})
    german_seller(client)
    order = place(client, PARIS, price="119.00")
    [component] = order["tax"]["breakdown"]
    assert (component["jurisdiction"], component["rate_percent"]) == ("DE", "19")
    assert component["reason_code"] == "distance_sale_below_threshold"
    assert order["lines"][0]["tax"]["amount"] == "19.00"
    assert order["tax"]["country"] == "FR"


def test_a_distance_sale_to_france_carries_french_vat_when_the_seller_opted_into_oss(client):
    shop(client, {"TEE": {"ber": 10}})
    german_seller(client)
    register(client, "acme-de", [], oss=True)
    order = place(client, PARIS, price="120.00")
    [component] = order["tax"]["breakdown"]
    assert (component["jurisdiction"], component["rate_percent"]) == ("FR", "20")
    assert component["reason_code"] == "oss_opt_in"
    assert order["lines"][0]["tax"]["amount"] == "20.00"


def test_distance_sales_above_ten_thousand_euros_carry_the_destination_vat(client):
    shop(client, {"TEE": {"ber": 200}})
    german_seller(client)
    first = place(client, PARIS, price="119.00", quantity=85)  # 8,500.00 net at DE 19 %
    assert first["tax"]["breakdown"][0]["jurisdiction"] == "DE"
    second = ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 20, "119.00")], shipping_address=PARIS, external_id="second")), 201)
    assert second["tax"]["breakdown"][0]["jurisdiction"] == "DE"  # 8,500 before it
    regs = ok(client.get("/api/v1/tax/registrations/acme-de"))
    assert Decimal(regs["eu_distance_sales"]["this_year"]) == Decimal("10500.00")
    assert regs["eu_distance_sales"]["passed"] is True
    third = ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 1, "120.00")], shipping_address=PARIS, external_id="third")), 201)
    [component] = third["tax"]["breakdown"]
    assert (component["jurisdiction"], component["rate_percent"]) == ("FR", "20")
    assert component["reason_code"] == "oss_threshold"


def test_changing_registrations_records_an_event_and_refuses_bad_codes(client):
    make_channel(client)
    german_seller(client)
    bad = client.put("/api/v1/tax/registrations/acme-de",
                     json={"registrations": ["FR-75"], "oss": False})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "jurisdictions.0"
    unknown = client.put("/api/v1/tax/registrations/acme-de",
                         json={"registrations": ["US-ZZ"], "oss": False})
    assert unknown.status_code == 422
    assert ok(client.get("/api/v1/tax/registrations/acme-de"))["registrations"] == ["DE"]
    register(client, "acme-de", ["ch", "US-CA"], oss=True)
    events = ok(client.get("/api/v1/events", params={"limit": 200}))["items"]
    [changed] = [e for e in events if e["type"] == "tax.registrations_changed"]
    assert changed["payload"]["registrations"] == ["CH", "DE", "US-CA"]
    assert changed["payload"]["oss"] is True
    assert client.get("/api/v1/tax/registrations/nobody").status_code == 404


def test_a_quote_for_a_seller_follows_its_registrations_like_an_order(client):
    make_channel(client)
    german_seller(client)
    body = {"destination": {"country": "CH"}, "currency": "EUR", "pricing_mode": "inclusive",
            "legal_entity": "acme-de", "lines": [{"key": "1", "amount": "100.00"}]}
    export = ok(client.post("/api/v1/tax/quote", json=body))
    assert export["tax"] == "0.00"
    assert export["lines"][0]["components"][0]["reason_code"] == "export_outside_eu"
    brazil = ok(client.post("/api/v1/tax/quote", json={**body, "destination": {"country": "BR"}}))
    assert brazil["tax"] == "0.00" and brazil["destination"]["country"] == "BR"
    france = ok(client.post("/api/v1/tax/quote",
                            json={**body, "destination": {"country": "FR"}}))
    assert france["destination"]["country"] == "FR"
    assert france["breakdown"][0]["jurisdiction"] == "DE" and france["tax"] == "15.97"
    unknown = client.post("/api/v1/tax/quote", json={**body, "legal_entity": "nobody"})
    assert unknown.status_code == 422
    # without a seller the quote taxes where the goods go, as before
    swiss = ok(client.post("/api/v1/tax/quote", json={
        k: v for k, v in body.items() if k != "legal_entity"}))
    assert swiss["tax"] == "7.49"
