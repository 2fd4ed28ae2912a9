"""Signing in to the back office: passwords, sessions, CSRF, throttling, roles, the CLI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from ordermesh.app import create_app
from ordermesh.backoffice.model import FAILURE_WINDOW, MAX_FAILURES, SESSION_LIFETIME
from ordermesh.backoffice.tables import backoffice_sessions, backoffice_users
from ordermesh.cli import app as cli
from tests.backoffice_helpers import (
    PASSWORD,
    csrf_of,
    make_user,
    paid_order,
    post_form,
    sign_in,
    signed_in,
)
from tests.helpers import ok


@pytest.fixture
def app(container):
    return create_app(container)


def test_a_user_signs_in_with_the_password_and_gets_an_httponly_samesite_cookie(
        app, container) -> None:
    make_user(container, "Ada@Shop.example", "viewer")
    browser = TestClient(app)
    answer = sign_in(browser, "ada@shop.example", next="/app/orders")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/app/orders"
    cookie = answer.headers["set-cookie"]
    assert "om_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Max-Age=" in cookie and "Path=/app" in cookie
    page = browser.get("/app/")
    assert page.status_code == 200
    assert "ada@shop.example (viewer)" in page.text
    with container.engine.connect() as conn:  # only an Argon2id hash is stored
        stored = conn.execute(select(backoffice_users.c.password_hash)).scalar_one()
        token = browser.cookies["om_session"]
        assert stored.startswith("$argon2id$") and PASSWORD not in stored
        assert token not in [r.token_hash for r in conn.execute(select(backoffice_sessions))]


def test_a_wrong_password_and_an_unknown_email_get_the_same_answer_and_no_session(
        app, container) -> None:
    make_user(container, "ada@shop.example", "admin")
    browser = TestClient(app)
    wrong = sign_in(browser, "ada@shop.example", "not the password")
    unknown = sign_in(browser, "nobody@shop.example", PASSWORD)
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert "The e-mail or the password is wrong" in answer.text
        assert "om_session" not in answer.headers.get("set-cookie", "")
    assert browser.get("/app/", follow_redirects=False).status_code == 303


def test_sign_in_is_refused_after_five_failures_until_the_window_has_passed(
        app, container, clock) -> None:
    make_user(container, "ada@shop.example", "admin")
    browser = TestClient(app)
    for _ in range(MAX_FAILURES):
        assert sign_in(browser, "ada@shop.example", "guess").status_code == 401
    refused = sign_in(browser, "ada@shop.example", PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.text
    assert "om_session" not in refused.headers.get("set-cookie", "")
    # an unknown e-mail is throttled the same way: the answer says nothing of who exists
    for _ in range(MAX_FAILURES):
        sign_in(browser, "nobody@shop.example", "guess")
    assert sign_in(browser, "nobody@shop.example", "guess").status_code == 429
    clock.advance(FAILURE_WINDOW + timedelta(seconds=1))
    assert sign_in(browser, "ada@shop.example", PASSWORD).status_code == 303


def test_a_sign_in_form_without_its_token_is_refused(app, container) -> None:
    make_user(container, "ada@shop.example", "admin")
    browser = TestClient(app)
    browser.get("/app/login")
    answer = browser.post("/app/login", data={"email": "ada@shop.example",
                                              "password": PASSWORD, "csrf_token": "forged"},
                          follow_redirects=False)
    assert answer.status_code == 403
    assert "om_session" not in answer.headers.get("set-cookie", "")


def test_a_page_without_a_session_sends_the_person_to_sign_in_and_back(app) -> None:
    browser = TestClient(app)
    answer = browser.get("/app/orders?q=ada", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/app/login?next=%2Fapp%2Forders%3Fq%3Dada"
    page = browser.get(answer.headers["location"])
    assert 'name="next" value="/app/orders?q=ada"' in page.text


def test_signing_in_never_sends_the_person_to_another_site(app, container) -> None:
    make_user(container, "ada@shop.example", "admin")
    browser = TestClient(app)
    answer = sign_in(browser, "ada@shop.example", next="https://evil.example/app")
    assert answer.headers["location"] == "/app/"
    answer = sign_in(browser, "ada@shop.example", next="//evil.example/app")
    assert answer.headers["location"] == "/app/"


def test_an_expired_session_asks_to_sign_in_again(app, container, clock) -> None:
    browser = signed_in(app, container, "viewer")
    assert browser.get("/app/", follow_redirects=False).status_code == 200
    clock.advance(SESSION_LIFETIME + timedelta(seconds=1))
    expired = browser.get("/app/", follow_redirects=False)
    assert expired.status_code == 303
    assert expired.headers["location"] == "/app/login?next=%2Fapp%2F"


def test_signing_out_ends_the_session_on_the_server(app, container) -> None:
    browser = signed_in(app, container, "viewer")
    token = browser.cookies["om_session"]
    assert post_form(browser, "/app/", "/app/logout").status_code == 303
    again = TestClient(app, cookies={"om_session": token})
    replayed = again.get("/app/", follow_redirects=False)
    assert replayed.status_code == 303
    assert replayed.headers["location"] == "/app/login?next=%2Fapp%2F"


def test_a_form_without_the_sessions_csrf_token_changes_nothing(app, client, container) -> None:
    order = paid_order(client)
    browser = signed_in(app, container, "operator")
    for token in (None, "not-the-token"):
        data = {"reason": "fraud check"} | ({"csrf_token": token} if token else {})
        answer = browser.post(f"/app/orders/{order['number']}/hold", data=data)
        assert answer.status_code == 403
        assert "security token did not match" in answer.text
    assert ok(client.get(f"/api/v1/orders/{order['id']}"))["status"] == order["status"]


@pytest.mark.parametrize(("role", "action", "allowed"), [
    ("viewer", "hold", False), ("warehouse", "hold", False), ("agent", "hold", True),
    ("viewer", "adjust", False), ("agent", "adjust", False), ("warehouse", "adjust", True),
    ("agent", "refund", True), ("warehouse", "refund", False), ("operator", "refund", True),
])
def test_each_role_may_take_only_its_actions_checked_on_the_server(
        app, client, container, role, action, allowed) -> None:
    order = paid_order(client)
    browser = signed_in(app, container, role)
    number = order["number"]
    url, action_url, fields = {
        "hold": (f"/app/orders/{number}", f"/app/orders/{number}/hold", {"reason": "check"}),
        "refund": (f"/app/orders/{number}", f"/app/orders/{number}/refund",
                   {"line_no": "1", "quantity": "1", "reason": "broken", "confirm": "yes"}),
        "adjust": ("/app/inventory/TEE", "/app/inventory/TEE/adjust",
                   {"location": "ber", "quantity_delta": "3", "reason": "found"}),
    }[action]
    before = (ok(client.get(f"/api/v1/orders/{order['id']}")),
              ok(client.get("/api/v1/inventory/TEE")))
    answer = post_form(browser, url, action_url, **fields)
    if allowed:
        assert answer.status_code == 303, answer.text
        after = ok(client.get(f"/api/v1/orders/{order['id']}"))
        if action == "hold":
            assert after["status"] == "on_hold"
        elif action == "refund":
            assert after["lines"][0]["refunded_quantity"] == 1
            assert after["totals"]["refunded"]["amount"] == "19.99"
        else:
            stock = ok(client.get("/api/v1/inventory/TEE"))["totals"]
            assert stock["on_hand"] == before[1]["totals"]["on_hand"] + 3
        return
    assert answer.status_code == 403
    assert f"Your role ({role}) may not do this" in answer.text
    assert (ok(client.get(f"/api/v1/orders/{order['id']}")),
            ok(client.get("/api/v1/inventory/TEE"))) == before


def test_a_change_made_in_the_back_office_names_the_user_as_its_actor(
        app, client, container) -> None:
    order = paid_order(client)
    browser = signed_in(app, container, "agent", "sam@shop.example")
    answer = post_form(browser, f"/app/orders/{order['number']}",
                       f"/app/orders/{order['number']}/hold", reason="customer called")
    assert answer.status_code == 303
    held = ok(client.get(f"/api/v1/orders/{order['id']}"))
    assert held["status"] == "on_hold"
    assert held["history"][-1]["actor"] == "user:sam@shop.example"
    events = ok(client.get("/api/v1/events", params={"limit": 500}))["items"]
    assert [e["actor"] for e in events if e["type"] == "order.held"] == ["user:sam@shop.example"]


def test_the_cli_creates_a_user_who_can_sign_in(app, db_url) -> None:
    runner = CliRunner()
    env = {"ORDERMESH_DATABASE_URL": db_url, "ORDERMESH_NEW_USER_PASSWORD": PASSWORD}
    made = runner.invoke(cli, ["user", "create", "--email", "kim@shop.example",
                               "--role", "warehouse"], env=env)
    assert made.exit_code == 0, made.output
    assert "Created warehouse user kim@shop.example" in made.output
    again = runner.invoke(cli, ["user", "create", "--email", "KIM@shop.example"], env=env)
    assert again.exit_code == 1 and "already exists" in again.output
    bad = runner.invoke(cli, ["user", "create", "--email", "x@shop.example",
                              "--role", "boss"], env=env)
    assert bad.exit_code == 2 and "--role must be one of" in bad.output
    short = runner.invoke(cli, ["user", "create", "--email", "y@shop.example"],
                          env={**env, "ORDERMESH_NEW_USER_PASSWORD": "short"})
    assert short.exit_code == 1 and "password" in short.output
    browser = TestClient(app)
    assert sign_in(browser, "kim@shop.example").status_code == 303
    assert "kim@shop.example (warehouse)" in browser.get("/app/").text
    assert csrf_of(browser.get("/app/").text)


def test_make_run_creates_one_demo_user_and_prints_the_same_password_each_time(
        app, container, tmp_path, monkeypatch) -> None:
    from ordermesh import cli as cli_module

    monkeypatch.chdir(tmp_path)
    first = cli_module._demo_user(container)
    assert cli_module._demo_user(container) == first
    assert (tmp_path / "var" / "demo-user").stat().st_mode & 0o077 == 0
    browser = TestClient(app)
    assert sign_in(browser, cli_module.DEMO_USER, first).status_code == 303
