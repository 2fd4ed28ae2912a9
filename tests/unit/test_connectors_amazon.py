"""An Amazon order read in our terms, and what the connector sends Amazon."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from ordermesh.connectors.amazon import check, confirmation_body, parse_order
from ordermesh.connectors.amazon_calls import rate_share
from ordermesh.connectors.model import FulfilmentNotice, PayloadInvalid, ShippedLine
from tests.fake_amazon import amazon_order

SETTINGS = {"marketplace_id": "A1PA6795UKMFR9", "seller_id": "A2EUQ1WTGCTBG2",
            "prices_include_tax": True, "sku_map": {"AMZ-MUG": "MUG"}}


def with_items(order: tuple[dict, list[dict]]) -> dict:
    body, items = order
    return {**body, "OrderItems": items}


def test_an_order_is_read_with_its_promotion_shipping_discount_and_the_sellers_sku_mapped():
    payload = with_items(amazon_order(1, [("AMZ-MUG", 2, "12.50"), ("TEE", 1, "20.00")]))
    payload["OrderItems"][0]["PromotionDiscount"]["Amount"] = "2.50"
    payload["OrderItems"][0]["ShippingDiscount"]["Amount"] = "1.00"
    order = parse_order(payload, SETTINGS)
    assert [(ln.sku, ln.quantity, ln.unit_price, ln.discount, ln.platform_line_id)
            for ln in order.lines] == [
        ("MUG", 2, Decimal("12.50"), Decimal("2.50"), "00000001000000"),
        ("TEE", 1, Decimal("20.00"), Decimal("0.00"), "00000001000001")]
    assert order.shipping_price == Decimal("3.90") and order.taxes_included
    assert order.paid and not order.cancelled and order.currency == "EUR"
    assert order.address is not None and order.address.country == "DE"


def test_a_pending_order_is_not_paid_and_a_cancelled_one_needs_no_items():
    pending = with_items(amazon_order(2, [("TEE", 1, "20.00")], status="Pending"))
    cancelled, _ = amazon_order(3, [("TEE", 1, "20.00")], status="Canceled")
    assert not parse_order(pending, SETTINGS).paid
    assert parse_order({k: v for k, v in cancelled.items() if k != "OrderTotal"},
                       SETTINGS).cancelled


def test_an_item_without_a_seller_sku_or_quantity_is_named():
    payload = with_items(amazon_order(4, [("TEE", 1, "20.00")]))
    payload["OrderItems"][0].update(SellerSKU=None, QuantityOrdered=0)
    with pytest.raises(PayloadInvalid) as refused:
        parse_order(payload, SETTINGS)
    assert {f for f, _ in refused.value.errors} == {"OrderItems.0.SellerSKU",
                                                   "OrderItems.0.QuantityOrdered"}


def test_settings_name_what_is_missing_or_wrong():
    with pytest.raises(PayloadInvalid) as refused:
        check({"client_id": "x"}, {"marketplace_id": "A1PA6795UKMFR9", "sku_map": ["MUG"],
                                   "token_url": "ftp://x", "colour": "red"})
    assert {f for f, _ in refused.value.errors} == {
        "credentials.client_secret", "credentials.refresh_token", "settings.seller_id",
        "settings.sku_map", "settings.token_url", "settings.colour"}


def test_a_known_carrier_is_sent_by_its_amazon_code_and_another_by_name():
    notice = FulfilmentNotice("028-1", [ShippedLine("MUG", 1, "11"), ShippedLine("MUG", 1, "11")],
                              "dhl", "0034", None, shipment_id="shp_1",
                              shipped_at=datetime(2026, 11, 26, 12, 30, tzinfo=UTC))
    body = confirmation_body(notice, "A1PA6795UKMFR9")["packageDetail"]
    other = confirmation_body(FulfilmentNotice("028-1", notice.lines, "Kurier", "9", None,
                                               shipment_id="shp_1"), "X")["packageDetail"]
    assert body["carrierCode"] == "DHL" and "carrierName" not in body
    assert body["orderItems"] == [{"orderItemId": "11", "quantity": 2}]
    assert body["shipDate"] == "2026-11-26T12:30:00Z"
    assert (other["carrierCode"], other["carrierName"]) == ("Other", "Kurier")
    assert other["packageReferenceId"] == body["packageReferenceId"]  # the same shipment


def test_a_429_waits_one_requests_share_of_the_rate_amazon_names():
    assert rate_share(httpx.Response(429, headers={"x-amzn-RateLimit-Limit": "0.5"})) == 2.0
    assert rate_share(httpx.Response(429)) == 1.0
