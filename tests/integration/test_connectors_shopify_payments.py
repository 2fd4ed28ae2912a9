"""Money Shopify took: an order that comes in ``financial_status: paid`` is paid here by a
manual payment (method ``other``), once however often it is delivered, and ships without
anyone paying again; an order Shopify has not been paid for owes its total."""

from __future__ import annotations

import pytest

from tests.connector_helpers import deliver, placed_and_paid, shopify_shop
from tests.fake_shopify import running_shopify, shopify_order
from tests.helpers import ok


def payments_of(client, order_id: str) -> dict:
    return ok(client.get(f"/api/v1/orders/{order_id}/payments"))


def test_an_order_paid_in_shopify_is_paid_here_once_and_may_ship(client, container):
    with running_shopify() as shop:
        shopify_shop(client, shop, {"MUG": 5})
        body = shopify_order(5558001, [("MUG", 2, "12.50")])
        order = placed_and_paid(client, shop, body, "w1")
        assert ok(deliver(client, body, "w1"))["replayed"] is True  # the same delivery
        assert ok(deliver(client, body, "w2"))["status"] == "already_placed"  # another one
        shipped = client.post(f"/api/v1/orders/{order['id']}/shipments", json={
            "lines": [{"line_no": 1, "quantity": 2}], "carrier": "DHL",
            "tracking_number": "00340434161094042557"})
    assert shipped.status_code == 201, shipped.text
    found = payments_of(client, order["id"])
    (payment,) = found["items"]
    assert (payment["provider"], payment["method"], payment["status"]) == (
        "manual", "other", "captured")
    assert payment["captured"]["amount"] == order["totals"]["total"]["amount"] == "29.90"
    assert found["summary"]["to_authorise"]["amount"] == "0.00"


def test_an_order_shopify_was_not_paid_for_owes_its_total(client, container):
    with running_shopify() as shop:
        shopify_shop(client, shop, {"MUG": 5})
        body = {**shopify_order(5558002, [("MUG", 1, "12.50")]),
                "financial_status": "pending"}
        got = ok(deliver(client, body, "w1"))
        shipped = client.post(f"/api/v1/orders/{got['order_id']}/shipments", json={
            "lines": [{"line_no": 1, "quantity": 1}], "carrier": "DHL",
            "tracking_number": "00340434161094042557"})
    assert payments_of(client, got["order_id"])["items"] == []
    assert ok(client.get(f"/api/v1/orders/{got['order_id']}"))["payment_status"] == "unpaid"
    assert shipped.status_code == 409, shipped.text  # the channel captures before shipping


def test_a_payment_lost_to_a_crash_after_placing_is_recorded_when_shopify_retries(
        client, container, monkeypatch):
    from ordermesh.flows import channel_orders

    def crash(*args, **kwargs):
        raise RuntimeError("the process died after the placement committed")

    with running_shopify() as shop:
        shopify_shop(client, shop, {"MUG": 5})
        body = shopify_order(5558003, [("MUG", 1, "12.50")])
        with monkeypatch.context() as patched:
            patched.setattr(channel_orders, "record_platform_payment", crash)
            with pytest.raises(RuntimeError):
                deliver(client, body, "w1")  # Shopify hears no 2xx: it delivers again
        again = ok(deliver(client, body, "w1"))
    assert again["replayed"] is True
    (payment,) = payments_of(client, again["order_id"])["items"]
    assert payment["status"] == "captured" and payment["captured"]["amount"] == "17.40"
