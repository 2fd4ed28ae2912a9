"""Fulfilment orders: released at placement per location, worked, shipped, delivered."""

from datetime import timedelta

from tests.fulfilment_helpers import (
    events,
    fos_of,
    fshop,
    move,
    order_of,
    pack,
    pick_all,
    pick_pack_ship,
    place,
    snapshot,
    stock_at,
)
from tests.helpers import ok


def test_an_order_split_over_two_locations_gets_one_fulfilment_order_per_location(client):
    fshop(client, {"TEE": {"ber": 3, "ham": 4}, "MUG": {"ber": 5}})
    order = place(client, [("TEE", 6, "5"), ("MUG", 2, "3")])
    fos = fos_of(client, order["id"])
    seq = int(order["number"][3:])
    assert [(f["number"], f["location"], f["status"], f["kind"]) for f in fos] == [
        (f"FO-{seq:06d}-1", "ber", "released", "ship"),
        (f"FO-{seq:06d}-2", "ham", "released", "ship")]
    assert [[(ln["sku"], ln["quantity"]) for ln in f["lines"]] for f in fos] == [
        [("TEE", 2), ("MUG", 2)], [("TEE", 4)]]
    for f in fos:  # the promise made at placement
        assert f["carrier"] == "sim" and f["ship_by"] and f["promised_date"]
        assert f["shipping_address"]["city"] == "Berlin"
        assert f["timeline"][0]["status"] == "released"
    released = [e for e in events(client) if e["type"] == "fulfilment.released"]
    assert [e["payload"]["location"] for e in released] == ["ber", "ham"]
    assert released[0]["payload"]["decision_id"] == fos[0]["decision_id"] is not None
    listed = ok(client.get("/api/v1/fulfilment-orders", params={"location": "ham"}))["items"]
    assert [f["id"] for f in listed] == [fos[1]["id"]]
    by_number = ok(client.get(f"/api/v1/fulfilment-orders/{fos[0]['number']}"))
    assert by_number["id"] == fos[0]["id"]


def test_each_fulfilment_order_ships_its_own_units_from_its_own_location(client):
    fshop(client, {"TEE": {"ber": 3, "ham": 4}})
    order = place(client, [("TEE", 6, "5")])
    ber, ham = fos_of(client, order["id"])
    pick_pack_ship(client, "ber", ber["id"])
    assert stock_at(client, "TEE", "ber") == {"on_hand": 1, "reserved": 0}
    assert stock_at(client, "TEE", "ham") == {"on_hand": 4, "reserved": 4}
    assert order_of(client, order["id"])["status"] == "partially_shipped"
    shipped = ok(client.get(f"/api/v1/fulfilment-orders/{ber['id']}"))
    assert shipped["status"] == "shipped"
    assert shipped["lines"][0]["shipped_quantity"] == 2 and shipped["lines"][0]["open"] == 0
    pick_pack_ship(client, "ham", ham["id"])
    assert stock_at(client, "TEE", "ham") == {"on_hand": 0, "reserved": 0}
    assert order_of(client, order["id"])["status"] == "shipped"
    shipments = ok(client.get(f"/api/v1/orders/{order['id']}/shipments"))["items"]
    assert [s["lines"][0]["quantity"] for s in shipments] == [2, 4]


def test_the_order_completes_when_its_last_fulfilment_order_is_delivered(client, container):
    fshop(client, {"TEE": {"ber": 3, "ham": 4}})
    order = place(client, [("TEE", 6, "5")])
    ber, ham = fos_of(client, order["id"])
    pick_pack_ship(client, "ber", ber["id"])
    pick_pack_ship(client, "ham", ham["id"])
    move(container, ber["id"], "in_transit")
    move(container, ber["id"], "delivered")
    assert order_of(client, order["id"])["status"] == "shipped"
    move(container, ham["id"], "delivered")
    assert order_of(client, order["id"])["status"] == "completed"
    completed = [e for e in events(client, "order.completed")]
    assert len(completed) == 1 and completed[0]["payload"]["number"] == order["number"]
    timeline = ok(client.get(f"/api/v1/fulfilment-orders/{ber['id']}"))["timeline"]
    assert [t["status"] for t in timeline if t["type"] == "status"] == [
        "released", "picking", "picked", "packed", "label_created", "shipped", "in_transit",
        "delivered"]


def test_picking_moves_a_confirmed_order_to_processing_once(client):
    fshop(client, {"TEE": {"ber": 3, "ham": 4}})
    order = place(client, [("TEE", 6, "5")])
    pick_all(client, "ber")
    pick_all(client, "ham")
    history = [h["to_status"] for h in order_of(client, order["id"])["history"]]
    assert history == ["pending", "confirmed", "processing"]


def test_an_order_on_hold_is_not_picked_until_released(client):
    fshop(client, {"TEE": {"ber": 3}})
    order = place(client, [("TEE", 1, "5")])
    ok(client.post(f"/api/v1/orders/{order['id']}/hold", json={"reason": "fraud check"}))
    assert ok(client.post("/api/v1/pick-lists", json={"location": "ber"}), 409)
    fo = fos_of(client, order["id"])[0]
    assert ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/start-picking"),
              409)["code"] == "illegal-transition"
    ok(client.post(f"/api/v1/orders/{order['id']}/release-hold", json={}))
    started = ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/start-picking"), 201)
    assert started["fulfilment_order"]["status"] == "picking"
    assert [i["sku"] for i in started["pick_list"]["items"]] == ["TEE"]


def test_illegal_moves_are_refused_with_409_and_change_nothing(client, container):
    fshop(client, {"TEE": {"ber": 3}})
    order = place(client, [("TEE", 1, "5")])
    fo = fos_of(client, order["id"])[0]
    ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/accept", json={}))
    before = snapshot(client, order["id"], ["TEE"])
    assert ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/accept", json={}),
              409)["code"] == "illegal-transition"
    assert ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/ship", json={}), 409)
    assert ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/ready-for-pickup",
                          json={}), 409)["code"] == "illegal-transition"
    import pytest

    from ordermesh.kit.errors import IllegalTransition

    with pytest.raises(IllegalTransition):
        move(container, fo["id"], "delivered")
    assert snapshot(client, order["id"], ["TEE"]) == before
    missing = client.get("/api/v1/fulfilment-orders/fo_nope")
    assert missing.status_code == 404


def test_a_packed_fulfilment_order_cannot_be_packed_twice_nor_be_picked_again(client):
    fshop(client, {"TEE": {"ber": 3}})
    order = place(client, [("TEE", 2, "5")])
    fo = fos_of(client, order["id"])[0]
    pick_all(client, "ber")
    pack(client, fo["id"])
    assert ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/start-picking"), 409)
    assert ok(client.post("/api/v1/pick-lists", json={"location": "ber"}), 409)


def test_rejecting_a_fulfilment_order_sources_its_units_at_another_location(client):
    fshop(client, {"TEE": {"ber": 5, "ham": 5}})
    order = place(client, [("TEE", 4, "5")])
    first = fos_of(client, order["id"])[0]
    rejected = ok(client.post(f"/api/v1/fulfilment-orders/{first['id']}/reject",
                              json={"reason": "staff shortage"}))
    assert rejected["status"] == "rejected"
    assert rejected["lines"][0]["rejected_quantity"] == 4
    fos = fos_of(client, order["id"])
    assert [(f["location"], f["status"]) for f in fos][1:] == [
        ("ham" if first["location"] == "ber" else "ber", "released")]
    other = fos[1]["location"]
    assert stock_at(client, "TEE", first["location"])["reserved"] == 0
    assert stock_at(client, "TEE", other)["reserved"] == 4
    sourcing = ok(client.get(f"/api/v1/orders/{order['id']}/sourcing"))
    assert "rejected" in str(sourcing)
    lines_rejected = events(client, "fulfilment.lines_rejected")
    assert lines_rejected[0]["payload"]["lines"] == [{"line_no": 1, "quantity": 4}]


def test_rejecting_some_units_keeps_the_rest_on_the_fulfilment_order(client):
    fshop(client, {"TEE": {"ber": 5, "ham": 5}})
    order = place(client, [("TEE", 4, "5")])
    first = fos_of(client, order["id"])[0]
    partly = ok(client.post(f"/api/v1/fulfilment-orders/{first['id']}/reject", json={
        "lines": [{"line_no": 1, "quantity": 1}], "reason": "one is damaged"}))
    assert partly["status"] == "released"
    assert (partly["lines"][0]["open"], partly["lines"][0]["rejected_quantity"]) == (3, 1)
    fos = fos_of(client, order["id"])
    assert [sum(ln["open"] for ln in f["lines"]) for f in fos] == [3, 1]


def test_rejecting_what_cannot_be_placed_elsewhere_backorders_it(client):
    fshop(client, {"TEE": {"ber": 5}})
    order = place(client, [("TEE", 2, "5")])
    fo = fos_of(client, order["id"])[0]
    ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/reject", json={"reason": "closed"}))
    line = order_of(client, order["id"])["lines"][0]
    assert line["backordered_quantity"] == 2
    assert stock_at(client, "TEE", "ber") == {"on_hand": 5, "reserved": 0}
    assert len(fos_of(client, order["id"])) == 1


def test_rejecting_more_than_is_left_to_pick_is_422_and_changes_nothing(client):
    fshop(client, {"TEE": {"ber": 5, "ham": 5}})
    order = place(client, [("TEE", 2, "5")])
    fo = fos_of(client, order["id"])[0]
    before = snapshot(client, order["id"], ["TEE"])
    problem = ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/reject", json={
        "lines": [{"line_no": 1, "quantity": 3}], "reason": "x"}), 422)
    assert problem["errors"][0]["code"] == "exceeds_open_quantity"
    assert ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/reject", json={
        "lines": [{"line_no": 9, "quantity": 1}], "reason": "x"}), 422)
    assert ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/reject", json={}), 422)
    assert snapshot(client, order["id"], ["TEE"]) == before


def test_a_retried_start_picking_with_the_same_key_answers_the_same_pick_list(client):
    fshop(client, {"TEE": {"ber": 3}})
    order = place(client, [("TEE", 1, "5")])
    fo = fos_of(client, order["id"])[0]
    url, headers = f"/api/v1/fulfilment-orders/{fo['id']}/start-picking", {"Idempotency-Key": "s1"}
    first = ok(client.post(url, headers=headers), 201)
    again = ok(client.post(url, headers=headers), 201)
    assert again["pick_list"]["id"] == first["pick_list"]["id"]
    assert ok(client.post(url), 409)["code"] == "illegal-transition"
    assert ok(client.post(f"/api/v1/fulfilment-orders/{fo['id']}/accept"), 409)


def test_capacity_use_counts_the_fulfilment_orders_released_per_location_and_day(
        client, uow, clock):
    from ordermesh.fulfilment.service import released_on

    fshop(client, {"TEE": {"ber": 10, "ham": 10}})
    place(client, [("TEE", 1, "5")])
    place(client, [("TEE", 1, "5")])
    fos = ok(client.get("/api/v1/fulfilment-orders"))["items"]
    ids = {f["location_id"] for f in fos}
    with uow(write=False) as u:
        counts = released_on(u, ids | {"loc_none"}, clock.now().date())
        tomorrow = released_on(u, ids, clock.now().date() + timedelta(days=1))
    assert sum(counts.values()) == 2 and counts["loc_none"] == 0
    assert set(tomorrow.values()) == {0}


def test_fulfilment_orders_are_listed_by_status_order_and_location(client):
    fshop(client, {"TEE": {"ber": 10}})
    first = place(client, [("TEE", 1, "5")])
    second = place(client, [("TEE", 1, "5")])
    ok(client.post(f"/api/v1/fulfilment-orders/{fos_of(client, first['id'])[0]['id']}/accept"))
    listed = lambda **q: [f["order_number"] for f in ok(  # noqa: E731
        client.get("/api/v1/fulfilment-orders", params=q))["items"]]
    assert listed() == [second["number"], first["number"]]
    assert listed(status="accepted") == [first["number"]]
    assert listed(order=second["number"]) == [second["number"]]
    assert listed(location="ber", kind="ship", status="released") == [second["number"]]
    page = ok(client.get("/api/v1/fulfilment-orders", params={"limit": 1}))
    rest = ok(client.get("/api/v1/fulfilment-orders", params={"cursor": page["next_cursor"]}))
    assert [f["order_number"] for f in rest["items"]] == [first["number"]]
    assert ok(client.get("/api/v1/fulfilment-orders", params={"location": "nope"}), 422)
    assert ok(client.get("/api/v1/fulfilment-orders", params={"status": "lost"}), 422)
