"""Refunds, cancellations, edits and shipments of paid orders keep every cent accounted for."""

from __future__ import annotations

from decimal import Decimal

from tests.helpers import capture_later, ok, order_body, shop, stock_of
from tests.stock_checks import assert_no_drift

BERLIN = {"name": "Ada", "line1": "Main St 1", "city": "Berlin", "country": "DE"}
PARIS = {"name": "Bea", "line1": "Rue 1", "city": "Paris", "country": "FR"}
CARD = "4242424242424242"


def paid_order(client, lines, capture=True, **extra) -> dict:
    order = ok(client.post("/api/v1/orders", json=order_body(
        lines, shipping_address=BERLIN, **extra)), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/payments",
                   json={"provider": "test", "source": CARD, "capture": capture}), 201)
    return order


def summary(client, order_id) -> dict:
    return ok(client.get(f"/api/v1/orders/{order_id}/payments"))["summary"]


def money(value: dict | str) -> Decimal:
    return Decimal(value["amount"] if isinstance(value, dict) else value)


def order_of(client, order_id) -> dict:
    return ok(client.get(f"/api/v1/orders/{order_id}"))


def test_refunding_a_line_unit_by_unit_gives_back_exactly_the_line(client):
    shop(client, {"TEE": {"ber": 10}})
    order = paid_order(client, [("TEE", 3, "10.00")], discount="0.01")
    line_gross = money(order["lines"][0]["gross"])  # 29.99: three units do not split evenly
    refunds = [ok(client.post(f"/api/v1/orders/{order['id']}/refunds", json={
        "lines": [{"line_no": 1, "quantity": 1}], "reason": "returned"}), 201)
        for _ in range(3)]
    assert sum(Decimal(r["amount"]) for r in refunds) == line_gross
    assert sum(Decimal(r["tax"]) for r in refunds) == money(order["lines"][0]["tax"])
    after = order_of(client, order["id"])
    assert after["lines"][0]["refunded_quantity"] == 3
    assert money(after["totals"]["refunded"]) == line_gross
    assert money(summary(client, order["id"])["refunded"]) == line_gross


def test_a_refund_beyond_what_is_left_is_refused_and_changes_nothing(client):
    shop(client, {"TEE": {"ber": 10}})
    order = paid_order(client, [("TEE", 1, "10.00")], shipping_price="5.00")
    too_much = client.post(f"/api/v1/orders/{order['id']}/refunds",
                           json={"amount": "15.01", "reason": "goodwill"})
    assert too_much.status_code == 422
    too_many = client.post(f"/api/v1/orders/{order['id']}/refunds", json={
        "lines": [{"line_no": 1, "quantity": 2}], "reason": "returned"})
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["code"] == "exceeds_refundable_quantity"
    shipping = client.post(f"/api/v1/orders/{order['id']}/refunds",
                           json={"shipping": "5.01", "reason": "late"})
    assert shipping.status_code == 422
    assert money(order_of(client, order["id"])["totals"]["refunded"]) == 0
    assert money(summary(client, order["id"])["refunded"]) == 0
    assert ok(client.get(f"/api/v1/orders/{order['id']}/refunds"))["items"] == []


def test_an_unpaid_order_cannot_be_refunded(client):
    shop(client, {"TEE": {"ber": 10}})
    order = ok(client.post("/api/v1/orders", json=order_body([("TEE", 1, "10.00")])), 201)
    response = client.post(f"/api/v1/orders/{order['id']}/refunds",
                           json={"amount": "1.00", "reason": "goodwill"})
    assert response.status_code in (409, 422)
    assert money(order_of(client, order["id"])["totals"]["refunded"]) == 0


def test_goodwill_and_shipping_refunds_carry_their_share_of_tax(client):
    shop(client, {"TEE": {"ber": 10}})
    order = paid_order(client, [("TEE", 1, "100.00")], shipping_price="11.90")
    refund = ok(client.post(f"/api/v1/orders/{order['id']}/refunds", json={
        "shipping": "11.90", "amount": "10.00", "reason": "late delivery"}), 201)
    assert refund["amount"] == "21.90"
    assert refund["tax"] == "3.50"  # 1.90 of shipping VAT + 1.60 in the goodwill amount
    report = ok(client.get("/api/v1/tax/report",
                           params={"from": "2026-11-01", "to": "2026-11-30"}))
    row = next(r for r in report["rows"] if r["jurisdiction"] == "DE")
    assert Decimal(row["tax_refunded"]) == Decimal("3.50")


def test_cancelling_a_captured_order_refunds_it_and_releases_the_stock(client):
    shop(client, {"TEE": {"ber": 10}})
    order = paid_order(client, [("TEE", 2, "10.00")], shipping_price="4.90")
    cancelled = ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={}))
    assert cancelled["status"] == "cancelled"
    assert money(cancelled["totals"]["total"]) == 0
    assert money(summary(client, order["id"])["refunded"]) == Decimal("24.90")
    assert stock_of(client, "TEE")["totals"]["reserved"] == 0
    refunds = ok(client.get(f"/api/v1/orders/{order['id']}/refunds"))["items"]
    assert [(r["kind"], r["amount"]) for r in refunds] == [("cancellation", "24.90")]


def test_cancelling_part_of_an_authorised_order_voids_what_is_no_longer_needed(client):
    shop(client, {"TEE": {"ber": 10}})
    order = paid_order(client, [("TEE", 2, "10.00")], capture=False)
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel",
                   json={"lines": [{"line_no": 1, "quantity": 1}]}))
    s = summary(client, order["id"])
    assert money(s["voided"]) == Decimal("10.00")
    assert money(s["captured"]) == 0


def test_growing_a_paid_order_authorises_and_captures_the_difference(client):
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 5}})
    order = paid_order(client, [("TEE", 1, "10.00")])
    edited = ok(client.post(f"/api/v1/orders/{order['id']}/edits", json={
        "edits": [{"op": "set_quantity", "line_no": 1, "quantity": 3},
                  {"op": "add_line", "sku": "MUG", "quantity": 1, "unit_price": "5.00"}],
        "reason": "customer called"}))
    assert edited["version"] == 2
    assert money(edited["totals"]["total"]) == Decimal("35.00")
    s = summary(client, order["id"])
    assert money(s["captured"]) == Decimal("35.00")
    assert stock_of(client, "TEE")["totals"]["reserved"] == 3
    assert stock_of(client, "MUG")["totals"]["reserved"] == 1
    versions = ok(client.get(f"/api/v1/orders/{order['id']}/versions"))["items"]
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["settlement"]["authorised"] == "25.00"
    assert versions[1]["changes"][0] == {"op": "set_quantity", "line_no": 1, "quantity": 3}


def test_shrinking_a_paid_order_refunds_the_difference(client):
    shop(client, {"TEE": {"ber": 10}})
    order = paid_order(client, [("TEE", 3, "10.00")])
    ok(client.post(f"/api/v1/orders/{order['id']}/edits", json={
        "edits": [{"op": "set_quantity", "line_no": 1, "quantity": 1}]}))
    s = summary(client, order["id"])
    assert money(s["refunded"]) == Decimal("20.00")
    assert stock_of(client, "TEE")["totals"]["reserved"] == 1


def test_moving_the_address_to_another_country_retaxes_the_order(client):
    shop(client, {"TEE": {"ber": 10}})
    order = paid_order(client, [("TEE", 1, "12.00")])
    assert order["lines"][0]["tax"]["amount"] == "1.92"
    edited = ok(client.post(f"/api/v1/orders/{order['id']}/edits", json={
        "edits": [{"op": "set_shipping_address", "address": PARIS}]}))
    assert edited["tax"]["country"] == "FR"
    assert edited["lines"][0]["tax"]["amount"] == "2.00"
    assert money(edited["totals"]["total"]) == Decimal("12.00")  # prices include tax


def test_shipped_lines_cannot_be_edited_and_shipping_moves_the_status(client):
    shop(client, {"TEE": {"ber": 10}})
    order = paid_order(client, [("TEE", 2, "10.00")])
    shipment = ok(client.post(f"/api/v1/orders/{order['id']}/shipments", json={
        "lines": [{"line_no": 1, "quantity": 1}], "carrier": "sim",
        "tracking_number": "SIM1"}), 201)
    assert shipment["value"] == "10.00"
    assert order_of(client, order["id"])["status"] == "partially_shipped"
    response = client.post(f"/api/v1/orders/{order['id']}/edits", json={
        "edits": [{"op": "set_quantity", "line_no": 1, "quantity": 5}]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "line_shipped"
    ok(client.post(f"/api/v1/orders/{order['id']}/shipments",
                   json={"lines": [{"line_no": 1, "quantity": 1}]}), 201)
    assert order_of(client, order["id"])["status"] == "shipped"
    too_many = client.post(f"/api/v1/orders/{order['id']}/shipments",
                           json={"lines": [{"line_no": 1, "quantity": 1}]})
    assert too_many.status_code == 409


def test_a_channel_that_captures_per_shipment_takes_what_each_shipment_is_worth(client):
    shop(client, {"TEE": {"ber": 10}})
    channel = ok(client.get("/api/v1/channels"))["items"][0]
    ok(client.patch(f"/api/v1/channels/{channel['id']}", json={"capture_policy": "shipment"}))
    order = paid_order(client, [("TEE", 3, "10.00")], capture=False, shipping_price="4.90",
                       discount="0.01")
    first = ok(client.post(f"/api/v1/orders/{order['id']}/shipments",
                           json={"lines": [{"line_no": 1, "quantity": 1}]}), 201)
    assert first["captured"] == "14.90"  # the first shipment carries the shipping charge
    ok(client.post(f"/api/v1/orders/{order['id']}/shipments",
                   json={"lines": [{"line_no": 1, "quantity": 2}]}), 201)
    s = summary(client, order["id"])
    assert money(s["captured"]) == money(order["totals"]["total"]) == Decimal("34.89")


def test_a_payment_is_captured_at_once_unless_the_channel_captures_per_shipment(client):
    shop(client, {"TEE": {"ber": 10}})
    first = ok(client.post("/api/v1/orders", json=order_body([("TEE", 1, "10.00")])), 201)
    ok(client.post(f"/api/v1/orders/{first['id']}/payments",
                   json={"provider": "test", "source": CARD}), 201)
    assert money(summary(client, first["id"])["captured"]) == Decimal("10.00")
    capture_later(client)
    second = ok(client.post("/api/v1/orders", json=order_body([("TEE", 1, "10.00")])), 201)
    ok(client.post(f"/api/v1/orders/{second['id']}/payments",
                   json={"provider": "test", "source": CARD}), 201)
    assert money(summary(client, second["id"])["captured"]) == 0
    assert money(summary(client, second["id"])["authorised"]) == Decimal("10.00")


def test_an_order_keeps_the_capture_policy_it_was_placed_with(client):
    shop(client, {"TEE": {"ber": 10}})
    order = ok(client.post("/api/v1/orders", json=order_body([("TEE", 1, "10.00")])), 201)
    capture_later(client)  # the channel changes its mind after the order was placed
    ok(client.post(f"/api/v1/orders/{order['id']}/payments",
                   json={"provider": "test", "source": CARD}), 201)
    assert money(summary(client, order["id"])["captured"]) == Decimal("10.00")


def test_a_tax_exclusive_shipment_captures_the_shipping_tax_too(client):
    shop(client, {"TEE": {"ber": 10}})
    channel = ok(client.get("/api/v1/channels"))["items"][0]
    ok(client.patch(f"/api/v1/channels/{channel['id']}",
                    json={"capture_policy": "shipment", "pricing_mode": "exclusive"}))
    order = paid_order(client, [("TEE", 2, "10.00")], capture=False, shipping_price="5.00")
    for _ in range(2):
        ok(client.post(f"/api/v1/orders/{order['id']}/shipments",
                       json={"lines": [{"line_no": 1, "quantity": 1}]}), 201)
    assert money(order["totals"]["total"]) == Decimal("29.75")  # 25.00 + 19 % German VAT
    assert money(summary(client, order["id"])["captured"]) == Decimal("29.75")


def test_raising_a_quantity_and_lowering_it_again_gives_the_same_amounts(client):
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 10}})
    body = order_body([("TEE", 2, "10.00"), ("MUG", 1, "5.00")], shipping_address=BERLIN,
                      discount="3.00")
    body["lines"][0]["discount"] = "4.00"
    order = ok(client.post("/api/v1/orders", json=body), 201)
    for quantity in (3, 2):
        edited = ok(client.post(f"/api/v1/orders/{order['id']}/edits", json={
            "edits": [{"op": "set_quantity", "line_no": 1, "quantity": quantity}]}))
    assert edited["lines"] == [{**before, "quantity": after["quantity"],
                                "cancelled_quantity": after["cancelled_quantity"]}
                               for before, after in zip(order["lines"], edited["lines"],
                                                        strict=True)]
    assert edited["totals"] == order["totals"]


def test_units_refunded_before_they_ship_are_not_shipped_and_the_rest_completes_it(
        client, uow):
    shop(client, {"TEE": {"ber": 10}})
    order = paid_order(client, [("TEE", 3, "10.00")])
    ok(client.post(f"/api/v1/orders/{order['id']}/refunds", json={
        "lines": [{"line_no": 1, "quantity": 1}], "reason": "out of stock at the shop"}), 201)
    too_many = client.post(f"/api/v1/orders/{order['id']}/shipments",
                           json={"lines": [{"line_no": 1, "quantity": 3}]})
    assert too_many.status_code == 422
    assert stock_of(client, "TEE")["totals"] == {"on_hand": 10, "reserved": 2, "available": 8}
    ok(client.post(f"/api/v1/orders/{order['id']}/shipments",
                   json={"lines": [{"line_no": 1, "quantity": 2}]}), 201)
    assert order_of(client, order["id"])["status"] == "shipped"
    # what shipped left the building; the refunded unit was never reserved again
    assert stock_of(client, "TEE")["totals"] == {"on_hand": 8, "reserved": 0, "available": 8}
    assert_no_drift(uow)


def test_a_retried_refund_edit_or_shipment_with_the_same_key_happens_once(client):
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 10}})
    order = paid_order(client, [("TEE", 3, "10.00"), ("MUG", 1, "5.00")])
    url = f"/api/v1/orders/{order['id']}"
    calls = [("shipments", {"lines": [{"line_no": 1, "quantity": 1}]}, 201),
             ("refunds", {"lines": [{"line_no": 1, "quantity": 1}], "reason": "returned"}, 201),
             ("edits", {"edits": [{"op": "set_quantity", "line_no": 2, "quantity": 3}]}, 200)]
    for path, body, status in calls:
        key = {"Idempotency-Key": f"retry-{path}"}
        first = ok(client.post(f"{url}/{path}", json=body, headers=key), status)
        again = client.post(f"{url}/{path}", json=body, headers=key)
        assert again.status_code == status and again.json() == first, path
    after = order_of(client, order["id"])
    tee, mug = after["lines"]
    assert (tee["shipped_quantity"], tee["refunded_quantity"]) == (1, 1)
    assert (mug["quantity"], after["version"]) == (3, 2)
    assert len(ok(client.get(f"{url}/refunds"))["items"]) == 1
    assert money(summary(client, order["id"])["refunded"]) == Decimal("10.00")
    assert money(summary(client, order["id"])["captured"]) == Decimal("45.00")
