"""Location fulfilment settings: set at creation, changed by an admin, read back."""

from ordermesh.locations.service import get_location
from tests.helpers import make_location, ok


def test_a_new_location_has_default_fulfilment_settings(client):
    loc = make_location(client, "ber")
    assert loc["fulfilment"] == {
        "priority": 100, "daily_capacity": None, "regions": None, "pickup_hold_days": 3,
        "carrier": None, "carrier_service": None, "processing_days": 0}


def test_fulfilment_settings_given_at_creation_are_returned_and_readable_by_services(
        client, uow):
    loc = make_location(client, "muc", capabilities=["ship", "pickup"], fulfilment={
        "priority": 5, "daily_capacity": 40, "regions": ["de", "AT-9"],
        "pickup_hold_days": 5, "carrier": "dhl", "carrier_service": "paket",
        "processing_days": 1})
    assert loc["fulfilment"]["regions"] == ["DE", "AT-9"]
    assert ok(client.get(f"/api/v1/locations/{loc['id']}"))["fulfilment"] == loc["fulfilment"]
    with uow(write=False) as u:
        settings = get_location(u, loc["id"]).fulfilment
    assert (settings.priority, settings.daily_capacity, settings.regions) == (5, 40, ("DE", "AT-9"))
    assert settings.serves("AT", "9") and settings.serves("DE", None)
    assert not settings.serves("AT", "AT-1") and not settings.serves("FR", None)


def test_an_admin_changes_only_the_settings_sent(client):
    loc = make_location(client, "ham", fulfilment={"priority": 7, "daily_capacity": 10})
    changed = ok(client.patch(f"/api/v1/locations/{loc['id']}", json={
        "capabilities": ["ship", "pickup"], "fulfilment": {"daily_capacity": None,
                                                           "regions": ["US-CA"]}}))
    assert changed["capabilities"] == ["pickup", "ship"]
    assert changed["fulfilment"]["priority"] == 7
    assert changed["fulfilment"]["daily_capacity"] is None
    assert changed["fulfilment"]["regions"] == ["US-CA"]


def test_bad_fulfilment_settings_are_refused_and_change_nothing(client):
    loc = make_location(client, "cgn", fulfilment={"priority": 3})
    for body in ({"fulfilment": {"regions": ["XX"]}}, {"fulfilment": {"regions": ["US-ZZ"]}},
                 {"fulfilment": {"priority": -1}}, {"fulfilment": {"priority": None}},
                 {"fulfilment": {"carrier_service": "x"}}, {"fulfilment": {"colour": 1}}):
        response = client.patch(f"/api/v1/locations/{loc['id']}", json=body)
        assert response.status_code == 422, (body, response.text)
    assert ok(client.get(f"/api/v1/locations/{loc['id']}"))["fulfilment"]["priority"] == 3
    assert client.post("/api/v1/locations", json={
        "code": "bad", "name": "Bad", "kind": "store",
        "fulfilment": {"regions": ["ZZ"]}}).status_code == 422
    assert client.patch("/api/v1/locations/loc_missing", json={}).status_code == 404
