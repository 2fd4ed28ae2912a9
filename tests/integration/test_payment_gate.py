"""Goods leave only as the channel's payment rules say: paid on a channel capturing at
order, authorised on one capturing per shipment, cash on delivery or invoice terms on
either, or an operator's recorded override."""

from __future__ import annotations

from tests.fulfilment_helpers import fos_of, fshop, pick_all, stock_at
from tests.fulfilment_helpers import place as place_items
from tests.helpers import capture_later, ok, pay
from tests.shipping_helpers import make_carrier, packed_fo, place, ready_shop

STORE = {"kind": "store", "capabilities": ["ship", "pickup"],
         "address": {"line1": "Alexanderplatz 1", "city": "Berlin", "country": "DE"}}


def _all_events(client) -> list[dict]:
    return ok(client.get("/api/v1/events", params={"limit": 1000}))["items"]


def _order_of_fo(client, fo_id: str) -> dict:
    fo = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))
    return ok(client.get(f"/api/v1/orders/{fo['order_id']}"))


def _unpaid_packed(client, container) -> tuple[str, dict]:
    ready_shop(client, container)
    make_carrier(client, "sim")
    fo_id = packed_fo(client, container, paid=False)
    return fo_id, _order_of_fo(client, fo_id)


def _ship(client, fo_id: str):
    """Book the carrier (the parcels are still at the location)."""
    return client.post(f"/api/v1/fulfilment-orders/{fo_id}/ship", json={})


def _hand_over(client, fo_id: str):
    """Hand the parcels to the carrier: the order ships."""
    return client.post(f"/api/v1/fulfilment-orders/{fo_id}/handover", json={})


def _ship_and_hand_over(client, fo_id: str) -> None:
    ok(_ship(client, fo_id), 201)
    assert ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))["status"] == "label_created"
    assert ok(_hand_over(client, fo_id))["status"] == "shipped"


def _refused(response, needs: str) -> dict:
    problem = ok(response, 409)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["type"] == "urn:ordermesh:problem:payment-required"
    assert problem["title"] == "Payment required"
    assert problem["needs"] == needs
    return problem


def test_unpaid_order_cannot_ship_on_capture_at_order_channel_and_nothing_changes(
        client, container):
    fo_id, order = _unpaid_packed(client, container)
    assert order["payment_status"] == "unpaid"
    before = (ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}")),
              ok(client.get("/api/v1/inventory/TEE")), _all_events(client))
    problem = _refused(_ship(client, fo_id), "captured")
    assert "must be paid (captured)" in problem["detail"]
    assert "payment status unpaid" in problem["detail"]
    assert (problem["payment_status"], problem["owed"], problem["captured"]) == (
        "unpaid", "39.98", "0.00")
    handed = _refused(_hand_over(client, fo_id), "captured")
    assert "payment status unpaid" in handed["detail"]
    recorded = client.post(f"/api/v1/orders/{order['id']}/shipments",
                           json={"lines": [{"line_no": 1, "quantity": 2}]})
    _refused(recorded, "captured")
    after = (ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}")),
             ok(client.get("/api/v1/inventory/TEE")), _all_events(client))
    assert after == before
    assert after[0]["status"] == "packed"


def test_authorised_is_not_enough_on_a_channel_capturing_at_order(client, container):
    fo_id, order = _unpaid_packed(client, container)
    ok(client.post(f"/api/v1/orders/{order['id']}/payments", json={
        "provider": "test", "source": "4242424242424242", "capture": False}), 201)
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["payment_status"] == "authorised"
    problem = _refused(_ship(client, fo_id), "captured")
    assert "39.98 EUR authorised" in problem["detail"]


def test_paid_order_ships_on_capture_at_order_channel(client, container):
    fo_id, order = _unpaid_packed(client, container)
    pay(client, order)
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["payment_status"] == "paid"
    _ship_and_hand_over(client, fo_id)
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["status"] == "shipped"


def test_authorised_is_enough_on_a_per_shipment_channel(client, container):
    ready_shop(client, container)
    make_carrier(client, "sim")
    capture_later(client)
    fo_id = packed_fo(client, container, paid=False)
    order = _order_of_fo(client, fo_id)
    _refused(_ship(client, fo_id), "authorised")
    pay(client, order)
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["payment_status"] == "authorised"
    _ship_and_hand_over(client, fo_id)
    shipped = ok(client.get(f"/api/v1/orders/{order['id']}"))
    assert (shipped["status"], shipped["payment_status"]) == ("shipped", "paid")


def test_a_booked_order_whose_payment_went_away_is_refused_at_the_hand_over(
        client, container):
    ready_shop(client, container)
    make_carrier(client, "sim")
    capture_later(client)
    fo_id = packed_fo(client, container, paid=False)
    order = _order_of_fo(client, fo_id)
    payment = pay(client, order)
    ok(_ship(client, fo_id), 201)
    ok(client.post(f"/api/v1/payments/{payment['id']}/void"))
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["payment_status"] == "unpaid"
    before = (ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}")),
              ok(client.get("/api/v1/inventory/TEE")),
              ok(client.get(f"/api/v1/orders/{order['id']}")), _all_events(client))
    _refused(_hand_over(client, fo_id), "authorised")
    after = (ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}")),
             ok(client.get("/api/v1/inventory/TEE")),
             ok(client.get(f"/api/v1/orders/{order['id']}")), _all_events(client))
    assert after == before
    assert (after[0]["status"], after[2]["status"]) == ("label_created", "processing")


def test_cash_on_delivery_order_ships_and_is_paid_when_the_money_is_collected(
        client, container):
    fo_id, order = _unpaid_packed(client, container)
    cod = pay(client, order, "cash_on_delivery")
    assert (cod["status"], cod["captured"]["amount"]) == ("authorised", "0.00")
    _ship_and_hand_over(client, fo_id)
    shipped = ok(client.get(f"/api/v1/orders/{order['id']}"))
    assert (shipped["status"], shipped["payment_status"]) == ("shipped", "authorised")
    assert shipped["payment"]["methods"] == ["cash_on_delivery"]
    ok(client.post(f"/api/v1/payments/{cod['id']}/capture"))  # the courier brought it
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["payment_status"] == "paid"


def test_cash_on_delivery_is_not_captured_by_a_shipment_on_a_per_shipment_channel(
        client, container):
    ready_shop(client, container)
    make_carrier(client, "sim")
    capture_later(client)
    fo_id = packed_fo(client, container, paid=False)
    order = _order_of_fo(client, fo_id)
    pay(client, order, "cash_on_delivery")
    _ship_and_hand_over(client, fo_id)
    shipment = ok(client.get(f"/api/v1/orders/{order['id']}/shipments"))["items"][0]
    assert shipment["captured"] == "0.00"
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["payment_status"] == "authorised"


def test_invoice_terms_order_ships_with_its_due_date(client, container):
    fo_id, order = _unpaid_packed(client, container)
    terms = ok(client.post(f"/api/v1/orders/{order['id']}/payments", json={
        "provider": "manual", "method": "invoice_terms", "due_in_days": 14}), 201)
    assert (terms["method"], terms["status"], terms["due_date"]) == (
        "invoice_terms", "authorised", "2026-12-10")
    _ship_and_hand_over(client, fo_id)
    shipped = ok(client.get(f"/api/v1/orders/{order['id']}"))
    assert shipped["status"] == "shipped"
    assert (shipped["payment"]["methods"], shipped["payment"]["due_date"]) == (
        ["invoice_terms"], "2026-12-10")


def test_invoice_terms_are_net_30_unless_told_and_a_due_date_needs_invoice_terms(
        client, container):
    _, order = _unpaid_packed(client, container)
    card_with_terms = client.post(f"/api/v1/orders/{order['id']}/payments", json={
        "provider": "manual", "method": "bank_transfer", "due_in_days": 30})
    assert ok(card_with_terms, 422)["errors"][0]["code"] == "due_date_mismatch"
    terms = pay(client, order, "invoice_terms")
    assert terms["due_date"] == "2026-12-26"


def test_override_lets_an_unpaid_order_ship_and_is_recorded_with_actor_and_reason(
        client, container):
    fo_id, order = _unpaid_packed(client, container)
    url = f"/api/v1/orders/{order['id']}/payment-override"
    assert ok(client.post(url, json={"reason": "  "}), 422)
    headers = {"Idempotency-Key": "override-1"}
    body = {"reason": "key account, pays on monthly statement"}
    released = ok(client.post(url, json=body, headers=headers), 201)
    assert released["status"] == "unpaid"
    assert released["override"]["reason"] == "key account, pays on monthly statement"
    assert released["override"]["actor"] == "apikey:env-admin"
    again = client.post(url, json=body, headers=headers)
    assert ok(again, 201) == released and again.headers["Idempotent-Replayed"] == "true"
    assert ok(client.post(url, json=body), 409)["detail"].startswith(
        f"Order {order['number']} was released without payment already")
    [event] = [e for e in _all_events(client) if e["type"] == "order.payment_override"]
    assert event["payload"]["reason"] == body["reason"]
    assert event["payload"]["actor"] == "apikey:env-admin"
    assert event["payload"]["payment_status"] == "unpaid"
    _ship_and_hand_over(client, fo_id)
    shipped = ok(client.get(f"/api/v1/orders/{order['id']}"))
    assert (shipped["status"], shipped["payment_status"]) == ("shipped", "unpaid")
    assert shipped["payment"]["override"]["actor"] == "apikey:env-admin"


def test_unpaid_pickup_cannot_be_collected_until_paid(client):
    fshop(client, {"TEE": {"sto": 5}}, locations={"sto": STORE})
    order = place_items(client, [("TEE", 2, "10.00")], shipping_address=None, paid=False,
                        fulfilment={"method": "pickup", "pickup_location": "sto"})
    fo_id = fos_of(client, order["id"])[0]["id"]
    pick_all(client, "sto")
    code = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/ready-for-pickup",
                          json={}))["pickup_code"]
    stock = stock_at(client, "TEE", "sto")
    refused = client.post(f"/api/v1/fulfilment-orders/{fo_id}/pickup", json={"code": code})
    assert "cannot be collected" in _refused(refused, "captured")["detail"]
    fo = ok(client.get(f"/api/v1/fulfilment-orders/{fo_id}"))
    assert (fo["status"], stock_at(client, "TEE", "sto")) == ("ready_for_pickup", stock)
    pay(client, order)
    collected = ok(client.post(f"/api/v1/fulfilment-orders/{fo_id}/pickup",
                               json={"code": code}))
    assert collected["status"] == "picked_up"


def test_each_payment_status_is_shown_on_the_order_and_in_the_list(client, container):
    ready_shop(client, container)
    capture_later(client)
    order = place(client, paid=False)  # 2 x 19.99 = 39.98

    def status() -> str:
        one = ok(client.get(f"/api/v1/orders/{order['id']}"))["payment_status"]
        listed = ok(client.get("/api/v1/orders"))["items"]
        assert [o["payment_status"] for o in listed if o["id"] == order["id"]] == [one]
        return one

    seen = [status()]
    payment = pay(client, order)
    seen.append(status())
    base = f"/api/v1/payments/{payment['id']}"
    ok(client.post(f"{base}/capture", json={"amount": "10.00"}))
    seen.append(status())
    ok(client.post(f"{base}/capture"))
    seen.append(status())
    ok(client.post(f"{base}/refund", json={"amount": "9.98", "reason": "goodwill"}))
    seen.append(status())
    ok(client.post(f"{base}/refund", json={"amount": "30.00", "reason": "goodwill"}))
    seen.append(status())
    assert seen == ["unpaid", "authorised", "partly_paid", "paid", "partly_refunded",
                    "refunded"]
