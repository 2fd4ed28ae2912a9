"""Carrier secrets at rest: sealed with the keys from the environment, never shown, still
readable from rows stored before encryption, and rotated to a new key without a gap."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import insert, select

from ordermesh.kit import secrets
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.secrets import Keyring, SecretUnreadable
from ordermesh.shipping.accounts import reseal_secrets
from ordermesh.shipping.tables import carrier_accounts
from tests.conftest import START
from tests.helpers import ok
from tests.shipping_helpers import SECRET, post_webhook

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()
CREDENTIALS = {"api_key": "ak-live-1234", "password": "hunter2-pass",
               "auth_header": "Basic dXNlcjpwYXNz", "credentials": {"user": "u", "pw": "p"},
               "account_number": "ACC-778"}
EVENT = {"event_id": "e1", "tracking_number": "NOPE", "status": "DEP",
         "occurred_at": "2026-11-26T19:00:00Z"}


@pytest.fixture
def keys(container):
    """Set the engine's keys (as ORDERMESH_SECRET_KEYS would): ``keys(NEW, OLD)``."""
    def use(*names: str) -> None:
        secrets.attach(container.engine, Keyring(list(names)))

    use(OLD_KEY)
    yield use
    secrets.attach(container.engine, None)


def stored(container, code: str = "dhl"):
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        return uow.execute(select(carrier_accounts).where(
            carrier_accounts.c.code == code)).one()


def create(client) -> dict:
    return ok(client.post("/api/v1/carriers", json={
        "code": "dhl", "name": "DHL", "adapter": "simulated", "webhook_secret": SECRET,
        "settings": {"delay_days": 1, **CREDENTIALS}}), 201)


def test_credentials_and_the_webhook_secret_are_stored_encrypted(client, container, keys):
    create(client)
    row = stored(container)
    assert row.webhook_secret.startswith("enc:v1:")
    assert SECRET not in row.webhook_secret
    assert row.settings["delay_days"] == 1
    for name in CREDENTIALS:
        assert row.settings[name].startswith("enc:v1:"), name
    assert "hunter2" not in str(row.settings)
    assert ok(post_webhook(client, "dhl", [EVENT]))["ignored"] == 1  # still verifies


def test_every_setting_not_declared_public_is_shown_as_stars(client, keys):
    created = create(client)
    shown = [created, ok(client.get("/api/v1/carriers/dhl")),
             next(c for c in ok(client.get("/api/v1/carriers"))["items"]
                  if c["code"] == "dhl")]
    for carrier in shown:
        assert carrier["settings"] == {"delay_days": 1, **dict.fromkeys(CREDENTIALS, "***")}
        assert "webhook_secret" not in carrier
        assert carrier["has_webhook_secret"] is True


def test_a_patch_keeps_the_sealed_credentials_usable(client, container, keys):
    create(client)
    patched = ok(client.patch("/api/v1/carriers/dhl", json={"name": "DHL Express"}))
    assert patched["settings"]["api_key"] == "***"
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        from ordermesh.shipping.accounts import get_account
        assert get_account(uow, "dhl").settings["api_key"] == "ak-live-1234"
    assert ok(post_webhook(client, "dhl", [EVENT]))["ignored"] == 1


def test_rows_stored_in_clear_before_encryption_stay_readable_and_get_sealed(
        client, container, keys):
    with UnitOfWork(container.engine, container.clock) as uow:
        uow.execute(insert(carrier_accounts).values(
            id="car_legacy", code="dhl", name="DHL", adapter="simulated",
            webhook_secret=SECRET, settings={"delay_days": 1, "api_key": "ak-plain"},
            active=True, booking_seq=0, created_at=START, updated_at=START))
        uow.commit()
    assert ok(post_webhook(client, "dhl", [EVENT]))["ignored"] == 1
    assert ok(client.get("/api/v1/carriers/dhl"))["settings"]["api_key"] == "***"
    with UnitOfWork(container.engine, container.clock) as uow:
        assert reseal_secrets(uow) == 1
    row = stored(container)
    assert row.webhook_secret.startswith("enc:v1:")
    assert row.settings["api_key"].startswith("enc:v1:")
    assert ok(post_webhook(client, "dhl", [EVENT], )).get("ignored") == 1


def test_a_new_key_reads_old_secrets_and_rotation_lets_the_old_key_go(
        client, container, keys):
    create(client)
    keys(NEW_KEY, OLD_KEY)  # the new key first: it seals, both open
    assert ok(post_webhook(client, "dhl", [EVENT]))["ignored"] == 1
    with UnitOfWork(container.engine, container.clock) as uow:
        reseal_secrets(uow)
    keys(NEW_KEY)  # the old key dropped
    assert ok(post_webhook(client, "dhl", [EVENT]))["ignored"] == 1
    keys(OLD_KEY)  # only the dropped key: the secret cannot be opened
    with (UnitOfWork(container.engine, container.clock, write=False) as uow,
          pytest.raises(SecretUnreadable)):
        from ordermesh.shipping.accounts import webhook_secret
        webhook_secret(uow, "dhl")


def test_a_sealed_secret_without_any_key_configured_is_a_clear_error(container, keys):
    sealed = Keyring([OLD_KEY]).seal("s3cret")
    secrets.attach(container.engine, None)
    with pytest.raises(SecretUnreadable, match="ORDERMESH_SECRET_KEYS is not set"):
        secrets.open_secret(container.engine, sealed)
    assert secrets.open_secret(container.engine, "plain") == "plain"


def test_a_malformed_secret_key_setting_is_refused():
    from pydantic import ValidationError

    from ordermesh.settings import Settings

    with pytest.raises(ValidationError, match="Fernet keys"):
        Settings(secret_keys="not-a-fernet-key")
    assert Settings(secret_keys=f"{NEW_KEY}, {OLD_KEY}").secret_keys is not None


def test_the_rotate_command_seals_plain_rows_with_the_first_key(db_url, client, container):
    from typer.testing import CliRunner

    from ordermesh.cli import app

    ok(client.post("/api/v1/carriers", json={  # no key attached: stored in clear
        "code": "dhl", "name": "DHL", "adapter": "simulated", "webhook_secret": SECRET,
        "settings": {"api_key": "ak-plain"}}), 201)
    assert stored(container).webhook_secret == SECRET
    assert stored(container).settings == {"api_key": "ak-plain"}
    runner = CliRunner()
    env = {"ORDERMESH_DATABASE_URL": db_url}
    refused = runner.invoke(app, ["secrets", "rotate"], env=env)
    assert refused.exit_code == 2
    assert "ORDERMESH_SECRET_KEYS is not set" in refused.output
    rotated = runner.invoke(app, ["secrets", "rotate"],
                            env={**env, "ORDERMESH_SECRET_KEYS": f"{NEW_KEY},{OLD_KEY}"})
    assert rotated.exit_code == 0, rotated.output
    assert "1 carrier account(s)" in rotated.output
    row = stored(container)
    assert Keyring([NEW_KEY]).open(row.webhook_secret) == SECRET
    assert Keyring([NEW_KEY]).open(row.settings["api_key"]) == '"ak-plain"'
