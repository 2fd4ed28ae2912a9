"""Pick lists: batched across fulfilment orders, walked by bin, short picks handled."""

from ordermesh.inventory.ledger import ledger_drift
from tests.fulfilment_helpers import events, fos_of, fshop, order_of, place, snapshot, stock_at
from tests.helpers import ok


def _bins(client, location: str, bins: dict[str, str]) -> dict:
    return ok(client.put(f"/api/v1/locations/{location}/bins",
                         json=[{"sku": s, "bin": b} for s, b in bins.items()]))


def test_a_pick_list_batches_the_locations_orders_and_walks_them_by_bin(client):
    fshop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 10}, "CAP": {"ber": 10},
                   "HAT": {"ham": 10}})
    _bins(client, "ber", {"TEE": "B-10", "MUG": "A-2", "CAP": "B-9"})
    first = place(client, [("TEE", 1, "5"), ("MUG", 2, "3")])
    second = place(client, [("CAP", 1, "4"), ("TEE", 2, "5")])
    place(client, [("HAT", 1, "9")])  # another location: not on this list
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": "ber",
                                                           "max_orders": 10}), 201)
    assert [(i["bin"], i["sku"], i["quantity"]) for i in pick_list["items"]] == [
        ("A-2", "MUG", 2), ("B-9", "CAP", 1), ("B-10", "TEE", 1), ("B-10", "TEE", 2)]
    assert [i["position"] for i in pick_list["items"]] == [1, 2, 3, 4]
    assert len(pick_list["fulfilment_orders"]) == 2 and pick_list["status"] == "open"
    for order in (first, second):
        assert fos_of(client, order["id"])[0]["status"] == "picking"
    assert ok(client.get(f"/api/v1/pick-lists/{pick_list['id']}")) == pick_list
    assert ok(client.post("/api/v1/pick-lists", json={"location": "ber"}), 409)
    created = events(client, "fulfilment.pick_list_created")[0]["payload"]
    assert created["location"] == "ber" and len(created["items"]) == 4


def test_a_pick_list_takes_at_most_max_orders_most_urgent_first(client):
    fshop(client, {"TEE": {"ber": 10}})
    orders = [place(client, [("TEE", 1, "5")]) for _ in range(3)]
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": "ber",
                                                           "max_orders": 2}), 201)
    picked = set(pick_list["fulfilment_orders"])
    assert picked == {fos_of(client, o["id"])[0]["number"] for o in orders[:2]}
    rest = ok(client.post("/api/v1/pick-lists", json={"location": "ber"}), 201)
    assert rest["fulfilment_orders"] == [fos_of(client, orders[2]["id"])[0]["number"]]


def test_confirming_a_full_pick_records_the_picked_units(client):
    fshop(client, {"TEE": {"ber": 10}})
    order = place(client, [("TEE", 3, "5")])
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": "ber"}), 201)
    confirmed = ok(client.post(f"/api/v1/pick-lists/{pick_list['id']}/confirm", json={}))
    assert confirmed["status"] == "confirmed"
    assert [i["picked_quantity"] for i in confirmed["items"]] == [3]
    fo = fos_of(client, order["id"])[0]
    assert (fo["status"], fo["lines"][0]["picked_quantity"]) == ("picked", 3)


def test_a_short_pick_writes_the_missing_units_off_and_sources_them_elsewhere(client, uow):
    fshop(client, {"TEE": {"ber": 5, "ham": 5}})
    order = place(client, [("TEE", 4, "5")])
    first = fos_of(client, order["id"])[0]
    here, there = first["location"], ("ham" if first["location"] == "ber" else "ber")
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": here}), 201)
    ok(client.post(f"/api/v1/pick-lists/{pick_list['id']}/confirm", json={
        "items": [{"position": 1, "picked_quantity": 3}], "reason": "bin was empty"}))
    fos = fos_of(client, order["id"])
    line = fos[0]["lines"][0]
    assert (line["picked_quantity"], line["short_quantity"], line["open"]) == (3, 1, 3)
    assert fos[0]["status"] == "picked"
    assert [(f["location"], f["lines"][0]["open"]) for f in fos[1:]] == [(there, 1)]
    assert stock_at(client, "TEE", here) == {"on_hand": 4, "reserved": 3}
    assert stock_at(client, "TEE", there) == {"on_hand": 5, "reserved": 1}
    adjusted = [e["payload"] for e in events(client, "inventory.adjusted")][-1]
    assert (adjusted["location"], adjusted["quantity_delta"], adjusted["reason"]) == (
        here, -1, "lost")
    confirmed = events(client, "fulfilment.pick_list_confirmed")[0]["payload"]
    assert confirmed["short"] == [{"fulfilment_order": first["number"], "line_no": 1,
                                   "sku": "TEE", "short": 1, "written_off": 1}]
    assert events(client, "fulfilment.lines_short")[0]["payload"]["trigger"] == "short_pick"
    with uow() as u:
        assert ledger_drift(u) == []


def test_a_short_pick_with_no_stock_elsewhere_backorders_and_closes_the_empty_order(client):
    fshop(client, {"TEE": {"ber": 5}})
    order = place(client, [("TEE", 2, "5")])
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": "ber"}), 201)
    ok(client.post(f"/api/v1/pick-lists/{pick_list['id']}/confirm", json={
        "items": [{"position": 1, "picked_quantity": 0}]}))
    fo = fos_of(client, order["id"])[0]
    assert fo["status"] == "cancelled" and fo["lines"][0]["short_quantity"] == 2
    assert order_of(client, order["id"])["lines"][0]["backordered_quantity"] == 2
    assert stock_at(client, "TEE", "ber") == {"on_hand": 3, "reserved": 0}


def test_picking_more_than_listed_is_422_and_changes_nothing(client):
    fshop(client, {"TEE": {"ber": 5}})
    order = place(client, [("TEE", 2, "5")])
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": "ber"}), 201)
    before = snapshot(client, order["id"], ["TEE"])
    url = f"/api/v1/pick-lists/{pick_list['id']}/confirm"
    problem = ok(client.post(url, json={"items": [{"position": 1, "picked_quantity": 3}]}), 422)
    assert problem["errors"][0]["code"] == "exceeds_listed"
    assert ok(client.post(url, json={"items": [{"position": 7, "picked_quantity": 1}]}),
              422)["errors"][0]["code"] == "unknown_item"
    assert ok(client.post(url, json={"items": [{"position": 1, "picked_quantity": -1}]}), 422)
    assert snapshot(client, order["id"], ["TEE"]) == before
    assert ok(client.get(f"/api/v1/pick-lists/{pick_list['id']}"))["status"] == "open"
    ok(client.post(url, json={}))
    assert ok(client.post(url, json={}), 409)["code"] == "conflict"


def test_units_cancelled_while_the_list_is_walked_go_back_to_the_shelf(client):
    fshop(client, {"TEE": {"ber": 5}})
    order = place(client, [("TEE", 3, "5")])
    pick_list = ok(client.post("/api/v1/pick-lists", json={"location": "ber"}), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/cancel", json={
        "lines": [{"line_no": 1, "quantity": 1}], "reason": "fewer"}))
    ok(client.post(f"/api/v1/pick-lists/{pick_list['id']}/confirm", json={}))
    line = fos_of(client, order["id"])[0]["lines"][0]
    assert (line["picked_quantity"], line["short_quantity"], line["open"]) == (2, 0, 2)
    confirmed = events(client, "fulfilment.pick_list_confirmed")[0]["payload"]
    assert confirmed["put_back"] == [{"position": 1, "sku": "TEE", "quantity": 1}]
    assert stock_at(client, "TEE", "ber") == {"on_hand": 5, "reserved": 2}


def test_a_retried_pick_list_request_with_the_same_key_returns_the_same_list(client):
    fshop(client, {"TEE": {"ber": 5}})
    place(client, [("TEE", 1, "5")])
    headers = {"Idempotency-Key": "pl-1"}
    first = ok(client.post("/api/v1/pick-lists", json={"location": "ber"}, headers=headers), 201)
    again = ok(client.post("/api/v1/pick-lists", json={"location": "ber"}, headers=headers), 201)
    assert again["id"] == first["id"]


def test_bins_are_replaced_per_location_and_bad_skus_are_refused(client):
    fshop(client, {"TEE": {"ber": 1}, "MUG": {"ber": 1}})
    assert _bins(client, "ber", {"TEE": "A-10", "MUG": "A-9"})["items"] == [
        {"sku": "MUG", "bin": "A-9"}, {"sku": "TEE", "bin": "A-10"}]
    _bins(client, "ber", {"TEE": "C-1"})
    assert ok(client.get("/api/v1/locations/ber/bins"))["items"] == [{"sku": "TEE", "bin": "C-1"}]
    unknown = client.put("/api/v1/locations/ber/bins", json=[{"sku": "NOPE", "bin": "A"}])
    assert ok(unknown, 422)["errors"][0]["field"] == "bins.0.sku"
    twice = client.put("/api/v1/locations/ber/bins",
                       json=[{"sku": "TEE", "bin": "A"}, {"sku": "TEE", "bin": "B"}])
    assert ok(twice, 422)["errors"][0]["code"] == "duplicate_sku"
    assert ok(client.put("/api/v1/locations/nope/bins", json=[]), 404)["detail"] == \
        "No location with id or code 'nope'"
    assert ok(client.get("/api/v1/locations/ber/bins"))["items"] == [{"sku": "TEE", "bin": "C-1"}]


def test_two_pick_lists_made_at_once_never_share_a_fulfilment_order(client, container):
    import threading

    from ordermesh.fulfilment.picking import create_pick_list
    from ordermesh.kit.db import UnitOfWork
    from ordermesh.kit.errors import Conflict

    fshop(client, {"TEE": {"ber": 20}})
    numbers = {fos_of(client, place(client, [("TEE", 1, "5")])["id"])[0]["number"]
               for _ in range(6)}
    lists: list[list[str]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def make() -> None:
        try:
            start.wait()
            with UnitOfWork(container.engine, container.clock) as uow:
                lists.append(create_pick_list(uow, "ber", 4).fulfilment_orders)
        except Conflict:
            lists.append([])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=make) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    together = [n for found in lists for n in found]
    assert sorted(together) == sorted(numbers)  # each exactly once
