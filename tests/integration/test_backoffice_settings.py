"""The settings overview: admins see the channels with their money settings, the
locations, the carrier accounts and the API keys' names, nothing secret; other roles get
a 403 page and no link."""

from __future__ import annotations

from ordermesh.app import create_app
from tests.backoffice_helpers import signed_in
from tests.helpers import make_channel, make_location, ok


def test_an_admin_sees_channels_locations_carriers_and_key_names_but_no_secret(
        client, container):
    make_channel(client, "web")
    make_location(client, "ber")
    created = ok(client.post("/api/v1/api-keys", json={"name": "shop-sync",
                                                       "role": "operator"}), 201)
    app = create_app(container)
    admin = signed_in(app, container, "admin", "admin@shop.example")
    page = admin.get("/app/settings")
    assert page.status_code == 200
    html = page.text
    assert 'data-channel="web"' in html and "inclusive" in html
    assert 'data-location="ber"' in html
    assert 'data-carrier="' in html
    assert '<tr data-key="shop-sync"><td>shop-sync</td><td>operator</td>' in html
    assert created["key"] not in html and created["prefix"] not in html
    assert 'href="/app/settings"' in html


def test_other_roles_may_not_open_the_settings(client, container):
    app = create_app(container)
    for role in ("operator", "agent", "warehouse", "viewer"):
        browser = signed_in(app, container, role)
        assert browser.get("/app/settings").status_code == 403
        assert 'href="/app/settings"' not in browser.get("/app/").text
