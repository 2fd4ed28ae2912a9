"""Carriers and 3PLs linked to their supplier record, and the service section of its
scorecard: every figure counted by hand from the shipments, fulfilment orders and
feedback built in tests/service_supplier_helpers.py."""

from __future__ import annotations

import threading

import pytest

from tests.event_checks import assert_writes_nothing
from tests.helpers import make_location, ok
from tests.purchasing_helpers import SUPPLIERS, make_supplier
from tests.service_supplier_helpers import carrier_and_3pl_world, link, scorecard
from tests.shipping_helpers import make_carrier


def test_a_carriers_scorecard_counts_its_shipments_lateness_damage_and_feedback(client,
                                                                                container):
    world = carrier_and_3pl_world(client, container)
    assert world.promised == ["2026-12-01"] * 3
    ok(link(client, "SWIFT", ["sim"]))
    service = scorecard(client, "SWIFT")["service"]
    assert (service["carrier_accounts"], service["locations"]) == (["sim"], [])
    # handed over 26 Nov 12:00; delivered 27 Nov 12:00 (1 day, on time) and 3 Dec 12:00
    # (7 days, 2 after the promise); the third scanned damaged, never delivered
    assert service["shipments"] == {
        "handed_over": 3, "delivered": 2, "delivered_on_time": 1, "delivered_late": 1,
        "delivered_without_promise": 0, "on_time_rate": 0.5, "with_exception": 1,
        "exceptions": {"delivery_failed": 0, "damaged": 1, "returned_to_sender": 0},
        "exception_rate": 0.3333, "damage_rate": 0.3333, "mean_days_to_delivery": 4.0}
    assert service["fulfilment"] is None
    feedback = service["feedback"]
    # CSAT 5 and 2 (mean 3.5), NPS 3: the CSAT 2 and the NPS detractor are negative
    assert (feedback["pieces"], feedback["negative"], feedback["negative_share"]) == (
        3, 2, 0.6667)
    assert [(s["kind"], s["pieces"], s["mean_score"]) for s in feedback["scores"]] == [
        ("nps", 1, 3.0), ("csat", 2, 3.5)]
    assert [(t["topic"], t["mentions"], t["negative"]) for t in feedback["topics"]] == [
        ("delivery_speed", 2, 1), ("damage", 1, 1), ("packaging", 1, 1)]
    assert [m["metric"] for m in service["not_measured"]] == ["damage_claims"]


def test_a_3pls_scorecard_counts_short_units_hand_overs_by_ship_by_and_its_shipments(
        client, container):
    world = carrier_and_3pl_world(client, container)
    assert world.tpl_fo["ship_by"] == "2026-11-26"
    ok(link(client, "TPLCO", locations=["tpl"]))
    service = scorecard(client, "TPLCO")["service"]
    assert (service["carrier_accounts"], service["locations"]) == ([], ["tpl"])
    # 3 VASE asked, 1 reported short; 2 handed to carrier post on 26 Nov (its ship-by
    # day), delivered 28 Nov 12:00: 2 days
    assert service["fulfilment"] == {
        "fulfilment_orders": 1, "units_requested": 3, "units_short": 1, "short_rate": 0.3333,
        "orders_with_shorts": 1, "handed_over": 1, "handed_over_by_ship_by": 1,
        "handed_over_late": 0, "without_ship_by": 0, "ship_on_time_rate": 1.0}
    shipments = service["shipments"]
    assert (shipments["handed_over"], shipments["delivered_on_time"],
            shipments["with_exception"], shipments["mean_days_to_delivery"]) == (1, 1, 0, 2.0)
    assert (service["feedback"]["pieces"], service["feedback"]["negative"],
            service["feedback"]["scores"][0]["mean_score"]) == (1, 0, 4.0)
    assert [m["metric"] for m in service["not_measured"]] == ["dock_to_stock",
                                                              "pick_accuracy"]


def test_the_service_section_counts_only_the_period_and_only_for_carriers_and_3pls(
        client, container):
    carrier_and_3pl_world(client, container)
    ok(link(client, "SWIFT", ["sim"]))
    october = scorecard(client, "SWIFT", "2026-10-01", "2026-10-31")["service"]
    assert (october["shipments"]["handed_over"], october["shipments"]["on_time_rate"],
            october["feedback"]["pieces"], october["feedback"]["negative_share"]) == (
        0, None, 0, None)
    unlinked = scorecard(client, "TPLCO")["service"]
    assert unlinked["locations"] == [] and unlinked["fulfilment"]["fulfilment_orders"] == 0
    make_supplier(client, "LINEN")
    assert scorecard(client, "LINEN")["service"] is None


@pytest.fixture
def partners(client):
    make_carrier(client, "sim")
    make_carrier(client, "post")
    make_location(client, "ber")
    make_location(client, "tpl", kind="3pl")
    make_supplier(client, "SWIFT", kind="carrier")
    make_supplier(client, "PARCELS", kind="carrier")
    make_supplier(client, "TPLCO", kind="3pl")
    make_supplier(client, "LINEN")


def test_links_are_listed_and_replaced_as_a_whole(client, partners):
    linked = ok(link(client, "SWIFT", ["sim", "post"]))
    assert [c["code"] for c in linked["carrier_accounts"]] == ["post", "sim"]
    assert ok(client.get(f"{SUPPLIERS}/SWIFT/links")) == linked
    tpl = ok(link(client, "TPLCO", locations=["tpl"]))["locations"]
    assert [(loc["code"], loc["kind"]) for loc in tpl] == [("tpl", "3pl")]
    assert ok(link(client, "SWIFT", ["post"]))["carrier_accounts"][0]["code"] == "post"
    ok(link(client, "PARCELS", ["sim"]))  # sim was let go by SWIFT
    assert ok(link(client, "SWIFT"))["carrier_accounts"] == []


def _refused(client, status: int, code: str | None, call) -> dict:
    before = {s: ok(client.get(f"{SUPPLIERS}/{s}/links")) for s in ("SWIFT", "TPLCO")}
    response = assert_writes_nothing(client, call)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    if code:
        assert [e["code"] for e in problem["errors"]] == [code]
    assert {s: ok(client.get(f"{SUPPLIERS}/{s}/links")) for s in before} == before
    return problem


def test_bad_links_are_refused_and_change_nothing(client, partners):
    ok(link(client, "SWIFT", ["sim"]))
    ok(link(client, "TPLCO", locations=["tpl"]))
    problem = _refused(client, 422, "unknown", lambda: link(client, "SWIFT", ["sim", "nope"]))
    assert problem["errors"][0]["field"].endswith("carrier_accounts[1]")
    _refused(client, 422, "unknown", lambda: link(client, "TPLCO", locations=["nowhere"]))
    _refused(client, 422, "not_a_3pl", lambda: link(client, "TPLCO", locations=["ber"]))
    _refused(client, 422, "wrong_supplier_kind", lambda: link(client, "LINEN", ["post"]))
    _refused(client, 422, "wrong_supplier_kind",
             lambda: link(client, "SWIFT", ["sim"], ["tpl"]))
    _refused(client, 422, "duplicate", lambda: link(client, "SWIFT", ["post", "post"]))
    taken = _refused(client, 409, None, lambda: link(client, "PARCELS", ["post", "sim"]))
    assert taken["linked_elsewhere"] == {"carrier_accounts": {"sim": "SWIFT"}}
    _refused(client, 404, None, lambda: link(client, "NOBODY", ["nope"]))
    assert client.get(f"{SUPPLIERS}/NOBODY/links").status_code == 404
    _refused(client, 422, None, lambda: client.put(f"{SUPPLIERS}/SWIFT/links",
                                                   json={"carriers": ["sim"]}))
    kind = _refused(client, 409, None, lambda: client.patch(f"{SUPPLIERS}/SWIFT",
                                                            json={"kind": "goods"}))
    assert kind["kind"] == "carrier"


def test_two_suppliers_racing_for_one_carrier_account_get_it_once(client, partners):
    barrier = threading.Barrier(2)
    answers: dict[str, int] = {}

    def claim(supplier: str) -> None:
        barrier.wait()
        answers[supplier] = link(client, supplier, ["sim"]).status_code

    threads = [threading.Thread(target=claim, args=(s,)) for s in ("SWIFT", "PARCELS")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(answers.values()) == [200, 409], answers
    holders = [s for s in ("SWIFT", "PARCELS")
               if ok(client.get(f"{SUPPLIERS}/{s}/links"))["carrier_accounts"]]
    assert holders == [s for s, status in answers.items() if status == 200]
