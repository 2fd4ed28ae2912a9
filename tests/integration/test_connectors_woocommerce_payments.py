"""WooCommerce's payment state read as the shop means it: an order awaiting payment is
not placed until it is, one on hold is placed and owes its total until WooCommerce takes
the money (seen by webhook or by the poll), cash on delivery owes it; and each
variation of a variable product is a listing of its own."""

from __future__ import annotations

from tests.connector_helpers import WOO_CODE, deliver_to_woo, sync, woo_shop
from tests.fake_woocommerce import API, running_woo, woo_order
from tests.helpers import add_stock, make_product, ok
from tests.poll_helpers import later, poll

PAID_AT = "2026-11-26T13:05:00"


def order_of(client, received: dict) -> dict:
    return ok(client.get(f"/api/v1/orders/{received['order_id']}"))


def test_an_order_awaiting_payment_is_placed_once_woocommerce_reports_it_paid(
        client, container):
    with running_woo() as shop:
        woo_shop(client, shop, {"MUG": 5})
        body = woo_order(921, [("MUG", 1, "10.50", "2.00")], status="pending")
        waiting = ok(deliver_to_woo(client, body, "p1"))
        paid = ok(deliver_to_woo(client, {**body, "status": "processing",
                                          "date_paid": PAID_AT, "date_paid_gmt": PAID_AT},
                                 "p2", topic="order.updated"))
    assert waiting["status"] == "ignored" and waiting["order_id"] is None
    assert waiting["reason"]["detail"].startswith("pending: the buyer has not paid yet")
    assert paid["status"] == "placed"
    assert order_of(client, paid)["payment_status"] == "paid"


def test_an_order_on_hold_owes_its_total_until_the_poll_sees_woocommerce_took_the_money(
        client, container, clock):
    with running_woo() as shop:
        shop.now = clock.now
        woo_shop(client, shop, {"MUG": 5})
        later(clock)
        body = woo_order(922, [("MUG", 1, "10.50", "2.00")], status="on-hold")
        shop.add_order(body)  # a bank transfer: WooCommerce waits for it
        placed = ok(deliver_to_woo(client, body, "h1"))
        unpaid = order_of(client, placed)["payment_status"]
        later(clock, 600)
        shop.orders[922].update(status="processing", date_paid=PAID_AT, date_paid_gmt=PAID_AT)
        shop.touch(922)  # the transfer arrived; its order.updated webhook is lost
        later(clock)
        poll(container, WOO_CODE)
        poll(container, WOO_CODE)
    assert placed["status"] == "placed" and unpaid == "unpaid"
    after = order_of(client, placed)
    assert after["payment_status"] == "paid"
    assert len(ok(client.get(f"/api/v1/orders/{placed['order_id']}/payments"))["items"]) == 1


def test_a_cash_on_delivery_order_is_placed_and_owes_its_total(client, container):
    with running_woo() as shop:
        woo_shop(client, shop, {"MUG": 5})
        body = {**woo_order(923, [("MUG", 1, "10.50", "2.00")]), "payment_method": "cod",
                "payment_method_title": "Cash on delivery"}
        placed = ok(deliver_to_woo(client, body, "c1"))
    assert placed["status"] == "placed"
    assert order_of(client, placed)["payment_status"] == "unpaid"


def test_each_variation_of_a_variable_product_gets_the_stock_of_its_own_sku(
        client, container, clock):
    with running_woo() as shop:
        woo_shop(client, shop, {"MUG": 5})
        shop.add_product("TEE", kind="variable", variations=("TEE-S", "TEE-M"))
        for sku, units in (("TEE-S", 4), ("TEE-M", 2)):
            make_product(client, sku)
            add_stock(client, sku, "ber", units)
        sync(container)
        tee = shop.products[-1]["id"]
        body = woo_order(924, [("TEE-M", 1, "16.81", "3.19")])
        body["line_items"][0].update(product_id=tee,
                                     variation_id=shop.variations[tee][1]["id"])
        placed = ok(deliver_to_woo(client, body, "v1"))
        later(clock, 120)  # the next stock comparison is due
        sync(container)
        put = shop.on("PUT", rf"{API}/products/{tee}/variations/\d+")
    assert (shop.stock("TEE-S"), shop.stock("TEE-M"), shop.stock("MUG")) == (4, 1, 5)
    assert sorted(p.body["stock_quantity"] for p in put) == [1, 2, 4]  # M: 2, then 1
    assert put[0].body == {"manage_stock": True, "stock_quantity": 2}
    assert shop.stock("BUNDLE-S") is None  # a variation we do not sell is left alone
    assert order_of(client, placed)["lines"][0]["sku"] == "TEE-M"
