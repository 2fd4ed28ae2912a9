"""Connector accounts: credentials sealed at rest and never returned; bad set-ups are a
422 naming each field, and nothing is written."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from ordermesh.connectors.accounts import reseal_credentials
from ordermesh.connectors.tables import connector_accounts
from ordermesh.kit import secrets
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.secrets import Keyring
from tests.connector_helpers import CHANNEL, CODE, connect, deliver
from tests.fake_shopify import TOKEN, WEBHOOK_SECRET, running_shopify, shopify_order
from tests.helpers import make_channel, ok


@pytest.fixture
def sealed(container):
    secrets.attach(container.engine, Keyring([Fernet.generate_key().decode()]))
    yield
    secrets.attach(container.engine, None)


def stored(container):
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        return uow.execute(select(connector_accounts)).all()


def test_credentials_are_stored_sealed_and_never_returned(client, container, sealed):
    make_channel(client, CHANNEL, "EUR", kind="shop_platform")
    with running_shopify() as shop:
        created = connect(client, shop)
        listed = ok(client.get("/api/v1/connectors"))
        one = ok(client.get(f"/api/v1/connectors/{CODE}"))
        # the sealed secret still verifies Shopify's signature
        refused = ok(deliver(client, shopify_order(1, [("NOPE", 1, "1.00")]), "w1"))
    assert created["credential_names"] == ["access_token", "webhook_secret"]
    for shown in (created, listed, one):
        assert TOKEN not in str(shown) and WEBHOOK_SECRET not in str(shown)
    row = stored(container)[0]
    assert row.credentials.startswith("enc:v1:") and TOKEN not in row.credentials
    assert refused["status"] == "refused"


@pytest.mark.parametrize(("change", "field"), [
    ({"credentials": {"access_token": TOKEN}}, "credentials.webhook_secret"),
    ({"settings": {}}, "settings.location_id"),
    ({"settings": {"location_id": 1, "colour": "red"}}, "settings.colour"),
    ({"base_url": "ftp://shop.example.com"}, "base_url"),
    ({"channel": "nope"}, "channel"),
    ({"platform": "etsy"}, "platform"),
])
def test_a_connector_set_up_wrong_is_422_naming_the_field_and_nothing_is_written(
        client, container, change, field):
    make_channel(client, CHANNEL, "EUR", kind="shop_platform")
    body = {"code": CODE, "platform": "shopify", "channel": CHANNEL,
            "base_url": "https://shop.example.com",
            "credentials": {"access_token": TOKEN, "webhook_secret": WEBHOOK_SECRET},
            "settings": {"location_id": 1}, **change}
    response = client.post("/api/v1/connectors", json=body)
    assert response.status_code == 422, response.text
    assert field in {e["field"].removeprefix("body.") for e in response.json()["errors"]}
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        assert uow.execute(select(func.count()).select_from(connector_accounts)
                           ).scalar_one() == 0


def test_an_inactive_connector_accepts_no_webhook(client, container):
    make_channel(client, CHANNEL, "EUR", kind="shop_platform")
    with running_shopify() as shop:
        connect(client, shop)
        ok(client.patch(f"/api/v1/connectors/{CODE}", json={"active": False}))
        response = deliver(client, shopify_order(1, [("MUG", 1, "1.00")]), "w1")
    assert response.status_code == 409
    assert ok(client.get(f"/api/v1/connectors/{CODE}/inbox"))["items"] == []


def test_rotating_the_key_reseals_the_credentials_so_the_old_key_can_go(client, container):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    make_channel(client, CHANNEL, "EUR", kind="shop_platform")
    try:
        secrets.attach(container.engine, Keyring([old]))
        with running_shopify() as shop:
            connect(client, shop)
            before = stored(container)[0].credentials
            secrets.attach(container.engine, Keyring([new, old]))
            with UnitOfWork(container.engine, container.clock) as uow:
                assert reseal_credentials(uow) == 1
            secrets.attach(container.engine, Keyring([new]))
            got = ok(deliver(client, shopify_order(1, [("NOPE", 1, "1.00")]), "w1"))
    finally:
        secrets.attach(container.engine, None)
    assert stored(container)[0].credentials != before
    assert got["status"] == "refused"  # verified with the credentials opened by the new key
