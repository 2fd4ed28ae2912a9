"""Invoices and credit notes issued from orders at the channel's tax point."""

from __future__ import annotations

from decimal import Decimal

from tests.helpers import make_channel, ok, order_body, pay, shop

BERLIN = {"name": "Ada", "line1": "Main St 1", "city": "Berlin", "country": "DE"}
PARIS = {"name": "Bea SARL", "line1": "Rue 1", "city": "Paris", "country": "FR"}
CARD = "4242424242424242"
FR_VAT = "FR40303265045"  # a VAT id whose check digits are right


def seller(client, code="acme-de", country="DE", region=None, vat_id="DE136695976",
           locale="de_DE") -> dict:
    return ok(client.post("/api/v1/legal-entities", json={
        "code": code, "name": "Acme GmbH", "locale": locale, "vat_id": vat_id,
        "region": region,
        "address": {"lines": ["Friedrichstr. 1"], "postal_code": "10117", "city": "Berlin",
                    "country": country}}), 201)


def sell_through(client, entity: str, **settings) -> None:
    channel = next(c for c in ok(client.get("/api/v1/channels"))["items"] if c["code"] == "web")
    ok(client.patch(f"/api/v1/channels/{channel['id']}",
                    json={"legal_entity": entity, **settings}))


def invoices(client, order_id: str) -> list[dict]:
    return ok(client.get("/api/v1/invoices", params={"order_id": order_id}))["items"]


def test_an_order_is_invoiced_when_placed_and_the_invoice_matches_it(client):
    shop(client, {"TEE": {"ber": 10}})
    seller(client)
    sell_through(client, "acme-de")
    order = ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 2, "19.99")], shipping_address=BERLIN, shipping_price="4.90")), 201)
    [invoice] = invoices(client, order["id"])
    assert invoice["kind"] == "invoice"
    assert Decimal(invoice["gross"]) == Decimal(order["totals"]["total"]["amount"])
    assert Decimal(invoice["tax"]) == Decimal(order["totals"]["tax"]["amount"])
    pdf = client.get(f"/api/v1/invoices/{invoice['id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_an_eu_business_buyer_with_a_valid_vat_id_pays_no_vat_under_reverse_charge(client):
    shop(client, {"TEE": {"ber": 10}})
    seller(client)
    sell_through(client, "acme-de", pricing_mode="exclusive")
    order = ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 2, "50.00")], shipping_address=PARIS, buyer_vat_id=FR_VAT)), 201)
    assert order["tax"]["reverse_charge"] is True
    assert order["totals"]["tax"]["amount"] == "0.00"
    assert order["totals"]["total"]["amount"] == "100.00"
    [invoice] = invoices(client, order["id"])
    assert invoice["reverse_charge"] is True
    full = ok(client.get(f"/api/v1/invoices/{invoice['id']}"))
    assert full["buyer"]["vat_id"] == FR_VAT


def test_an_invalid_vat_id_is_refused_and_no_order_is_written(client):
    shop(client, {"TEE": {"ber": 10}})
    response = client.post("/api/v1/orders", json=order_body(
        [("TEE", 1, "50.00")], shipping_address=PARIS, buyer_vat_id="FR00000000001"))
    assert response.status_code == 422
    assert ok(client.get("/api/v1/orders"))["items"] == []


def test_a_refund_issues_a_credit_note_against_the_invoice(client):
    shop(client, {"TEE": {"ber": 10}})
    seller(client)
    sell_through(client, "acme-de")
    order = ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 2, "10.00")], shipping_address=BERLIN)), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/payments",
                   json={"provider": "test", "source": CARD, "capture": True}), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/refunds",
                   json={"lines": [{"line_no": 1, "quantity": 1}], "reason": "returned"}), 201)
    docs = invoices(client, order["id"])
    credit = next(d for d in docs if d["kind"] == "credit_note")
    invoice = next(d for d in docs if d["kind"] == "invoice")
    assert credit["corrects_invoice_id"] == invoice["id"]
    assert credit["gross"] == "10.00"
    assert credit["tax"] == "1.60"


def test_a_channel_taxed_at_shipment_invoices_each_shipment(client):
    shop(client, {"TEE": {"ber": 10}})
    seller(client)
    sell_through(client, "acme-de", tax_point="shipment")
    order = ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 3, "10.00")], shipping_address=BERLIN, shipping_price="3.00")), 201)
    pay(client, order)
    assert invoices(client, order["id"]) == []
    for quantity in (1, 2):
        ok(client.post(f"/api/v1/orders/{order['id']}/shipments",
                       json={"lines": [{"line_no": 1, "quantity": quantity}]}), 201)
    docs = invoices(client, order["id"])
    assert sorted(d["gross"] for d in docs) == ["13.00", "20.00"]
    assert sum(Decimal(d["gross"]) for d in docs) == Decimal(
        order["totals"]["total"]["amount"])


def test_india_charges_cgst_and_sgst_within_a_state_and_igst_across(client):
    make_channel(client, "in-web", currency="INR")
    shop(client, {"KURTA": {"ber": 10}}, currency="INR")
    seller(client, code="acme-in", country="IN", region="MH", vat_id=None, locale="en_IN")
    channel = next(c for c in ok(client.get("/api/v1/channels"))["items"]
                   if c["code"] == "in-web")
    ok(client.patch(f"/api/v1/channels/{channel['id']}",
                    json={"legal_entity": "acme-in", "pricing_mode": "exclusive"}))
    mumbai = {"name": "Ravi", "line1": "1 Marine Dr", "city": "Mumbai", "region": "MH",
              "country": "IN"}
    within = ok(client.post("/api/v1/orders", json=order_body(
        [("KURTA", 1, "1000.00")], channel="in-web", shipping_address=mumbai)), 201)
    assert sorted(c["name"] for c in within["tax"]["breakdown"]) == ["CGST", "SGST"]
    bangalore = {**mumbai, "city": "Bengaluru", "region": "KA"}
    across = ok(client.post("/api/v1/orders", json=order_body(
        [("KURTA", 1, "1000.00")], channel="in-web", shipping_address=bangalore)), 201)
    assert [c["name"] for c in across["tax"]["breakdown"]] == ["IGST"]
    assert within["totals"]["tax"] == across["totals"]["tax"]


def test_a_swiss_business_id_is_read_as_swiss_and_charges_swiss_vat(client):
    shop(client, {"TEE": {"ber": 10}})
    seller(client)
    sell_through(client, "acme-de")
    ok(client.put("/api/v1/tax/registrations/acme-de",  # registered for Swiss VAT
                  json={"registrations": ["CH"]}))
    zurich = {"name": "Muster AG", "line1": "Bahnhofstr. 1", "city": "Zürich", "country": "CH"}
    order = ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 1, "108.10")], shipping_address=zurich,
        buyer_vat_id="CHE-107.787.577 IVA")), 201)
    assert order["tax"]["buyer_vat_id"] == "CHE107787577IVA"
    assert order["tax"]["reverse_charge"] is False  # reverse charge is an EU rule
    assert order["lines"][0]["tax"]["amount"] == "8.10"  # 8.1 % inside 108.10


def test_switching_the_channel_to_invoice_per_shipment_does_not_invoice_old_orders_twice(
        client):
    shop(client, {"TEE": {"ber": 10}})
    seller(client)
    sell_through(client, "acme-de")
    order = ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 1, "10.00")], shipping_address=BERLIN)), 201)
    pay(client, order)
    sell_through(client, "acme-de", tax_point="shipment")
    ok(client.post(f"/api/v1/orders/{order['id']}/shipments",
                   json={"lines": [{"line_no": 1, "quantity": 1}]}), 201)
    assert [d["kind"] for d in invoices(client, order["id"])] == ["invoice"]


def documents_balance(client, order_id: str) -> Decimal:
    """What the order's invoices less its credit notes come to."""
    docs = invoices(client, order_id)
    return (sum(Decimal(d["gross"]) for d in docs if d["kind"] == "invoice")
            - sum(Decimal(d["gross"]) for d in docs if d["kind"] == "credit_note"))


def owed(order: dict) -> Decimal:
    return Decimal(order["totals"]["total"]["amount"]) - Decimal(
        order["totals"]["refunded"]["amount"])


def test_edits_and_cancellations_of_an_invoiced_order_are_corrected_by_new_documents(client):
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 10}})
    seller(client)
    sell_through(client, "acme-de")
    ok(client.put("/api/v1/tax/registrations/acme-de",  # EU distance sales through OSS
                  json={"registrations": [], "oss": True}))
    order = ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 2, "10.00"), ("MUG", 1, "5.00")], shipping_address=BERLIN,
        shipping_price="4.90")), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/payments",
                   json={"provider": "test", "source": CARD}), 201)
    url = f"/api/v1/orders/{order['id']}"
    steps = [
        ("edits", {"edits": [{"op": "set_quantity", "line_no": 1, "quantity": 3},
                             {"op": "add_line", "sku": "MUG", "quantity": 1,
                              "unit_price": "6.00"}]}),
        ("edits", {"edits": [{"op": "set_shipping_address", "address": PARIS}]}),
        ("refunds", {"lines": [{"line_no": 3, "quantity": 1}], "reason": "returned"}),
        ("cancel", {"lines": [{"line_no": 2, "quantity": 1}]}),
        ("refunds", {"amount": "2.00", "reason": "late"}),
        ("cancel", {}),
    ]
    for path, body in steps:
        if path == "cancel" and not body:
            # an address no longer changes once something was refunded
            moved = client.post(f"{url}/edits", json={"edits": [
                {"op": "set_shipping_address", "address": BERLIN}]})
            assert moved.status_code == 422
            assert moved.json()["errors"][0]["code"] == "order_refunded"
        assert client.post(f"{url}/{path}", json=body).status_code in (200, 201)
        current = ok(client.get(url))
        assert documents_balance(client, order["id"]) == owed(current), path
    # the rest cancelled, the refunded mug is not waited for
    assert current["status"] == "cancelled"
    kinds = [d["kind"] for d in invoices(client, order["id"])]
    # placed, grown by the edit, re-taxed in France; the cancellations only credit
    assert kinds.count("invoice") == 3 and kinds.count("credit_note") >= 5
    france = next(d for d in invoices(client, order["id"]) if d["kind"] == "invoice")  # newest
    full = ok(client.get(f"/api/v1/invoices/{france['id']}"))
    assert {b["jurisdiction"] for b in full["tax_breakdown"]} == {"FR"}


def test_the_address_cannot_change_once_part_of_the_order_has_shipped(client):
    shop(client, {"TEE": {"ber": 10}})
    order = ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 2, "10.00")], shipping_address=BERLIN)), 201)
    pay(client, order)
    ok(client.post(f"/api/v1/orders/{order['id']}/shipments",
                   json={"lines": [{"line_no": 1, "quantity": 1}]}), 201)
    response = client.post(f"/api/v1/orders/{order['id']}/edits", json={
        "edits": [{"op": "set_shipping_address", "address": PARIS}]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "order_shipped"
