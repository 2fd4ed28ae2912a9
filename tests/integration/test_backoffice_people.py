"""People in the back office: an admin adds users, changes their roles and disables
them; a disabled person's sessions end and they cannot sign in; nobody changes their own
account and the last active admin stays one; other roles may not manage people."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ordermesh.app import create_app
from ordermesh.backoffice.model import UserRole
from ordermesh.backoffice.people import change_role, disable_user
from ordermesh.backoffice.service import find_user
from ordermesh.backoffice.tables import backoffice_sessions, backoffice_users
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.errors import Conflict
from ordermesh.kit.outbox import outbox
from tests.backoffice_helpers import PASSWORD, make_user, post_form, sign_in, signed_in

ADMIN = "admin@shop.example"


@pytest.fixture
def app(container):
    return create_app(container)


@pytest.fixture
def admin(app, container) -> TestClient:
    return signed_in(app, container, "admin", ADMIN)


def rows(uow, statement) -> list:
    with uow(write=False) as u:
        return u.execute(statement).all()


def user_id(uow, email: str) -> str:
    return rows(uow, select(backoffice_users.c.id)
                .where(backoffice_users.c.email == email))[0].id


def events(uow, type_: str) -> list[tuple[dict, str]]:
    return [(row.payload, row.actor) for row in rows(uow, select(
        outbox.c.payload, outbox.c.actor).where(outbox.c.type == type_)
        .order_by(outbox.c.seq))]


def person(uow, email: str):
    with uow(write=False) as u:
        return find_user(u, email)


def test_an_admin_adds_a_person_who_can_then_sign_in_with_that_role(app, admin, uow):
    answer = post_form(admin, "/app/users", "/app/users", email="Kim@Shop.example",
                       password="a long first password", role="agent")
    assert answer.status_code == 303
    page = admin.get("/app/users").text
    assert re.search(r"kim@shop\.example</a></td>\s*<td>\s*<form", page)
    assert events(uow, "user.created")[-1] == (
        {"email": "kim@shop.example", "role": "agent"}, f"user:{ADMIN}")
    kim = TestClient(app)
    assert sign_in(kim, "kim@shop.example", "a long first password").status_code == 303
    assert "(agent)" in kim.get("/app/").text


def test_a_role_change_takes_effect_on_the_next_page_and_is_recorded(app, container, admin,
                                                                     uow):
    viewer = signed_in(app, container, "viewer", "vic@shop.example")
    assert viewer.get("/app/users").status_code == 403
    post_form(admin, "/app/users", f"/app/users/{user_id(uow, 'vic@shop.example')}/role",
              role="admin")
    assert viewer.get("/app/users").status_code == 200  # the same session, a new role
    assert events(uow, "user.role_changed") == [(
        {"email": "vic@shop.example", "from_role": "viewer", "role": "admin"},
        f"user:{ADMIN}")]


def test_disabling_a_person_ends_their_sessions_and_they_cannot_sign_in(app, container,
                                                                        admin, uow):
    kim = signed_in(app, container, "operator", "kim@shop.example")
    kim_id = user_id(uow, "kim@shop.example")
    answer = post_form(admin, "/app/users", f"/app/users/{kim_id}/disable")
    assert answer.status_code == 303
    assert kim.get("/app/", follow_redirects=False).status_code == 303  # to the sign-in
    refused = sign_in(TestClient(app), "kim@shop.example")
    assert refused.status_code == 401 and "The e-mail or the password is wrong" in refused.text
    assert not rows(uow, select(backoffice_sessions)
                    .where(backoffice_sessions.c.user_id == kim_id))
    assert events(uow, "user.disabled") == [(
        {"email": "kim@shop.example", "sessions_ended": 1}, f"user:{ADMIN}")]
    post_form(admin, "/app/users", f"/app/users/{kim_id}/enable")
    assert sign_in(TestClient(app), "kim@shop.example").status_code == 303
    assert [p for p, _ in events(uow, "user.enabled")] == [{"email": "kim@shop.example"}]


def test_nobody_changes_or_disables_their_own_account(admin, uow):
    me = user_id(uow, ADMIN)
    for action, fields in (("role", {"role": "viewer"}), ("disable", {})):
        refused = post_form(admin, "/app/users", f"/app/users/{me}/{action}", **fields)
        assert refused.status_code == 409
        assert "your own account" in refused.text
    assert not events(uow, "user.role_changed") and not events(uow, "user.disabled")


def test_two_admins_demoting_each_other_leave_one_admin(container, uow):
    """Both pass the page's role check before either commits; the second change finds
    the other the last active admin and is refused."""
    make_user(container, ADMIN, "admin")
    make_user(container, "second@shop.example", "admin")
    first, second = (person(uow, e) for e in (ADMIN, "second@shop.example"))
    with UnitOfWork(container.engine, container.clock, actor=first.actor) as work:
        change_role(work, second.id, UserRole.OPERATOR, by=first)
    with UnitOfWork(container.engine, container.clock, actor=second.actor) as work:
        with pytest.raises(Conflict, match="last active admin"):
            change_role(work, first.id, UserRole.VIEWER, by=second)
        with pytest.raises(Conflict, match="last active admin"):
            disable_user(work, first.id, by=second)
    assert person(uow, ADMIN).role is UserRole.ADMIN
    assert person(uow, ADMIN).disabled_at is None


def test_other_roles_may_not_see_or_change_people_and_nothing_changes(app, container, uow):
    operator = signed_in(app, container, "operator", "op@shop.example")
    assert operator.get("/app/users").status_code == 403
    assert "People" not in operator.get("/app/").text
    before = rows(uow, select(backoffice_users))
    answer = operator.post("/app/users", data={"email": "x@shop.example",
                                               "password": PASSWORD, "role": "admin"})
    assert answer.status_code == 403
    assert rows(uow, select(backoffice_users)) == before


def test_an_unknown_role_or_a_short_password_is_refused_and_nothing_changes(admin, uow):
    before = rows(uow, select(backoffice_users))
    bad_role = post_form(admin, "/app/users", "/app/users", email="kim@shop.example",
                         password=PASSWORD, role="owner")
    assert bad_role.status_code == 422 and "is not a role" in bad_role.text
    short = post_form(admin, "/app/users", "/app/users", email="kim@shop.example",
                      password="short", role="viewer")
    assert short.status_code == 422 and "10 to 200 characters" in short.text
    assert 'value="kim@shop.example"' in short.text  # what was typed stays
    assert rows(uow, select(backoffice_users)) == before
    assert events(uow, "user.created")[-1][0]["email"] == ADMIN
