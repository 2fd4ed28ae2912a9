"""From placement to the customer's door through the API and the worker alone: sourcing,
pick list, packages, carrier booking, tracking, delivery and the completed order."""

from datetime import timedelta

from ordermesh.shipping.jobs import TrackingPoll
from tests.fulfilment_helpers import fos_of, fshop, order_of, pack, pick_all, place, ship
from tests.helpers import ok


def test_a_split_order_is_picked_packed_shipped_tracked_and_completed(client, container,
                                                                     clock):
    fshop(client, {"TEE": {"ber": 3, "ham": 4}, "MUG": {"ber": 5}})
    ok(client.put("/api/v1/locations/ber/bins", json=[{"sku": "TEE", "bin": "B-1"},
                                                      {"sku": "MUG", "bin": "A-1"}]))
    order = place(client, [("TEE", 6, "5"), ("MUG", 2, "3")])
    assert ok(client.get(f"/api/v1/orders/{order['id']}/sourcing"))
    fos = fos_of(client, order["id"])
    for fo in fos:
        pick_list = pick_all(client, fo["location"])
        if fo["location"] == "ber":
            assert [i["sku"] for i in pick_list["items"]] == ["MUG", "TEE"]
        pack(client, fo["id"])
        ship(client, fo["id"])
    assert order_of(client, order["id"])["status"] == "shipped"
    for _ in range(12):  # the simulated carrier moves parcels along as days pass
        clock.advance(timedelta(hours=12))
        TrackingPoll().run_once(container)
    done = fos_of(client, order["id"])
    assert [fo["status"] for fo in done] == ["delivered", "delivered"]
    assert order_of(client, order["id"])["status"] == "completed"
    timeline = done[0]["timeline"]
    assert {t["type"] for t in timeline} == {"status", "tracking"}
    assert [t["at"] for t in timeline] == sorted(t["at"] for t in timeline)
    statuses = [t["status"] for t in timeline if t["type"] == "status"]
    assert statuses[:6] == ["released", "picking", "picked", "packed", "label_created",
                            "shipped"]
    assert statuses[-1] == "delivered"
