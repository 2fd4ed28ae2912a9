from tests.helpers import ok, order_body, shop, stock_of


def _post(client, body, key):
    return client.post("/api/v1/orders", json=body, headers={"Idempotency-Key": key})


def test_a_retried_order_with_the_same_key_returns_the_first_order_and_reserves_once(client):
    shop(client, {"TEE": {"ber": 5}})
    body = order_body([("TEE", 2, "5")])
    first = _post(client, body, "retry-1")
    again = _post(client, body, "retry-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert stock_of(client, "TEE")["totals"]["reserved"] == 2
    assert len(ok(client.get("/api/v1/orders"))["items"]) == 1


def test_the_same_key_with_a_different_body_is_refused(client):
    shop(client, {"TEE": {"ber": 5}})
    ok(_post(client, order_body([("TEE", 1, "5")]), "k"), 201)
    problem = ok(_post(client, order_body([("TEE", 2, "5")]), "k"), 422)
    assert problem["code"] == "idempotency-key-reused"
    assert stock_of(client, "TEE")["totals"]["reserved"] == 1


def test_key_order_and_whitespace_in_the_json_do_not_make_a_different_request(client):
    shop(client, {"TEE": {"ber": 5}})
    body = order_body([("TEE", 1, "5")])
    first = ok(_post(client, body, "k"), 201)
    reordered = dict(reversed(list(body.items())))
    assert ok(_post(client, reordered, "k"), 201)["id"] == first["id"]


def test_a_key_is_free_again_after_the_request_failed(client):
    shop(client, {"TEE": {"ber": 1}})
    body = order_body([("TEE", 2, "5")])
    ok(_post(client, body, "k"), 409)
    ok(client.post("/api/v1/inventory/adjustments", json={
        "sku": "TEE", "location": "ber", "quantity_delta": 1, "reason": "found"}), 201)
    ok(_post(client, body, "k"), 201)


def test_the_same_key_on_another_endpoint_is_refused(client):
    shop(client, {"TEE": {"ber": 5}})
    ok(_post(client, order_body([("TEE", 1, "5")]), "shared"), 201)
    problem = ok(client.post("/api/v1/channels", headers={"Idempotency-Key": "shared"}, json={
        "code": "x", "name": "X", "kind": "web", "currency": "EUR"}), 422)
    assert problem["code"] == "idempotency-key-reused"


def test_a_retried_stock_adjustment_is_booked_once(client):
    shop(client, {"TEE": {"ber": 5}})
    body = {"sku": "TEE", "location": "ber", "quantity_delta": 3, "reason": "received"}
    for _ in range(3):
        ok(client.post("/api/v1/inventory/adjustments", json=body,
                       headers={"Idempotency-Key": "receipt-77"}), 201)
    assert stock_of(client, "TEE")["totals"]["on_hand"] == 8


def test_a_retried_partial_cancel_cancels_once(client):
    shop(client, {"TEE": {"ber": 5}})
    order = ok(client.post("/api/v1/orders", json=order_body([("TEE", 4, "5")])), 201)
    body = {"lines": [{"line_no": 1, "quantity": 1}]}
    for _ in range(2):
        after = ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json=body,
                               headers={"Idempotency-Key": "c1"}))
    assert after["lines"][0]["cancelled_quantity"] == 1
    assert stock_of(client, "TEE")["totals"]["reserved"] == 3


def test_the_same_external_id_and_content_returns_the_first_order(client):
    shop(client, {"TEE": {"ber": 5}})
    body = order_body([("TEE", 1, "5")], external_id="AMZ-1001")
    first = ok(client.post("/api/v1/orders", json=body), 201)
    again = client.post("/api/v1/orders", json=body)
    assert again.status_code == 201 and again.json()["id"] == first["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert stock_of(client, "TEE")["totals"]["reserved"] == 1


def test_the_same_external_id_with_other_content_is_a_conflict(client):
    shop(client, {"TEE": {"ber": 5}})
    first = ok(client.post("/api/v1/orders",
                           json=order_body([("TEE", 1, "5")], external_id="AMZ-1")), 201)
    problem = ok(client.post("/api/v1/orders",
                             json=order_body([("TEE", 2, "5")], external_id="AMZ-1")), 409)
    assert problem["existing_order_id"] == first["id"]
    assert stock_of(client, "TEE")["totals"]["reserved"] == 1


def test_the_same_external_id_on_another_channel_is_another_order(client):
    shop(client, {"TEE": {"ber": 5}})
    ok(client.post("/api/v1/channels", json={"code": "pos", "name": "POS", "kind": "store",
                                              "currency": "EUR"}), 201)
    a = ok(client.post("/api/v1/orders", json=order_body([("TEE", 1, "5")], external_id="1")),
           201)
    b = ok(client.post("/api/v1/orders",
                       json=order_body([("TEE", 1, "5")], external_id="1", channel="pos")), 201)
    assert a["id"] != b["id"]
