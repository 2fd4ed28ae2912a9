"""Sourcing at placement: which location supplies what, and the recorded explanation."""

from __future__ import annotations

from tests.helpers import ok
from tests.sourcing_helpers import (
    MUNICH_ADDRESS,
    decisions,
    place,
    set_rules,
    sourcing_shop,
    where,
)


def test_the_nearest_location_supplies_the_order_and_the_decision_says_why(client):
    sourcing_shop(client, {"TEE": {"ber": 9, "muc": 2}})
    order = ok(place(client, [("TEE", 2)], shipping_address=MUNICH_ADDRESS), 201)
    assert where(order) == {1: [("muc", 2)]}
    [decision] = decisions(client, order["id"])
    assert decision["trigger"] == "placement" and decision["attempt"] == 1
    assert decision["chosen"] == [{"line_no": 1, "location": "muc",
                                   "location_id": decision["chosen"][0]["location_id"],
                                   "quantity": 2}]
    scores = {c["location"]: c["scores"] for c in decision["candidates"]}
    assert scores["muc"]["distance_km"] < 1 < 500 < scores["ber"]["distance_km"]
    assert "Sourced from muc (line 1): 1 shipment" in decision["explanation"]
    assert "muc ranked first on distance" in decision["explanation"]
    assert decision["destination"]["basis"] == "address"


def test_without_coordinates_the_region_centroid_measures_the_distance(client):
    sourcing_shop(client, {"CAP": {"lax": 5, "nyc": 5}})
    address = {"name": "Bo", "line1": "1 Main St", "city": "Sacramento", "region": "CA",
               "country": "US"}
    order = ok(place(client, [("CAP", 1)], shipping_address=address), 201)
    assert where(order) == {1: [("lax", 1)]}
    [decision] = decisions(client, order["id"])
    assert decision["destination"]["basis"] == "region centroid"
    assert decision["destination"]["region"] == "US-CA"


def test_fewest_shipments_keeps_the_order_in_one_parcel(client):
    sourcing_shop(client, {"TEE": {"muc": 5, "ber": 5}, "CAP": {"ber": 5}})
    split = ok(place(client, [("TEE", 1), ("CAP", 1)], shipping_address=MUNICH_ADDRESS), 201)
    assert where(split) == {1: [("muc", 1)], 2: [("ber", 1)]}
    set_rules(client, ["fewest_shipments", "distance"])
    whole = ok(place(client, [("TEE", 1), ("CAP", 1)], shipping_address=MUNICH_ADDRESS), 201)
    assert where(whole) == {1: [("ber", 1)], 2: [("ber", 1)]}
    [decision] = decisions(client, whole["id"])
    assert "It won on fewest shipments (1 against 2)" in decision["explanation"]
    assert decision["method"] == "per_order_exact"


def test_max_splits_refuses_an_order_that_needs_more_shipments(client):
    sourcing_shop(client, {"TEE": {"muc": 5}, "CAP": {"ber": 5}})
    set_rules(client, ["fewest_shipments", "distance"], max_splits=0)
    refused = place(client, [("TEE", 1), ("CAP", 1)], shipping_address=MUNICH_ADDRESS)
    assert refused.status_code == 409
    assert "CAP (requested 1, available 0)" in refused.json()["detail"]
    set_rules(client, ["fewest_shipments", "distance"], max_splits=1)
    order = ok(place(client, [("TEE", 1), ("CAP", 1)], shipping_address=MUNICH_ADDRESS), 201)
    assert where(order) == {1: [("muc", 1)], 2: [("ber", 1)]}


def test_beyond_max_splits_backorderable_units_are_backordered(client):
    sourcing_shop(client, {"TEE": {"muc": 5}, "CAP": {"ber": 5}},
                  products={"CAP": {"backorderable": True}})
    set_rules(client, ["fewest_shipments", "distance"], max_splits=0, allow_backorders=True)
    order = ok(place(client, [("TEE", 2), ("CAP", 1)], shipping_address=MUNICH_ADDRESS), 201)
    assert where(order) == {1: [("muc", 2)], 2: []}
    assert [ln["backordered_quantity"] for ln in order["lines"]] == [0, 1]
    [decision] = decisions(client, order["id"])
    assert decision["unsourced"] == [{"line_no": 2, "quantity": 1}]
    assert "Not sourced: line 2 (1 unit)" in decision["explanation"]
    assert "within max_splits 0" in decision["explanation"]
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["lines"][1][
        "backordered_quantity"] == 1


def test_a_location_at_its_daily_capacity_is_passed_over(client):
    sourcing_shop(client, {"TEE": {"muc": 5, "ber": 5}},
                  locations={"muc": {"fulfilment": {"daily_capacity": 1}}})
    first = ok(place(client, [("TEE", 1)], shipping_address=MUNICH_ADDRESS), 201)
    second = ok(place(client, [("TEE", 1)], shipping_address=MUNICH_ADDRESS), 201)
    assert where(first) == {1: [("muc", 1)]} and where(second) == {1: [("ber", 1)]}
    [decision] = decisions(client, second["id"])
    muc = next(c for c in decision["candidates"] if c["location"] == "muc")
    assert muc["eligible"] is False
    assert muc["reasons"] == ["daily capacity used up (1/1)"]
    assert "Not eligible: muc (daily capacity used up (1/1))" in decision["explanation"]


def test_a_location_ships_only_to_the_regions_it_serves(client):
    sourcing_shop(client, {"TEE": {"muc": 5, "vie": 5}},
                  locations={"muc": {"fulfilment": {"regions": ["DE"]}}})
    vienna = {"name": "Cy", "line1": "Ring 1", "city": "Salzburg", "country": "AT",
              "latitude": 47.8, "longitude": 13.04}
    order = ok(place(client, [("TEE", 1)], shipping_address=vienna), 201)
    assert where(order) == {1: [("vie", 1)]}
    [decision] = decisions(client, order["id"])
    assert "muc (does not serve AT)" in decision["explanation"]


def test_the_location_with_the_better_priority_wins_when_configured(client):
    sourcing_shop(client, {"TEE": {"muc": 5, "ber": 9}},
                  locations={"ber": {"fulfilment": {"priority": 1}}})
    set_rules(client, ["priority", "distance"])
    order = ok(place(client, [("TEE", 1)], shipping_address=MUNICH_ADDRESS), 201)
    assert where(order) == {1: [("ber", 1)]}
    assert "ber ranked first on priority" in decisions(client, order["id"])[0]["explanation"]


def test_a_line_larger_than_any_location_is_split_and_each_location_gets_a_shipment(client):
    sourcing_shop(client, {"TEE": {"muc": 3, "ber": 4, "ham": 1}})
    order = ok(place(client, [("TEE", 6)], shipping_address=MUNICH_ADDRESS), 201)
    assert where(order) == {1: [("ber", 3), ("muc", 3)]}
    fulfilment = ok(client.get(f"/api/v1/orders/{order['id']}/fulfilment"))
    assert sorted(fo["location"] for fo in fulfilment["fulfilment_orders"]) == ["ber", "muc"]
    [decision] = decisions(client, order["id"])
    assert "Sourced from muc (line 1) and ber (line 1): 2 shipments" in decision["explanation"]


def test_a_pickup_order_is_sourced_only_from_its_store(client):
    sourcing_shop(client, {"TEE": {"muc": 9, "ber": 1}},
                  locations={"ber": {"kind": "store", "capabilities": ["pickup"]}})
    order = ok(place(client, [("TEE", 1)], fulfilment={
        "method": "pickup", "pickup_location": "ber"}), 201)
    assert where(order) == {1: [("ber", 1)]}
    assert (order["fulfilment_method"], order["pickup_location"]) == ("pickup", "ber")
    assert order["service_level"] == "standard"
    assert place(client, [("TEE", 1)], fulfilment={
        "method": "pickup", "pickup_location": "ber"}).status_code == 409


def test_a_pickup_needs_a_location_that_hands_over_pickups(client):
    sourcing_shop(client, {"TEE": {"muc": 9}})
    for fulfilment, field in (({"method": "pickup", "pickup_location": "muc"},
                               "fulfilment.pickup_location"),
                              ({"method": "pickup", "pickup_location": "nowhere"},
                               "fulfilment.pickup_location"),
                              ({"method": "pickup"}, "fulfilment.pickup_location"),
                              ({"method": "ship", "pickup_location": "muc"},
                               "fulfilment.pickup_location")):
        response = place(client, [("TEE", 1)], fulfilment=fulfilment)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
    assert ok(client.get("/api/v1/orders"))["items"] == []


def test_an_order_from_a_hold_keeps_the_holds_locations(client):
    sourcing_shop(client, {"TEE": {"muc": 5, "ber": 5}})
    cart = ok(client.post("/api/v1/reservations", json={
        "channel": "web", "lines": [{"sku": "TEE", "quantity": 2}],
        "expires_in_seconds": 600}), 201)
    held_at = {a["location"] for ln in cart["lines"] for a in ln["allocations"]}
    order = ok(place(client, [("TEE", 2)], shipping_address=MUNICH_ADDRESS,
                     reservation_id=cart["id"]), 201)
    assert {loc for loc, _ in where(order)[1]} == held_at
    [decision] = decisions(client, order["id"])
    assert decision["trigger"] == "hold" and decision["method"] == "hold"
    assert decision["explanation"].startswith("Placed from a hold")


def test_placing_records_an_order_sourced_event(client):
    sourcing_shop(client, {"TEE": {"muc": 5}})
    order = ok(place(client, [("TEE", 1)]), 201)
    events = ok(client.get("/api/v1/events", params={"type": "order.sourced"}))["items"]
    [event] = [e for e in events if e["aggregate_id"] == order["id"]]
    assert event["payload"]["trigger"] == "placement"
    assert event["payload"]["assignments"][0]["location"] == "muc"
