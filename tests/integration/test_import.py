"""`ordermesh import`: orders from a JSON-lines file, with the API's guarantees, safe to
run again."""

import json

from typer.testing import CliRunner

from ordermesh.cli import app
from ordermesh.flows.importing import import_orders
from tests.helpers import ok, order_body, shop, stock_of

runner = CliRunner()
ADDRESS = {"name": "Ada", "line1": "Invalidenstr. 1", "city": "Berlin",
           "postal_code": "10115", "country": "DE"}


def line(external_id: str, lines, **extra) -> str:
    return json.dumps(order_body(lines, external_id=external_id, shipping_address=ADDRESS,
                                 **extra))


def orders_of(client) -> list[dict]:
    return ok(client.get("/api/v1/orders", params={"limit": 100}))["items"]


def test_an_import_places_every_good_line_reports_the_bad_ones_and_can_run_again(
        client, db_url, tmp_path):
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 2}})
    file = tmp_path / "orders.jsonl"
    file.write_text("\n".join([
        line("W-1", [("TEE", 2, "19.99")]),
        line("W-2", [("TEE", 1, "19.99"), ("MUG", 1, "9.50")]),
        "",
        "{not json",
        line("W-3", [("TEE", 0, "19.99")]),  # quantity 0: invalid
        json.dumps(order_body([("TEE", 1, "19.99")])),  # no external_id
        line("W-4", [("MUG", 5, "9.50")]),  # only 1 MUG left
        line("W-1", [("TEE", 2, "19.99")]),  # the same order again: a duplicate
        line("W-2", [("TEE", 3, "19.99")]),  # W-2 with other content
    ]) + "\n")
    errors = tmp_path / "errors.jsonl"
    env = {"ORDERMESH_DATABASE_URL": db_url}
    result = runner.invoke(app, ["import", str(file), "--errors", str(errors)], env=env)
    assert result.exit_code == 1, result.output
    assert "8 orders read: 2 placed, 1 already there, 5 refused" in result.output
    refused = [json.loads(r) for r in errors.read_text().splitlines()]
    assert [(r["line"], r["code"]) for r in refused] == [
        (4, "invalid-json"), (5, "invalid-input"), (6, "invalid-input"),
        (7, "insufficient-stock"), (9, "conflict")]
    assert "external_id is required" in refused[2]["detail"]
    assert sorted(o["external_id"] for o in orders_of(client)) == ["W-1", "W-2"]
    assert stock_of(client, "TEE")["totals"]["reserved"] == 3
    assert stock_of(client, "MUG")["totals"]["reserved"] == 1
    events = ok(client.get("/api/v1/events", params={"type": "order.created"}))["items"]
    assert len(events) == 2

    again = runner.invoke(app, ["import", str(file)], env=env)
    assert "8 orders read: 0 placed, 3 already there, 5 refused" in again.output
    assert len(orders_of(client)) == 2 and stock_of(client, "TEE")["totals"]["reserved"] == 3


def test_imported_orders_are_sourced_and_released_like_orders_from_the_api(
        client, container):
    shop(client, {"TEE": {"ber": 10}})
    text = [line(f"W-{n}", [("TEE", 1, "19.99")]).encode() for n in range(6)]
    report = import_orders(container, text, jobs=3)
    assert (report.placed, report.duplicates, report.refusals) == (6, 0, [])
    for order in orders_of(client):
        fos = ok(client.get(f"/api/v1/orders/{order['id']}/fulfilment"))["fulfilment_orders"]
        assert [(f["location"], f["status"]) for f in fos] == [("ber", "released")]
        assert ok(client.get(f"/api/v1/orders/{order['id']}/sourcing"))["decisions"]
    assert stock_of(client, "TEE")["totals"]["reserved"] == 6


def test_jobs_side_by_side_never_oversell_the_last_units(client, container):
    shop(client, {"TEE": {"ber": 5}})
    text = [line(f"W-{n}", [("TEE", 1, "19.99")]).encode() for n in range(20)]
    report = import_orders(container, text, jobs=4)
    assert report.placed == 5 and report.reasons == {"insufficient-stock": 15}
    totals = stock_of(client, "TEE")["totals"]
    assert (totals["on_hand"], totals["reserved"]) == (5, 5)
