"""`ordermesh db backup` and `ordermesh db restore`: a whole, consistent copy that comes
back as it was, only into an empty database of the same kind."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from ordermesh.cli import app
from ordermesh.inventory.tables import stock
from ordermesh.kit.outbox import outbox
from ordermesh.orders.tables import order_lines, orders
from tests.conftest import PG_URL_ENV
from tests.helpers import ok, order_body, shop

runner = CliRunner()
BERLIN = {"name": "Ada", "line1": "Main St 1", "city": "Berlin", "country": "DE"}


def cli(db_url: str, *args: str):
    return runner.invoke(app, ["db", *args], env={"ORDERMESH_DATABASE_URL": db_url})


@pytest.fixture
def empty_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database (no schema at all) of the same kind as ``db_url``."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    admin = create_engine(os.environ[PG_URL_ENV], isolation_level="AUTOCOMMIT")
    name = f"ordermesh_restore_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(db_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def contents(url: str) -> dict:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                "orders": conn.execute(select(orders.c.id, orders.c.status, orders.c.total_amount)
                                       .order_by(orders.c.id)).all(),
                "lines": conn.execute(select(func.count()).select_from(order_lines)).scalar(),
                "stock": conn.execute(select(stock.c.product_id, stock.c.location_id,
                                             stock.c.on_hand, stock.c.reserved)
                                      .order_by(stock.c.product_id, stock.c.location_id)).all(),
                "events": conn.execute(select(outbox.c.id).order_by(outbox.c.id)).scalars().all(),
            }
    finally:
        engine.dispose()


def test_a_backup_restored_into_an_empty_database_holds_every_order_stock_row_and_event(
        client, db_url, empty_url, tmp_path):
    shop(client, {"TEE": {"ber": 10}, "CAP": {"ber": 5}})
    for quantity in (1, 2, 3):
        ok(client.post("/api/v1/orders", json=order_body(
            [("TEE", quantity, "19.90"), ("CAP", 1, "9.90")], shipping_address=BERLIN)), 201)
    file = tmp_path / "shop.backup"

    made = cli(db_url, "backup", str(file))
    assert made.exit_code == 0, made.output
    assert "Backed up" in made.output and file.stat().st_size > 0
    # what happens after the backup is not in it
    ok(client.post("/api/v1/orders", json=order_body([("TEE", 1, "19.90")],
                                                     shipping_address=BERLIN)), 201)

    restored = cli(empty_url, "restore", str(file))
    assert restored.exit_code == 0, restored.output
    assert "3 orders" in restored.output
    assert "Stock counters and ledger agree" in restored.output
    now, back = contents(db_url), contents(empty_url)
    assert len(back["orders"]) == 3 and back["lines"] == 6
    assert set(back["orders"]) < set(now["orders"])  # the fourth came after the backup
    assert set(back["events"]) < set(now["events"])
    assert sum(row.reserved for row in back["stock"]) == 6 + 3  # TEE and CAP at the backup
    assert sum(row.reserved for row in now["stock"]) == 6 + 3 + 1


def test_a_restore_into_a_database_that_is_not_empty_is_refused_and_changes_nothing(
        client, db_url, tmp_path):
    shop(client, {"TEE": {"ber": 10}})
    file = tmp_path / "shop.backup"
    assert cli(db_url, "backup", str(file)).exit_code == 0
    before = contents(db_url)
    refused = cli(db_url, "restore", str(file))
    assert refused.exit_code == 2
    assert "not empty" in refused.output
    assert contents(db_url) == before


def test_a_backup_never_overwrites_a_file_unless_told_to(client, db_url, tmp_path):
    file = tmp_path / "shop.backup"
    file.write_bytes(b"precious")
    refused = cli(db_url, "backup", str(file))
    assert refused.exit_code == 2 and "exists already" in refused.output
    assert file.read_bytes() == b"precious"
    assert cli(db_url, "backup", str(file), "--overwrite").exit_code == 0
    assert file.read_bytes() != b"precious"
    assert not list(tmp_path.glob("*.partial"))


def test_a_file_that_is_not_a_backup_of_this_kind_of_database_is_refused(
        db_url, empty_url, tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")
    refused = cli(empty_url, "restore", str(junk))
    assert refused.exit_code == 2 and "not an ordermesh backup" in refused.output
    other = tmp_path / "other.backup"
    other.write_bytes(b"PGDMP" if db_url.startswith("sqlite") else b"SQLite format 3\x00")
    refused = cli(empty_url, "restore", str(other))
    assert refused.exit_code == 2 and "backup; the target database is" in refused.output
    assert cli(empty_url, "restore", str(tmp_path / "missing.backup")).exit_code == 2
