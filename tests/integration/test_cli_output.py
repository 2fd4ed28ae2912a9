"""What `ordermesh` prints into a file or a pipe: whole lines, not cut at 80 columns."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from ordermesh.cli import app
from tests.helpers import ok, order_body, shop

runner = CliRunner()
SKU = "SUMMER-LINEN-SHIRT-WITH-A-VERY-LONG-NAME-" + "X" * 23  # 64 characters, the most
LOCATION = "central-warehouse-berlin-tempelhof-north"  # 40 characters, the most


def test_output_that_is_not_a_terminal_is_not_wrapped_at_80_columns(db_url, client):
    shop(client, {SKU: {LOCATION: 5}})
    ok(client.post("/api/v1/orders", json=order_body([(SKU, 2, "5")])), 201)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE stock SET on_hand = on_hand + 1"))
    engine.dispose()
    drifted = runner.invoke(app, ["inventory", "verify"],
                            env={"ORDERMESH_DATABASE_URL": db_url, "COLUMNS": None})
    assert drifted.exit_code == 1
    rows = [line for line in drifted.output.splitlines() if SKU in line]
    assert len(rows) == 1, drifted.output
    assert LOCATION in rows[0]
    assert "on_hand 6, reserved 2" in rows[0] and "on_hand 5, reserved 2" in rows[0]
    assert max(len(line) for line in drifted.output.splitlines()) > 150


def test_columns_still_sets_the_width_when_it_is_given(db_url, client):
    shop(client, {SKU: {LOCATION: 5}})
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE stock SET on_hand = on_hand + 1"))
    engine.dispose()
    narrow = runner.invoke(app, ["inventory", "verify"],
                           env={"ORDERMESH_DATABASE_URL": db_url, "COLUMNS": "60"})
    assert narrow.exit_code == 1
    assert max(len(line) for line in narrow.output.splitlines()) <= 60
