"""Events of connector set-up: connected, changed; never with the credentials."""

from __future__ import annotations

from tests.connector_helpers import CODE, connect
from tests.event_checks import assert_writes, of_type
from tests.fake_shopify import running_shopify
from tests.helpers import make_channel, ok


def test_connecting_and_changing_a_shop_platform_write_their_events(client):
    make_channel(client, "shopify-eu", "EUR", kind="shop_platform")
    with running_shopify() as shop:
        _, written = assert_writes(client, "connector.create", lambda: connect(client, shop))
    created = of_type(written, "connector.created")
    assert created["payload"] == {"code": CODE, "platform": "shopify",
                                  "channel": "shopify-eu"}
    _, written = assert_writes(client, "connector.update", lambda: ok(client.patch(
        f"/api/v1/connectors/{CODE}", json={"active": False, "credentials": {
            "access_token": "shpat_new", "webhook_secret": "shpss_new_0123456789"}})))
    changed = of_type(written, "connector.updated")
    assert changed["payload"] == {"code": CODE, "changed": ["active", "credentials"]}
    assert "shpat_new" not in str(written)
