"""Order money at its edges: each test is a case a review of the money change found
broken (pending payments, reverse charge, refunds before cancellations, per-shipment
invoicing, edits beyond the ceiling, rounding), kept so it stays fixed."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from ordermesh.orders.tables import orders
from ordermesh.tax.tables import tax_entries
from tests.helpers import add_stock, make_product, ok, order_body, shop, stock_of

BERLIN = {"name": "Ada", "line1": "Main St 1", "city": "Berlin", "country": "DE"}
PARIS = {"name": "Bea SARL", "line1": "Rue 1", "city": "Paris", "country": "FR"}
VANCOUVER = {"name": "Cy", "line1": "1 Main St", "city": "Vancouver", "region": "BC",
             "country": "CA"}
CARD = "4242424242424242"
FR_VAT = "FR40303265045"  # check digits are right


# ----------------------------------------------------------------------------- helpers


def D(value) -> Decimal:
    return Decimal(value["amount"] if isinstance(value, dict) else value)


def channel_of(client, code: str = "web") -> dict:
    return next(c for c in ok(client.get("/api/v1/channels"))["items"] if c["code"] == code)


def configure(client, code: str = "web", **settings) -> None:
    ok(client.patch(f"/api/v1/channels/{channel_of(client, code)['id']}", json=settings))


def seller(client, code: str = "acme-de") -> dict:
    return ok(client.post("/api/v1/legal-entities", json={
        "code": code, "name": "Acme GmbH", "locale": "de_DE", "vat_id": "DE136695976",
        "address": {"lines": ["Friedrichstr. 1"], "postal_code": "10117", "city": "Berlin",
                    "country": "DE"}}), 201)


def place(client, lines, address=BERLIN, **extra) -> dict:
    if address is not None:
        extra["shipping_address"] = address
    return ok(client.post("/api/v1/orders", json=order_body(lines, **extra)), 201)


def pay(client, order: dict, capture: bool | None = True) -> dict:
    body = {"provider": "test", "source": CARD}
    if capture is not None:
        body["capture"] = capture
    return ok(client.post(f"/api/v1/orders/{order['id']}/payments", json=body), 201)


def order_of(client, order_id: str) -> dict:
    return ok(client.get(f"/api/v1/orders/{order_id}"))


def summary(client, order_id: str) -> dict:
    return ok(client.get(f"/api/v1/orders/{order_id}/payments"))["summary"]


def documents(client, order_id: str) -> list[dict]:
    return ok(client.get("/api/v1/invoices", params={"order_id": order_id}))["items"]


def invoiced_balance(client, order_id: str) -> Decimal:
    """Invoices less credit notes: what the documents say the customer owes."""
    return sum((D(d["gross"]) if d["kind"] == "invoice" else -D(d["gross"])
                for d in documents(client, order_id)), Decimal(0))


def ledger(container, order_id: str) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """(jurisdiction, name) -> (taxable, tax) booked in the tax ledger for one order."""
    e = tax_entries.c
    with container.engine.connect() as conn:
        rows = conn.execute(
            select(e.jurisdiction, e.name, func.sum(e.taxable_amount), func.sum(e.tax_amount))
            .where(e.order_id == order_id).group_by(e.jurisdiction, e.name)).all()
    return {(r[0], r[1]): (Decimal(r[2]), Decimal(r[3])) for r in rows}


def refund(client, order_id: str, **body):
    return client.post(f"/api/v1/orders/{order_id}/refunds", json={"reason": "review", **body})


def edit(client, order_id: str, *edits, headers=None):
    return client.post(f"/api/v1/orders/{order_id}/edits", json={"edits": list(edits)},
                       headers=headers or {})


def ship(client, order_id: str, line_no: int, quantity: int):
    return client.post(f"/api/v1/orders/{order_id}/shipments",
                       json={"lines": [{"line_no": line_no, "quantity": quantity}]})


# ----------------------------------------------- shipments under exclusive pricing


def test_per_shipment_capture_in_an_exclusive_channel_also_takes_the_shipping_tax(client):
    """shipments.py adds ``order.totals.shipping`` (the net, when prices exclude tax) to
    the first shipment: the shipping VAT is never captured."""
    shop(client, {"TEE": {"ber": 10}})
    configure(client, pricing_mode="exclusive", capture_policy="shipment")
    order = place(client, [("TEE", 1, "10.00")], shipping_price="5.00")
    assert D(order["totals"]["total"]) == Decimal("17.85")  # 11.90 + 5.95
    pay(client, order, capture=None)
    shipment = ok(ship(client, order["id"], 1, 1), 201)
    assert D(shipment["value"]) == Decimal("17.85")
    assert D(summary(client, order["id"])["captured"]) == Decimal("17.85")


# ------------------------------------------- reverse charge with tax-inclusive prices


def test_under_reverse_charge_with_inclusive_prices_shipping_is_what_was_charged(client):
    """With inclusive prices and reverse charge the buyer pays shipping without VAT
    (9.92 of 11.90), but the order's ``totals.shipping`` keeps 11.90: the order invoice
    (built from it) is 1.98 more than the order total, and 11.90 of shipping can be
    "refunded" although 9.92 was charged."""
    shop(client, {"TEE": {"ber": 10}})
    seller(client)
    configure(client, legal_entity="acme-de")
    order = place(client, [("TEE", 1, "120.00")], address=PARIS, buyer_vat_id=FR_VAT,
                  shipping_price="11.90")
    assert order["tax"]["reverse_charge"] is True
    [invoice] = documents(client, order["id"])
    assert D(invoice["gross"]) == D(order["totals"]["total"])  # 111.90 != 109.92
    lines_gross = sum(D(ln["gross"]) for ln in order["lines"])  # 100.00
    assert D(order["totals"]["total"]) == lines_gross + D(order["totals"]["shipping"])


def test_shipping_refund_under_reverse_charge_is_capped_at_the_shipping_charged(client):
    shop(client, {"TEE": {"ber": 10}})
    seller(client)
    configure(client, legal_entity="acme-de")
    order = place(client, [("TEE", 1, "120.00")], address=PARIS, buyer_vat_id=FR_VAT,
                  shipping_price="11.90")
    pay(client, order)
    charged_for_shipping = D(order["totals"]["total"]) - sum(
        D(ln["gross"]) for ln in order["lines"])
    # a reverse-charge order is priced exclusive of tax (order-money.md): the 11.90 sent is
    # what the buyer was charged for shipping, with no VAT on it
    assert charged_for_shipping == Decimal("11.90")
    response = refund(client, order["id"], shipping=str(charged_for_shipping + Decimal("0.01")))
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("shipping", "exceeds_refundable")
    assert f"{charged_for_shipping} EUR" in error["message"]
    assert D(order_of(client, order["id"])["totals"]["refunded"]) == 0
    assert ok(client.get(f"/api/v1/orders/{order['id']}/refunds"))["items"] == []
    done = ok(refund(client, order["id"], shipping=str(charged_for_shipping)), 201)
    assert (D(done["amount"]), D(done["tax"])) == (charged_for_shipping, 0)  # no VAT in it


# ------------------------------------------------------- discounts through edits


def test_growing_a_line_and_shrinking_it_back_leaves_its_price_as_it_was(client):
    """edits.py grows a line by raising ``quantity`` (not by un-cancelling), and the line
    discount is "for the whole ordered quantity": shrinking back then charges more."""
    shop(client, {"TEE": {"ber": 10}})
    order = ok(client.post("/api/v1/orders", json={
        "channel": "web", "shipping_address": BERLIN,
        "lines": [{"sku": "TEE", "quantity": 2, "unit_price": "10.00", "discount": "2.00"}]}),
        201)
    assert D(order["totals"]["total"]) == Decimal("18.00")
    pay(client, order)
    ok(edit(client, order["id"], {"op": "set_quantity", "line_no": 1, "quantity": 4}))
    back = ok(edit(client, order["id"], {"op": "set_quantity", "line_no": 1, "quantity": 2}))
    assert D(back["totals"]["total"]) == Decimal("18.00")
    s = summary(client, order["id"])
    assert D(s["captured"]) - D(s["refunded"]) == Decimal("18.00")


def test_cancelling_a_unit_and_ordering_it_again_costs_what_it_did(client):
    shop(client, {"TEE": {"ber": 10}})
    order = ok(client.post("/api/v1/orders", json={
        "channel": "web", "shipping_address": BERLIN,
        "lines": [{"sku": "TEE", "quantity": 2, "unit_price": "10.00", "discount": "2.00"}]}),
        201)
    pay(client, order)
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel",
                   json={"lines": [{"line_no": 1, "quantity": 1}]}))
    again = ok(edit(client, order["id"], {"op": "set_quantity", "line_no": 1, "quantity": 2}))
    assert D(again["totals"]["total"]) == Decimal("18.00")


# ---------------------------------------------------------------- the tax ledger


def test_goodwill_after_a_line_refund_never_gives_back_more_tax_than_was_charged(
        client, container):
    """refunds.py takes a goodwill refund's tax at the whole order's tax ratio, whatever
    was refunded before: after the 19 % line is refunded, a goodwill of what is left (the
    7 % line) carries 12.31 of tax where only 7.00 is left, and the order's 19 % VAT in
    the tax ledger goes negative."""
    shop(client, {"TEE": {"ber": 10}})
    make_product(client, "BOOK", tax_class="reduced")
    add_stock(client, "BOOK", "ber", 10)
    order = place(client, [("TEE", 1, "119.00"), ("BOOK", 1, "107.00")])
    assert D(order["totals"]["tax"]) == Decimal("26.00")
    pay(client, order)
    ok(refund(client, order["id"], lines=[{"line_no": 1, "quantity": 1}]), 201)
    ok(refund(client, order["id"], amount="107.00"), 201)
    refunds = ok(client.get(f"/api/v1/orders/{order['id']}/refunds"))["items"]
    assert sum(D(r["tax"]) for r in refunds) <= D(order["totals"]["tax"])
    booked = ledger(container, order["id"])
    assert all(tax >= 0 for _, tax in booked.values()), booked


def test_cancelling_after_a_goodwill_refund_leaves_no_negative_tax(client, container):
    """changes.py books the whole order's tax back on cancellation, but the goodwill
    refund already booked its share back: the order ends with -1.60 VAT in the ledger."""
    shop(client, {"TEE": {"ber": 10}})
    order = place(client, [("TEE", 1, "20.00")])
    pay(client, order)
    ok(refund(client, order["id"], amount="10.00"), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={}))
    assert D(summary(client, order["id"])["refunded"]) == Decimal("20.00")
    booked = ledger(container, order["id"])
    assert sum(tax for _, tax in booked.values()) == 0, booked


def test_cancelling_after_a_shipping_refund_leaves_no_negative_tax(client, container):
    shop(client, {"TEE": {"ber": 10}})
    order = place(client, [("TEE", 1, "20.00")], shipping_price="5.95")
    pay(client, order)
    ok(refund(client, order["id"], shipping="5.95"), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={}))
    booked = ledger(container, order["id"])
    assert sum(tax for _, tax in booked.values()) == 0, booked


def test_a_full_refund_takes_every_tax_component_back_to_zero_taxable(client, container):
    """invoicing.split_components shares a refund's net over the components by their
    taxable amounts, but with two taxes on one line (Canada GST + PST, India CGST + SGST)
    each component's taxable is the whole net: each gets half, and after refunding
    everything the ledger still shows half the sale as taxable for GST and for PST."""
    shop(client, {"TEE": {"ber": 10}}, currency="CAD")
    configure(client, pricing_mode="exclusive")
    order = place(client, [("TEE", 1, "100.00")], address=VANCOUVER)
    assert D(order["totals"]["total"]) == Decimal("112.00")
    pay(client, order)
    ok(refund(client, order["id"], lines=[{"line_no": 1, "quantity": 1}]), 201)
    booked = ledger(container, order["id"])
    assert booked == {("CA", "GST"): (0, 0), ("CA-BC", "PST"): (0, 0)}, booked


def test_refunding_a_zero_rated_line_takes_its_taxable_amount_back(client, container):
    """A refund whose tax is zero gets no components (split_components returns []), so
    nothing is booked: the tax report keeps the refunded zero-rated sale as taxable."""
    shop(client, {"TEE": {"ber": 10}})
    make_product(client, "BREAD", tax_class="zero")
    add_stock(client, "BREAD", "ber", 10)
    order = place(client, [("BREAD", 1, "10.00")])
    pay(client, order)
    ok(refund(client, order["id"], lines=[{"line_no": 1, "quantity": 1}]), 201)
    booked = ledger(container, order["id"])
    assert all(taxable == 0 for taxable, _ in booked.values()), booked


# -------------------------------------------- invoices after edits and cancellations


def test_cancelling_an_invoiced_order_issues_a_credit_note(client):
    """docs/invoices.md: documents are issued "when money is refunded or an edit lowers
    what the customer pays". A cancellation refunds everything and issues nothing: the
    invoice still says the customer owes 24.90."""
    shop(client, {"TEE": {"ber": 10}})
    seller(client)
    configure(client, legal_entity="acme-de")
    order = place(client, [("TEE", 2, "10.00")], shipping_price="4.90")
    pay(client, order)
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={}))
    assert D(summary(client, order["id"])["refunded"]) == Decimal("24.90")
    assert invoiced_balance(client, order["id"]) == 0


def test_an_edit_that_lowers_an_invoiced_order_issues_a_credit_note(client):
    shop(client, {"TEE": {"ber": 10}})
    seller(client)
    configure(client, legal_entity="acme-de")
    order = place(client, [("TEE", 3, "10.00")])
    pay(client, order)
    edited = ok(edit(client, order["id"], {"op": "set_quantity", "line_no": 1, "quantity": 1}))
    assert invoiced_balance(client, order["id"]) == D(edited["totals"]["total"])


def test_an_order_grown_by_an_edit_can_still_be_refunded_in_full(client):
    """After an edit raises an invoiced order from 10.00 to 35.00 no invoice covers the
    25.00 more: refunding the order in full is refused with 409 ("larger than what is
    left on any one invoice"), and the invoice disagrees with the order."""
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 5}})
    seller(client)
    configure(client, legal_entity="acme-de")
    order = place(client, [("TEE", 1, "10.00")])
    pay(client, order)
    edited = ok(edit(client, order["id"],
                     {"op": "set_quantity", "line_no": 1, "quantity": 3},
                     {"op": "add_line", "sku": "MUG", "quantity": 1, "unit_price": "5.00"}))
    assert D(summary(client, order["id"])["captured"]) == Decimal("35.00")
    response = refund(client, order["id"], lines=[{"line_no": 1, "quantity": 3},
                                                  {"line_no": 2, "quantity": 1}])
    assert response.status_code == 201, response.text
    assert invoiced_balance(client, order["id"]) == D(edited["totals"]["total"]) - Decimal(
        "35.00")


# ----------------------------------------- channel settings of orders already placed


def test_orders_placed_before_a_channel_starts_invoicing_per_shipment_can_still_ship(client):
    """channels/api.py promises "Orders already placed keep the settings they were placed
    with", but shipments.py reads the channel's current settings: an order placed without
    a legal entity cannot ship once the channel invoices per shipment (422: the invoice
    draft has no legal_entity_id)."""
    shop(client, {"TEE": {"ber": 10}})
    order = place(client, [("TEE", 1, "10.00")])
    pay(client, order)
    seller(client)
    configure(client, legal_entity="acme-de", tax_point="shipment")
    response = ship(client, order["id"], 1, 1)
    assert response.status_code == 201, response.text
    assert (D(response.json()["value"]), D(response.json()["captured"])) == (
        Decimal("10.00"), 0)  # captured when it was placed, as the channel said then
    assert order_of(client, order["id"])["status"] == "shipped"
    assert documents(client, order["id"]) == []  # placed without a seller: no invoice


def test_an_order_invoiced_when_placed_is_not_invoiced_again_when_it_ships(client):
    shop(client, {"TEE": {"ber": 10}})
    seller(client)
    configure(client, legal_entity="acme-de", tax_point="order")
    order = place(client, [("TEE", 1, "10.00")])
    pay(client, order)
    configure(client, tax_point="shipment")  # for orders from now on
    ok(ship(client, order["id"], 1, 1), 201)
    assert invoiced_balance(client, order["id"]) == D(order["totals"]["total"])


def test_an_order_placed_to_capture_per_shipment_is_captured_when_it_ships(client):
    shop(client, {"TEE": {"ber": 10}})
    configure(client, capture_policy="shipment")
    order = place(client, [("TEE", 1, "10.00")])
    pay(client, order, capture=None)
    assert D(summary(client, order["id"])["captured"]) == 0
    configure(client, capture_policy="order")  # for orders from now on
    ok(ship(client, order["id"], 1, 1), 201)
    assert D(summary(client, order["id"])["captured"]) == Decimal("10.00")


# ----------------------------------------------------------------- bad input, 500s


def test_an_edit_beyond_what_one_order_may_hold_is_a_clear_422(client):
    """place_order refuses totals of 10^12 and more; edit_order does not check, and a big
    enough edit overflows the NUMERIC(18, 4) / scaled-integer columns: a 500."""
    shop(client, {"GOLD": {"ber": 1000}})
    order = place(client, [("GOLD", 1, "999999999999.00")])
    response = edit(client, order["id"], {"op": "set_quantity", "line_no": 1, "quantity": 1000})
    assert response.status_code == 422, response.text
    assert order_of(client, order["id"])["lines"][0]["quantity"] == 1
    assert stock_of(client, "GOLD")["totals"]["reserved"] == 1


def test_an_added_line_beyond_what_one_order_may_hold_is_a_clear_422(client):
    shop(client, {"TEE": {"ber": 10}, "GOLD": {"ber": 1000}})
    order = place(client, [("TEE", 1, "10.00")])
    before = order_of(client, order["id"])
    response = edit(client, order["id"], {"op": "add_line", "sku": "GOLD", "quantity": 200,
                                          "unit_price": "999999999999.00"})
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("edits", "amount_out_of_range")
    assert "beyond what one order may hold" in error["message"]
    assert order_of(client, order["id"]) == before
    assert stock_of(client, "GOLD")["totals"]["reserved"] == 0


def test_a_lines_tax_rate_is_a_plain_decimal_string(client):
    """schemas._line shows ``str(rate.normalize())``: 20 % becomes "2E+1"."""
    shop(client, {"TEE": {"ber": 10}})
    order = place(client, [("TEE", 1, "10.00")])
    assert order["lines"][0]["tax_rate_percent"] == "19"
    london = {"name": "Di", "line1": "1 Pall Mall", "city": "London", "country": "GB"}
    uk = place(client, [("TEE", 1, "12.00")], address=london)
    assert uk["lines"][0]["tax_rate_percent"] == "20"


# ----------------------------------------------------------- shipments after edits


def test_removing_the_last_unshipped_line_lets_the_order_become_shipped(client):
    """An edit of a partially shipped order that leaves nothing to ship keeps it
    ``partially_shipped`` for ever: no shipment can move it on and it cannot be cancelled."""
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 10}})
    order = place(client, [("TEE", 1, "10.00"), ("MUG", 1, "5.00")])
    pay(client, order)
    ok(ship(client, order["id"], 1, 1), 201)
    edited = ok(edit(client, order["id"], {"op": "remove_line", "line_no": 2}))
    assert edited["status"] == "shipped"
    assert D(edited["totals"]["total"]) == Decimal("10.00")
    assert order_of(client, order["id"])["status"] == "shipped"


def test_moving_the_address_after_a_shipment_does_not_retax_what_already_shipped(client):
    """set_shipping_address would re-tax every line, also units that left for Germany and
    were invoiced at 19 %; moving a partly shipped order is refused, so the rest ships
    to Germany and captured and invoiced amounts equal the total."""
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 10}})
    seller(client)
    configure(client, legal_entity="acme-de", pricing_mode="exclusive",
              capture_policy="shipment", tax_point="shipment")
    order = place(client, [("TEE", 1, "100.00"), ("MUG", 1, "100.00")])
    pay(client, order, capture=None)
    ok(ship(client, order["id"], 1, 1), 201)  # 119.00 shipped to Berlin, invoiced
    before = order_of(client, order["id"])
    problem = ok(edit(client, order["id"], {"op": "set_shipping_address", "address": PARIS}),
                 422)
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("edits.0.address", "order_shipped")]
    assert order_of(client, order["id"]) == before  # still Berlin, 19 % on both lines
    assert [D(ln["gross"]) for ln in before["lines"]] == [Decimal("119.00")] * 2
    ok(ship(client, order["id"], 2, 1), 201)
    after = order_of(client, order["id"])
    assert D(summary(client, order["id"])["captured"]) == D(after["totals"]["total"])
    assert invoiced_balance(client, order["id"]) == D(after["totals"]["total"])


def test_swapping_two_lines_for_a_bundle_at_the_same_price_is_not_refused(client):
    """The edit books the tax difference per rate; rounding per line makes the taxable
    go up 0.01 while the tax goes down 0.01 (12.60 + 2.40 -> 12.61 + 2.39), and
    ``tax.service._check_entry`` refuses the entry: a valid edit gets a 422 about
    ``entries.0.tax``."""
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 10}, "BUNDLE": {"ber": 10}})
    order = place(client, [("TEE", 1, "14.00"), ("MUG", 1, "1.00")])
    response = edit(client, order["id"], {"op": "remove_line", "line_no": 1},
                    {"op": "remove_line", "line_no": 2},
                    {"op": "add_line", "sku": "BUNDLE", "quantity": 1, "unit_price": "15.00"})
    assert response.status_code == 200, response.text
    assert D(response.json()["totals"]["total"]) == Decimal("15.00")


def test_a_cancellation_in_december_does_not_change_the_november_tax_report(client, clock):
    """changes.py books a cancellation at the order's tax point (the day it was placed),
    edits and refunds at the day they happen: cancelling a November order in December
    rewrites November's (already filed) report and leaves December's without it."""
    shop(client, {"TEE": {"ber": 10}})
    order = place(client, [("TEE", 1, "119.00")])
    pay(client, order)
    clock.set(datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={}))

    def de_row(start: str, end: str) -> dict:
        rows = ok(client.get("/api/v1/tax/report", params={"from": start, "to": end}))["rows"]
        return next(r for r in rows if r["jurisdiction"] == "DE")

    november = de_row("2026-11-01", "2026-11-30")
    assert D(november["net_tax"]) == Decimal("19.00")
    december = de_row("2026-12-01", "2026-12-31")
    assert D(december["tax_refunded"]) == Decimal("19.00")


def test_a_shipment_invoice_in_canada_shows_gst_and_pst_on_the_whole_net(client):
    """Same root as the ledger: a shipment invoice (and a credit note) splits the net over
    GST and PST, so the document says GST was charged on 50.00 of a 100.00 sale."""
    shop(client, {"TEE": {"ber": 10}}, currency="CAD")
    seller(client)
    ok(client.put("/api/v1/tax/registrations/acme-de",  # GST/HST and BC PST
                  json={"registrations": ["CA"]}))
    configure(client, legal_entity="acme-de", pricing_mode="exclusive", tax_point="shipment")
    order = place(client, [("TEE", 1, "100.00")], address=VANCOUVER)
    pay(client, order)
    ok(ship(client, order["id"], 1, 1), 201)
    [invoice] = documents(client, order["id"])
    full = ok(client.get(f"/api/v1/invoices/{invoice['id']}"))
    taxable = {b["name"]: D(b["taxable"]) for b in full["tax_breakdown"]}
    assert taxable == {"GST": Decimal("100.00"), "PST": Decimal("100.00")}, full["tax_breakdown"]


# -------------------------------------------------------------- PostgreSQL locking


def test_two_edits_swapping_stock_between_products_do_not_deadlock(client, uow, container,
                                                                   monkeypatch):
    """edits.move_stock releases (locking the released products' stock rows) and only
    then reserves (locking the others): two edits that move opposite ways lock the same
    rows in opposite orders. DESIGN.md: rows are locked in one fixed order "so concurrent
    orders cannot deadlock". Over HTTP ``ctx.run`` retries the loser after PostgreSQL's
    deadlock timeout; here the edits run as the service is called, and one of them gets
    ``deadlock detected``."""
    if container.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: no row locks to interleave")
    import threading

    from ordermesh.flows.order_edits import edit_order
    from ordermesh.orders import edits
    from ordermesh.sourcing import service as sourcing  # added units are reserved there

    shop(client, {"TEE": {"ber": 100}, "MUG": {"ber": 100}})
    first = place(client, [("TEE", 2, "10.00"), ("MUG", 2, "5.00")])
    second = place(client, [("TEE", 2, "10.00"), ("MUG", 2, "5.00")])
    # with the fix the second edit waits for the first one's locks and never gets here
    both_released = threading.Barrier(2, timeout=2)
    real_reserve = sourcing.reserve

    def reserve_after_both_released(*args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            both_released.wait()
        return real_reserve(*args, **kwargs)

    monkeypatch.setattr(sourcing, "reserve", reserve_after_both_released)
    errors: list[BaseException] = []

    def run(order_id: str, smaller: int, larger: int) -> None:
        try:
            with uow() as u:
                edit_order(u, order_id, [
                    edits.Edit(edits.EditOp.SET_QUANTITY, line_no=smaller, quantity=1),
                    edits.Edit(edits.EditOp.SET_QUANTITY, line_no=larger, quantity=3)], None)
        except BaseException as exc:  # the test reports it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(first["id"], 2, 1)),   # gives MUG, takes TEE
               threading.Thread(target=run, args=(second["id"], 1, 2))]  # gives TEE, takes MUG
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [], errors


# ------------------------------------------------------ payments that settle later

SECURE_CARD = "4000000000003220"  # pending (3-D Secure), approved 30 seconds later


def test_a_3d_secure_payment_on_a_capture_at_order_channel_is_captured_once_approved(
        client, clock):
    """ChannelMoneyIn: "`order`: a payment is captured as soon as it is authorised". The
    capture is asked with the authorisation and, for a pending payment, made when it
    settles (sync_payment / the worker: a capture intent sent after that commit);
    with capture at order no shipment captures it either."""
    shop(client, {"TEE": {"ber": 10}})
    order = place(client, [("TEE", 1, "10.00")])
    payment = client.post(f"/api/v1/orders/{order['id']}/payments",
                          json={"provider": "test", "source": SECURE_CARD})
    assert payment.status_code == 202, payment.text
    clock.advance(timedelta(seconds=31))
    settled = ok(client.post(f"/api/v1/payments/{payment.json()['id']}/sync"))
    assert settled["status"] in ("authorised", "captured")
    ok(ship(client, order["id"], 1, 1), 201)
    assert D(summary(client, order["id"])["captured"]) == Decimal("10.00")


def test_a_pending_payment_settling_after_the_order_shrank_holds_no_more_than_the_total(
        client, clock):
    """The edit cannot void a pending payment, and nothing re-settles when it is approved:
    the order's payments then hold 30.00 for a 10.00 order, and capturing the payment
    (its default: everything open) takes 30.00."""
    shop(client, {"TEE": {"ber": 10}})
    configure(client, capture_policy="shipment")
    order = place(client, [("TEE", 3, "10.00")])
    payment = client.post(f"/api/v1/orders/{order['id']}/payments",
                          json={"provider": "test", "source": SECURE_CARD})
    assert payment.status_code == 202, payment.text
    ok(edit(client, order["id"], {"op": "set_quantity", "line_no": 1, "quantity": 1}))
    clock.advance(timedelta(seconds=31))
    ok(client.post(f"/api/v1/payments/{payment.json()['id']}/sync"))
    s = summary(client, order["id"])
    assert D(s["open_authorised"]) <= Decimal("10.00"), s
    client.post(f"/api/v1/payments/{payment.json()['id']}/capture", json={})
    assert D(summary(client, order["id"])["captured"]) <= Decimal("10.00")


def test_the_unit_left_after_refunding_two_of_three_one_by_one_can_be_cancelled(client):
    """Refunding unit by unit rounds each share up (10.00 + 10.00 of 29.99); cancelling
    the last unit re-prices the two refunded ones at 19.99 and check_refunds_covered
    refuses the cancellation with 409, so the order can never be cancelled."""
    shop(client, {"TEE": {"ber": 10}})
    order = place(client, [("TEE", 3, "10.00")], discount="0.01")
    pay(client, order)
    for _ in range(2):
        ok(refund(client, order["id"], lines=[{"line_no": 1, "quantity": 1}]), 201)
    response = client.post(f"/api/v1/orders/{order['id']}/cancel", json={})
    assert response.status_code == 200, response.text
    [line] = response.json()["lines"]
    assert (line["cancelled_quantity"], line["refunded_quantity"]) == (1, 2)
    assert response.json()["totals"]["refunded"] == response.json()["totals"]["total"]
    money = summary(client, order["id"])
    assert (D(money["captured"]), D(money["refunded"]), D(money["refundable"])) == (
        Decimal("29.99"), Decimal("29.99"), 0)  # the last unit's 9.99 went back too
    assert stock_of(client, "TEE")["totals"]["reserved"] == 0


def test_an_order_invoiced_per_shipment_is_refunded_only_once_something_is_invoiced(client):
    """With the tax point at shipment nothing is invoiced before the first shipment: a
    refund then would have no invoice to credit, and the shipment would invoice the full
    value although the customer paid less. It is refused until something has shipped;
    after that invoices less credit notes come to what the customer owes."""
    shop(client, {"TEE": {"ber": 10}})
    seller(client)
    configure(client, legal_entity="acme-de", tax_point="shipment")
    order = place(client, [("TEE", 2, "10.00")])
    pay(client, order)
    assert refund(client, order["id"], amount="5.00").status_code == 409
    ok(ship(client, order["id"], 1, 2), 201)
    ok(refund(client, order["id"], amount="5.00"), 201)
    after = order_of(client, order["id"])
    assert invoiced_balance(client, order["id"]) == D(after["totals"]["total"]) - D(
        after["totals"]["refunded"])


def test_a_free_gift_can_ship_on_its_own_in_a_channel_that_captures_per_shipment(client):
    """record_shipment calls capture_for_order with the shipment's value even when it is
    0.00, and capture_for_order refuses a zero amount (check_positive): a parcel with only
    a free item (or a unit whose share rounds to 0.00) cannot be recorded (422)."""
    shop(client, {"TEE": {"ber": 10}, "GIFT": {"ber": 10}})
    configure(client, capture_policy="shipment")
    order = place(client, [("TEE", 1, "10.00"), ("GIFT", 1, "0.00")])
    pay(client, order, capture=None)
    ok(ship(client, order["id"], 1, 1), 201)
    response = ship(client, order["id"], 2, 1)
    assert response.status_code == 201, response.text
    assert order_of(client, order["id"])["status"] == "shipped"


def test_an_order_placed_before_taxes_to_a_country_without_rate_data_can_be_cancelled(
        client, container):
    """Orders placed before migration 0007 may ship anywhere. cancel_order now re-taxes
    every order (order_setup -> rates_for) and refuses those whose country has no rate
    data: such an order can no longer be cancelled (422 shipping_address.country)."""
    shop(client, {"TEE": {"ber": 10}})
    order = place(client, [("TEE", 1, "10.00")], address=None)
    sao_paulo = {"name": "Eva", "line1": "Av. Paulista 1", "city": "São Paulo",
                 "country": "BR"}
    with container.engine.begin() as conn:  # as 0007 left an older order
        conn.execute(update(orders).where(orders.c.id == order["id"]).values(
            shipping_address=sao_paulo, tax_point=None, tax_breakdown=None,
            shipping_tax_components=None))
    response = client.post(f"/api/v1/orders/{order['id']}/cancel", json={})
    assert response.status_code == 200, response.text
    assert stock_of(client, "TEE")["totals"]["reserved"] == 0


# ------------------------------------------- found while documenting the fixed behaviour


def test_goodwill_on_an_order_with_two_rates_is_credited_and_shared_by_rate(client, container):
    shop(client, {"TEE": {"ber": 10}})
    make_product(client, "BOOK", tax_class="reduced")
    add_stock(client, "BOOK", "ber", 10)
    seller(client)
    configure(client, legal_entity="acme-de")
    order = place(client, [("TEE", 1, "20.00"), ("BOOK", 1, "10.00")])
    pay(client, order)
    before = ledger(container, order["id"])
    ok(refund(client, order["id"], amount="3.00"), 201)
    after = ledger(container, order["id"])
    given_back = sum((before[k][0] - after[k][0]) + (before[k][1] - after[k][1]) for k in before)
    assert given_back == Decimal("3.00")  # net and tax of both rates: exactly the refund
    assert invoiced_balance(client, order["id"]) == Decimal("27.00")


def test_an_invoiced_order_can_be_cancelled_after_a_goodwill_refund(client):
    shop(client, {"TEE": {"ber": 10}})
    seller(client)
    configure(client, legal_entity="acme-de")
    order = place(client, [("TEE", 2, "10.00")])
    pay(client, order)
    goodwill = ok(refund(client, order["id"], amount="10.00"), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={}))
    assert invoiced_balance(client, order["id"]) == 0
    refunds = ok(client.get(f"/api/v1/orders/{order['id']}/refunds"))["items"]
    # the tax in all refunds is at most the order's tax: 3.19 on 20.00 with 19 % inside
    assert sum(Decimal(r["tax"]) for r in refunds) <= Decimal("3.19")
    assert Decimal(goodwill["tax"]) == Decimal("1.60")


def test_units_not_shipped_are_cancelled_not_refunded_when_capture_is_per_shipment(client):
    shop(client, {"TEE": {"ber": 10}})
    configure(client, capture_policy="shipment")
    order = place(client, [("TEE", 4, "10.00")])
    pay(client, order, capture=None)
    ok(ship(client, order["id"], 1, 2), 201)
    refused = refund(client, order["id"], lines=[{"line_no": 1, "quantity": 3}])
    assert refused.status_code == 409, refused.text
    assert refused.json()["lines"] == [1]
    assert "cancel them instead of refunding them" in refused.json()["detail"]
    assert D(summary(client, order["id"])["refunded"]) == 0
    returned = ok(refund(client, order["id"], lines=[{"line_no": 1, "quantity": 2}]), 201)
    assert D(returned["amount"]) == Decimal("20.00")
    money = summary(client, order["id"])  # the two unshipped units were never captured
    assert (D(money["captured"]), D(money["refunded"]), D(money["open_authorised"])) == (
        Decimal("20.00"), Decimal("20.00"), Decimal("20.00"))


def test_refunding_the_last_units_to_ship_completes_the_order_and_cancelling_nothing_is_refused(
        client):
    shop(client, {"TEE": {"ber": 10}})
    order = place(client, [("TEE", 2, "10.00")])
    pay(client, order)
    ok(ship(client, order["id"], 1, 1), 201)
    ok(refund(client, order["id"], lines=[{"line_no": 1, "quantity": 2}]), 201)
    assert order_of(client, order["id"])["status"] == "shipped"
    other = place(client, [("TEE", 1, "10.00")])
    pay(client, other)
    ok(refund(client, other["id"], lines=[{"line_no": 1, "quantity": 1}]), 201)
    nothing = client.post(f"/api/v1/orders/{other['id']}/cancel", json={})
    assert nothing.status_code == 409
    assert order_of(client, other["id"])["version"] == 1


def test_an_invoiced_order_can_move_into_reverse_charge_by_an_edit(client):
    shop(client, {"TEE": {"ber": 10}})
    seller(client)
    configure(client, legal_entity="acme-de")
    order = place(client, [("TEE", 1, "11.90")], buyer_vat_id=FR_VAT)  # German: no RC
    assert order["tax"]["reverse_charge"] is False
    moved = ok(edit(client, order["id"], {"op": "set_shipping_address", "address": PARIS}))
    assert moved["tax"]["reverse_charge"] is True
    assert invoiced_balance(client, order["id"]) == D(moved["totals"]["total"]["amount"])


def test_an_extra_authorisation_approved_late_is_captured_when_the_order_captures_at_order(
        client, clock):
    shop(client, {"TEE": {"ber": 10}})
    order = place(client, [("TEE", 1, "10.00")])
    first = client.post(f"/api/v1/orders/{order['id']}/payments",
                        json={"provider": "test", "source": SECURE_CARD})
    assert first.status_code == 202
    clock.advance(timedelta(seconds=31))
    ok(client.post(f"/api/v1/payments/{first.json()['id']}/sync"))
    ok(edit(client, order["id"], {"op": "set_quantity", "line_no": 1, "quantity": 2}))
    clock.advance(timedelta(seconds=31))
    for payment in ok(client.get(f"/api/v1/orders/{order['id']}/payments"))["items"]:
        if payment["status"] == "pending":
            ok(client.post(f"/api/v1/payments/{payment['id']}/sync"))
    assert D(summary(client, order["id"])["captured"]) == Decimal("20.00")


def test_cancelling_the_only_line_of_a_rate_after_goodwill_moves_its_share_to_the_others(
        client, container):
    shop(client, {"TEE": {"ber": 10}})
    make_product(client, "BOOK", tax_class="reduced")
    add_stock(client, "BOOK", "ber", 10)
    order = place(client, [("TEE", 1, "20.00"), ("BOOK", 1, "10.00")])
    pay(client, order)
    goodwill = ok(refund(client, order["id"], amount="3.00"), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel",
                   json={"lines": [{"line_no": 2, "quantity": 1}]}))
    booked = ledger(container, order["id"])
    assert all(taxable >= 0 and tax >= 0 for taxable, tax in booked.values())
    after = order_of(client, order["id"])
    assert sum(tax for _, tax in booked.values()) == D(after["totals"]["tax"]["amount"]) - D(
        goodwill["tax"])


def test_a_correction_after_goodwill_does_not_invoice_again_what_goodwill_credited(client):
    shop(client, {"TEE": {"ber": 10}})
    seller(client)
    configure(client, legal_entity="acme-de")
    order = place(client, [("TEE", 2, "10.00")])
    pay(client, order)
    ok(refund(client, order["id"], amount="3.00"), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel",
                   json={"lines": [{"line_no": 1, "quantity": 1}]}))
    after = order_of(client, order["id"])
    owed = D(after["totals"]["total"]["amount"]) - D(after["totals"]["refunded"]["amount"])
    assert owed == Decimal("7.00")
    assert invoiced_balance(client, order["id"]) == owed
