"""Capture the examples of docs/order-money.md: an order's money from price to refund.

Like ``capture_examples.py`` (whose ``Recorder`` it uses): a fresh SQLite database, the
app as the server builds it, every exchange printed as Markdown. The clock is fixed and
moved forward between the steps (placed on 2026-11-26, shipped on the 27th, refunded on
the 30th), so tax points, invoice dates and the November tax report are the same on
every run; only ids differ.

The walk-through is what a merchant or integrator does: a legal entity, channels with
money settings, products with stock, a price list; an order to Germany priced from the
list, with a line discount, an order discount and shipping; a card payment captured at
once; edits (more units and a new line, then a new address in France) with the money
they settle and the invoices and credit notes that correct the order's invoice; a
partial cancellation; a shipment; refunds of units and shipping, then of a goodwill
amount; the refunds, invoices and credit notes and tax report that result; a B2B order
with EU reverse charge on a channel that captures and invoices per shipment (its units
not yet shipped cancelled after the first parcel); and the refusals (with an export
outside the EU, which is not refused but zero-rated). Finally one event of each type
these features record.

Every response is checked (``expect`` and the asserts): the script stops with an
AssertionError when the app answers differently from what docs/order-money.md says.
Long responses are abridged (``keep``), and say so.

    .venv/bin/python scripts/capture_money_examples.py > /tmp/money-examples.md
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

sys.path.insert(0, str(Path(__file__).parent))
from capture_examples import ADMIN_KEY, Recorder

from ordermesh.app import create_app
from ordermesh.bootstrap import build_container
from ordermesh.kit.clock import FixedClock
from ordermesh.migrations import upgrade
from ordermesh.settings import Settings
from ordermesh.tax.tables import tax_entries

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
BERLIN = {"name": "Erika Mustermann", "line1": "Friedrichstraße 43", "city": "Berlin",
          "postal_code": "10117", "country": "DE"}
PARIS = {"name": "Erika Mustermann", "line1": "12 rue de Rivoli", "city": "Paris",
         "postal_code": "75004", "country": "FR"}
LYON = {"name": "Société Exemple SA", "line1": "5 place Bellecour", "city": "Lyon",
        "postal_code": "69002", "country": "FR"}
# Event types shown at the end: those of orders, channels, prices, tax, payments, invoices.
EVENT_PREFIXES = ("order.", "channel.", "price", "tax.", "payment.", "refund.", "invoice",
                  "credit_note.", "legal_entity.")


class _Spy:
    """The test client, remembering the last response so that its status can be checked."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.last: Any = None

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self.last = self.client.request(*args, **kwargs)
        return self.last


def _abridged(data: dict, keep: list[str] | None, lines: list[int] | None,
              items: list[str] | None) -> dict:
    out = {k: data[k] for k in keep} if keep is not None else dict(data)
    if lines is not None and "lines" in out:
        out["lines"] = [ln for ln in out["lines"] if ln["line_no"] in lines]
    if items is not None:
        out["items"] = [{k: item[k] for k in items} for item in out["items"]]
    return out


class Checked(Recorder):
    """A Recorder that checks each status and can abridge what it prints."""

    def __init__(self, client: TestClient) -> None:
        self.spy = _Spy(client)
        super().__init__(self.spy)  # type: ignore[arg-type]
        self.http = client

    def call(self, label: str, method: str, path: str, *, expect: int = 200,
             keep: list[str] | None = None, lines: list[int] | None = None,
             items: list[str] | None = None, auth: str = "<operator key>",
             **kwargs: Any) -> Any:
        """Sent with the operator key unless ``auth`` says otherwise."""
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            data = super().call(label, method, path, auth=auth, **kwargs)
        text = printed.getvalue()
        status = self.spy.last.status_code
        assert status == expect, f"{label}: {status} != {expect}\n{self.spy.last.text}"
        if keep is not None or items is not None:
            full = json.dumps(data, indent=2, ensure_ascii=False)
            short = json.dumps(_abridged(data, keep, lines, items), indent=2,
                               ensure_ascii=False)
            head, found, tail = text.rpartition(full)
            assert found, label
            parts = []
            if keep is not None:
                parts.append("the response body is shown with "
                             + ", ".join(f"`{k}`" for k in keep) + " only")
            if lines is not None:
                parts.append(f"`lines` with line {', '.join(map(str, lines))} only")
            if items is not None:
                parts.append("each of the `items` is shown with "
                             + ", ".join(f"`{k}`" for k in items) + " only")
            note = f"\n(Abridged: {', and '.join(parts)}; the real one has all the other " \
                "fields too.)\n"
            text = head + short + tail + note
        print(text, end="")
        return data

    def quiet(self, method: str, path: str, body: dict | None = None,
              expect: int | None = None) -> dict:
        response = self.http.request(method, path, json=body,
                                     headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        assert response.status_code < 300 if expect is None else \
            response.status_code == expect, response.text
        return response.json() if response.content else {}


def amount(value: Any) -> Decimal:
    return Decimal(value["amount"] if isinstance(value, dict) else value)


def check_totals(order: dict) -> None:
    """The invariants the page states: totals are plain sums of their lines."""
    lines, t, tax = order["lines"], order["totals"], order["tax"]
    shipping_gross = amount(t["shipping"]) + (
        0 if tax["pricing_mode"] == "inclusive" else amount(tax["shipping_tax"]))
    assert amount(t["total"]) == sum(amount(ln["gross"]) for ln in lines) + shipping_gross
    assert amount(t["tax"]) == sum(amount(ln["tax"]) for ln in lines) + amount(
        tax["shipping_tax"])
    assert amount(t["tax"]) == sum(Decimal(c["tax"]) for c in tax["breakdown"])
    assert amount(t["discount"]) == sum(amount(ln["discount"]) for ln in lines)
    assert amount(t["subtotal"]) == sum(amount(ln["line_total"]) for ln in lines)
    for ln in lines:
        assert amount(ln["net"]) + amount(ln["tax"]) == amount(ln["gross"])
        assert amount(ln["tax"]) == sum(Decimal(c["tax"]) for c in ln["tax_components"])
        if tax["pricing_mode"] == "inclusive":
            assert amount(ln["gross"]) == amount(ln["line_total"]) - amount(ln["discount"])
        else:
            assert amount(ln["net"]) == amount(ln["line_total"]) - amount(ln["discount"])


def check_money(r: Checked, engine: Engine, order_id: str) -> None:
    """The invariants the page lists, read through the API (and the tax ledger)."""
    order = r.quiet("GET", f"/api/v1/orders/{order_id}")
    paid = r.quiet("GET", f"/api/v1/orders/{order_id}/payments")["summary"]
    refunds = r.quiet("GET", f"/api/v1/orders/{order_id}/refunds")["items"]
    check_totals(order)
    captured, refunded = amount(paid["captured"]), amount(paid["refunded"])
    assert 0 <= refunded <= captured <= amount(paid["authorised"])
    total, after_sale = amount(order["totals"]["total"]), amount(order["totals"]["refunded"])
    assert captured - refunded <= total - after_sale and 0 <= after_sale <= total
    assert sum(amount(x["amount"]) for x in refunds) == refunded
    for ln in order["lines"]:
        assert amount(ln["refunded"]) <= amount(ln["gross"])
        assert ln["refunded_quantity"] <= ln["open_quantity"]
    with engine.connect() as conn:
        booked = conn.execute(select(func.coalesce(func.sum(tax_entries.c.tax_amount), 0))
                              .where(tax_entries.c.order_id == order["id"])).scalar_one()
    refunded_tax = sum(amount(x["tax"]) for x in refunds if x["kind"] == "refund")
    assert Decimal(booked) == amount(order["totals"]["tax"]) - refunded_tax
    documents = r.quiet("GET", f"/api/v1/invoices?order_id={order_id}")["items"]
    if all(ln["shipped_quantity"] == ln["open_quantity"] for ln in order["lines"]):
        # invoiced in full (at the order, or every unit shipped): the documents agree
        balance = sum(Decimal(d["gross"]) * (1 if d["kind"] == "invoice" else -1)
                      for d in documents)
        assert balance == total - after_sale, (balance, total, after_sale)


def setup(r: Checked) -> None:
    print("\n## Setup\n")
    r.call("Create a legal entity", "POST", "/api/v1/legal-entities", expect=201,
           idem="le-acme-1", auth="<admin key>",
           body={"code": "ACME", "name": "ACME Handels GmbH",
                 "address": {"lines": ["Friedrichstraße 1"], "postal_code": "10117",
                             "city": "Berlin", "country": "DE"},
                 "vat_id": "DE136695976", "email": "billing@acme.example",
                 "locale": "de_DE"}, keep=["id", "code", "country", "vat_id", "series"])
    web = r.call("Create a channel with money settings", "POST", "/api/v1/channels",
                 expect=201, idem="chn-web-eu-1",
                 body={"code": "web-eu", "name": "Web shop (EU)", "kind": "web",
                       "currency": "EUR", "pricing_mode": "inclusive",
                       "capture_policy": "order", "tax_point": "order",
                       "legal_entity": "ACME"})
    assert web["legal_entity_id"] and web["tax_point"] == "order"
    b2b = r.call("A channel with the defaults but net prices", "POST", "/api/v1/channels",
                 expect=201,
                 body={"code": "b2b-eu", "name": "Wholesale (EU)", "kind": "b2b",
                       "currency": "EUR", "pricing_mode": "exclusive",
                       "legal_entity": "ACME"})
    assert (b2b["capture_policy"], b2b["tax_point"]) == ("order", "order")
    changed = r.call("Capture and invoice per shipment instead", "PATCH",
                     f"/api/v1/channels/{b2b['id']}", auth="<admin key>",
                     body={"capture_policy": "shipment", "tax_point": "shipment"})
    assert (changed["capture_policy"], changed["tax_point"]) == ("shipment", "shipment")
    assert changed["pricing_mode"] == "exclusive" and changed["legal_entity_id"]
    r.call("An unknown legal entity", "PATCH", f"/api/v1/channels/{b2b['id']}", expect=422,
           auth="<admin key>", body={"legal_entity": "NOPE"})
    r.call("An operator may not change money settings", "PATCH",
           f"/api/v1/channels/{b2b['id']}", expect=403,
           body={"pricing_mode": "inclusive"})
    r.quiet("POST", "/api/v1/locations", {
        "code": "ber-1", "name": "Berlin warehouse", "kind": "warehouse",
        "address": {"line1": "Am Borsigturm 100", "city": "Berlin", "country": "DE"}})
    for sku, name, tax_class in (("TSHIRT-BLK-M", "T-shirt, black, M", "standard"),
                                 ("BOOK-OMS", "Book: Selling everywhere", "reduced"),
                                 ("MUG-WHT", "Mug, white, 330 ml", "standard")):
        r.quiet("POST", "/api/v1/products", {"sku": sku, "name": name, "tax_class": tax_class})
        r.quiet("POST", "/api/v1/inventory/adjustments",
                {"sku": sku, "location": "ber-1", "quantity_delta": 100, "reason": "received"})
    print("\n(Not shown: a location `ber-1` and three products with 100 units each there: "
          "`TSHIRT-BLK-M` and `MUG-WHT` in tax class `standard`, `BOOK-OMS` in "
          "`reduced`.)")
    r.call("A price list for the web shop", "POST", "/api/v1/price-lists", expect=201,
           body={"code": "web-eu-base", "name": "Web shop EU, everyday prices",
                 "channel": "web-eu"}, keep=["code", "channel", "currency", "valid_from",
                                             "valid_to", "priority"])
    r.call("Its prices", "PUT", "/api/v1/price-lists/web-eu-base/prices",
           body={"prices": [{"sku": "TSHIRT-BLK-M", "amount": "19.99"},
                            {"sku": "BOOK-OMS", "amount": "24.00"},
                            {"sku": "MUG-WHT", "amount": "12.50"}]})
    r.quiet("POST", "/api/v1/price-lists",
            {"code": "b2b-eu-net", "name": "Wholesale net prices", "channel": "b2b-eu"})
    r.quiet("PUT", "/api/v1/price-lists/b2b-eu-net/prices",
            {"prices": [{"sku": "TSHIRT-BLK-M", "amount": "8.40"},
                        {"sku": "MUG-WHT", "amount": "5.10"}]})
    print("\n(Not shown: a price list `b2b-eu-net` for `b2b-eu` with net prices 8.40 for "
          "`TSHIRT-BLK-M` and 5.10 for `MUG-WHT`.)")


def place(r: Checked, clock: FixedClock) -> dict:
    print("\n## Placing\n")
    clock.set(NOW)
    order = r.call("Place an order to Germany", "POST", "/api/v1/orders", expect=201,
                   idem="web-100300",
                   body={"channel": "web-eu", "external_id": "WEB-100300",
                         "customer": {"email": "erika@example.com",
                                      "name": "Erika Mustermann"},
                         "shipping_address": BERLIN,
                         "lines": [
                             {"sku": "TSHIRT-BLK-M", "quantity": 2, "discount": "4.00",
                              "discount_reason": "bundle"},
                             {"sku": "BOOK-OMS", "quantity": 1, "unit_price": "22.00"}],
                         "discount": "2.50", "discount_reason": "welcome voucher",
                         "shipping_price": "4.90"},
                   keep=["id", "number", "status", "totals", "version", "discount_reason",
                         "lines"], lines=[2])
    check_totals(order)
    tee, book = order["lines"]
    assert amount(tee["unit_price"]) == amount(tee["list_price"]) == Decimal("19.99")
    assert amount(book["price_difference"]) == Decimal("-2.00")
    assert amount(order["totals"]["discount"]) == Decimal("6.50")
    assert amount(tee["discount"]) + amount(book["discount"]) == Decimal("6.50")
    assert order["tax"]["country"] == "DE" and not order["tax"]["reverse_charge"]
    r.call("Read it: the tax block and the first line", "GET",
           f"/api/v1/orders/{order['number']}", keep=["number", "tax", "lines"], lines=[1])
    return order


def pay_and_edit(r: Checked, clock: FixedClock, order: dict) -> dict:
    oid = order["id"]
    print("\n## Paying\n")
    clock.set(NOW + timedelta(minutes=1))
    payment = r.call("Authorise and capture with the test gateway", "POST",
                     f"/api/v1/orders/{oid}/payments", expect=201, idem="pay-web-100300",
                     body={"provider": "test", "source": "4242424242424242",
                           "capture": True},
                     keep=["id", "status", "card", "authorised", "captured"])
    assert amount(payment["captured"]) == amount(order["totals"]["total"])

    print("\n## Editing\n")
    clock.set(NOW + timedelta(hours=1))
    grown = r.call("A second book and a mug", "POST", f"/api/v1/orders/{oid}/edits",
                   idem="edit-web-100300-1",
                   body={"edits": [{"op": "set_quantity", "line_no": 2, "quantity": 2},
                                   {"op": "add_line", "sku": "MUG-WHT", "quantity": 1}],
                         "reason": "customer called"},
                   keep=["version", "totals", "lines"], lines=[2, 3])
    check_totals(grown)
    assert grown["version"] == 2
    assert amount(grown["lines"][2]["discount"]) == 0  # added lines share no discount
    # the book's discount (its share of the voucher) grows with its quantity
    assert amount(grown["lines"][1]["discount"]) == 2 * amount(order["lines"][1]["discount"])
    clock.set(NOW + timedelta(hours=1, minutes=5))
    moved = r.call("Ship to Paris instead: re-taxed", "POST", f"/api/v1/orders/{oid}/edits",
                   body={"edits": [{"op": "set_shipping_address", "address": PARIS}],
                         "reason": "moving house"},
                   keep=["version", "totals", "tax"])
    check_totals(moved)
    assert moved["tax"]["country"] == "FR" and moved["version"] == 3
    assert moved["totals"]["total"] == grown["totals"]["total"]  # prices include tax
    clock.set(NOW + timedelta(hours=2))
    cut = r.call("Cancel the mug: the difference is refunded", "POST",
                 f"/api/v1/orders/{oid}/cancel",
                 body={"lines": [{"line_no": 3, "quantity": 1}], "reason": "out of budget"},
                 keep=["status", "version", "totals"])
    check_totals(cut)
    assert cut["version"] == 4  # a partial cancellation is a version too
    versions = r.call("Its versions", "GET", f"/api/v1/orders/{oid}/versions",
                      items=["version", "changes", "lines", "total", "tax", "settlement",
                             "reason", "created_at"])
    assert [v["version"] for v in versions["items"]] == [1, 2, 3, 4]
    settlements = [v["settlement"] for v in versions["items"]]
    assert settlements[0] is None
    assert amount(settlements[1]["authorised"]) == amount(settlements[1]["captured"]) > 0
    assert all(amount(v) == 0 for v in settlements[2].values())
    assert versions["items"][3]["changes"] == [{"op": "cancel", "line_no": 3, "quantity": 1}]
    assert amount(settlements[3]["refunded"]) == amount(grown["lines"][2]["gross"])
    summary = r.call("The order's payments", "GET", f"/api/v1/orders/{oid}/payments",
                     keep=["summary"])["summary"]
    assert amount(summary["captured"]) - amount(summary["refunded"]) == amount(
        cut["totals"]["total"])
    return cut


def ship_and_refund(r: Checked, clock: FixedClock, order: dict) -> None:
    oid = order["id"]
    print("\n## Shipping\n")
    clock.set(NOW + timedelta(days=1))
    shipment = r.call("Ship the two T-shirts", "POST", f"/api/v1/orders/{oid}/shipments",
                      expect=201,
                      body={"lines": [{"line_no": 1, "quantity": 2}],
                            "carrier": "dhl", "tracking_number": "00340434161094042557"})
    tee = order["lines"][0]
    assert amount(shipment["value"]) == amount(tee["gross"]) + amount(
        order["totals"]["shipping"])
    assert amount(shipment["captured"]) == 0  # the channel captured at order
    after = r.call("The order is partially shipped", "GET", f"/api/v1/orders/{oid}",
                   keep=["status", "history"])
    assert after["status"] == "partially_shipped"
    assert [h["to_status"] for h in after["history"]][-2:] == ["processing",
                                                              "partially_shipped"]
    assert after["lines"][0]["shipped_quantity"] == 2
    assert after["lines"][0]["allocations"] == []  # the shipped units are no longer held
    stock = r.call("The two T-shirts left the warehouse's stock", "GET",
                   "/api/v1/inventory/TSHIRT-BLK-M", keep=["sku", "totals"])
    assert stock["totals"] == {"on_hand": 98, "reserved": 0, "available": 98}, stock

    print("\n## Refunding\n")
    clock.set(NOW + timedelta(days=4))
    first = r.call("A T-shirt back and the shipping", "POST",
                   f"/api/v1/orders/{oid}/refunds", expect=201, idem="rfd-web-100300-1",
                   body={"lines": [{"line_no": 1, "quantity": 1}], "shipping": "4.90",
                         "reason": "T-shirt too small, late delivery"})
    assert amount(first["amount"]) == sum(amount(p["amount"]) for p in first["lines"])
    assert amount(first["tax"]) == sum(amount(p["tax"]) for p in first["lines"])
    second = r.call("The second T-shirt back", "POST", f"/api/v1/orders/{oid}/refunds",
                    expect=201,
                    body={"lines": [{"line_no": 1, "quantity": 1}], "reason": "too small"})
    units = [amount(first["lines"][0]["amount"]), amount(second["amount"])]
    assert sum(units) == amount(tee["gross"]) and len(set(units)) == 2, units
    goodwill = r.call("A goodwill amount: its tax from what is still paid for", "POST",
                      f"/api/v1/orders/{oid}/refunds", expect=201,
                      body={"amount": "5.00", "reason": "late delivery"})
    # the T-shirts and the shipping (20 %) are refunded in full: only the books' 5.5 % is left
    book = order["lines"][1]
    assert amount(goodwill["tax"]) == (Decimal("5.00") * amount(book["tax"])
                                       / amount(book["gross"])).quantize(Decimal("0.01"))
    r.call("The refunds of the order", "GET", f"/api/v1/orders/{oid}/refunds")
    final = r.call("The order after the refunds", "GET", f"/api/v1/orders/{oid}",
                   keep=["status", "totals", "lines"], lines=[1])
    check_totals(final)
    assert amount(final["lines"][0]["refunded"]) == amount(tee["gross"])
    invoices = r.call("Its invoices and credit notes", "GET",
                      f"/api/v1/invoices?order_id={oid}",
                      items=["id", "number", "kind", "corrects_number", "issued_at", "net",
                             "tax", "gross"])
    documents = sorted(invoices["items"], key=lambda d: (d["issued_at"], d["number"]))
    kinds = [i["kind"] for i in documents]
    assert kinds == ["invoice", "credit_note", "invoice", "credit_note", "credit_note",
                     "invoice", "credit_note", "credit_note", "credit_note",
                     "credit_note"], kinds
    balance = sum(Decimal(d["gross"]) * (1 if d["kind"] == "invoice" else -1)
                  for d in documents)
    assert balance == amount(final["totals"]["total"]) - amount(final["totals"]["refunded"])
    moved = next(d for d in documents if d["number"] == "ACME-CN-000002")  # the move's
    correction = r.call("The move's correction of the first invoice", "GET",
                        f"/api/v1/invoices/{moved['id']}",
                        keep=["number", "kind", "corrects_number", "reference", "tax_point",
                              "lines", "tax_breakdown", "net", "tax", "gross", "note"])
    assert correction["reference"] == f"{oid}:v3:credit"
    assert all(b["jurisdiction"] == "DE" for b in correction["tax_breakdown"])


def b2b(r: Checked, clock: FixedClock) -> dict:
    print("\n## Reverse charge, capture and invoices per shipment\n")
    clock.set(NOW + timedelta(days=1, hours=2))
    order = r.call("A French business buys from the German seller", "POST",
                   "/api/v1/orders", expect=201,
                   body={"channel": "b2b-eu", "external_id": "PO-2026-118",
                         "customer": {"email": "achats@exemple.fr",
                                      "name": "Société Exemple SA"},
                         "shipping_address": LYON, "buyer_vat_id": "FR 40 303 265 045",
                         "lines": [{"sku": "TSHIRT-BLK-M", "quantity": 40},
                                   {"sku": "MUG-WHT", "quantity": 24}],
                         "shipping_price": "35.00"},
                   keep=["number", "totals", "tax", "lines"], lines=[1])
    check_totals(order)
    assert order["tax"]["reverse_charge"] and amount(order["totals"]["tax"]) == 0
    assert order["tax"]["buyer_vat_id"] == "FR40303265045"
    oid = order["id"]
    r.call("Authorise only", "POST", f"/api/v1/orders/{oid}/payments", expect=201,
           body={"provider": "test", "source": "5555555555554444"},
           keep=["id", "status", "authorised", "captured", "capturable"])
    first = r.call("The first parcel is captured and invoiced", "POST",
                   f"/api/v1/orders/{oid}/shipments", expect=201,
                   body={"lines": [{"line_no": 1, "quantity": 40}], "carrier": "ups",
                         "tracking_number": "1Z999AA10123456784"})
    assert amount(first["captured"]) == amount(first["value"]) == Decimal("371.00")
    cancelled = r.call("The units not yet shipped of a partially shipped order are "
                       "cancelled: four mugs fewer, partly voided", "POST",
                       f"/api/v1/orders/{oid}/cancel",
                       body={"lines": [{"line_no": 2, "quantity": 4}],
                             "reason": "customer reduced the order"},
                       keep=["status", "version", "totals", "lines"], lines=[2])
    assert cancelled["status"] == "partially_shipped" and cancelled["version"] == 2
    mugs = cancelled["lines"][1]
    assert (mugs["cancelled_quantity"], mugs["open_quantity"]) == (4, 20), mugs
    versions = r.quiet("GET", f"/api/v1/orders/{oid}/versions")["items"]
    assert versions[-1]["changes"] == [{"op": "cancel", "line_no": 2, "quantity": 4}]
    assert versions[-1]["settlement"]["voided"] == "20.40", versions[-1]
    second = r.call("The second parcel", "POST", f"/api/v1/orders/{oid}/shipments",
                    expect=201, body={"lines": [{"line_no": 2, "quantity": 20}],
                                      "carrier": "ups"})
    assert amount(second["captured"]) == Decimal("102.00")
    summary = r.call("Everything shipped is captured, the rest voided", "GET",
                     f"/api/v1/orders/{oid}/payments", keep=["summary"])["summary"]
    assert amount(summary["captured"]) == amount(cancelled["totals"]["total"])
    assert amount(summary["voided"]) == Decimal("20.40")
    r.call("Its shipments", "GET", f"/api/v1/orders/{oid}/shipments")
    invoices = r.call("One invoice per shipment", "GET", f"/api/v1/invoices?order_id={oid}")
    assert len(invoices["items"]) == 2 and all(i["reverse_charge"] for i in invoices["items"])
    r.call("The first shipment's invoice", "GET",
           f"/api/v1/invoices/{invoices['items'][-1]['id']}",
           keep=["number", "reference", "tax_point", "buyer", "lines", "tax_breakdown",
                 "net", "tax", "gross", "reverse_charge"])
    return order


def report(r: Checked, clock: FixedClock) -> None:
    print("\n## Tax report\n")
    clock.set(NOW + timedelta(days=5))
    r.call("November", "GET", "/api/v1/tax/report?from=2026-11-01&to=2026-11-30")


def refusals(r: Checked, order: dict, b2b_order: dict) -> set[str]:
    """Returns the ids of the orders it places to be refused (their events are not shown)."""
    print("\n## Refusals\n")
    oid = order["id"]
    r.call("Refund more than is left", "POST", f"/api/v1/orders/{oid}/refunds", expect=422,
           body={"amount": "500.00", "reason": "goodwill"})
    r.call("Refund more units than are left", "POST", f"/api/v1/orders/{oid}/refunds",
           expect=422, body={"lines": [{"line_no": 1, "quantity": 1}], "reason": "again"})
    r.call("Refund more shipping than was charged", "POST",
           f"/api/v1/orders/{b2b_order['id']}/refunds", expect=422,
           body={"shipping": "40.00", "reason": "late"})
    r.call("Edit a shipped line", "POST", f"/api/v1/orders/{oid}/edits", expect=422,
           body={"edits": [{"op": "set_quantity", "line_no": 1, "quantity": 3}]})
    r.call("Move a partly shipped order", "POST", f"/api/v1/orders/{oid}/edits", expect=422,
           body={"edits": [{"op": "set_shipping_address", "address": BERLIN}]})
    r.call("Edit a shipped order", "POST", f"/api/v1/orders/{b2b_order['id']}/edits",
           expect=409, body={"edits": [{"op": "add_line", "sku": "MUG-WHT", "quantity": 1}]})
    unshipped = r.quiet("POST", "/api/v1/orders", {
        "channel": "b2b-eu", "external_id": "PO-2026-119", "shipping_address": LYON,
        "buyer_vat_id": "FR40303265045", "lines": [{"sku": "MUG-WHT", "quantity": 12}]})
    r.quiet("POST", f"/api/v1/orders/{unshipped['id']}/payments",
            {"provider": "test", "source": "5555555555554444", "capture": True})
    print("\n(Not shown: a second order `PO-2026-119` on the wholesale channel, twelve mugs, "
          "paid and captured at once with `capture: true`, nothing shipped yet.)")
    refused = r.call("Refund units of an order that captures per shipment before they ship",
                     "POST", f"/api/v1/orders/{unshipped['id']}/refunds", expect=409,
                     body={"lines": [{"line_no": 1, "quantity": 2}], "reason": "two too many"})
    assert refused["code"] == "conflict" and refused["lines"] == [1], refused
    r.quiet("POST", f"/api/v1/orders/{unshipped['id']}/cancel",
            {"lines": [{"line_no": 1, "quantity": 2}], "reason": "two too many"})
    r.call("A discount bigger than its line", "POST", "/api/v1/orders", expect=422,
           body={"channel": "web-eu", "shipping_address": BERLIN,
                 "lines": [{"sku": "MUG-WHT", "quantity": 1, "discount": "15.00"}]})
    r.call("An order discount bigger than the lines", "POST", "/api/v1/orders", expect=422,
           body={"channel": "web-eu", "shipping_address": BERLIN, "discount": "30.00",
                 "lines": [{"sku": "MUG-WHT", "quantity": 2}]})
    export = r.call("Outside the EU: an export, zero-rated, not refused", "POST",
                    "/api/v1/orders", expect=201,
                    body={"channel": "web-eu",
                          "shipping_address": {**BERLIN, "city": "Kabul",
                                               "postal_code": "1001", "country": "AF"},
                          "lines": [{"sku": "MUG-WHT", "quantity": 1}]},
                    keep=["number", "status", "totals", "tax"])
    assert amount(export["totals"]["tax"]) == 0, export
    assert [c["reason_code"] for c in export["tax"]["breakdown"]] == ["export_outside_eu"]
    r.quiet("POST", f"/api/v1/orders/{export['id']}/cancel", {"reason": "example only"})
    print("\n(Not shown: that order cancelled again.)")
    r.call("A country that does not exist", "POST", "/api/v1/orders", expect=422,
           body={"channel": "web-eu", "shipping_address": {**BERLIN, "country": "XX"},
                 "lines": [{"sku": "MUG-WHT", "quantity": 1}]})
    r.call("A VAT id that is not one", "POST", "/api/v1/orders", expect=422,
           body={"channel": "b2b-eu", "shipping_address": LYON,
                 "buyer_vat_id": "FR40303265046",
                 "lines": [{"sku": "MUG-WHT", "quantity": 1}]})
    r.call("A SKU without a price", "POST", "/api/v1/orders", expect=422,
           body={"channel": "b2b-eu", "shipping_address": LYON,
                 "lines": [{"sku": "BOOK-OMS", "quantity": 1}]})
    returned = r.quiet("POST", "/api/v1/orders", {
        "channel": "web-eu", "shipping_address": BERLIN,
        "lines": [{"sku": "MUG-WHT", "quantity": 1}]})
    r.quiet("POST", f"/api/v1/orders/{returned['id']}/payments",
            {"provider": "test", "source": "4242424242424242"})
    r.quiet("POST", f"/api/v1/orders/{returned['id']}/refunds",
            {"lines": [{"line_no": 1, "quantity": 1}], "reason": "not wanted after all"})
    print("\n(Not shown: a web shop order of one mug, paid, and the mug refunded before it "
          "shipped.)")
    nothing = r.call("Cancel an order with nothing left to cancel", "POST",
                     f"/api/v1/orders/{returned['id']}/cancel", expect=409,
                     body={"reason": "customer asked"})
    assert nothing["code"] == "illegal-transition", nothing
    assert nothing["current_status"] == "confirmed", nothing
    return {unshipped["id"], returned["id"], export["id"]}


def more_events(r: Checked) -> None:
    """Changes whose events the walk-through did not make, quietly."""
    order = r.quiet("POST", "/api/v1/orders", {
        "channel": "web-eu", "shipping_address": BERLIN,
        "lines": [{"sku": "MUG-WHT", "quantity": 1}]})
    r.quiet("POST", f"/api/v1/orders/{order['id']}/payments",
            {"provider": "test", "source": "4000000000000002"}, expect=402)
    r.quiet("POST", f"/api/v1/orders/{order['id']}/payments",
            {"provider": "test", "source": "4000000000003220"}, expect=202)
    r.quiet("POST", f"/api/v1/orders/{order['id']}/cancel", {"reason": "fraud check failed"})
    r.quiet("PATCH", "/api/v1/price-lists/web-eu-base", {"priority": 10})
    r.quiet("DELETE", "/api/v1/price-lists/web-eu-base/prices/BOOK-OMS")
    r.quiet("POST", "/api/v1/tax/rates", {
        "country": "DE", "tax_class": "reduced", "name": "VAT", "rate_percent": "5",
        "valid_from": "2027-01-01", "source": "example: not a real change"})
    r.quiet("PATCH", "/api/v1/legal-entities/ACME", {"email": "invoices@acme.example"})
    r.quiet("POST", "/api/v1/legal-entities/ACME/series",
            {"kind": "invoice", "prefix": "ACME-2027-INV-"})


def events(r: Checked, ignored: set[str]) -> None:
    """One event of each type, none of the orders ``ignored``."""
    print("\n## Events\n")
    seen: dict[str, dict] = {}
    position = 0
    while True:
        page = r.quiet("GET", f"/api/v1/events?after={position}&limit=1000")
        for event in page["items"]:
            kind, payload = event["type"], event["payload"]
            if {event["aggregate_id"], payload.get("order_id")} & ignored:
                continue
            if kind == "tax.booked":  # the first cancellation's booking
                if kind not in seen and payload["documents"][0].startswith("cancellation:"):
                    seen[kind] = event
            elif kind == "credit_note.issued":  # the first correction of an edit
                if kind not in seen and payload["reference"].endswith(":credit"):
                    seen[kind] = event
            elif kind == "invoice.issued":  # the last invoice of a shipment
                if payload["reference"].startswith("shp_"):
                    seen[kind] = event
            elif kind.startswith(EVENT_PREFIXES):
                seen[kind] = event  # the last of each type
        if page["next_after"] == position:
            break
        position = page["next_after"]
    for kind in sorted(seen):
        print(f"\n### {kind}\n\n```json")
        print(json.dumps(seen[kind], indent=2, ensure_ascii=False))
        print("```")


def main() -> int:
    url = f"sqlite:///{tempfile.mkdtemp(prefix='ordermesh-money-')}/ordermesh.db"
    upgrade(url)
    clock = FixedClock(NOW - timedelta(hours=1))
    container = build_container(Settings(database_url=url, admin_api_key=ADMIN_KEY), clock)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        r = Checked(client)
        operator = r.quiet("POST", "/api/v1/api-keys", {"name": "shop-sync", "role": "operator"})
        r.key("<operator key>", operator["key"])
        print("# Captured examples of docs/order-money.md")
        setup(r)
        order = place(r, clock)
        order = pay_and_edit(r, clock, order)
        ship_and_refund(r, clock, order)
        b2b_order = b2b(r, clock)
        for checked in (order, b2b_order):
            check_money(r, container.engine, checked["id"])
        report(r, clock)
        refused = refusals(r, order, b2b_order)
        more_events(r)
        events(r, refused)
    print(f"\n(database kept at {url})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
