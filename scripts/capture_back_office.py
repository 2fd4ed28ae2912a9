"""Write the examples of docs/back-office.md: real exchanges with the back office.

A fresh SQLite database, the app as the server builds it, a fixed clock; a shop and one
paid order set up through the API, then a person's browser (a TestClient with its own
cookies) signs in and works. Each exchange is printed as Markdown: the request, the
status, the headers that matter and the part of the HTML page that answers the question
(pages are long; the excerpt says which element it is). Session and CSRF tokens are
replaced by placeholders. The script checks what it shows and stops with an
AssertionError when the app answers differently.

    .venv/bin/python scripts/capture_back_office.py > /tmp/back-office-examples.md
"""

from __future__ import annotations

import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parents[1]))
from tests.backoffice_helpers import PASSWORD, paid_order

from ordermesh.app import create_app
from ordermesh.backoffice.model import UserRole
from ordermesh.backoffice.service import create_user
from ordermesh.bootstrap import build_container
from ordermesh.kit.clock import FixedClock
from ordermesh.kit.db import UnitOfWork
from ordermesh.migrations import upgrade
from ordermesh.settings import Settings

ADMIN_KEY = "docs-admin-key-0123456789abcdef"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
SHOWN = ("location", "set-cookie", "content-type")


def _hide(text: str, secrets: dict[str, str]) -> str:
    for secret, placeholder in secrets.items():
        text = text.replace(secret, placeholder)
    return text


def excerpt(html: str, pattern: str) -> str:
    found = re.search(pattern, html, re.S)
    assert found, f"no {pattern!r} in the page"
    return "\n".join(line for line in found[0].splitlines() if line.strip())


class Browser:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.secrets: dict[str, str] = {}

    def token(self, html: str) -> str:
        token = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
        self.secrets[token] = "<csrf token>"
        return token

    def show(self, title: str, method: str, url: str, form: dict | None = None,
             status: int = 200, pattern: str | None = None):
        response = self.client.request(method, url, data=form, follow_redirects=False)
        assert response.status_code == status, (url, response.status_code, response.text)
        if cookie := self.client.cookies.get("om_session"):
            self.secrets[cookie] = "<session token>"
        print(f"\n{title}\n\n```http")
        print(f"{method} {_hide(url, self.secrets)} HTTP/1.1")
        if form:
            print("Content-Type: application/x-www-form-urlencoded\n")
            print(_hide(urlencode(form, doseq=True), dict(self.secrets)))
        print(f"\nHTTP/1.1 {response.status_code} {response.reason_phrase}")
        for name in SHOWN:
            for value in response.headers.get_list(name):
                value = re.sub(r"om_login_csrf=[^;]+", "om_login_csrf=<login token>", value)
                value = re.sub(r"om_form_csrf=[^;]+", "om_form_csrf=<form token>", value)
                print(f"{name}: {_hide(value, self.secrets)}")
        if pattern:
            print(f"\n{_hide(excerpt(response.text, pattern), self.secrets)}")
        print("```")
        return response


def signed_in_browser(app, email: str) -> Browser:
    browser = Browser(TestClient(app))
    page = browser.client.get("/app/login")
    browser.client.post("/app/login", data={"csrf_token": browser.token(page.text),
                                            "email": email, "password": PASSWORD})
    browser.secrets[browser.client.cookies["om_session"]] = "<session token>"
    return browser


def main() -> None:
    path = Path(tempfile.mkdtemp()) / "ordermesh.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    container = build_container(Settings(database_url=url, admin_api_key=ADMIN_KEY))
    container.clock = FixedClock(NOW)
    app = create_app(container)
    api = TestClient(app, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    order = paid_order(api, email="ada@example.com")
    with UnitOfWork(container.engine, container.clock, actor="cli") as uow:
        create_user(uow, "sam@shop.example", PASSWORD, UserRole.AGENT)
        create_user(uow, "kim@shop.example", PASSWORD, UserRole.WAREHOUSE)
    sam = Browser(TestClient(app))

    print("### Signing in")
    sam.show("Without a session every page sends the person to the sign-in page, and back "
             "afterwards:", "GET", "/app/orders?q=ada%40example.com", status=303)
    page = sam.client.get("/app/login?next=%2Fapp%2Forders%3Fq%3Dada%2540example.com")
    login = {"csrf_token": sam.token(page.text), "next": "/app/orders?q=ada%40example.com",
             "email": "sam@shop.example", "password": "not my password"}
    refused = sam.show("A wrong password (or an unknown e-mail: the same answer) is a `401` "
                       "page, with a new sign-in form:", "POST", "/app/login", login, 401,
                       r'<p class="error"[^>]*>.*?</p>')
    login["csrf_token"] = sam.token(refused.text)
    sam.show("The right one starts a session: an HttpOnly, SameSite cookie holding a random "
             "token whose hash the server keeps, with the session's expiry:",
             "POST", "/app/login", {**login, "password": PASSWORD}, 303)

    print("\n### Finding an order and refunding a line")
    sam.show("Search by customer e-mail (or number, external id, SKU, tracking number):",
             "GET", "/app/orders?q=ada%40example.com", pattern=r"<tbody>.*?</tbody>")
    page = sam.client.get(f"/app/orders/{order['number']}")
    form = {"csrf_token": sam.token(page.text), "line_no": "1", "quantity": "1",
            "reason": "torn on arrival"}
    sam.show("The refund form of a line first shows what the refund will do:", "POST",
             f"/app/orders/{order['number']}/refund", form,
             pattern=r'<div class="card">.*?</p>')
    sam.show("Too many units: the API's message beside the form, nothing changed:", "POST",
             f"/app/orders/{order['number']}/refund", {**form, "quantity": "5",
                                                        "confirm": "yes"}, 422,
             r'<p class="error"[^>]*>.*?</p>')
    sam.show("Confirmed, through the same use case as `POST /api/v1/orders/{id}/refunds`; "
             "the refund's actor is the user:", "POST",
             f"/app/orders/{order['number']}/refund", {**form, "confirm": "yes"}, 303)
    sam.show("The order page it leads to:", "GET", f"/app/orders/{order['number']}?refunded=1",
             pattern=r'<table id="refunds">.*?</table>')
    sam.show("A form without the session's CSRF token is refused, nothing changed:", "POST",
             f"/app/orders/{order['number']}/hold", {"reason": "check"}, 403,
             r'<p class="error"[^>]*>.*?</p>')
    page = sam.client.get("/app/inventory/TEE")
    sam.show("An agent may not adjust stock (the server checks the role of every action):",
             "POST", "/app/inventory/TEE/adjust",
             {"csrf_token": sam.token(page.text), "location": "ber", "quantity_delta": "5",
              "reason": "found"}, 403, r'<p class="error"[^>]*>.*?</p>')
    sam.show("An unknown order is a `404` page:", "GET", "/app/orders/OM-999999", status=404,
             pattern=r'<p class="error"[^>]*>.*?</p>')

    print("\n### Adjusting stock")
    kim = signed_in_browser(app, "kim@shop.example")
    page = kim.client.get("/app/inventory/TEE")
    adjust = {"csrf_token": kim.token(page.text), "location": "ber", "quantity_delta": "-10",
              "reason": "lost"}
    kim.show("Removing units that are reserved for orders is refused with the API's "
             "`409` message beside the field:", "POST", "/app/inventory/TEE/adjust",
             adjust, 409, r'<span class="error"[^>]*id="quantity-error">.*?</span>')
    kim.show("A valid adjustment goes through `adjust_stock`, as the API's:", "POST",
             "/app/inventory/TEE/adjust", {**adjust, "quantity_delta": "12",
                                           "reason": "received"}, 303)
    kim.show("The stock page it leads to:", "GET", "/app/inventory/TEE?adjusted=1",
             pattern=r'<table id="levels">.*?</table>')

    print("\n### A customer")
    customer = order["customer_id"]
    sam.secrets[customer] = "<customer id>"
    kim.secrets[customer] = "<customer id>"
    sam.show("Search by a part of the name or e-mail, or by phone:", "GET",
             "/app/customers?q=ada%40", pattern=r'<table id="customers">.*?</table>')
    page = sam.show("The customer seen whole, as `GET /api/v1/customers/{id}` answers "
                    "(here what they are worth, after the refund above):", "GET",
                    f"/app/customers/{customer}", pattern=r'<table id="worth">.*?</table>')
    consent = {"csrf_token": sam.token(page.text), "purpose": "marketing", "medium": "email",
               "granted": "yes", "level": "confirmed", "source_channel": "", "proof": ""}
    sam.show("A confirmed opt-in without its proof is refused with the API's message, "
             "nothing changed:", "POST", f"/app/customers/{customer}/consents", consent, 422,
             r'<p class="error"[^>]*id="consent-error">.*?</p>')
    sam.show("With it, through the same use case as `POST /api/v1/customers/{id}/consents`, "
             "recorded by the user:", "POST", f"/app/customers/{customer}/consents",
             {**consent, "proof": "signed form at the counter"}, 303)
    sam.show("The consent it leads to:", "GET", f"/app/customers/{customer}?saved=1",
             pattern=r'<tr><th scope="row">marketing</th>.*?</tr>')
    page = kim.client.get(f"/app/customers/{customer}")
    kim.show("Warehouse staff may look but not change a customer:", "POST",
             f"/app/customers/{customer}/tags", {"csrf_token": kim.token(page.text),
                                                 "tag": "vip"}, 403,
             r'<p class="error"[^>]*>.*?</p>')

    print("\n### Feedback")
    for score, text in ((3, "Too slow, the parcel took two weeks"), (9, "Lovely shirt"),
                        (10, "Great quality")):
        response = api.post("/api/v1/feedback", json={
            "source": "agent", "customer_id": customer, "kind": "nps", "score": score,
            "text": text})
        assert response.status_code == 201, response.text
    sam.show("What customers think, as `GET /api/v1/feedback/insights` answers:", "GET",
             "/app/feedback",
             pattern=r'<p id="summary".*?</p>.*?<table id="scores">.*?</table>')
    sam.show("A product nobody sells is refused above the form:", "GET",
             "/app/feedback?sku=NOPE", status=422, pattern=r'<p class="error"[^>]*>.*?</p>')

    print("\n### The pack station")
    _pack_station(api, container, kim)

    print("\n### Passwords, scopes and bulk actions")
    _people(api, app, container)


def _pack_station(api: TestClient, container, kim: Browser) -> None:
    """A picked order at ber, packed by warehouse staff (kim): the queue, a wrong item, too
    many units, closing the parcel, its papers."""
    from tests.backoffice_helpers import BERLIN
    from tests.helpers import add_stock, make_product, order_body
    from tests.packing_helpers import BOXES, fulfilment_order_of, pick

    make_product(api, "PKG-BOX-S", name="Packaging PKG-BOX-S")
    make_product(api, "PKG-BOX-M", name="Packaging PKG-BOX-M")
    add_stock(api, "PKG-BOX-M", "ber", 20)
    for body in BOXES:
        assert api.post("/api/v1/packaging-types", json=body).status_code == 201
    assert api.put("/api/v1/sscc-settings", json={"company_prefix": "4012345",
                                                  "extension_digit": 3}).status_code == 200
    placed = api.post("/api/v1/orders", json=order_body(
        [("TEE", 2, "19.99"), ("MUG", 1, "9.50")], shipping_address=BERLIN,
        external_id="W-2")).json()
    fo_id = fulfilment_order_of(container, placed)
    pick(container, fo_id)
    number = api.get(f"/api/v1/fulfilment-orders/{fo_id}").json()["number"]
    kim.show("Warehouse staff choose their location and see what is picked and waits to be "
             "packed there, oldest first:", "GET", "/app/pack?location=ber",
             pattern=r'<table id="pack-queue">.*?</table>')
    url = f"/app/pack/{number}"
    page = kim.client.get(url)
    scan = {"csrf_token": kim.token(page.text), "parcel": "", "packaging": "",
            "quantity": "1", "code": "TEE"}
    kim.show("Each scan (or typed SKU) adds a unit to the parcel, which the page's address "
             "keeps until it is closed; nothing is recorded yet:", "POST", f"{url}/scan",
             scan, 303)
    kim.show("An item that is not on the fulfilment order is refused beside the scan "
             "field, the parcel kept:", "POST", f"{url}/scan",
             {**scan, "parcel": "1:1", "code": "BOOK"}, 422,
             r'<p class="error"[^>]*id="code-error">.*?</p>')
    kim.show("So is a unit more than was picked and not yet packed:", "POST", f"{url}/scan",
             {**scan, "parcel": "1:2", "code": "tee"}, 422,
             r'<p class="error"[^>]*id="code-error">.*?</p>')
    page = kim.client.get(f"{url}?parcel=1:2,2:1&packaging=BOX-M")
    key = re.search(r'name="close_key" value="([^"]+)"', page.text)[1]
    kim.secrets[key] = "<close key>"
    kim.show("Closing the parcel is `packing.service.pack` with this one package, as "
             "`POST /api/v1/fulfilment-orders/{id}/packages`: an SSCC, one BOX-M taken "
             "from ber's stock, the events, the status, with the user as actor:", "POST",
             f"{url}/close", {"csrf_token": kim.token(page.text), "parcel": "1:2,2:1",
                              "packaging": "BOX-M", "close_key": key}, 303)
    package = api.get(f"/api/v1/fulfilment-orders/{fo_id}/packages").json()["items"][0]
    kim.secrets[package["id"]] = "<package id>"
    kim.show("The page it leads to, with the label and packing slip to print, and the next "
             "order:", "GET", f"{url}?packed={package['id']}",
             pattern=r'<section class="card" aria-label="Parcel closed">.*?</section>')


def _people(api: TestClient, app, container) -> None:
    """Forgot password (the same answer for any e-mail), a used-up link, a person limited
    to a location, and bulk holds on the orders list."""
    from tests.helpers import make_channel, order_body

    from ordermesh.backoffice.scopes import create_scoped_user

    anyone = Browser(TestClient(app))
    page = anyone.client.get("/app/forgot-password")
    anyone.show("\"Forgot your password?\" answers the same page whether the e-mail "
                "belongs to someone or not; the link goes out by e-mail after the request "
                "is committed:", "POST", "/app/forgot-password",
                {"csrf_token": anyone.token(page.text), "email": "nobody@shop.example"},
                pattern=r'<p class="notice"[^>]*>.*?</p>')
    anyone.show("A reset link that was used, expired or replaced is a `410` page:", "GET",
                "/app/reset-password?token=not-a-live-token", status=410,
                pattern=r'<p class="error"[^>]*>.*?</p>')
    make_channel(api, "app")
    with UnitOfWork(container.engine, container.clock, actor="cli") as uow:
        create_scoped_user(uow, "lea@shop.example", PASSWORD, UserRole.OPERATOR, [], ["app"])
        create_user(uow, "ops@shop.example", PASSWORD, UserRole.OPERATOR)
    lea = signed_in_browser(app, "lea@shop.example")
    lea.show("A person limited to the channel `app` does not see a `web` order: its page "
             "is a `404`, as if it did not exist:", "GET", "/app/orders/OM-000001",
             status=404, pattern=r'<p class="error"[^>]*>.*?</p>')
    numbers = [api.post("/api/v1/orders", json=order_body(
        [("MUG", 1, "9.50")], external_id=f"W-{n}")).json()["number"] for n in (3, 4)]
    held = api.get(f"/api/v1/orders/{numbers[1]}").json()["id"]
    assert api.post(f"/api/v1/orders/{held}/hold", json={"reason": "x"}).status_code == 200
    ops = signed_in_browser(app, "ops@shop.example")
    page = ops.client.get("/app/orders")
    form = {"csrf_token": ops.token(page.text), "action": "hold", "reason": "fraud check",
            "order": [*numbers, "OM-000002"]}
    ops.show("An operator ticks orders on the list and chooses \"Put on hold\": first what "
             "each will go through (one is on hold already), nothing changed yet:", "POST",
             "/app/orders/bulk", form,
             pattern=r'<table id="bulk-outcomes">.*?</table>')
    ops.show("Confirmed: each order through `hold_order` in its own transaction, as the "
             "operator; the one refused is shown with the API's message:", "POST",
             "/app/orders/bulk", {**form, "confirm": "yes"},
             pattern=r'<p class="notice"[^>]*>.*?</p>.*?</table>')


if __name__ == "__main__":
    main()
