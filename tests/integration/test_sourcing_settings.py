"""A channel's sourcing settings: read, replaced by an admin, refused when wrong."""

from __future__ import annotations

import pytest

from tests.helpers import make_channel, ok
from tests.sourcing_helpers import channel_id


def test_a_channel_without_settings_reports_the_default_chain(client):
    make_channel(client, "web")
    settings = ok(client.get(f"/api/v1/channels/{channel_id(client)}/sourcing"))
    assert settings["configured"] is False
    assert settings["rules"] == ["eligibility", "capacity", "distance", "stock", "priority"]
    assert settings["max_splits"] is None and settings["allow_backorders"] is False


def test_an_admin_replaces_the_settings_and_they_are_read_back(client):
    make_channel(client, "web")
    url = f"/api/v1/channels/{channel_id(client)}/sourcing"
    saved = ok(client.put(url, json={
        "rules": ["fewest_shipments", "shipping_cost", "distance"], "max_splits": 1,
        "allow_backorders": True,
        "shipping_cost": {"per_shipment": "4.90", "per_kg_per_100km": "0.35"}}))
    assert saved == ok(client.get(url))
    assert saved["configured"] is True
    assert saved["rules"] == ["fewest_shipments", "shipping_cost", "distance", "max_splits"]
    assert saved["shipping_cost"] == {"currency": "EUR", "per_shipment": "4.90",
                                      "per_kg_per_100km": "0.35"}
    events = ok(client.get("/api/v1/events", params={"type": "channel.sourcing_updated"}))
    assert events["items"][-1]["payload"]["max_splits"] == 1


@pytest.mark.parametrize("body, field", [
    ({"rules": []}, "rules"),
    ({"rules": ["distance", "distance"]}, "rules"),
    ({"rules": ["nearest"]}, "rules.0"),
    ({"rules": ["max_splits"]}, "max_splits"),
    ({"rules": ["distance"], "max_splits": -1}, "max_splits"),
    ({"rules": ["distance"], "shipping_cost": {"per_shipment": "-1"}},
     "shipping_cost.per_shipment"),
    ({"rules": ["distance"], "shipping_cost": {"per_kg_per_100km": "0.001"}},
     "shipping_cost.per_kg_per_100km"),
    ({"rules": ["distance"], "colour": "red"}, "colour"),
])
def test_bad_settings_are_refused_and_nothing_is_stored(client, body, field):
    make_channel(client, "web")
    url = f"/api/v1/channels/{channel_id(client)}/sourcing"
    response = client.put(url, json=body)
    assert response.status_code == 422, response.text
    assert any(e["field"].endswith(field) for e in response.json()["errors"]), response.text
    assert ok(client.get(url))["configured"] is False


def test_an_unknown_channel_has_no_settings(client):
    for response in (client.get("/api/v1/channels/ch_missing/sourcing"),
                     client.put("/api/v1/channels/ch_missing/sourcing",
                                json={"rules": ["distance"]})):
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "not-found"
        assert "ch_missing" in response.json()["detail"]
