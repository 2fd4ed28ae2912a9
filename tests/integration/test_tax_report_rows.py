"""The tax report by seller, and rows that reconcile with the ledger."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from ordermesh.tax.tables import tax_entries
from tests.helpers import add_stock, make_channel, make_product, ok, order_body, shop

BERLIN = {"name": "Ada", "line1": "Main St 1", "city": "Berlin", "country": "DE"}
PERIOD = {"from": "2026-01-01", "to": "2026-12-31"}
CARD = "4242424242424242"


def seller(client, code: str, channel: str) -> None:
    ok(client.post("/api/v1/legal-entities", json={
        "code": code, "name": f"{code} GmbH", "locale": "de_DE",
        "address": {"lines": ["Friedrichstr. 1"], "city": "Berlin", "country": "DE"}}), 201)
    found = next(c for c in ok(client.get("/api/v1/channels"))["items"]
                 if c["code"] == channel)
    ok(client.patch(f"/api/v1/channels/{found['id']}", json={"legal_entity": code}))


def place(client, lines, channel="web", **extra) -> dict:
    order = ok(client.post("/api/v1/orders", json=order_body(
        lines, channel=channel, shipping_address=BERLIN, **extra)), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/payments",
                   json={"provider": "test", "source": CARD}), 201)
    return order


def report(client, **params) -> list[dict]:
    return ok(client.get("/api/v1/tax/report", params={**PERIOD, **params}))["rows"]


def test_the_tax_report_of_one_legal_entity_holds_only_its_sales(client):
    shop(client, {"TEE": {"ber": 10}})
    make_channel(client, "outlet")
    seller(client, "acme", "web")
    seller(client, "bargain", "outlet")
    place(client, [("TEE", 1, "119.00")])
    place(client, [("TEE", 1, "23.80")], channel="outlet")
    [acme] = report(client, legal_entity="acme")
    assert (acme["taxable"], acme["net_tax"]) == ("100.00", "19.00")
    [bargain] = report(client, legal_entity="bargain")
    assert (bargain["taxable"], bargain["net_tax"]) == ("20.00", "3.80")
    [both] = report(client)
    assert both["net_tax"] == "22.80"
    unknown = client.get("/api/v1/tax/report", params={**PERIOD, "legal_entity": "nobody"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "query.legal_entity"


def test_report_rows_are_the_ledgers_sums_and_carry_tax_only_with_a_taxable_amount(
        client, container):
    shop(client, {"TEE": {"ber": 10}})
    make_product(client, "BOOK", tax_class="reduced")
    add_stock(client, "BOOK", "ber", 10)
    seller(client, "acme", "web")
    order = place(client, [("TEE", 2, "20.00"), ("BOOK", 1, "10.00")])
    ok(client.post(f"/api/v1/orders/{order['id']}/refunds",
                   json={"lines": [{"line_no": 1, "quantity": 1}], "reason": "broken"}), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel",
                   json={"lines": [{"line_no": 2, "quantity": 1}]}))
    rows = {r["rate_percent"]: r for r in report(client, legal_entity="acme")}
    assert (rows["19"]["taxable"], rows["19"]["net_tax"]) == ("16.81", "3.19")
    assert (rows["7"]["taxable"], rows["7"]["net_tax"]) == ("0.00", "0.00")
    e = tax_entries.c
    with container.engine.connect() as conn:
        taxable, tax = conn.execute(select(func.sum(e.taxable_amount),
                                           func.sum(e.tax_amount))).one()
    assert sum(Decimal(r["taxable"]) for r in rows.values()) == Decimal(taxable)
    assert sum(Decimal(r["net_tax"]) for r in rows.values()) == Decimal(tax)


def _rows_and_ledger(client, container) -> tuple[dict, tuple[Decimal, Decimal]]:
    rows = {r["rate_percent"]: r for r in report(client, legal_entity="acme")}
    e = tax_entries.c
    with container.engine.connect() as conn:
        taxable, tax = conn.execute(select(func.sum(e.taxable_amount),
                                           func.sum(e.tax_amount))).one()
    return rows, (Decimal(taxable), Decimal(tax))


def test_a_goodwill_larger_than_what_a_cancellation_leaves_leaves_no_tax_without_a_taxable_amount(
        client, container):
    shop(client, {"TEE": {"ber": 10}})
    make_product(client, "BOOK", tax_class="reduced")
    add_stock(client, "BOOK", "ber", 10)
    seller(client, "acme", "web")
    order = place(client, [("TEE", 2, "20.00"), ("BOOK", 1, "10.00")])
    ok(client.post(f"/api/v1/orders/{order['id']}/refunds",
                   json={"amount": "45.00", "reason": "goodwill"}), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel",
                   json={"lines": [{"line_no": 2, "quantity": 1}]}))
    rows, (taxable, tax) = _rows_and_ledger(client, container)
    # 50.00 paid, 50.00 given back: nothing is left sold at any rate
    assert {(r["taxable"], r["net_tax"]) for r in rows.values()} == {("0.00", "0.00")}
    assert (taxable, tax) == (Decimal(0), Decimal(0))
    payments = ok(client.get(f"/api/v1/orders/{order['id']}/payments"))["summary"]
    assert payments["refunded"]["amount"] == payments["captured"]["amount"] == "50.00"


def test_a_cancellation_after_goodwill_shares_the_shortfall_across_the_other_rates_by_size(
        client, container):
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 10}})
    make_product(client, "BOOK", tax_class="reduced")
    add_stock(client, "BOOK", "ber", 10)
    seller(client, "acme", "web")
    order = place(client, [("TEE", 2, "20.00"), ("BOOK", 1, "10.00")])
    ok(client.post(f"/api/v1/orders/{order['id']}/refunds",
                   json={"amount": "15.00", "reason": "goodwill"}), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel",
                   json={"lines": [{"line_no": 2, "quantity": 1}]}))
    rows, (taxable, tax) = _rows_and_ledger(client, container)
    for row in rows.values():  # tax only with a taxable amount, never below zero
        assert Decimal(row["taxable"]) >= 0 and Decimal(row["net_tax"]) >= 0
        assert Decimal(row["net_tax"]) == 0 or Decimal(row["taxable"]) > 0
    assert sum(Decimal(r["taxable"]) for r in rows.values()) == taxable
    assert sum(Decimal(r["net_tax"]) for r in rows.values()) == tax
    # 40.00 of TEE is left, less 15.00 of goodwill: 25.00 gross, all of it at 19 %
    assert taxable + tax == Decimal("25.00")
    assert (rows["7"]["taxable"], rows["7"]["net_tax"]) == ("0.00", "0.00")
