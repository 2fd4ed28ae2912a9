"""Purchase orders through the API: the state machine, expected supply, receipts into
stock with tolerance, rejects and short closing, bad input, and racing receipts."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from ordermesh.kit.errors import Conflict
from ordermesh.purchasing import receipts
from ordermesh.purchasing.pdf import render_po_pdf
from ordermesh.purchasing.receipts import ArrivedLine
from ordermesh.purchasing.service import get_po
from ordermesh.suppliers.service import get_supplier
from tests.helpers import ok, stock_of
from tests.purchasing_helpers import (
    POS,
    SUPPLIERS,
    buying_shop,
    draft,
    make_supplier,
    receive,
    refused,
    sent,
)
from tests.stock_checks import assert_no_drift, movements


def _on_hand(client, sku: str) -> int:
    return sum(lv["on_hand"] for lv in stock_of(client, sku)["locations"])


def _supply(client, po_line: dict) -> dict:
    return ok(client.get(f"/api/v1/inventory/supply/{po_line['supply_id']}"))


def test_a_draft_takes_the_suppliers_price_and_expects_nothing_until_sent(client):
    buying_shop(client)
    po = draft(client, [("TEE", 20), ("MUG", 4)], reference="PO-1001")
    assert (po["status"], po["currency"], po["reference"]) == ("draft", "EUR", "PO-1001")
    assert [ln["unit_cost"]["amount"] for ln in po["lines"]] == ["4.00", "2.50"]
    assert po["total"] == {"amount": "90.00", "currency": "EUR"}
    assert po["expected_date"] == "2026-12-06"  # today plus the supplier's 10 days
    assert all(ln["supply_id"] is None for ln in po["lines"])
    assert ok(client.get("/api/v1/inventory/supply"))["items"] == []


def test_sending_announces_each_line_as_expected_supply_that_availability_counts(client):
    buying_shop(client)
    po = sent(client, [("TEE", 20)], expected_date="2026-12-01")
    assert po["status"] == "sent" and po["sent_at"]
    supply = _supply(client, po["lines"][0])
    assert (supply["kind"], supply["quantity"], supply["status"], supply["expected_date"]) == (
        "purchase_order", 20, "open", "2026-12-01")
    availability = ok(client.get("/api/v1/availability",
                                 params={"sku": "TEE", "channel": "web"}))
    assert [(i["quantity"], i["source"]) for i in availability["incoming"]] == [
        (20, "purchase_order")]


def test_receipts_in_parts_book_stock_against_the_supply_until_received(client, uow):
    buying_shop(client)
    po = sent(client, [("TEE", 20), ("MUG", 4)])
    part = receive(client, po["id"], [("TEE", 12)])["purchase_order"]
    assert part["status"] == "partly_received"
    assert (part["lines"][0]["received"], part["lines"][0]["open"]) == (12, 8)
    assert _on_hand(client, "TEE") == 22
    assert _supply(client, part["lines"][0])["received"] == 12
    done = receive(client, po["id"], [("TEE", 8), ("MUG", 4)])["purchase_order"]
    assert done["status"] == "received"
    assert [_supply(client, ln)["status"] for ln in done["lines"]] == ["received", "received"]
    assert (_on_hand(client, "TEE"), _on_hand(client, "MUG")) == (30, 4)
    assert [m["reference_type"] for m in movements(uow, "receipt")][-3:] == ["supply"] * 3
    assert_no_drift(uow)
    closed = ok(client.post(f"{POS}/{po['id']}/close", json={}))
    assert closed["status"] == "closed"


def test_over_delivery_within_the_tolerance_is_accepted_and_beyond_it_refused(client, uow):
    buying_shop(client)
    po = sent(client, [("TEE", 20)], tolerance_percent=10)
    problem = refused(client, uow, "POST", f"{POS}/{po['id']}/receipts", 409,
                      json={"lines": [{"sku": "TEE", "accepted": 23}]})
    assert problem["most_acceptable"] == 22
    done = receive(client, po["id"], [("TEE", 22)])["purchase_order"]
    assert (done["status"], done["lines"][0]["received"]) == ("received", 22)
    assert _on_hand(client, "TEE") == 32
    assert _supply(client, done["lines"][0])["status"] == "received"
    assert_no_drift(uow)


def test_damaged_units_are_recorded_not_stocked_and_closing_short_cancels_the_rest(client):
    buying_shop(client)
    po = sent(client, [("MUG", 10)])
    got = receive(client, po["id"], [("MUG", 7, 2)])["purchase_order"]
    line = got["lines"][0]
    assert (got["status"], line["received"], line["rejected"], line["open"]) == (
        "partly_received", 7, 2, 3)
    assert _on_hand(client, "MUG") == 7
    closed = ok(client.post(f"{POS}/{po['id']}/close", json={"reason": "supplier out"}))
    assert closed["status"] == "closed"
    supply = _supply(client, closed["lines"][0])
    assert (supply["status"], supply["received"]) == ("cancelled", 7)


def test_confirmation_replaces_the_expected_supply_with_what_the_supplier_confirmed(client):
    buying_shop(client)
    po = sent(client, [("TEE", 20), ("MUG", 4)], expected_date="2026-12-01")
    confirmed = ok(client.post(f"{POS}/{po['id']}/confirm", json={"lines": [
        {"line_no": 1, "quantity": 15, "date": "2026-12-04"}]}))
    tee, mug = confirmed["lines"]
    assert confirmed["status"] == "confirmed"
    assert (tee["confirmed_quantity"], tee["confirmed_date"], tee["open"]) == (
        15, "2026-12-04", 15)
    assert _supply(client, po["lines"][0])["status"] == "cancelled"
    assert (_supply(client, tee)["quantity"], _supply(client, tee)["expected_date"]) == (
        15, "2026-12-04")
    assert mug["supply_id"] == po["lines"][1]["supply_id"]  # unchanged: still as ordered
    assert receive(client, po["id"], [("TEE", 15), ("MUG", 4)])["purchase_order"][
        "status"] == "received"


def test_cancelling_withdraws_the_expected_supply_and_a_receipt_afterwards_is_refused(
        client, uow):
    buying_shop(client)
    po = sent(client, [("TEE", 20)])
    cancelled = ok(client.post(f"{POS}/{po['id']}/cancel", json={"reason": "duplicate"}))
    assert cancelled["status"] == "cancelled"
    assert _supply(client, po["lines"][0])["status"] == "cancelled"
    problem = refused(client, uow, "POST", f"{POS}/{po['id']}/receipts", 409,
                      json={"lines": [{"sku": "TEE", "accepted": 1}]})
    assert problem["current_status"] == "cancelled"
    refused(client, uow, "POST", f"{POS}/{po['id']}/send", 409)


def test_an_order_with_goods_received_cannot_be_cancelled(client, uow):
    buying_shop(client)
    po = sent(client, [("TEE", 20)])
    receive(client, po["id"], [("TEE", 1)])
    refused(client, uow, "POST", f"{POS}/{po['id']}/cancel", 409, json={})


def test_a_blocked_supplier_gets_no_purchase_orders_and_one_on_hold_none_sent(client, uow):
    buying_shop(client)
    ready = draft(client, [("TEE", 5)])
    ok(client.patch(f"{SUPPLIERS}/LINEN", json={"status": "on_hold"}))
    refused(client, uow, "POST", f"{POS}/{ready['id']}/send", 409)
    ok(client.patch(f"{SUPPLIERS}/LINEN", json={"status": "blocked"}))
    refused(client, uow, "POST", POS, 422, "supplier",
            json={"supplier": "LINEN", "location": "ber", "lines": [{"sku": "TEE",
                                                                   "quantity": 1}]})
    refused(client, uow, "POST", f"{POS}/{ready['id']}/send", 422, "supplier")


def test_a_cost_in_the_wrong_currency_or_negative_is_refused(client, uow):
    buying_shop(client)
    body = {"supplier": "LINEN", "location": "ber", "lines": [
        {"sku": "TEE", "quantity": 1, "unit_cost": {"amount": "4.00", "currency": "USD"}}]}
    refused(client, uow, "POST", POS, 422, "lines.0.unit_cost.currency", json=body)
    body["lines"][0]["unit_cost"] = {"amount": "-4.00", "currency": "EUR"}
    refused(client, uow, "POST", POS, 422, json=body)


def test_a_line_without_a_cost_and_no_supplier_price_is_refused(client, uow):
    buying_shop(client)
    make_supplier(client, "OTHER")
    refused(client, uow, "POST", POS, 422, "lines.0.unit_cost",
            json={"supplier": "OTHER", "location": "ber",
                  "lines": [{"sku": "TEE", "quantity": 3}]})


def test_receiving_a_sku_not_on_the_order_is_refused(client, uow):
    buying_shop(client)
    po = sent(client, [("TEE", 20)])
    refused(client, uow, "POST", f"{POS}/{po['id']}/receipts", 422, "lines.0.sku",
            json={"lines": [{"sku": "MUG", "accepted": 1}]})


def test_sending_below_the_suppliers_minimum_order_is_refused(client, uow):
    buying_shop(client)
    ok(client.patch(f"{SUPPLIERS}/LINEN", json={
        "minimum_order": {"amount": "100.00", "currency": "EUR"}}))
    po = draft(client, [("TEE", 5)])
    refused(client, uow, "POST", f"{POS}/{po['id']}/send", 409)


def test_purchase_orders_are_listed_by_supplier_and_status(client):
    buying_shop(client)
    first = sent(client, [("TEE", 1)])
    second = draft(client, [("MUG", 1)])
    assert [p["id"] for p in ok(client.get(POS))["items"]] == [second["id"], first["id"]]
    assert [p["id"] for p in ok(client.get(POS, params={"status": "sent"}))["items"]] == [
        first["id"]]
    assert ok(client.get(POS, params={"supplier": "LINEN"}))["items"]
    assert client.get(f"{POS}/po_nope").status_code == 404


def test_the_purchase_order_pdf_lists_its_lines_at_cost(client, uow):
    buying_shop(client)
    po = sent(client, [("TEE", 20)], reference="PO-7")
    response = client.get(f"{POS}/{po['id']}/pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert 'filename="PO-7.pdf"' in response.headers["content-disposition"]
    with uow(write=False) as u:
        order = get_po(u, po["id"])
        text = render_po_pdf(order, get_supplier(u, order.supplier_id), "BER",
                             compress=False)
    assert b"TEE" in text and b"80.00" in text and b"Linen Ltd" in text


def test_two_receipts_racing_for_the_last_open_units_book_them_once(client, uow):
    buying_shop(client)
    po = sent(client, [("TEE", 20)], tolerance_percent=0)
    receive(client, po["id"], [("TEE", 15)])
    threads = 6
    barrier = threading.Barrier(threads)
    outcome: Counter = Counter()
    lock = threading.Lock()

    def arrive(i: int) -> None:
        barrier.wait()
        try:
            with uow(actor=f"dock-{i}") as u:
                receipts.receive_po(u, po["id"], [ArrivedLine("TEE", 5)])
            result = "booked"
        except Conflict:
            result = "refused"
        with lock:
            outcome[result] += 1

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(arrive, range(threads)))
    assert outcome == Counter({"booked": 1, "refused": threads - 1})
    after = ok(client.get(f"{POS}/{po['id']}"))
    assert (after["status"], after["lines"][0]["received"]) == ("received", 20)
    assert _on_hand(client, "TEE") == 30
    assert_no_drift(uow)



def test_a_confirmation_naming_an_unknown_line_or_a_past_date_is_refused(client, uow):
    buying_shop(client)
    po = sent(client, [("TEE", 20)])
    refused(client, uow, "POST", f"{POS}/{po['id']}/confirm", 422, "lines.0.line_no",
            json={"lines": [{"line_no": 9, "quantity": 1}]})
    refused(client, uow, "POST", f"{POS}/{po['id']}/confirm", 422, "lines.0.date",
            json={"lines": [{"line_no": 1, "quantity": 20, "date": "2026-11-01"}]})
    refused(client, uow, "POST", f"{POS}/{draft(client, [('TEE', 1)])['id']}/confirm", 409,
            json={})
