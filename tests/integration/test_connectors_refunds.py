"""Refunds made here on a platform's order reach the platform: recorded from
``refund.issued`` as a push, sent by the worker to the simulated Shopify and WooCommerce
with their real paths and bodies, retried on a 5xx, never made twice; refunds of our own
orders and of the platform's own cancellations are not pushed."""

from __future__ import annotations

from datetime import timedelta

from ordermesh.flows.channel_jobs import refund_notice
from tests.connector_helpers import (
    CHANNEL,
    deliver,
    listed_shop_with_an_order,
    placed_and_paid,
    pushes,
    sent_by_a_worker_that_died,
    shopify_shop,
    sync,
)
from tests.fake_shopify import API, running_shopify, shopify_order
from tests.helpers import ok, order_body, pay

REFUNDS = rf"{API}/orders/\d+/refunds\.json"


def refund(client, order: dict, lines: list[tuple[int, int]], reason: str) -> dict:
    return ok(client.post(f"/api/v1/orders/{order['id']}/refunds", json={
        "lines": [{"line_no": n, "quantity": q} for n, q in lines], "reason": reason}), 201)


def refund_pushes(client, status: str | None = None) -> list[dict]:
    return [p for p in pushes(client, status) if p["kind"] == "refund"]


def test_a_refund_here_is_refunded_in_shopify_against_its_sale_after_a_5xx(
        client, container, clock):
    with running_shopify() as shop:
        order = listed_shop_with_an_order(client, container, shop, 5557001,
                                          [("MUG", 2, "12.50"), ("TEE", 1, "20.00")])
        made = refund(client, order, [(1, 1)], "arrived broken")
        shop.fail = 1  # the first call (reading the refunds made) is answered 500
        sync(container)
        (waiting,) = refund_pushes(client, "pending")
        assert waiting["last_status_code"] == 500 and waiting["attempts"] == 1
        clock.advance(timedelta(minutes=2))
        sync(container)
        sync(container)  # done: nothing sent again
    (posted,) = shop.on("POST", REFUNDS)
    assert posted.path == f"{API}/orders/5557001/refunds.json"
    (sale,) = [t for t in shop.transactions[5557001] if t["kind"] == "sale"]
    assert posted.body == {"refund": {
        "currency": "EUR", "notify": False, "note": f"arrived broken (ordermesh {made['id']})",
        "refund_line_items": [{"line_item_id": 55570011, "quantity": 1,
                               "restock_type": "no_restock"}],
        "transactions": [{"parent_id": sale["id"], "amount": made["amount"],
                          "kind": "refund", "gateway": "shopify_payments"}]}}
    (kept,) = shop.refunds[5557001]
    assert kept["transactions"][0]["amount"] == made["amount"] == "12.50"
    (push,) = refund_pushes(client)
    assert push["status"] == "succeeded" and push["attempts"] == 2
    assert push["subject"] == "5557001" and push["payload"]["refund_id"] == made["id"]


def test_a_refund_made_by_a_worker_that_died_before_recording_it_is_not_made_twice(
        client, container, clock):
    with running_shopify() as shop:
        order = listed_shop_with_an_order(client, container, shop, 5557002,
                                          [("MUG", 2, "12.50")])
        refund(client, order, [(1, 2)], "never arrived")
        sent_by_a_worker_that_died(container, clock, lambda connector, http, claimed:
                                   connector.push_refund(http, refund_notice(claimed)))
    assert len(shop.on("POST", REFUNDS)) == 1 and len(shop.refunds[5557002]) == 1
    (push,) = refund_pushes(client)
    assert push["status"] == "succeeded" and push["attempts"] == 2


def test_refunds_of_our_own_orders_and_of_shopifys_cancellations_are_not_pushed(
        client, container):
    with running_shopify() as shop:
        shopify_shop(client, shop, {"MUG": 5})
        sync(container)
        ours = ok(client.post("/api/v1/orders", json=order_body([("MUG", 1, "12.50")],
                                                                CHANNEL)), 201)
        pay(client, ours)
        refund(client, ours, [(1, 1)], "goodwill")
        theirs = shopify_order(5557003, [("MUG", 1, "12.50")])
        placed = placed_and_paid(client, shop, theirs, "w1")
        ok(deliver(client, {**theirs, "cancelled_at": "2026-11-26T14:00:00+01:00"}, "w2",
                   topic="orders/cancelled"))
        sync(container)
    refunds = ok(client.get(f"/api/v1/orders/{placed['id']}/refunds"))["items"]
    assert [r["kind"] for r in refunds] == ["cancellation"]  # money given back here
    assert refund_pushes(client) == [] and shop.on("POST", REFUNDS) == []
