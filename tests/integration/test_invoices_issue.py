"""Issuing invoices and credit notes: gapless numbers, credit limits, immutability."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ordermesh.invoices.model import (
    Address,
    CreditExceedsInvoice,
    InvoiceDraft,
    InvoiceKind,
    Party,
    breakdown_by_rate,
    invoice_line,
    totals_of,
)
from ordermesh.invoices.service import creditable, invoices_for_order, issue
from ordermesh.kit.errors import InvalidInput
from ordermesh.kit.money import Money
from tests.helpers import ok

BUYER = Party("Kunde B.V.", Address(("Keizersgracht 12",), "Amsterdam", "NL", "1015 CS"), "NL",
              vat_id="NL004495445B01", email="ap@kunde.example")


@pytest.fixture
def seller(client) -> dict:
    return ok(client.post("/api/v1/legal-entities", json={
        "code": "ACME", "name": "ACME Handels GmbH", "vat_id": "DE136695976",
        "address": {"lines": ["Friedrichstraße 1"], "postal_code": "10117", "city": "Berlin",
                    "country": "DE"}, "locale": "de_DE"}), 201)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def draft(seller: dict, nets: tuple[str, ...] = ("100.00",), *, order: str = "ord_1",
          kind: InvoiceKind = InvoiceKind.INVOICE, **overrides) -> InvoiceDraft:
    lines = tuple(invoice_line(f"Item {i}", 1, eur(net), eur(str(Decimal(net) * 19 / 100)),
                               Decimal(19), sku=f"SKU-{i}") for i, net in enumerate(nets))
    net, tax, gross = totals_of(lines, "EUR")
    base = InvoiceDraft(
        kind=kind, order_id=order, order_number="OM-000001", legal_entity_id=seller["id"],
        currency="EUR", buyer=BUYER, lines=lines, tax_breakdown=breakdown_by_rate(lines),
        net=net, tax=tax, gross=gross, tax_point=date(2026, 11, 26))
    return replace(base, **overrides)


def credit(seller: dict, invoice_id: str, net: str, **overrides) -> InvoiceDraft:
    return draft(seller, (net,), kind=InvoiceKind.CREDIT_NOTE, corrects_invoice_id=invoice_id,
                 **overrides)


def issued(uow, d: InvoiceDraft):
    with uow() as u:
        return issue(u, d)


def event_types(client) -> list[str]:
    return [e["type"] for e in ok(client.get("/api/v1/events"))["items"]]


def test_documents_are_numbered_one_after_another_in_their_series(client, uow, seller):
    numbers = [issued(uow, draft(seller, order=f"ord_{i}")).number for i in range(3)]
    assert numbers == ["ACME-INV-000001", "ACME-INV-000002", "ACME-INV-000003"]
    first = ok(client.get("/api/v1/invoices", params={"order_id": "ord_0"}))["items"][0]
    note = issued(uow, credit(seller, first["id"], "10.00", order="ord_0"))
    assert (note.number, note.corrects_number) == ("ACME-CN-000001", "ACME-INV-000001")
    assert event_types(client)[-4:] == ["invoice.issued"] * 3 + ["credit_note.issued"]


def test_a_rolled_back_issue_gives_its_number_back(uow, seller):
    with uow() as u:
        assert issue(u, draft(seller), commit=False).number == "ACME-INV-000001"
        # no commit: the unit of work rolls back
    with uow() as u:
        u.execute(text("SELECT 1"))
        with pytest.raises(InvalidInput):
            issue(u, replace(draft(seller), net=eur("1.00")))
    assert issued(uow, draft(seller)).number == "ACME-INV-000001"


def test_issuing_inside_a_larger_transaction_commits_with_it(uow, seller):
    with uow() as u:
        invoice = issue(u, draft(seller), commit=False)
        u.commit()
    with uow(write=False) as u:
        assert [i.id for i in invoices_for_order(u, "ord_1")] == [invoice.id]


def issue_concurrently(uow, drafts: list[InvoiceDraft], threads: int,
                       abandon: set[int] = frozenset()) -> list:
    """Issue every draft from its own thread and transaction, all starting together; the
    ones in ``abandon`` roll back after taking their number. Returns outcomes in order."""
    barrier = threading.Barrier(threads)
    outcomes: list = [None] * len(drafts)

    def run(i: int) -> None:
        if i < threads:
            barrier.wait()
        try:
            with uow(actor=f"issuer-{i}") as u:
                outcomes[i] = issue(u, drafts[i], commit=i not in abandon)
        except CreditExceedsInvoice as refused:
            outcomes[i] = refused

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(run, range(len(drafts))))
    return outcomes


def test_concurrent_issuers_get_the_numbers_one_to_n_without_gap_or_duplicate(client, uow,
                                                                               seller):
    drafts = [draft(seller, order=f"ord_{i}") for i in range(60)]
    abandoned = set(range(0, 60, 7))  # these take a number and roll back
    issue_concurrently(uow, drafts, threads=20, abandon=abandoned)
    with uow(write=False) as u:
        kept = [i for d in drafts for i in invoices_for_order(u, d.order_id)]
    assert sorted(i.sequence for i in kept) == list(range(1, 60 - len(abandoned) + 1))
    assert len({i.number for i in kept}) == len(kept)
    assert event_types(client).count("invoice.issued") == len(kept)
    series = ok(client.get("/api/v1/legal-entities/ACME"))["series"]
    assert {s["kind"]: s["next_number"] for s in series}["invoice"] == len(kept) + 1


def test_concurrent_credit_notes_never_credit_more_than_the_invoice(client, uow, seller):
    invoice = issued(uow, draft(seller, ("100.00",)))  # 100.00 + 19.00
    notes = [credit(seller, invoice.id, "30.00") for _ in range(12)]  # 35.70 each
    outcomes = issue_concurrently(uow, notes, threads=12)
    accepted = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(accepted) == 3
    assert sorted(n.number for n in accepted) == [
        "ACME-CN-000001", "ACME-CN-000002", "ACME-CN-000003"]
    with uow(write=False) as u:
        left = creditable(u, invoice.id)
    assert (left.net, left.tax, left.gross) == (eur("10.00"), eur("1.90"), eur("11.90"))


def test_a_credit_note_above_what_remains_is_refused_and_the_rest_can_be_credited(
        client, uow, seller):
    invoice = issued(uow, draft(seller, ("100.00",)))
    issued(uow, credit(seller, invoice.id, "60.00"))
    with pytest.raises(CreditExceedsInvoice) as refused, uow() as u:
        issue(u, credit(seller, invoice.id, "40.01"))
    assert refused.value.extra["creditable"]["gross"] == "47.60"
    assert issued(uow, credit(seller, invoice.id, "40.00")).number == "ACME-CN-000002"


@pytest.mark.parametrize("change", [
    {"corrects_invoice_id": "inv_nope"},
    {"order_id": "ord_other"},
    {"currency": "USD"},
])
def test_a_credit_note_for_an_unknown_or_other_invoice_is_invalid(uow, seller, change):
    invoice = issued(uow, draft(seller))
    note = credit(seller, invoice.id, "10.00")
    if change.get("currency"):
        usd = tuple(replace(ln, unit_net=Money(ln.unit_net.amount, "USD"),
                            net=Money(ln.net.amount, "USD"), tax=Money(ln.tax.amount, "USD"),
                            gross=Money(ln.gross.amount, "USD")) for ln in note.lines)
        note = replace(note, currency="USD", lines=usd, tax_breakdown=breakdown_by_rate(usd),
                       net=Money(note.net.amount, "USD"), tax=Money(note.tax.amount, "USD"),
                       gross=Money(note.gross.amount, "USD"))
    else:
        note = replace(note, **change)
    with pytest.raises(InvalidInput), uow() as u:
        issue(u, note)


def test_an_unknown_legal_entity_or_buyer_country_is_invalid_input(uow, seller):
    for bad, field in ((draft(seller, legal_entity_id="le_nope"), "legal_entity_id"),
                       (draft(seller, buyer=replace(BUYER, country="ZZ")), "buyer.country"),
                       (draft(seller, locale="xx_YY"), "locale")):
        with pytest.raises(InvalidInput) as refused, uow() as u:
            issue(u, bad)
        assert refused.value.errors[0].field == field


def test_a_document_with_a_reference_is_issued_only_once(client, uow, seller):
    first = issued(uow, draft(seller, reference="shipment:shp_1"))
    again = issued(uow, draft(seller, reference="shipment:shp_1"))
    other = issued(uow, draft(seller, reference="shipment:shp_2"))
    assert again == first
    assert other.number == "ACME-INV-000002"
    assert event_types(client).count("invoice.issued") == 2


def test_a_new_series_numbers_the_next_documents(client, uow, seller):
    issued(uow, draft(seller))
    ok(client.post("/api/v1/legal-entities/ACME/series", json={
        "kind": "invoice", "prefix": "ACME-INV-2027-", "first_number": 1}), 201)
    assert issued(uow, draft(seller, order="ord_2")).number == "ACME-INV-2027-000001"


def test_an_invoice_keeps_the_seller_it_was_issued_with(client, uow, seller):
    before = issued(uow, draft(seller))
    ok(client.patch("/api/v1/legal-entities/ACME", json={
        "name": "ACME Europe GmbH",
        "address": {"lines": ["Unter den Linden 5"], "city": "Berlin", "country": "DE"}}))
    after = issued(uow, draft(seller, order="ord_2"))
    old = ok(client.get(f"/api/v1/invoices/{before.id}"))["seller"]
    assert (old["name"], old["address"]["lines"]) == ("ACME Handels GmbH", ["Friedrichstraße 1"])
    assert after.seller.name == "ACME Europe GmbH"


def test_the_database_refuses_to_change_or_delete_an_issued_invoice(uow, seller):
    invoice = issued(uow, draft(seller))
    for statement in ("UPDATE invoices SET gross_amount = 0 WHERE id = :id",
                      "UPDATE invoices SET note = 'edited' WHERE id = :id",
                      "DELETE FROM invoices WHERE id = :id"):
        with pytest.raises(DBAPIError, match="never changed once issued"), uow() as u:
            u.execute(text(statement), {"id": invoice.id})
    with uow(write=False) as u:
        assert invoices_for_order(u, "ord_1") == [invoice]
