"""Passwords in the back office: a reset link e-mailed through a real SMTP server (single
use, 30 minutes, stored only as a hash, the same answer for unknown e-mails, throttled),
a person changing their own password, and an admin forcing a reset or setting a temporary
password that must be changed at the next sign-in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ordermesh.app import create_app
from ordermesh.backoffice import reset_mail
from ordermesh.backoffice.tables import backoffice_password_resets, backoffice_sessions
from tests.backoffice_helpers import PASSWORD, csrf_of, post_form, sign_in, signed_in
from tests.integration.test_backoffice_people import events, rows, user_id
from tests.messaging_helpers import with_smtp
from tests.smtp_server import closed_port, running_smtp_server

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


@pytest.fixture
def app(container):
    return create_app(container)


def ask_for_reset(app, email: str):
    browser = TestClient(app)
    page = browser.get("/app/forgot-password")
    assert page.status_code == 200, page.text
    return browser.post("/app/forgot-password",
                        data={"email": email, "csrf_token": csrf_of(page.text)})


def token_in(mail) -> str:
    found = re.search(r"/app/reset-password\?token=([\w-]+)",
                      mail.get_body(("plain",)).get_content())
    assert found, "the e-mail has no reset link"
    return found[1]


def set_new_password(app, token: str, password: str = NEW, confirm: str | None = None):
    browser = TestClient(app)
    page = browser.get(f"/app/reset-password?token={token}")
    if page.status_code != 200:
        return page
    return browser.post("/app/reset-password", follow_redirects=False, data={
        "token": token, "new_password": password,
        "confirm_password": password if confirm is None else confirm,
        "csrf_token": csrf_of(page.text)})


def test_a_reset_link_by_email_sets_a_new_password_once_and_ends_every_session(
        app, container, box, uow):
    kim = signed_in(app, container, "agent", KIM)
    answer = ask_for_reset(app, "Kim@Shop.example")
    assert answer.status_code == 200 and "a link to choose a new password" in answer.text
    [mail] = box.to(KIM)
    assert mail["Subject"] == "Reset your ordermesh back-office password"
    assert "works once, for 30 minutes" in mail.get_body(("plain",)).get_content()
    token = token_in(mail)
    [stored] = rows(uow, select(backoffice_password_resets))
    assert token not in str(tuple(stored)) and stored.mail_status == "sent"
    assert set_new_password(app, token, confirm="something else").status_code == 422

    done = set_new_password(app, token)
    assert (done.status_code, done.headers["location"]) == (303, "/app/login?reset=1")
    assert kim.get("/app/", follow_redirects=False).status_code == 303  # signed out
    assert sign_in(TestClient(app), KIM).status_code == 401  # the old password
    assert sign_in(TestClient(app), KIM, NEW).status_code == 303
    again = set_new_password(app, token, "yet another password")
    assert again.status_code == 410 and "does not work any more" in again.text
    assert sign_in(TestClient(app), KIM, NEW).status_code == 303
    [(requested, _)] = events(uow, "user.password_reset_requested")
    assert requested["forced"] is False and requested["email"] == KIM
    assert events(uow, "user.password_reset") == [
        ({"email": KIM, "sessions_ended": 1}, f"user:{KIM}")]


def test_an_unknown_email_gets_the_same_answer_and_no_mail(app, container, box, uow):
    signed_in(app, container, "agent", KIM)
    known, unknown = ask_for_reset(app, KIM), ask_for_reset(app, "nobody@shop.example")
    assert unknown.status_code == known.status_code == 200
    assert unknown.text.replace("nobody@shop.example", KIM) == known.text
    assert [m["To"] for m in box.mails()] == [KIM]
    assert len(events(uow, "user.password_reset_requested")) == 1


def test_a_link_expires_after_thirty_minutes_and_changes_nothing(app, container, box, clock):
    signed_in(app, container, "agent", KIM)
    ask_for_reset(app, KIM)
    clock.advance(timedelta(minutes=30, seconds=1))
    expired = set_new_password(app, token_in(box.to(KIM)[0]))
    assert expired.status_code == 410
    assert sign_in(TestClient(app), KIM).status_code == 303  # the password is unchanged


def test_reset_requests_are_throttled_per_email_whether_it_exists_or_not(app, container,
                                                                          box):
    signed_in(app, container, "agent", KIM)
    for email in (KIM, "nobody@shop.example"):
        assert [ask_for_reset(app, email).status_code for _ in range(4)] == [200] * 3 + [429]
    assert len(box.to(KIM)) == 3
    assert "Too many password reset requests" in ask_for_reset(app, KIM).text


def test_a_mail_server_that_is_down_leaves_the_answer_alike_and_records_the_failure(
        app, container, uow, monkeypatch):
    monkeypatch.setattr(reset_mail, "RETRY_PAUSE_S", 0.0)
    down = create_app(with_smtp(container, port=closed_port()))
    signed_in(app, container, "agent", KIM)
    assert ask_for_reset(down, KIM).status_code == 200
    [stored] = rows(uow, select(backoffice_password_resets))
    assert (stored.mail_status, stored.mail_attempts) == ("failed", reset_mail.ATTEMPTS)
    assert "ConnectionRefusedError" in stored.mail_error


def test_a_form_without_its_token_is_refused(app, container):
    signed_in(app, container, "agent", KIM)
    answer = TestClient(app).post("/app/forgot-password", data={"email": KIM})
    assert answer.status_code == 403


def test_a_person_changes_their_own_password_with_the_current_one(app, container, uow):
    kim = signed_in(app, container, "warehouse", KIM)
    other = TestClient(app)
    sign_in(other, KIM)
    wrong = post_form(kim, "/app/account", "/app/account/password",
                      current_password="not my password", new_password=NEW,
                      confirm_password=NEW)
    assert wrong.status_code == 422 and "the current password is wrong" in wrong.text
    differ = post_form(kim, "/app/account", "/app/account/password",
                       current_password=PASSWORD, new_password=NEW, confirm_password="x")
    assert differ.status_code == 422 and "differ" in differ.text
    assert not events(uow, "user.password_changed")
    done = post_form(kim, "/app/account", "/app/account/password",
                     current_password=PASSWORD, new_password=NEW, confirm_password=NEW)
    assert done.status_code == 303
    assert "Your password was changed" in kim.get(done.headers["location"]).text
    assert other.get("/app/", follow_redirects=False).status_code == 303  # ended
    assert sign_in(TestClient(app), KIM, NEW).status_code == 303
    assert events(uow, "user.password_changed") == [
        ({"email": KIM, "sessions_ended": 1}, f"user:{KIM}")]


def test_a_temporary_password_must_be_changed_before_any_other_page(app, container, uow):
    admin = signed_in(app, container, "admin", ADMIN)
    kim = signed_in(app, container, "operator", KIM)
    kim_id = user_id(uow, KIM)
    short = post_form(admin, f"/app/users/{kim_id}", f"/app/users/{kim_id}/temporary-password",
                      temporary_password="short")
    assert short.status_code == 422 and "10 to 200 characters" in short.text
    done = post_form(admin, f"/app/users/{kim_id}",
                     f"/app/users/{kim_id}/temporary-password",
                     temporary_password="temporary password 1")
    assert done.status_code == 303
    assert kim.get("/app/", follow_redirects=False).status_code == 303  # sessions ended
    browser = TestClient(app)
    assert sign_in(browser, KIM, "temporary password 1").status_code == 303
    held = browser.get("/app/orders", follow_redirects=False)
    assert (held.status_code, held.headers["location"]) == (303, "/app/account")
    assert "choose your own before going on" in browser.get("/app/account").text
    post_form(browser, "/app/account", "/app/account/password",
              current_password="temporary password 1", new_password=NEW,
              confirm_password=NEW)
    assert browser.get("/app/orders", follow_redirects=False).status_code == 200
    assert events(uow, "user.temporary_password_set") == [
        ({"email": KIM, "sessions_ended": 1}, f"user:{ADMIN}")]


def test_an_admin_forces_a_reset_the_old_password_stops_and_a_link_is_mailed(
        app, container, box, uow):
    admin = signed_in(app, container, "admin", ADMIN)
    signed_in(app, container, "operator", KIM)
    kim_id = user_id(uow, KIM)
    done = post_form(admin, f"/app/users/{kim_id}", f"/app/users/{kim_id}/reset-password")
    assert done.status_code == 303
    assert "a reset link is on its way" in admin.get(done.headers["location"]).text
    assert not rows(uow, select(backoffice_sessions)
                    .where(backoffice_sessions.c.user_id == kim_id))
    assert sign_in(TestClient(app), KIM).status_code == 401
    [mail] = box.to(KIM)
    assert "An administrator asked" in mail.get_body(("plain",)).get_content()
    assert set_new_password(app, token_in(mail)).status_code == 303
    assert sign_in(TestClient(app), KIM, NEW).status_code == 303
    [(requested, actor)] = events(uow, "user.password_reset_requested")
    assert (requested["forced"], requested["sessions_ended"], actor) == (
        True, 1, f"user:{ADMIN}")
    mine = post_form(admin, "/app/users", f"/app/users/{user_id(uow, ADMIN)}/reset-password")
    assert mine.status_code == 409  # nobody resets their own password here


def test_other_roles_may_not_reset_or_set_passwords_of_others(app, container, uow):
    signed_in(app, container, "admin", ADMIN)
    operator = signed_in(app, container, "operator", KIM)
    admin_id = user_id(uow, ADMIN)
    assert operator.get(f"/app/users/{admin_id}").status_code == 403
    for action in ("reset-password", "temporary-password"):
        refused = post_form(operator, "/app/", f"/app/users/{admin_id}/{action}",
                            temporary_password="temporary password 1")
        assert refused.status_code == 403
    assert sign_in(TestClient(app), ADMIN).status_code == 303
