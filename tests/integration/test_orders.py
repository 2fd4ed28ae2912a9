from datetime import timedelta

from tests.helpers import ok, order_body, shop, stock_of

ADDRESS = {"name": "Ada Lovelace", "line1": "Invalidenstr. 1", "city": "Berlin",
           "postal_code": "10115", "country": "DE"}


def place(client, lines, **extra):
    return client.post("/api/v1/orders", json=order_body(lines, **extra))


def test_placing_an_order_reserves_every_line_and_returns_totals(client):
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 5}})
    order = ok(place(client, [("TEE", 2, "19.99"), ("MUG", 1, "8.50")],
                     customer={"email": "Ada@Example.com", "name": "Ada"},
                     shipping_address=ADDRESS, shipping_price="4.90"), 201)
    assert order["status"] == "confirmed"
    assert order["number"].startswith("OM-")
    eur = {"currency": "EUR"}
    assert order["totals"] == {"subtotal": {"amount": "48.48", **eur},
                               "discount": {"amount": "0.00", **eur},
                               "shipping": {"amount": "4.90", **eur},
                               "tax": {"amount": "8.52", **eur},  # German VAT inside
                               "total": {"amount": "53.38", **eur},
                               "refunded": {"amount": "0.00", **eur}}
    assert [ln["line_total"]["amount"] for ln in order["lines"]] == ["39.98", "8.50"]
    assert order["lines"][0]["allocations"] == [
        {"location": "ber", "location_id": order["lines"][0]["allocations"][0]["location_id"],
         "quantity": 2}]
    assert stock_of(client, "TEE")["totals"] == {"on_hand": 10, "reserved": 2, "available": 8}
    assert stock_of(client, "MUG")["totals"] == {"on_hand": 5, "reserved": 1, "available": 4}
    assert [h["to_status"] for h in order["history"]] == ["pending", "confirmed"]


def test_an_order_can_be_read_by_id_and_by_number(client):
    shop(client, {"TEE": {"ber": 3}})
    order = ok(place(client, [("TEE", 1, "5")]), 201)
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["id"] == order["id"]
    assert ok(client.get(f"/api/v1/orders/{order['number']}"))["id"] == order["id"]


def test_a_line_is_taken_whole_from_one_location_when_one_has_enough(client):
    shop(client, {"TEE": {"ber": 2, "ham": 6}})
    order = ok(place(client, [("TEE", 5, "5")]), 201)
    assert [(a["location"], a["quantity"]) for a in order["lines"][0]["allocations"]] == [
        ("ham", 5)]


def test_a_line_is_split_over_locations_when_none_has_enough_alone(client):
    shop(client, {"TEE": {"ber": 3, "ham": 4}})
    order = ok(place(client, [("TEE", 6, "5")]), 201)
    allocs = {a["location"]: a["quantity"] for a in order["lines"][0]["allocations"]}
    assert allocs == {"ber": 2, "ham": 4}
    assert stock_of(client, "TEE")["totals"]["available"] == 1


def test_an_order_that_cannot_be_filled_is_refused_whole_and_names_each_short_sku(client):
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 1}, "CAP": {"ber": 0}})
    response = place(client, [("TEE", 2, "5"), ("MUG", 3, "5"), ("CAP", 1, "5")])
    problem = ok(response, 409)
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["code"] == "insufficient-stock"
    assert sorted(problem["shortages"], key=lambda s: s["sku"]) == [
        {"sku": "CAP", "requested": 1, "available": 0},
        {"sku": "MUG", "requested": 3, "available": 1}]
    assert stock_of(client, "TEE")["totals"]["reserved"] == 0
    assert ok(client.get("/api/v1/orders"))["items"] == []


def test_cancelling_a_whole_order_releases_exactly_what_was_reserved(client):
    shop(client, {"TEE": {"ber": 3, "ham": 4}, "MUG": {"ber": 5}})
    order = ok(place(client, [("TEE", 6, "5"), ("MUG", 2, "3")]), 201)
    cancelled = ok(client.post(f"/api/v1/orders/{order['id']}/cancel",
                               json={"reason": "customer asked"}))
    assert cancelled["status"] == "cancelled"
    assert cancelled["totals"]["total"]["amount"] == "0.00"
    assert all(ln["allocations"] == [] for ln in cancelled["lines"])
    for sku, on_hand in (("TEE", 7), ("MUG", 5)):
        assert stock_of(client, sku)["totals"] == {"on_hand": on_hand, "reserved": 0,
                                                   "available": on_hand}
    assert cancelled["history"][-1]["reason"] == "customer asked"


def test_cancelling_some_units_keeps_the_order_and_reprices_it(client):
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 5}})
    order = ok(place(client, [("TEE", 4, "10.00"), ("MUG", 1, "3.00")]), 201)
    after = ok(client.post(f"/api/v1/orders/{order['id']}/cancel",
                           json={"lines": [{"line_no": 1, "quantity": 3}]}))
    assert after["status"] == "confirmed"
    assert after["lines"][0]["open_quantity"] == 1
    assert after["totals"]["total"]["amount"] == "13.00"
    assert stock_of(client, "TEE")["totals"]["reserved"] == 1
    rest = ok(client.post(f"/api/v1/orders/{order['id']}/cancel",
                          json={"lines": [{"line_no": 1, "quantity": 1},
                                          {"line_no": 2, "quantity": 1}]}))
    assert rest["status"] == "cancelled"
    assert stock_of(client, "MUG")["totals"]["reserved"] == 0


def test_a_held_order_goes_back_to_its_status_when_released(client):
    shop(client, {"TEE": {"ber": 2}})
    order = ok(place(client, [("TEE", 1, "5")]), 201)
    held = ok(client.post(f"/api/v1/orders/{order['id']}/hold", json={"reason": "fraud check"}))
    assert held["status"] == "on_hold"
    released = ok(client.post(f"/api/v1/orders/{order['id']}/release-hold", json={}))
    assert released["status"] == "confirmed"
    assert [h["to_status"] for h in released["history"]] == [
        "pending", "confirmed", "on_hold", "confirmed"]
    assert released["history"][2]["actor"] == "apikey:env-admin"


def test_an_illegal_transition_is_a_conflict_and_changes_nothing(client):
    shop(client, {"TEE": {"ber": 2}})
    order = ok(place(client, [("TEE", 1, "5")]), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={}))
    problem = ok(client.post(f"/api/v1/orders/{order['id']}/hold", json={"reason": "x"}), 409)
    assert problem["code"] == "illegal-transition"
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["status"] == "cancelled"


def test_the_customer_is_matched_by_email_then_by_phone_across_channels(client):
    shop(client, {"TEE": {"ber": 10}})
    ok(client.post("/api/v1/channels", json={"code": "amazon-de", "name": "Amazon",
                                              "kind": "marketplace", "currency": "EUR"}), 201)
    first = ok(place(client, [("TEE", 1, "5")], customer={"email": "ada@example.com"}), 201)
    second = ok(place(client, [("TEE", 1, "5")], channel="amazon-de",
                      customer={"email": "ADA@example.com ", "phone": "+49 30 1234"}), 201)
    by_phone = ok(place(client, [("TEE", 1, "5")], customer={"phone": "+49 (30) 12-34"}), 201)
    assert first["customer_id"] == second["customer_id"]
    assert by_phone["customer_id"] == first["customer_id"]  # gained the phone on order two
    stranger = ok(place(client, [("TEE", 1, "5")], customer={"phone": "+44 20 7946 0000"}), 201)
    assert stranger["customer_id"] != first["customer_id"]
    customer = ok(client.get(f"/api/v1/customers/{first['customer_id']}"))
    assert customer["phone"] == "+49301234"
    assert {o["channel"] for o in customer["orders"]} == {"web", "amazon-de"}


def test_orders_are_listed_newest_first_with_filters_and_a_cursor(client, clock):
    shop(client, {"TEE": {"ber": 100}})
    ok(client.post("/api/v1/channels", json={"code": "store", "name": "Store", "kind": "store",
                                              "currency": "EUR"}), 201)
    ids = []
    for i in range(5):
        clock.advance(timedelta(hours=1))
        channel = "store" if i % 2 else "web"
        ids.append(ok(place(client, [("TEE", 1, "5")], channel=channel), 201)["id"])
    page1 = ok(client.get("/api/v1/orders", params={"limit": 2}))
    assert [o["id"] for o in page1["items"]] == ids[::-1][:2]
    page2 = ok(client.get("/api/v1/orders", params={"limit": 2, "cursor": page1["next_cursor"]}))
    assert [o["id"] for o in page2["items"]] == ids[::-1][2:4]
    store = ok(client.get("/api/v1/orders", params={"channel": "store"}))
    assert [o["id"] for o in store["items"]] == [ids[3], ids[1]]
    since = (clock.now() - timedelta(hours=1, minutes=30)).isoformat()
    recent = ok(client.get("/api/v1/orders", params={"created_from": since}))
    assert [o["id"] for o in recent["items"]] == [ids[4], ids[3]]
    ok(client.post(f"/api/v1/orders/{ids[0]}/cancel", json={}))
    cancelled = ok(client.get("/api/v1/orders", params={"status": "cancelled"}))
    assert [o["id"] for o in cancelled["items"]] == [ids[0]]


def test_every_change_is_in_the_event_log_in_order(client):
    shop(client, {"TEE": {"ber": 5}})
    order = ok(place(client, [("TEE", 2, "5")], customer={"email": "e@example.com"}), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={}))
    events = ok(client.get("/api/v1/events", params={"limit": 1000}))["items"]
    types = [e["type"] for e in events]
    # the order ships to Oregon (tests.helpers.DEFAULT_ADDRESS): its 0 % sales tax is
    # booked into the tax ledger when it is placed, and given back when it is cancelled
    assert types == ["channel.created", "location.created", "product.created",
                     "inventory.adjusted", "inventory.back_in_stock", "customer.created",
                     "tax.booked", "order.created", "order.sourced", "fulfilment.released",
                     "fulfilment.lines_cancelled", "fulfilment.cancelled", "tax.booked",
                     "order.cancelled"]
    assert [e["position"] for e in events] == list(range(1, len(events) + 1))
    created = events[7]
    assert created["aggregate_id"] == order["id"]
    assert created["payload"]["lines"][0] == {"line_no": 1, "sku": "TEE", "quantity": 2,
                                              "cancelled_quantity": 0, "unit_price": "5.00",
                                              "gross": "10.00", "tax": "0.00"}
    tail = ok(client.get("/api/v1/events", params={"after": created["position"], "type": "order."}))
    assert [e["type"] for e in tail["items"]] == ["order.sourced", "order.cancelled"]


def test_a_jpy_channel_prices_in_whole_yen(client):
    shop(client, {"TEE": {"ber": 5}}, currency="JPY")
    order = ok(place(client, [("TEE", 3, "1200")]), 201)
    assert order["totals"]["total"] == {"amount": "3600", "currency": "JPY"}


def test_large_amounts_come_back_from_the_database_to_the_cent(client):
    shop(client, {"GOLD": {"ber": 2000}}, currency="KWD")
    order = ok(place(client, [("GOLD", 1000, "987654321.123"), ("GOLD", 1, "0.001")],
                     shipping_price="12345.678"), 201)
    stored = ok(client.get(f"/api/v1/orders/{order['id']}"))
    assert stored["totals"]["subtotal"]["amount"] == "987654321123.001"
    assert stored["totals"]["total"]["amount"] == "987654333468.679"
    assert stored["lines"][0]["unit_price"]["amount"] == "987654321.123"


def test_two_lines_of_the_same_sku_are_reserved_together(client):
    shop(client, {"TEE": {"ber": 3, "ham": 4}})
    order = ok(place(client, [("TEE", 2, "5"), ("TEE", 3, "4")]), 201)
    allocated = [sorted((a["location"], a["quantity"]) for a in ln["allocations"])
                 for ln in order["lines"]]
    assert allocated == [[("ber", 1), ("ham", 1)], [("ham", 3)]]
    assert stock_of(client, "TEE")["totals"]["reserved"] == 5
    refused = ok(place(client, [("TEE", 1, "5"), ("TEE", 2, "5")]), 409)
    assert refused["shortages"] == [{"sku": "TEE", "requested": 3, "available": 2}]
