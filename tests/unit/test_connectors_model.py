"""Connector rules that need no database: retry timing, and Shopify's order and
fulfilment shapes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ordermesh.connectors.model import (
    Account,
    CallResult,
    FulfilmentNotice,
    PayloadInvalid,
    Platform,
    RefundedLine,
    RefundNotice,
    RetryPolicy,
    ShippedLine,
)
from ordermesh.connectors.shopify import ShopifyConnector, parse_order
from ordermesh.connectors.woocommerce import parse_order as parse_woo_order
from tests.fake_shopify import shopify_order
from tests.fake_woocommerce import woo_order

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=4, base=timedelta(seconds=30), cap=timedelta(minutes=5))


def test_a_429_waits_for_its_retry_after_and_a_5xx_backs_off_within_doubling_steps():
    rng = random.Random(7)
    assert POLICY.next_attempt(NOW, 1, CallResult(429, retry_after_s=2.0)) == \
        NOW + timedelta(seconds=2)
    for attempt, ceiling in ((1, 30), (2, 60), (3, 120)):
        at = POLICY.next_attempt(NOW, attempt, CallResult(500), rng)
        assert NOW + timedelta(seconds=ceiling / 2) <= at <= NOW + timedelta(seconds=ceiling)


def test_retrying_stops_at_the_last_attempt_and_at_once_on_a_final_refusal():
    assert POLICY.next_attempt(NOW, 4, CallResult(500)) is None
    assert POLICY.next_attempt(NOW, 1, CallResult(401)) is None
    assert POLICY.next_attempt(NOW, 1, CallResult(None, give_up=True)) is None
    assert POLICY.next_attempt(NOW, 1, CallResult(None, "timed out")) is not None
    assert POLICY.next_attempt(NOW, 1, CallResult(409)) is not None


def test_a_shopify_order_maps_lines_discounts_shipping_customer_and_address():
    order = parse_order(shopify_order(42, [("MUG", 2, "12.50"), ("TEE", 1, "20.00")],
                                      discounts={"TEE": "5.00"}, shipping="4.90"))
    assert [(ln.sku, ln.quantity, ln.unit_price, ln.discount) for ln in order.lines] == [
        ("MUG", 2, Decimal("12.50"), Decimal(0)), ("TEE", 1, Decimal("20.00"),
                                                   Decimal("5.00"))]
    assert order.shipping_price == Decimal("4.90") and order.taxes_included
    assert (order.email, order.customer_name) == ("ada@example.com", "Ada Lovelace")
    assert order.address is not None and order.address.country == "DE"
    assert order.external_id == "42" and not order.cancelled


def test_a_shopify_order_that_is_not_one_names_every_bad_field():
    body = shopify_order(43, [("", 1, "1.00"), ("MUG", -1, "-2")])
    with pytest.raises(PayloadInvalid) as refused:
        parse_order({**body, "currency": "EURO"})
    assert {f for f, _ in refused.value.errors} == {
        "currency", "line_items.0.sku", "line_items.1.quantity", "line_items.1.price"}


def test_a_woocommerce_line_is_priced_per_unit_with_tax_when_its_prices_include_tax():
    order = parse_woo_order(woo_order(7, [("MUG", 2, "21.01", "3.99")]))
    assert order.lines[0].unit_price == Decimal("12.50")
    assert order.shipping_price == Decimal("4.90")
    with pytest.raises(PayloadInvalid):
        parse_woo_order(woo_order(8, [("MUG", 3, "10.00", "0.00")]))  # 3.333… a unit


def _connector() -> ShopifyConnector:
    return ShopifyConnector(Account("con_1", "shop", Platform.SHOPIFY, "web",
                                    "https://s.example", {"access_token": "t",
                                                          "webhook_secret": "s"},
                                    {"location_id": 1}, True))


def test_a_fulfilment_sends_only_what_is_still_fulfillable_in_shopify():
    notice = FulfilmentNotice("42", [ShippedLine("MUG", 2, "421")], "DHL", "123", None)
    open_fo = {"id": 9, "status": "in_progress", "line_items": [
        {"id": 91, "line_item_id": 421, "fulfillable_quantity": 1},
        {"id": 92, "line_item_id": 422, "fulfillable_quantity": 3}]}
    body = _connector().fulfilment_body(notice, [open_fo, {**open_fo, "id": 10,
                                                            "status": "closed"}])
    assert body == {"fulfillment": {
        "line_items_by_fulfillment_order": [{"fulfillment_order_id": 9,
                                             "fulfillment_order_line_items": [
                                                 {"id": 91, "quantity": 1}]}],
        "tracking_info": {"number": "123", "company": "DHL"}, "notify_customer": True}}
    done = {**open_fo, "line_items": [{"id": 91, "line_item_id": 421,
                                       "fulfillable_quantity": 0}]}
    assert _connector().fulfilment_body(notice, [done]) is None


def test_only_a_shopify_order_whose_financial_status_is_paid_is_taken_as_paid():
    body = shopify_order(43, [("MUG", 1, "12.50")])
    assert parse_order(body).paid is True
    for status in ("pending", "authorized", "partially_paid", None):
        assert parse_order({**body, "financial_status": status}).paid is False


def test_a_shopify_refund_gives_back_at_most_what_the_captured_sale_took():
    notice = RefundNotice("42", "rfd_1", Decimal("30.00"), "EUR",
                          [RefundedLine("421", 1, Decimal("30.00"), Decimal("4.79"))], "late")
    taken = [{"id": 7, "kind": "authorization", "status": "success", "amount": "50.00"},
             {"id": 8, "kind": "capture", "status": "success", "amount": "25.00",
              "gateway": "shopify_payments"},
             {"id": 9, "kind": "sale", "status": "failure", "amount": "50.00"}]
    body = _connector().refund_body(notice, taken)["refund"]
    assert body["transactions"] == [{"parent_id": 8, "amount": "25.00", "kind": "refund",
                                     "gateway": "shopify_payments"}]
    assert body["refund_line_items"] == [{"line_item_id": 421, "quantity": 1,
                                          "restock_type": "no_restock"}]
    assert body["note"] == "late (ordermesh rfd_1)"
    assert "transactions" not in _connector().refund_body(notice, taken[:1])["refund"]
