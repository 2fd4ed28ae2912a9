"""Scorecards, learned lead times and replenishment suggestions, from real purchase
orders, receipts and orders placed over simulated days."""

from __future__ import annotations

from datetime import timedelta

from tests.helpers import ok, order_body
from tests.purchasing_helpers import (
    POS,
    SUPPLIERS,
    buying_shop,
    make_supplier,
    offer,
    receive,
    refused,
    sent,
)

REPLENISH = "/api/v1/replenishment"


def _history(client, clock) -> None:
    """TEE confirmed for Dec 3 and complete on Dec 2; MUG due Dec 5 at 3.00 (list 2.50)
    and 6 of 10 accepted on Dec 8, 2 rejected."""
    tee = sent(client, [("TEE", 10)], expected_date="2026-12-01")
    ok(client.post(f"{POS}/{tee['id']}/confirm", json={"lines": [
        {"line_no": 1, "quantity": 10, "date": "2026-12-03"}]}))
    mug = ok(client.post(POS, json={
        "supplier": "LINEN", "location": "ber", "expected_date": "2026-12-05",
        "lines": [{"sku": "MUG", "quantity": 10,
                   "unit_cost": {"amount": "3.00", "currency": "EUR"}}]}), 201)
    ok(client.post(f"{POS}/{mug['id']}/send"))
    clock.advance(timedelta(days=6))  # Dec 2
    receive(client, tee["id"], [("TEE", 10)])
    clock.advance(timedelta(days=6))  # Dec 8
    receive(client, mug["id"], [("MUG", 6, 2)])


def test_a_scorecard_counts_on_time_in_full_fill_rate_lead_times_rejects_and_price(
        client, clock):
    buying_shop(client)
    _history(client, clock)
    card = ok(client.get(f"{SUPPLIERS}/LINEN/scorecard",
                         params={"from": "2026-12-01", "to": "2026-12-31"}))
    assert card["from"] == "2026-12-01" and card["to"] == "2026-12-31"
    assert card["lines_due"] == 2
    assert card["on_time_in_full"] == 0.5
    assert card["on_time_against_confirmed"] == 1.0
    assert card["fill_rate"] == 0.8
    assert card["lead_time_actual_days"] == 6.0  # TEE: sent Nov 26, complete Dec 2
    assert card["lead_time_promised_days"] == 8.0  # 7 days (TEE) and 9 days (MUG)
    assert (card["units_due"], card["units_received"], card["units_rejected"]) == (20, 16, 2)
    assert card["price_variance"] == {"amount": "5.00", "currency": "EUR"}
    assert card["price_variance_percent"] == round(5 / 65, 4)
    empty = ok(client.get(f"{SUPPLIERS}/LINEN/scorecard",
                          params={"from": "2027-01-01", "to": "2027-01-31"}))
    assert (empty["lines_due"], empty["on_time_in_full"], empty["fill_rate"]) == (0, None,
                                                                                  None)


def test_a_scorecard_period_that_ends_before_it_starts_is_refused(client, uow):
    make_supplier(client, "A")
    refused(client, uow, "GET", f"{SUPPLIERS}/A/scorecard", 422, "to",
            params={"from": "2026-12-31", "to": "2026-12-01"})


def test_a_products_suppliers_show_lead_time_learned_from_receipts_and_the_score(
        client, clock):
    buying_shop(client)
    _history(client, clock)
    view = ok(client.get("/api/v1/products/TEE/suppliers"))["suppliers"]
    assert [o["supplier"] for o in view] == ["LINEN"]
    assert view[0]["promised_lead_time_days"] == 10
    assert view[0]["learned_lead_time"] == {"samples": 1, "median_days": 6.0, "p90_days": 6.0}
    assert view[0]["score"] == 0.5


def _sell(client, clock, sku: str, per_day: int, days: int) -> None:
    today = clock.now()
    for back in range(days, 0, -1):
        clock.set(today - timedelta(days=back))
        ok(client.post("/api/v1/orders", json=order_body([(sku, per_day, "5")])), 201)
    clock.set(today)


def test_replenishment_suggests_whole_packs_from_the_preferred_supplier_and_why(client,
                                                                               clock):
    buying_shop(client)
    make_supplier(client, "CHEAP")
    offer(client, "CHEAP", "TEE", "1.00")
    make_supplier(client, "PREF")
    offer(client, "PREF", "TEE", "3.00", preferred=True, pack_size=12, moq=24)
    ok(client.put("/api/v1/products/TEE/stock-policy", json={"lead_time_days": 14}))
    ok(client.post("/api/v1/inventory/adjustments", json={
        "sku": "TEE", "location": "ber", "quantity_delta": 90, "reason": "received"}), 201)
    _sell(client, clock, "TEE", 5, 14)
    health = ok(client.get("/api/v1/inventory/health", params={"sku": "TEE"}))["items"][0]
    needed = health["suggested_order_quantity"]
    assert needed > 0
    items = ok(client.get(f"{REPLENISH}/suggestions", params={"location": "ber"}))["items"]
    tee = next(i for i in items if i["sku"] == "TEE")
    assert tee["needed"] == needed
    assert tee["quantity"] == max(24, -(-needed // 12) * 12)
    assert tee["supplier"]["supplier"] == "PREF"
    assert tee["other_suppliers"] == 2
    assert tee["line_cost"]["amount"] == f"{tee['quantity'] * 3}.00"
    assert "reorder point" in tee["why"] and "packs of 12" in tee["why"]
    po = ok(client.post(f"{REPLENISH}/purchase-orders", json={
        "supplier": "PREF", "location": "ber", "skus": ["TEE"]}), 201)
    assert po["status"] == "draft"
    assert [(ln["sku"], ln["quantity"], ln["unit_cost"]["amount"]) for ln in po["lines"]] == [
        ("TEE", tee["quantity"], "3.00")]
    ok(client.post(f"{POS}/{po['id']}/send"))
    after = ok(client.get(f"{REPLENISH}/suggestions", params={"sku": "TEE"}))["items"]
    assert after == []  # the order's expected supply covers the need


def test_a_blocked_preferred_supplier_is_passed_over_for_the_cheapest_active_one(client,
                                                                                clock):
    buying_shop(client)
    make_supplier(client, "CHEAP")
    offer(client, "CHEAP", "TEE", "1.00")
    offer(client, "LINEN", "TEE", "4.00", preferred=True)
    ok(client.patch(f"{SUPPLIERS}/LINEN", json={"status": "blocked"}))
    _sell(client, clock, "TEE", 1, 7)
    items = ok(client.get(f"{REPLENISH}/suggestions", params={"sku": "TEE"}))["items"]
    assert [i["supplier"]["supplier"] for i in items] == ["CHEAP"]


def test_ordering_when_nothing_is_suggested_is_refused(client, uow):
    buying_shop(client)
    refused(client, uow, "POST", f"{REPLENISH}/purchase-orders", 422, "supplier",
            json={"supplier": "LINEN", "location": "ber"})
