"""A person at the back office: a TestClient with its own cookies, signing in by form."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from ordermesh.backoffice.model import UserRole
from ordermesh.backoffice.service import create_user
from ordermesh.http.deps import Container
from ordermesh.kit.db import UnitOfWork
from tests.helpers import ok, order_body, shop

PASSWORD = "correct horse battery"
BERLIN = {"name": "Ada", "line1": "Main St 1", "city": "Berlin", "country": "DE"}


def make_user(container: Container, email: str, role: UserRole | str) -> None:
    with UnitOfWork(container.engine, container.clock, actor="test") as uow:
        create_user(uow, email, PASSWORD, UserRole(role))


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found[1]


def sign_in(browser: TestClient, email: str, password: str = PASSWORD, **extra):
    page = browser.get("/app/login")
    assert page.status_code == 200, page.text
    return browser.post("/app/login", data={"email": email, "password": password,
                                            "csrf_token": csrf_of(page.text), **extra},
                        follow_redirects=False)


def signed_in(app, container: Container, role: str = "operator",
              email: str | None = None) -> TestClient:
    email = email or f"{role}@shop.example"
    make_user(container, email, role)
    browser = TestClient(app)
    answer = sign_in(browser, email)
    assert answer.status_code == 303, answer.text
    return browser


def post_form(browser: TestClient, page_url: str, action: str, **fields):
    """Open ``page_url``, then post its form to ``action`` with the page's CSRF token."""
    page = browser.get(page_url)
    assert page.status_code == 200, page.text
    return browser.post(action, data={"csrf_token": csrf_of(page.text), **fields},
                        follow_redirects=False)


def paid_order(client: TestClient, email: str = "ada@example.com", external_id: str = "W-1"
               ) -> dict:
    """Two lines (2 x TEE at 19.99, 1 x MUG at 9.50) to Berlin, paid by card in full."""
    shop(client, {"TEE": {"ber": 10}, "MUG": {"ber": 5}})
    order = ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 2, "19.99"), ("MUG", 1, "9.50")], shipping_address=BERLIN,
        shipping_price="4.95", external_id=external_id, customer={"email": email})), 201)
    ok(client.post(f"/api/v1/orders/{order['id']}/payments",
                   json={"provider": "test", "source": "4242424242424242"}), 201)
    return order
