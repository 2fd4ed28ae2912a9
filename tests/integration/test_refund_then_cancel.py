"""Units refunded before they ship, then the rest of the order cancelled: the order ends
cancelled, every cent paid is back, and the refund and the cancellation together give
back exactly the order's tax, per rate, to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from ordermesh.tax.tables import tax_entries
from tests.helpers import add_stock, make_product, ok, order_body, shop, stock_of
from tests.stock_checks import assert_no_drift

BERLIN = {"name": "Ada", "line1": "Main St 1", "city": "Berlin", "country": "DE"}
CARD = "4242424242424242"


def D(value) -> Decimal:
    return Decimal(value["amount"] if isinstance(value, dict) else value)


def paid_order(client, lines, **extra) -> dict:
    order = ok(client.post("/api/v1/orders", json=order_body(
        lines, shipping_address=BERLIN, **extra)), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/payments",
                   json={"provider": "test", "source": CARD}), 201)
    return order


def refund_units(client, order_id: str, *units: tuple[int, int]) -> dict:
    return ok(client.post(f"/api/v1/orders/{order_id}/refunds", json={
        "lines": [{"line_no": n, "quantity": q} for n, q in units],
        "reason": "not wanted"}), 201)


def cancel(client, order_id: str) -> dict:
    return ok(client.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "changed mind"}))


def refunds_of(client, order_id: str) -> list[dict]:
    return ok(client.get(f"/api/v1/orders/{order_id}/refunds"))["items"]


def payments_of(client, order_id: str) -> dict:
    return ok(client.get(f"/api/v1/orders/{order_id}/payments"))["summary"]


def ledger(container, order_id: str) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """rate -> (taxable, tax) booked in the tax ledger for one order."""
    e = tax_entries.c
    with container.engine.connect() as conn:
        rows = conn.execute(
            select(e.rate_percent, func.sum(e.taxable_amount), func.sum(e.tax_amount))
            .where(e.order_id == order_id).group_by(e.rate_percent)).all()
    return {Decimal(rate).normalize(): (Decimal(taxable), Decimal(tax))
            for rate, taxable, tax in rows}


def assert_everything_given_back(client, container, placed: dict) -> None:
    """Money, tax and stock of a cancelled order whose every unit was refunded or
    cancelled: all of it back, and nothing left in the tax ledger."""
    order_id = placed["id"]
    refunds = refunds_of(client, order_id)
    assert sum(D(r["amount"]) for r in refunds) == D(placed["totals"]["total"])
    assert sum(D(r["tax"]) for r in refunds) == D(placed["totals"]["tax"])
    payments = payments_of(client, order_id)
    assert D(payments["refunded"]) == D(payments["captured"]) == D(placed["totals"]["total"])
    assert all(entry == (0, 0) for entry in ledger(container, order_id).values()), \
        ledger(container, order_id)
    after = ok(client.get(f"/api/v1/orders/{order_id}"))
    assert D(after["totals"]["total"]) == D(after["totals"]["refunded"])
    assert D(after["totals"]["tax"]) == sum(D(r["tax"]) for r in refunds
                                            if r["kind"] == "refund")


def test_refunding_two_of_three_unshipped_units_then_cancelling_cancels_the_order(
        client, container, uow):
    shop(client, {"TEE": {"ber": 10}})
    # 3 x 13.33 incl. 19 % VAT: 6.38 of tax, two thirds of it 4.25, while two units
    # priced on their own would carry 4.26
    placed = paid_order(client, [("TEE", 3, "13.33")], shipping_price="4.90")
    refund = refund_units(client, placed["id"], (1, 2))
    assert (D(refund["amount"]), D(refund["tax"])) == (Decimal("26.66"), Decimal("4.25"))
    cancelled = cancel(client, placed["id"])
    assert cancelled["status"] == "cancelled"
    line = cancelled["lines"][0]
    assert (line["cancelled_quantity"], line["refunded_quantity"]) == (1, 2)
    # the third unit and the shipping come back with the cancellation
    last = refunds_of(client, placed["id"])[-1]
    assert last["kind"] == "cancellation"
    assert (D(last["amount"]), D(last["tax"])) == (Decimal("18.23"), Decimal("2.91"))
    assert_everything_given_back(client, container, placed)
    assert stock_of(client, "TEE")["totals"] == {"on_hand": 10, "reserved": 0, "available": 10}
    again = client.post(f"/api/v1/orders/{placed['id']}/cancel", json={})
    assert again.status_code == 409
    assert_no_drift(uow)


# odd cents at 19 % and 7 %: two thirds of a line's tax (or, prices before tax, of its
# gross) round to a cent more or less than two units priced on their own would
@pytest.mark.parametrize("mode, prices", [
    ("inclusive", {"TEE": "19.99", "MUG": "8.88", "BOOK": "3.33"}),
    ("exclusive", {"TEE": "2.22", "MUG": "9.99", "BOOK": "1.04"}),
])
def test_refunding_units_of_several_lines_at_two_rates_then_cancelling_gives_back_every_cent(
        client, container, uow, mode, prices):
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 10}})
    make_product(client, "BOOK", tax_class="reduced")
    add_stock(client, "BOOK", "ber", 10)
    channel = ok(client.get("/api/v1/channels"))["items"][0]
    ok(client.patch(f"/api/v1/channels/{channel['id']}", json={"pricing_mode": mode}))
    placed = paid_order(client, [(sku, 3, price) for sku, price in prices.items()],
                        shipping_price="4.90")
    refund_units(client, placed["id"], (1, 2), (2, 1))
    refund_units(client, placed["id"], (2, 1), (3, 2))
    cancelled = cancel(client, placed["id"])
    assert cancelled["status"] == "cancelled"
    assert [(ln["cancelled_quantity"], ln["refunded_quantity"])
            for ln in cancelled["lines"]] == [(1, 2), (1, 2), (1, 2)]
    assert_everything_given_back(client, container, placed)
    assert set(ledger(container, placed["id"])) == {Decimal(19), Decimal(7)}
    for sku in prices:
        assert stock_of(client, sku)["totals"] == {"on_hand": 10, "reserved": 0,
                                                   "available": 10}, sku
    assert_no_drift(uow)
