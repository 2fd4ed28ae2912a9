"""Back-office passwords, scopes and bulk actions write exactly the declared events
(tests/event_contract.py); refused ones, a bulk preview, and a reset asked for an unknown
e-mail write none."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ordermesh.app import create_app
from ordermesh.cli import app as cli
from tests.backoffice_helpers import PASSWORD, csrf_of, post_form, signed_in
from tests.event_checks import assert_writes, assert_writes_nothing, of_type
from tests.helpers import make_channel, make_location, ok, order_body, shop
from tests.integration.test_backoffice_bulk import bulk
from tests.integration.test_backoffice_passwords import ask_for_reset, set_new_password, token_in
from tests.integration.test_backoffice_people import user_id
from tests.messaging_helpers import with_smtp
from tests.smtp_server import running_smtp_server

ADMIN = "admin@shop.example"
KIM = "kim@shop.example"
NEW = "a brand new password"


@pytest.fixture
def box():
    with running_smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def container(container, box):
    return with_smtp(container, box)


def test_password_resets_and_changes_each_write_their_event(client, container, box, uow):
    app = create_app(container)
    admin = signed_in(app, container, "admin", ADMIN)
    signed_in(app, container, "operator", KIM)
    assert_writes_nothing(client, lambda: ask_for_reset(app, "nobody@shop.example"))
    _, written = assert_writes(client, "user.password_forgot",
                               lambda: ask_for_reset(app, KIM))
    assert of_type(written, "user.password_reset_requested")["actor"] == "anonymous"
    token = token_in(box.to(KIM)[0])
    _, written = assert_writes(client, "user.password_reset",
                               lambda: set_new_password(app, token))
    assert of_type(written, "user.password_reset")["actor"] == f"user:{KIM}"
    assert_writes_nothing(client, lambda: set_new_password(app, token, "another password"))

    kim = TestClient(app)
    page = kim.get("/app/login")
    kim.post("/app/login", data={"email": KIM, "password": NEW,
                                 "csrf_token": csrf_of(page.text)})
    _, written = assert_writes(client, "user.password_change", lambda: post_form(
        kim, "/app/account", "/app/account/password", current_password=NEW,
        new_password=PASSWORD, confirm_password=PASSWORD))
    assert of_type(written, "user.password_changed")["payload"]["email"] == KIM

    kim_id = user_id(uow, KIM)
    _, written = assert_writes(client, "user.password_force", lambda: post_form(
        admin, f"/app/users/{kim_id}", f"/app/users/{kim_id}/reset-password"))
    assert of_type(written, "user.password_reset_requested")["payload"]["forced"] is True
    _, written = assert_writes(client, "user.temporary_password", lambda: post_form(
        admin, f"/app/users/{kim_id}", f"/app/users/{kim_id}/temporary-password",
        temporary_password="temporary password 1"))
    assert of_type(written, "user.temporary_password_set")["actor"] == f"user:{ADMIN}"


def test_scope_changes_write_their_event(client, container, uow, db_url):
    make_channel(client, "web")
    make_location(client, "ber")
    app = create_app(container)
    admin = signed_in(app, container, "admin", ADMIN)
    signed_in(app, container, "warehouse", KIM)
    kim_id = user_id(uow, KIM)
    _, written = assert_writes(client, "user.scope", lambda: post_form(
        admin, f"/app/users/{kim_id}", f"/app/users/{kim_id}/scope", location="ber"))
    assert of_type(written, "user.scope_changed")["payload"] == {
        "email": KIM, "locations": ["ber"], "channels": []}
    # the same scope again changes nothing; an unknown code is refused
    assert_writes_nothing(client, lambda: post_form(
        admin, f"/app/users/{kim_id}", f"/app/users/{kim_id}/scope", location="ber"))
    assert_writes_nothing(client, lambda: post_form(
        admin, f"/app/users/{kim_id}", f"/app/users/{kim_id}/scope", location="nowhere"))
    env = {"ORDERMESH_DATABASE_URL": db_url, "ORDERMESH_NEW_USER_PASSWORD": PASSWORD}
    made, written = assert_writes(client, "user.create_scoped", lambda: CliRunner().invoke(
        cli, ["user", "create", "--email", "lea@shop.example", "--channel", "web"], env=env))
    assert made.exit_code == 0, made.output
    assert of_type(written, "user.scope_changed")["payload"]["channels"] == ["web"]


def test_bulk_actions_write_each_orders_event(client, container):
    shop(client, {"TEE": {"ber": 10}})
    numbers = [ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 1, "10.00")], external_id=f"W-{i}")), 201)["number"] for i in range(2)]
    operator = signed_in(create_app(container), container, "operator")
    assert_writes_nothing(client, lambda: bulk(operator, "hold", numbers, reason="check"))
    _, written = assert_writes(client, "order.bulk_hold", lambda: bulk(
        operator, "hold", numbers, confirm=True, reason="check"))
    assert {e["actor"] for e in written} == {"user:operator@shop.example"}
    assert_writes(client, "order.bulk_release", lambda: bulk(
        operator, "release", numbers, confirm=True))
