from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from ordermesh.bootstrap import build_app, build_container
from ordermesh.cli import app
from ordermesh.migrations import SchemaOutOfDate, alembic_config, head_revision
from ordermesh.settings import Settings
from tests.helpers import ok, order_body, shop

runner = CliRunner()


def _run(db_url: str, *args: str):
    return runner.invoke(app, list(args), env={"ORDERMESH_DATABASE_URL": db_url})


def test_db_upgrade_builds_the_schema_from_nothing(db_url):
    command.downgrade(alembic_config(db_url), "base")
    with pytest.raises(SchemaOutOfDate, match="ordermesh db upgrade"):
        build_app(build_container(Settings(database_url=db_url)))
    result = _run(db_url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"revision {head_revision()}" in result.output
    build_app(build_container(Settings(database_url=db_url)))


def test_serve_refuses_an_out_of_date_schema_and_says_what_to_run(db_url):
    command.downgrade(alembic_config(db_url), "base")
    result = _run(db_url, "serve", "--port", "1")
    assert result.exit_code == 2
    assert "ordermesh db upgrade" in result.output
    command.upgrade(alembic_config(db_url), "head")


def test_an_api_key_is_printed_once_and_only_its_hash_is_stored(db_url, client):
    result = _run(db_url, "apikey", "create", "--name", "shopify-sync", "--role", "operator")
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("om_")
    keyed = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/orders", headers=keyed).status_code == 200
    assert client.get("/api/v1/api-keys", headers=keyed).status_code == 403
    engine = create_engine(db_url)
    with engine.connect() as conn:
        dump = " ".join(str(row) for row in conn.execute(text("SELECT * FROM api_keys")))
    engine.dispose()
    assert secret not in dump


def test_inventory_verify_passes_on_a_clean_ledger_and_fails_on_drift(db_url, client):
    shop(client, {"TEE": {"ber": 5}})
    ok(client.post("/api/v1/orders", json=order_body([("TEE", 2, "5")])), 201)
    clean = _run(db_url, "inventory", "verify")
    assert clean.exit_code == 0 and "agree" in clean.output
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE stock SET on_hand = on_hand + 1"))
    engine.dispose()
    drifted = _run(db_url, "inventory", "verify")
    assert drifted.exit_code == 1
    assert "TEE" in drifted.output and "ber" in drifted.output
    assert "on_hand 6" in drifted.output and "on_hand 5" in drifted.output
    repaired = _run(db_url, "inventory", "verify", "--repair")
    assert repaired.exit_code == 0 and "Repaired 1" in repaired.output
    assert _run(db_url, "inventory", "verify").exit_code == 0
    assert ok(client.get("/api/v1/inventory/TEE"))["totals"]["on_hand"] == 5
    repaired_events = ok(client.get("/api/v1/events", params={"type": "inventory.repaired"}))
    assert [e["payload"]["was"]["on_hand"] for e in repaired_events["items"]] == [6]
    assert repaired_events["items"][0]["payload"]["now"]["on_hand"] == 5


def test_a_bad_setting_is_named_in_one_line_not_a_traceback(db_url):
    result = runner.invoke(app, ["db", "upgrade"], env={
        "ORDERMESH_DATABASE_URL": db_url, "ORDERMESH_ADMIN_API_KEY": "too-short"})
    assert result.exit_code == 2
    assert "ORDERMESH_ADMIN_API_KEY" in result.output and "Traceback" not in result.output
