"""Invoices show how the order stood with its money when they were issued: payment
status, methods, and the due date of invoice terms."""

from __future__ import annotations

from ordermesh.invoices.pdf import render_pdf
from ordermesh.invoices.service import get_invoice
from ordermesh.kit.db import UnitOfWork
from tests.helpers import ok, order_body, pay, shop
from tests.integration.test_order_invoices import BERLIN, invoices, sell_through, seller
from tests.unit.test_invoices_pdf import contains, pdf_text


def _pdf_text(container, invoice_id: str) -> str:
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        return pdf_text(render_pdf(get_invoice(uow, invoice_id), compress=False))


def _shop(client, tax_point: str) -> dict:
    shop(client, {"TEE": {"ber": 10}})
    seller(client)
    sell_through(client, "acme-de", tax_point=tax_point)
    return ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 2, "19.99")], shipping_address=BERLIN)), 201)


def test_an_invoice_at_placement_says_the_order_was_not_paid_yet(client, container):
    order = _shop(client, "order")
    [invoice] = invoices(client, order["id"])
    full = ok(client.get(f"/api/v1/invoices/{invoice['id']}"))
    assert full["payment"] == {"status": "unpaid", "methods": [], "due_date": None}
    assert contains(_pdf_text(container, invoice["id"]),
                    "Zahlung: nicht bezahlt. Zahlungsart: noch keine.")


def test_a_shipment_invoice_shows_invoice_terms_and_their_due_date(client, container):
    order = _shop(client, "shipment")
    ok(client.post(f"/api/v1/orders/{order['id']}/payments", json={
        "provider": "manual", "method": "invoice_terms", "due_in_days": 30}), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/shipments",
                   json={"lines": [{"line_no": 1, "quantity": 2}]}), 201)
    [invoice] = invoices(client, order["id"])
    full = ok(client.get(f"/api/v1/invoices/{invoice['id']}"))
    assert full["payment"] == {"status": "authorised", "methods": ["invoice_terms"],
                               "due_date": "2026-12-26"}
    text = _pdf_text(container, invoice["id"])
    assert contains(text, "Zahlungsart: auf Rechnung.")
    assert contains(text, "Fällig bis 26.12.2026.")


def test_a_shipment_invoice_of_a_card_order_says_paid_by_card(client, container):
    order = _shop(client, "shipment")
    pay(client, order)
    ok(client.post(f"/api/v1/orders/{order['id']}/shipments",
                   json={"lines": [{"line_no": 1, "quantity": 2}]}), 201)
    [invoice] = invoices(client, order["id"])
    assert ok(client.get(f"/api/v1/invoices/{invoice['id']}"))["payment"]["status"] == "paid"
    assert contains(_pdf_text(container, invoice["id"]), "Zahlung: bezahlt. Zahlungsart: Karte.")
