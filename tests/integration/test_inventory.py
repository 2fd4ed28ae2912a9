from ordermesh.inventory.ledger import ledger_drift
from tests.helpers import add_stock, make_location, make_product, ok, order_body, shop, stock_of


def test_stock_is_reported_per_location_with_totals(client):
    shop(client, {"TEE": {"ber": 4, "ham": 6}})
    stock = stock_of(client, "TEE")
    assert [(s["location"], s["on_hand"], s["available"]) for s in stock["locations"]] == [
        ("ber", 4, 4), ("ham", 6, 6)]
    assert stock["totals"] == {"on_hand": 10, "reserved": 0, "available": 10}


def test_a_product_without_stock_reports_zero(client):
    make_product(client, "NEW")
    assert stock_of(client, "NEW")["totals"] == {"on_hand": 0, "reserved": 0, "available": 0}


def test_an_unknown_sku_has_no_stock_page(client):
    assert ok(client.get("/api/v1/inventory/NOPE"), 404)["code"] == "not-found"


def test_removing_stock_that_is_reserved_for_orders_is_refused(client):
    shop(client, {"TEE": {"ber": 5}})
    ok(client.post("/api/v1/orders", json=order_body([("TEE", 4, "5")])), 201)
    problem = ok(client.post("/api/v1/inventory/adjustments", json={
        "sku": "TEE", "location": "ber", "quantity_delta": -2, "reason": "damaged"}), 409)
    assert problem["on_hand"] == 5 and problem["reserved"] == 4
    after = ok(client.post("/api/v1/inventory/adjustments", json={
        "sku": "TEE", "location": "ber", "quantity_delta": -1, "reason": "damaged",
        "note": "dropped"}), 201)
    assert after["totals"] == {"on_hand": 4, "reserved": 4, "available": 0}


def test_counters_always_agree_with_the_ledger(client, uow):
    shop(client, {"TEE": {"ber": 5, "ham": 5}, "MUG": {"ber": 3}})
    make_location(client, "muc")
    add_stock(client, "MUG", "muc", 2)
    a = ok(client.post("/api/v1/orders", json=order_body([("TEE", 7, "5"), ("MUG", 4, "2")])),
           201)
    ok(client.post(f"/api/v1/orders/{a['id']}/cancel",
                   json={"lines": [{"line_no": 1, "quantity": 3}]}))
    ok(client.post("/api/v1/orders", json=order_body([("TEE", 1, "5")])), 201)
    ok(client.post("/api/v1/inventory/adjustments", json={
        "sku": "TEE", "location": "ham", "quantity_delta": -1, "reason": "lost"}), 201)
    ok(client.post(f"/api/v1/orders/{a['id']}/cancel", json={}))
    with uow(write=False) as u:
        assert ledger_drift(u) == []
