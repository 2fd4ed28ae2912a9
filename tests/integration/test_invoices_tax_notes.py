"""What invoices issued from orders say about their tax: an export's zero rating, the
invoice a replacement replaces, in the invoice's one language."""

from __future__ import annotations

from ordermesh.invoices.pdf import render_pdf
from ordermesh.invoices.service import get_invoice
from tests.helpers import ok, order_body, shop
from tests.unit.test_invoices_pdf import contains, pdf_text

ZURICH = {"name": "Ueli", "line1": "Bahnhofstr. 1", "city": "Zürich", "country": "CH"}
PARIS = {"name": "Bea", "line1": "Rue 1", "city": "Paris", "country": "FR"}
BERLIN = {"name": "Ada", "line1": "Main St 1", "city": "Berlin", "country": "DE"}
CARD = "4242424242424242"


def german_seller(client) -> None:
    ok(client.post("/api/v1/legal-entities", json={
        "code": "acme-de", "name": "Acme GmbH", "locale": "de_DE", "vat_id": "DE136695976",
        "address": {"lines": ["Friedrichstr. 1"], "postal_code": "10117", "city": "Berlin",
                    "country": "DE"}}), 201)
    channel = next(c for c in ok(client.get("/api/v1/channels"))["items"] if c["code"] == "web")
    ok(client.patch(f"/api/v1/channels/{channel['id']}", json={"legal_entity": "acme-de"}))


def documents(client, order_id: str) -> list[dict]:
    return ok(client.get("/api/v1/invoices", params={"order_id": order_id}))["items"]


def text_of(uow, invoice_id: str) -> str:
    with uow() as u:
        return pdf_text(render_pdf(get_invoice(u, invoice_id), compress=False))


def test_an_export_invoice_says_why_it_carries_no_vat_in_json_and_pdf(client, uow):
    shop(client, {"TEE": {"ber": 10}})
    german_seller(client)
    order = ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 1, "100.00")], shipping_address=ZURICH)), 201)
    [summary] = documents(client, order["id"])
    invoice = ok(client.get(f"/api/v1/invoices/{summary['id']}"))
    [entry] = invoice["tax_breakdown"]
    assert (entry["name"], entry["jurisdiction"], entry["tax"]) == ("export", "CH", "0.00")
    assert "Art. 146 Directive 2006/112/EC" in entry["reason"]
    text = text_of(uow, summary["id"])
    assert contains(text, entry["reason"])
    # German headings, German country names
    assert contains(text, "Rechnung") and contains(text, "Schweiz")
    assert "Switzerland" not in text


def test_a_replacement_invoice_names_the_one_it_replaces_and_not_the_edit_note(client, uow):
    shop(client, {"TEE": {"ber": 10}})
    german_seller(client)
    order = ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 2, "10.00")], shipping_address=BERLIN)), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/payments",
                   json={"provider": "test", "source": CARD}), 201)
    [first] = documents(client, order["id"])
    ok(client.post(f"/api/v1/orders/{order['id']}/edits", json={
        "edits": [{"op": "set_quantity", "line_no": 1, "quantity": 3}],
        "reason": "INTERNAL: upsell by phone, agent 17"}))
    replacement = next(d for d in documents(client, order["id"])
                       if d["kind"] == "invoice" and d["id"] != first["id"])
    full = ok(client.get(f"/api/v1/invoices/{replacement['id']}"))
    assert full["replaces_number"] == first["number"]
    assert full["note"] is None
    text = text_of(uow, replacement["id"])
    assert contains(text, f"Ersetzt Rechnung {first['number']}")
    assert "INTERNAL" not in text
