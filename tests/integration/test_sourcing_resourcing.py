"""Re-sourcing: units a location will not supply are sourced again elsewhere, and the
order's sourcing history shows every decision."""

from __future__ import annotations

import pytest

from ordermesh.kit.errors import InvalidInput
from ordermesh.sourcing.service import resource_units, source_units
from tests.helpers import ok, stock_of
from tests.sourcing_helpers import MUNICH_ADDRESS, decisions, place, sourcing_shop, where


def reserved_at(client, sku: str) -> dict[str, int]:
    return {s["location"]: s["reserved"] for s in stock_of(client, sku)["locations"]}


def test_a_rejected_line_is_sourced_again_elsewhere_and_both_decisions_are_listed(
        client, uow):
    made = sourcing_shop(client, {"TEE": {"muc": 5, "ber": 5}})
    order = ok(place(client, [("TEE", 2)], shipping_address=MUNICH_ADDRESS), 201)
    assert where(order) == {1: [("muc", 2)]}
    with uow() as u:
        decision_id = resource_units(u, order["id"], 1, made["muc"]["id"], 2, "rejected",
                                     "damaged shelf")
        u.commit()
    after = ok(client.get(f"/api/v1/orders/{order['id']}"))
    assert where(after) == {1: [("ber", 2)]}
    assert reserved_at(client, "TEE") == {"ber": 2, "muc": 0}
    first, second = decisions(client, order["id"])
    assert (first["trigger"], second["trigger"]) == ("placement", "rejected")
    assert second["id"] == decision_id and second["attempt"] == 2
    muc = next(c for c in second["candidates"] if c["location"] == "muc")
    assert muc["reasons"] == ["excluded: it gave these units back before"]
    assert second["explanation"].endswith("Reason: damaged shelf.")
    fos = ok(client.get(f"/api/v1/orders/{order['id']}/fulfilment"))["fulfilment_orders"]
    assert "ber" in {fo["location"] for fo in fos}


def test_units_no_other_location_has_become_a_backorder(client, uow):
    made = sourcing_shop(client, {"TEE": {"muc": 3, "ber": 1}})
    order = ok(place(client, [("TEE", 3)], shipping_address=MUNICH_ADDRESS), 201)
    with uow() as u:
        resource_units(u, order["id"], 1, made["muc"]["id"], 3, "short_pick", None)
        u.commit()
    after = ok(client.get(f"/api/v1/orders/{order['id']}"))
    assert where(after) == {1: [("ber", 1)]}
    assert after["lines"][0]["backordered_quantity"] == 2
    last = decisions(client, order["id"])[-1]
    assert last["trigger"] == "short_pick"
    assert last["unsourced"] == [{"line_no": 1, "quantity": 2}]
    events = ok(client.get("/api/v1/events", params={"type": "order.backordered"}))["items"]
    assert events and events[-1]["aggregate_id"] == order["id"]


def test_source_units_reports_a_shortage_instead_of_raising(client, uow):
    made = sourcing_shop(client, {"TEE": {"muc": 2}})
    order = ok(place(client, [("TEE", 2)]), 201)
    with uow() as u:
        outcome = source_units(u, order["id"], {1: 2}, "backorder",
                               exclude={1: {made["muc"]["id"]}})
        u.commit()
    assert outcome.assignments == [] and outcome.unsourced == {1: 2}
    assert [d["trigger"] for d in decisions(client, order["id"])] == ["placement", "backorder"]


def test_giving_back_more_than_a_location_holds_is_refused_and_changes_nothing(client, uow):
    made = sourcing_shop(client, {"TEE": {"muc": 5, "ber": 5}})
    order = ok(place(client, [("TEE", 2)], shipping_address=MUNICH_ADDRESS), 201)
    with uow() as u, pytest.raises(InvalidInput):
        resource_units(u, order["id"], 1, made["muc"]["id"], 3, "rejected", None)
    assert reserved_at(client, "TEE") == {"ber": 0, "muc": 2}
    assert len(decisions(client, order["id"])) == 1
