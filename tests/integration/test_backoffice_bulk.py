"""Bulk actions on the orders list: tick orders, see what each will go through, confirm;
each order changes in its own transaction through the API's use case, with the signed-in
person as actor, and the result says per order what was done or why it was refused."""

from __future__ import annotations

import re

import pytest

from ordermesh.app import create_app
from tests.backoffice_helpers import csrf_of, signed_in
from tests.event_checks import assert_writes_nothing, written_by
from tests.helpers import ok, order_body, shop

OPERATOR = "operator@shop.example"


@pytest.fixture
def app(container):
    return create_app(container)


@pytest.fixture
def placed(client) -> list[dict]:
    shop(client, {"TEE": {"ber": 10}})
    return [ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 1, "10.00")], external_id=f"W-{i}")), 201) for i in range(3)]


def bulk(browser, action: str, numbers: list[str], confirm: bool = False, **extra):
    page = browser.get("/app/orders")
    assert page.status_code == 200, page.text
    data = {"csrf_token": csrf_of(page.text), "action": action, "order": numbers, **extra}
    if confirm:
        data["confirm"] = "yes"
    return browser.post("/app/orders/bulk", data=data)


def outcomes(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-order="([^"]+)" data-ok="(yes|no)"', html))


def status(client, order: dict) -> str:
    return ok(client.get(f"/api/v1/orders/{order['id']}"))["status"]


def test_holding_several_orders_previews_then_holds_each_as_the_user(
        app, client, container, placed):
    operator = signed_in(app, container, "operator", OPERATOR)
    assert 'name="order" value="' in operator.get("/app/orders").text
    numbers = [o["number"] for o in placed[:2]]
    preview = assert_writes_nothing(
        client, lambda: bulk(operator, "hold", numbers, reason="fraud check"))
    assert preview.status_code == 200
    assert outcomes(preview.text) == dict.fromkeys(numbers, "yes")
    assert "goes on hold" in preview.text and 'name="confirm" value="yes"' in preview.text
    assert [status(client, o) for o in placed] == ["confirmed"] * 3  # nothing changed yet

    done, written = written_by(client, lambda: bulk(
        operator, "hold", numbers, confirm=True, reason="fraud check"))
    assert done.status_code == 200 and "2 of 2 done" in done.text
    assert [status(client, o) for o in placed] == ["on_hold", "on_hold", "confirmed"]
    assert [e["type"] for e in written] == ["order.held"] * 2
    assert {e["actor"] for e in written} == {f"user:{OPERATOR}"}
    assert {e["payload"]["reason"] for e in written} == {"fraud check"}


def test_one_refused_order_leaves_the_others_done_with_the_reason_shown(
        app, client, container, placed):
    operator = signed_in(app, container, "operator", OPERATOR)
    ok(client.post(f"/api/v1/orders/{placed[0]['id']}/cancel", json={"reason": "x"}))
    numbers = [o["number"] for o in placed] + ["OM-999999"]
    preview = bulk(operator, "cancel", numbers)
    assert outcomes(preview.text) == {placed[0]["number"]: "no", placed[1]["number"]: "yes",
                                      placed[2]["number"]: "yes", "OM-999999": "no"}
    done = bulk(operator, "cancel", numbers, confirm=True, reason="customer asked")
    assert "2 of 4 done, 2 refused" in done.text
    assert "An order that is cancelled cannot be cancelled" in done.text
    assert "No order with id or number &#39;OM-999999&#39;" in done.text
    assert [status(client, o) for o in placed] == ["cancelled"] * 3
    released = bulk(operator, "release", [placed[1]["number"]], confirm=True)
    assert outcomes(released.text) == {placed[1]["number"]: "no"}
    assert "not on hold" in released.text


def test_releasing_holds_in_bulk(app, client, container, placed):
    operator = signed_in(app, container, "operator", OPERATOR)
    for order in placed:
        ok(client.post(f"/api/v1/orders/{order['id']}/hold", json={"reason": "check"}))
    done = bulk(operator, "release", [o["number"] for o in placed[:2]], confirm=True)
    assert "2 of 2 done" in done.text
    assert [status(client, o) for o in placed] == ["confirmed", "confirmed", "on_hold"]


def test_bad_input_roles_and_csrf_are_refused_and_change_nothing(
        app, client, container, placed):
    operator = signed_in(app, container, "operator", OPERATOR)
    number = placed[0]["number"]
    no_reason = assert_writes_nothing(client, lambda: bulk(operator, "hold", [number],
                                                           confirm=True))
    assert no_reason.status_code == 422 and "say why the orders are held" in no_reason.text
    nothing = bulk(operator, "hold", [], reason="x")
    assert nothing.status_code == 422 and "tick at least one order" in nothing.text
    unknown = bulk(operator, "archive", [number])
    assert unknown.status_code == 422 and "choose hold, release or cancel" in unknown.text
    forged = operator.post("/app/orders/bulk", data={
        "action": "cancel", "order": [number], "confirm": "yes"})
    assert forged.status_code == 403
    agent = signed_in(app, container, "agent", "agent@shop.example")
    assert 'name="order" value="' not in agent.get("/app/orders").text
    refused = bulk(agent, "cancel", [number], confirm=True)
    assert refused.status_code == 403 and "order.bulk" in refused.text
    assert status(client, placed[0]) == "confirmed"
