"""Reading invoices and credit notes through the API: lists, filters, JSON and PDF."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from ordermesh.invoices.model import (
    Address,
    InvoiceDraft,
    InvoiceKind,
    Party,
    breakdown_by_rate,
    invoice_line,
    totals_of,
)
from ordermesh.invoices.pdf import render_pdf
from ordermesh.invoices.service import get_invoice, issue
from ordermesh.kit.money import Money
from tests.helpers import ok

INVOICES = "/api/v1/invoices"
BUYER = Party("Kunde B.V.", Address(("Keizersgracht 12",), "Amsterdam", "NL", "1015 CS"), "NL",
              vat_id="NL004495445B01")


def make_entity(client, code: str) -> dict:
    return ok(client.post("/api/v1/legal-entities", json={
        "code": code, "name": f"{code} GmbH", "vat_id": "DE136695976", "locale": "de_DE",
        "address": {"lines": ["Friedrichstraße 1"], "city": "Berlin", "country": "DE"}}), 201)


def issue_for(uow, entity: dict, order: str, kind=InvoiceKind.INVOICE, corrects=None,
              net: str = "100.00", **overrides):
    line = invoice_line("Espresso machine", 2, Money.of(net, "EUR"), Money.of("0", "EUR"),
                        Decimal(0), sku="ESP-1")
    net_total, tax, gross = totals_of([line], "EUR")
    d = InvoiceDraft(kind=kind, order_id=order, order_number=f"OM-{order}",
                     legal_entity_id=entity["id"], currency="EUR", buyer=BUYER, lines=(line,),
                     tax_breakdown=breakdown_by_rate([line]), net=net_total, tax=tax,
                     gross=gross, tax_point=date(2026, 11, 26), reverse_charge=True,
                     corrects_invoice_id=corrects)
    with uow() as u:
        return issue(u, replace(d, **overrides))


@pytest.fixture
def documents(client, uow, clock) -> dict:
    """Nov 26: ACME invoices ord_1; Nov 27: ACME invoices ord_2 and credits ord_1;
    Nov 28: BETA invoices ord_3."""
    acme, beta = make_entity(client, "ACME"), make_entity(client, "BETA")
    first = issue_for(uow, acme, "ord_1")
    clock.advance(timedelta(days=1))
    second = issue_for(uow, acme, "ord_2")
    note = issue_for(uow, acme, "ord_1", InvoiceKind.CREDIT_NOTE, corrects=first.id,
                     net="50.00")
    clock.advance(timedelta(days=1))
    third = issue_for(uow, beta, "ord_3")
    return {"first": first, "second": second, "note": note, "third": third}


def numbers(client, **params) -> list[str]:
    return [i["number"] for i in ok(client.get(INVOICES, params=params))["items"]]


def test_invoices_are_listed_newest_first_and_filtered(client, documents):
    assert numbers(client) == ["BETA-INV-000001", "ACME-CN-000001", "ACME-INV-000002",
                               "ACME-INV-000001"]
    assert numbers(client, order_id="ord_1") == ["ACME-CN-000001", "ACME-INV-000001"]
    assert numbers(client, legal_entity="BETA") == ["BETA-INV-000001"]
    assert numbers(client, kind="credit_note") == ["ACME-CN-000001"]
    assert numbers(client, **{"from": "2026-11-27", "to": "2026-11-27"}) == [
        "ACME-CN-000001", "ACME-INV-000002"]
    assert numbers(client, **{"from": "2026-11-28"}) == ["BETA-INV-000001"]
    assert numbers(client, to="2026-11-26") == ["ACME-INV-000001"]


def test_a_list_is_read_page_by_page(client, documents):
    seen, cursor = [], None
    while True:
        page = ok(client.get(INVOICES, params={"limit": 3, **({"cursor": cursor}
                                                               if cursor else {})}))
        seen += [i["number"] for i in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == numbers(client)


@pytest.mark.parametrize(("params", "field"), [
    ({"legal_entity": "NOPE"}, "query.legal_entity"),
    ({"from": "2026-11-28", "to": "2026-11-27"}, "query.from"),
    ({"from": "yesterday"}, "query.from"),
    ({"kind": "receipt"}, "query.kind"),
    ({"cursor": "bogus"}, "query.cursor"),
    ({"limit": 0}, "query.limit"),
])
def test_bad_list_filters_are_refused(client, documents, params, field):
    response = client.get(INVOICES, params=params)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]


def test_an_invoice_reads_back_as_it_was_issued(client, documents):
    note = ok(client.get(f"{INVOICES}/{documents['note'].id}"))
    assert {k: note[k] for k in ("number", "kind", "sequence", "order_id", "corrects_number",
                                 "currency", "locale", "net", "tax", "gross",
                                 "reverse_charge")} == {
        "number": "ACME-CN-000001", "kind": "credit_note", "sequence": 1, "order_id": "ord_1",
        "corrects_number": "ACME-INV-000001", "currency": "EUR", "locale": "de_DE",
        "net": "50.00", "tax": "0.00", "gross": "50.00", "reverse_charge": True}
    assert note["corrects_invoice_id"] == documents["first"].id
    assert note["seller"]["vat_id"] == "DE136695976"
    assert note["buyer"]["vat_id"] == "NL004495445B01"
    assert note["lines"] == [{"description": "Espresso machine", "sku": "ESP-1", "quantity": 2,
                              "unit_net": "25.00", "net": "50.00", "tax_rate_percent": "0",
                              "tax": "0.00", "gross": "50.00"}]
    assert note["tax_breakdown"] == [{"jurisdiction": "", "name": "VAT", "rate_percent": "0",
                                      "taxable": "50.00", "tax": "0.00", "reason": None}]
    assert note["pdf_url"] == f"{INVOICES}/{documents['note'].id}/pdf"


def test_the_pdf_is_downloaded_as_an_attachment_named_after_the_number(client, uow, documents):
    first = documents["first"]
    response = client.get(f"{INVOICES}/{first.id}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        'attachment; filename="ACME-INV-000001.pdf"')
    with uow(write=False) as u:
        assert response.content == render_pdf(get_invoice(u, first.id))


def test_an_unknown_invoice_is_not_found_and_invoices_cannot_be_posted_or_changed(
        client, documents):
    for response in (client.get(f"{INVOICES}/inv_nope"),
                     client.get(f"{INVOICES}/inv_nope/pdf")):
        assert response.status_code == 404
        assert response.json()["code"] == "not-found" and "inv_nope" in response.json()["detail"]
    assert client.post(INVOICES, json={}).status_code == 405
    before = ok(client.get(f"{INVOICES}/{documents['first'].id}"))
    for method in ("PUT", "PATCH", "DELETE"):
        response = client.request(method, f"{INVOICES}/{documents['first'].id}", json={})
        assert response.status_code == 405
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["allow"] == "GET"
    assert ok(client.get(f"{INVOICES}/{documents['first'].id}")) == before


def test_issuing_records_an_event_with_the_number_and_amounts(client, documents):
    events = ok(client.get("/api/v1/events", params={"type": "credit_note."}))["items"]
    assert [(e["type"], e["aggregate_id"]) for e in events] == [
        ("credit_note.issued", documents["note"].id)]
    assert {k: events[0]["payload"][k] for k in ("number", "legal_entity", "order_id",
                                                 "gross", "corrects_number")} == {
        "number": "ACME-CN-000001", "legal_entity": "ACME", "order_id": "ord_1",
        "gross": "50.00", "corrects_number": "ACME-INV-000001"}
