"""Capture the request/response examples used in docs/ by running them against the app.

Creates a fresh SQLite database under /tmp, migrates it, builds the app exactly as the
server does (``build_container`` + ``create_app``) and drives it in-process with
``fastapi.testclient.TestClient``. Every exchange is printed as Markdown (```http
blocks), headed by a label, so it can be pasted into the docs unchanged:

    .venv/bin/python scripts/capture_examples.py > /tmp/ordermesh-examples.md

API keys in ``Authorization`` headers are printed as placeholders (``<admin key>``,
``<operator key>``, ``<viewer key>``); everything else is exactly what the app answered.
The one ``503 database-busy`` example comes from a second app on the same database (in a
child process, stopped after a minute if it hangs) whose SQLite busy timeout is 0.1 s
instead of 30 s, sent while another connection holds the write lock.

After the HTTP examples it prints the stock ledger of one SKU (read from the database:
the ledger has no API yet) and the output of real ``ordermesh`` commands run against the
same database; ``quickstart`` gets a database of its own, since it loads demo data. The
database is kept (its path is printed at the end) so more commands can be run on it, e.g.
``ORDERMESH_DATABASE_URL=sqlite:////tmp/.../ordermesh.db ordermesh inventory verify``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from ordermesh.app import create_app
from ordermesh.bootstrap import build_container
from ordermesh.migrations import upgrade
from ordermesh.settings import Settings

ADMIN_KEY = "docs-admin-key-0123456789abcdef"  # 24+ characters, as settings require
SHOWN_RESPONSE_HEADERS = ("content-type", "idempotent-replayed", "www-authenticate", "location",
                          "allow", "retry-after")
BUSY_LABEL = "Write while the database is locked"
# An order that ships needs an address (422 without one). Oregon has no sales tax, so the
# examples of the money section stay as untaxed as they were without a destination.
BERLIN = {"name": "Ada Lovelace", "line1": "Friedrichstraße 43", "city": "Berlin",
          "postal_code": "10117", "country": "DE"}
PORTLAND = {"name": "Ada Lovelace", "line1": "1 Main Street", "city": "Portland",
            "region": "OR", "postal_code": "97201", "country": "US"}
BUSY_TIMEOUT_S = 30


class Recorder:
    """Sends requests and prints each request and its response as Markdown."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.secrets: dict[str, str] = {"<admin key>": ADMIN_KEY}

    def key(self, placeholder: str, secret: str) -> None:
        self.secrets[placeholder] = secret

    def call(
        self,
        label: str,
        method: str,
        path: str,
        *,
        auth: str | None = "<admin key>",
        body: Any = None,
        raw: bytes | None = None,
        idem: str | None = None,
        headers: dict[str, str] | None = None,
        show_body: bool = True,
    ) -> Any:
        sent: dict[str, str] = {}
        if auth is not None:
            sent["Authorization"] = f"Bearer {self.secrets.get(auth, auth)}"
        if idem is not None:
            sent["Idempotency-Key"] = idem
        if body is not None:
            sent["Content-Type"] = "application/json"
            raw = json.dumps(body).encode()
        sent.update(headers or {})
        response = self.client.request(method, path, content=raw, headers=sent)

        print(f"\n### {label}\n")
        print("```http")
        print(f"{method} {path} HTTP/1.1")
        for name, value in sent.items():
            if name == "Authorization" and auth in self.secrets:
                value = f"Bearer {auth}"  # a placeholder, not the secret
            print(f"{name}: {value}")
        if body is not None:
            print()
            print(json.dumps(body, indent=2, ensure_ascii=False))
        elif raw is not None:
            print()
            print(raw.decode() if show_body else f"({len(raw):,} bytes not shown)")
        print("```\n")
        print("```http")
        reason = HTTPStatus(response.status_code).phrase
        print(f"HTTP/1.1 {response.status_code} {reason}")
        for name in SHOWN_RESPONSE_HEADERS:
            if name in response.headers:
                print(f"{name}: {response.headers[name]}")
        data = None
        if response.content:
            try:
                data = response.json()
            except ValueError:
                print()
                print(response.text)
            else:
                print()
                print(json.dumps(data, indent=2, ensure_ascii=False))
        print("```")
        return data


def order_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "web-eu",
        "external_id": "WEB-100234",
        "customer": {
            "email": "Ada.Lovelace@example.com",
            "name": "Ada Lovelace",
            "phone": "+44 20 7946 0018",
        },
        "shipping_address": {
            "name": "Ada Lovelace",
            "line1": "12 St James's Square",
            "city": "London",
            "postal_code": "SW1Y 4JH",
            "country": "GB",
        },
        "lines": [
            {"sku": "TSHIRT-BLK-M", "quantity": 2, "unit_price": "19.99"},
            {"sku": "MUG-WHT", "quantity": 1, "unit_price": "12.50"},
        ],
        "shipping_price": "4.95",
        "note": "Gift wrap, please",
    }
    body.update(overrides)
    return body


def catalog(r: Recorder) -> None:
    print("\n## API keys\n")
    op = r.call("Create an operator key", "POST", "/api/v1/api-keys",
                body={"name": "shop-sync", "role": "operator"})
    r.key("<operator key>", op["key"])
    viewer = r.call("Create a viewer key", "POST", "/api/v1/api-keys",
                    body={"name": "dashboard", "role": "viewer"})
    r.key("<viewer key>", viewer["key"])
    r.call("List API keys", "GET", "/api/v1/api-keys")

    print("\n## Channels\n")
    r.call("Create a channel", "POST", "/api/v1/channels", auth="<operator key>",
           idem="chn-web-eu-1",
           body={"code": "web-eu", "name": "Web shop (EU)", "kind": "web", "currency": "EUR"})
    amazon = r.call("Create a marketplace channel", "POST", "/api/v1/channels",
                    auth="<operator key>",
                    body={"code": "amazon-de", "name": "Amazon.de", "kind": "marketplace",
                          "currency": "EUR"})
    r.call("Create a JPY channel", "POST", "/api/v1/channels", auth="<operator key>",
           body={"code": "shop-jp", "name": "Shopify Japan", "kind": "shop_platform",
                 "currency": "JPY"})
    r.call("Create a KWD channel", "POST", "/api/v1/channels", auth="<operator key>",
           body={"code": "b2b-kw", "name": "Kuwait wholesale", "kind": "b2b",
                 "currency": "KWD"})
    r.call("Duplicate channel code", "POST", "/api/v1/channels", auth="<operator key>",
           body={"code": "web-eu", "name": "Another", "kind": "web", "currency": "EUR"})
    r.call("Unknown currency", "POST", "/api/v1/channels", auth="<operator key>",
           body={"code": "web-xx", "name": "X", "kind": "web", "currency": "EUX"})
    r.call("Currency that is not money", "POST", "/api/v1/channels", auth="<operator key>",
           body={"code": "gold", "name": "Gold", "kind": "b2b", "currency": "XAU"})
    r.call("List channels", "GET", "/api/v1/channels", auth="<viewer key>")
    r.call("Get a channel", "GET", f"/api/v1/channels/{amazon['id']}", auth="<viewer key>")
    r.call("Get a channel by code", "GET", "/api/v1/channels/amazon-de", auth="<viewer key>")
    r.call("Find a channel by code", "GET", "/api/v1/channels?code=shop-jp",
           auth="<viewer key>")
    r.call("Unknown channel id", "GET", "/api/v1/channels/chn_nope", auth="<viewer key>")

    print("\n## Locations\n")
    ber = r.call("Create a warehouse", "POST", "/api/v1/locations", auth="<operator key>",
                 body={"code": "ber-1", "name": "Berlin warehouse", "kind": "warehouse",
                       "address": {"line1": "Am Borsigturm 100", "city": "Berlin",
                                   "postal_code": "13507", "country": "DE"},
                       "latitude": 52.5873, "longitude": 13.2840,
                       "capabilities": ["ship"]})
    r.call("Create a store", "POST", "/api/v1/locations", auth="<operator key>",
           body={"code": "ham-store", "name": "Hamburg store", "kind": "store",
                 "address": {"line1": "Mönckebergstraße 7", "city": "Hamburg",
                             "postal_code": "20095", "country": "DE"},
                 "capabilities": ["ship", "pickup"]})
    r.call("Latitude without longitude", "POST", "/api/v1/locations", auth="<operator key>",
           body={"code": "muc-1", "name": "Munich", "kind": "3pl", "latitude": 48.1})
    r.call("List locations", "GET", "/api/v1/locations", auth="<viewer key>")
    r.call("Get a location", "GET", f"/api/v1/locations/{ber['id']}", auth="<viewer key>")
    r.call("Get a location by code", "GET", "/api/v1/locations/ber-1", auth="<viewer key>")
    r.call("Find a location by code", "GET", "/api/v1/locations?code=ham-store",
           auth="<viewer key>")
    r.call("Country in lower case", "POST", "/api/v1/locations", auth="<operator key>",
           body={"code": "vie-1", "name": "Vienna warehouse", "kind": "warehouse",
                 "address": {"line1": "Seestadtstraße 27", "city": "Wien",
                             "postal_code": "1220", "country": "at"}})
    r.call("Unknown location code", "GET", "/api/v1/locations/nowhere", auth="<viewer key>")

    print("\n## Products\n")
    tshirt = r.call("Create a product", "POST", "/api/v1/products", auth="<operator key>",
                    idem="prd-tshirt-blk-m",
                    body={"sku": "TSHIRT-BLK-M", "name": "T-shirt, black, M",
                          "price": {"amount": "19.99", "currency": "EUR"},
                          "category": "apparel", "weight_grams": 180,
                          "dimensions": {"length_mm": 300, "width_mm": 250, "height_mm": 20}})
    r.call("Create a fragile product", "POST", "/api/v1/products", auth="<operator key>",
           body={"sku": "MUG-WHT", "name": "Mug, white, 330 ml",
                 "price": {"amount": "12.50", "currency": "EUR"}, "category": "kitchen",
                 "weight_grams": 350, "handling": ["fragile"]})
    r.call("Create a product without a price", "POST", "/api/v1/products",
           auth="<operator key>",
           body={"sku": "POSTER-A2", "name": "Poster A2, harbour at dawn",
                 "tax_class": "reduced", "category": "decor"})
    r.call("Duplicate SKU", "POST", "/api/v1/products", auth="<operator key>",
           body={"sku": "MUG-WHT", "name": "Mug again"})
    r.call("Price with too many decimals", "POST", "/api/v1/products", auth="<operator key>",
           body={"sku": "PEN-1", "name": "Pen",
                 "price": {"amount": "1.005", "currency": "EUR"}})
    page = r.call("List products, two per page", "GET", "/api/v1/products?limit=2",
                  auth="<viewer key>")
    r.call("Next page of products", "GET",
           f"/api/v1/products?limit=2&cursor={page['next_cursor']}",
           auth="<viewer key>")
    r.call("Filter by category", "GET", "/api/v1/products?category=kitchen",
           auth="<viewer key>")
    r.call("Get a product", "GET", f"/api/v1/products/{tshirt['id']}", auth="<viewer key>")
    r.call("Get a product by SKU", "GET", "/api/v1/products/MUG-WHT", auth="<viewer key>")
    r.call("Find a product by SKU", "GET", "/api/v1/products?sku=MUG-WHT",
           auth="<viewer key>")
    r.call("Unknown SKU", "GET", "/api/v1/products/MUG-BLK", auth="<viewer key>")
    r.call("Price in exponent notation", "POST", "/api/v1/products", auth="<operator key>",
           body={"sku": "PEN-2", "name": "Pen", "price": {"amount": "1e3", "currency": "EUR"}})
    r.call("Unknown query parameter", "GET", "/api/v1/products?skus=MUG-WHT",
           auth="<viewer key>")


def inventory(r: Recorder) -> None:
    print("\n## Inventory\n")
    r.call("Receive stock", "POST", "/api/v1/inventory/adjustments", auth="<operator key>",
           idem="grn-2024-0117-1",
           body={"sku": "TSHIRT-BLK-M", "location": "ber-1", "quantity_delta": 40,
                 "reason": "received", "note": "PO 4711"})
    for sku, location, qty, reason in (("TSHIRT-BLK-M", "ham-store", 5, "received"),
                                       ("MUG-WHT", "ber-1", 6, "received"),
                                       ("MUG-WHT", "ham-store", 4, "received"),
                                       ("POSTER-A2", "ber-1", 10, "initial")):
        r.call(f"Adjust {sku} at {location}", "POST", "/api/v1/inventory/adjustments",
               auth="<operator key>",
               body={"sku": sku, "location": location, "quantity_delta": qty,
                     "reason": reason})
    r.call("Write off damaged stock", "POST", "/api/v1/inventory/adjustments",
           auth="<operator key>",
           body={"sku": "TSHIRT-BLK-M", "location": "ham-store", "quantity_delta": -1,
                 "reason": "damaged", "note": "torn seam"})
    r.call("Stock of one SKU", "GET", "/api/v1/inventory/TSHIRT-BLK-M", auth="<viewer key>")
    r.call("Zero adjustment", "POST", "/api/v1/inventory/adjustments", auth="<operator key>",
           body={"sku": "MUG-WHT", "location": "ber-1", "quantity_delta": 0,
                 "reason": "correction"})
    r.call("Unknown location", "POST", "/api/v1/inventory/adjustments", auth="<operator key>",
           body={"sku": "MUG-WHT", "location": "par-1", "quantity_delta": 1,
                 "reason": "found"})
    r.call("Unknown SKU in stock query", "GET", "/api/v1/inventory/NOPE-1",
           auth="<viewer key>")


def orders(r: Recorder) -> dict[str, Any]:
    print("\n## Orders\n")
    first = r.call("Place an order", "POST", "/api/v1/orders", auth="<operator key>",
                   idem="3f1c2a9e-web-100234", body=order_body())
    r.call("Retry with the same Idempotency-Key", "POST", "/api/v1/orders",
           auth="<operator key>", idem="3f1c2a9e-web-100234", body=order_body())
    changed = order_body()
    changed["lines"][0]["quantity"] = 3
    r.call("Same Idempotency-Key, different body", "POST", "/api/v1/orders",
           auth="<operator key>", idem="3f1c2a9e-web-100234", body=changed)
    r.call("Same external_id, same content, no key", "POST", "/api/v1/orders",
           auth="<operator key>", body=order_body())
    r.call("Same external_id, different content", "POST", "/api/v1/orders",
           auth="<operator key>", body=changed)
    split = r.call("Order split over two locations", "POST", "/api/v1/orders",
                   auth="<operator key>", idem="amz-302-1111111-0000001",
                   body={"channel": "amazon-de", "external_id": "302-1111111-0000001",
                         "customer": {"email": "grace.hopper@example.com",
                                      "name": "Grace Hopper"},
                         "shipping_address": {"name": "Grace Hopper",
                                              "line1": "Friedrichstraße 43",
                                              "city": "Berlin", "postal_code": "10117",
                                              "country": "DE"},
                         "lines": [{"sku": "MUG-WHT", "quantity": 8, "unit_price": "11.90"}]})
    r.call("Not enough stock", "POST", "/api/v1/orders", auth="<operator key>",
           body={"channel": "web-eu", "shipping_address": BERLIN, "lines": [
               {"sku": "MUG-WHT", "quantity": 5, "unit_price": "12.50"}]})
    r.call("Not enough stock, one SKU on two lines", "POST", "/api/v1/orders",
           auth="<operator key>",
           body={"channel": "web-eu", "shipping_address": BERLIN, "lines": [
               {"sku": "TSHIRT-BLK-M", "quantity": 1, "unit_price": "19.99"},
               {"sku": "MUG-WHT", "quantity": 1, "unit_price": "12.50"},
               {"sku": "MUG-WHT", "quantity": 1, "unit_price": "12.50"}]})
    r.call("Stock after the orders", "GET", "/api/v1/inventory/MUG-WHT", auth="<viewer key>")
    r.call("Remove stock that is reserved", "POST", "/api/v1/inventory/adjustments",
           auth="<operator key>",
           body={"sku": "MUG-WHT", "location": "ber-1", "quantity_delta": -2,
                 "reason": "lost"})
    r.call("Get an order by id", "GET", f"/api/v1/orders/{first['id']}", auth="<viewer key>")
    r.call("Get an order by number", "GET", f"/api/v1/orders/{split['number']}",
           auth="<viewer key>")
    r.call("Unknown order", "GET", "/api/v1/orders/OM-999999", auth="<viewer key>")

    print("\n## Money\n")
    r.call("JPY order (no decimals)", "POST", "/api/v1/orders", auth="<operator key>",
           body={"channel": "shop-jp", "external_id": "#1001", "shipping_address": PORTLAND,
                 "lines": [{"sku": "POSTER-A2", "quantity": 2, "unit_price": "1500"}],
                 "shipping_price": "800"})
    r.call("JPY amount with decimals", "POST", "/api/v1/orders", auth="<operator key>",
           body={"channel": "shop-jp",
                 "lines": [{"sku": "POSTER-A2", "quantity": 1, "unit_price": "1500.5"}]})
    r.call("KWD order (three decimals)", "POST", "/api/v1/orders", auth="<operator key>",
           body={"channel": "b2b-kw", "external_id": "KW-77", "shipping_address": PORTLAND,
                 "lines": [{"sku": "POSTER-A2", "quantity": 3, "unit_price": "4.125"}],
                 "shipping_price": "1.500"})
    r.call("EUR amount with three decimals", "POST", "/api/v1/orders", auth="<operator key>",
           body={"channel": "web-eu",
                 "lines": [{"sku": "POSTER-A2", "quantity": 1, "unit_price": "9.999"}],
                 "shipping_price": "4.955"})
    r.call("Currency other than the channel's", "POST", "/api/v1/orders",
           auth="<operator key>",
           body={"channel": "web-eu", "currency": "USD",
                 "lines": [{"sku": "POSTER-A2", "quantity": 1, "unit_price": "9.99"}]})
    r.call("Amounts as JSON numbers", "POST", "/api/v1/orders", auth="<operator key>",
           body={"channel": "web-eu", "external_id": "WEB-100240", "shipping_address": BERLIN,
                 "lines": [{"sku": "POSTER-A2", "quantity": 1, "unit_price": 9.9}],
                 "shipping_price": 0})

    print("\n## Invalid orders\n")
    r.call("Validation errors", "POST", "/api/v1/orders", auth="<operator key>",
           body={"channel": "web-eu", "lines": [{"sku": "MUG-WHT", "quantity": 0,
                                                  "unit_price": "-1"}],
                 "shipping_address": {"name": "X", "line1": "Y", "city": "Z",
                                      "country": "Germany"}})
    r.call("Quantities that are not JSON integers", "POST", "/api/v1/orders",
           auth="<operator key>",
           body={"channel": "web-eu", "lines": [
               {"sku": "MUG-WHT", "quantity": "2", "unit_price": "12.50"},
               {"sku": "POSTER-A2", "quantity": True, "unit_price": "9.99"}]})
    r.call("Unknown SKU", "POST", "/api/v1/orders", auth="<operator key>",
           body={"channel": "web-eu", "lines": [
               {"sku": "MUG-WHT", "quantity": 1, "unit_price": "12.50"},
               {"sku": "MUG-BLU", "quantity": 1, "unit_price": "12.50"}]})
    r.call("Unknown channel", "POST", "/api/v1/orders", auth="<operator key>",
           body={"channel": "ebay-uk", "lines": [
               {"sku": "MUG-WHT", "quantity": 1, "unit_price": "12.50"}]})
    r.call("Malformed JSON", "POST", "/api/v1/orders", auth="<operator key>",
           raw=b'{"channel": "web-eu", "lines": [', headers={"Content-Type": "application/json"})
    r.call("NUL characters", "POST", "/api/v1/orders", auth="<operator key>",
           body={"channel": "web-eu", "external_id": "WEB-\u0000100250",
                 "lines": [{"sku": "MUG-WHT", "quantity": 1, "unit_price": "12.50"}],
                 "note": "ring twice\u0000"})
    return {"first": first, "split": split}


def changes(r: Recorder, placed: dict[str, Any]) -> None:
    first, split = placed["first"]["id"], placed["split"]["id"]
    print("\n## Cancel, hold, release\n")
    r.call("Cancel one unit of line 1", "POST", f"/api/v1/orders/{first}/cancel",
           auth="<operator key>", idem="cancel-web-100234-a",
           body={"lines": [{"line_no": 1, "quantity": 1}], "reason": "customer changed size"})
    r.call("Cancel more than is open", "POST", f"/api/v1/orders/{first}/cancel",
           auth="<operator key>", body={"lines": [{"line_no": 1, "quantity": 2}]})
    r.call("Retry the partial cancel", "POST", f"/api/v1/orders/{first}/cancel",
           auth="<operator key>", idem="cancel-web-100234-a",
           body={"lines": [{"line_no": 1, "quantity": 1}], "reason": "customer changed size"})
    r.call("Put on hold", "POST", f"/api/v1/orders/{first}/hold", auth="<operator key>",
           body={"reason": "payment review"})
    r.call("Hold an order already on hold", "POST", f"/api/v1/orders/{first}/hold",
           auth="<operator key>", body={"reason": "again"})
    r.call("Release the hold", "POST", f"/api/v1/orders/{first}/release-hold",
           auth="<operator key>", body={"reason": "payment cleared"})
    r.call("Release an order that is not on hold", "POST",
           f"/api/v1/orders/{first}/release-hold", auth="<operator key>", body={})
    r.call("Cancel a whole order", "POST", f"/api/v1/orders/{split}/cancel",
           auth="<operator key>", body={"reason": "customer request"})
    r.call("Cancel a cancelled order", "POST", f"/api/v1/orders/{split}/cancel",
           auth="<operator key>", body={})
    r.call("Stock after the cancellation", "GET", "/api/v1/inventory/MUG-WHT",
           auth="<viewer key>")
    r.call("Order history after the changes", "GET", f"/api/v1/orders/{first}",
           auth="<viewer key>")


def customers_and_lists(r: Recorder) -> None:
    print("\n## Customers\n")
    r.call("Same e-mail, other case, other channel", "POST", "/api/v1/orders",
           auth="<operator key>",
           body={"channel": "amazon-de", "external_id": "302-2222222-0000002",
                 "customer": {"email": "ada.lovelace@EXAMPLE.com"}, "shipping_address": BERLIN,
                 "lines": [{"sku": "POSTER-A2", "quantity": 1, "unit_price": "9.99"}]})
    r.call("Phone only, formatted differently", "POST", "/api/v1/orders",
           auth="<operator key>",
           body={"channel": "web-eu", "external_id": "PHONE-0001",
                 "customer": {"phone": "+44 (20) 7946-0018", "name": "A. Lovelace"},
                 "shipping_address": BERLIN,
                 "lines": [{"sku": "POSTER-A2", "quantity": 1, "unit_price": "9.99"}]})
    listed = r.call("List customers", "GET", "/api/v1/customers", auth="<viewer key>")
    r.call("Find a customer by e-mail", "GET",
           "/api/v1/customers?email=ADA.LOVELACE@example.com", auth="<viewer key>")
    ada = next(c for c in listed["items"] if c["email"] == "ada.lovelace@example.com")
    r.call("A customer with recent orders", "GET", f"/api/v1/customers/{ada['id']}",
           auth="<viewer key>")

    print("\n## Listing orders\n")
    page = r.call("Newest first, two per page", "GET", "/api/v1/orders?limit=2",
                  auth="<viewer key>")
    r.call("Next page of orders", "GET", f"/api/v1/orders?limit=2&cursor={page['next_cursor']}",
           auth="<viewer key>")
    r.call("Filter by channel and status", "GET",
           "/api/v1/orders?channel=amazon-de&status=cancelled", auth="<viewer key>")
    r.call("Filter by customer", "GET", f"/api/v1/orders?customer={ada['id']}&limit=1",
           auth="<viewer key>")
    r.call("Filter by creation time", "GET",
           "/api/v1/orders?created_from=2000-01-01T00:00:00Z&created_to=2000-01-02T00:00:00Z",
           auth="<viewer key>")
    r.call("Limit too large", "GET", "/api/v1/orders?limit=500", auth="<viewer key>")
    r.call("Cursor not from this API", "GET", "/api/v1/orders?cursor=abc", auth="<viewer key>")


def auth_and_errors(r: Recorder) -> None:
    print("\n## Authentication\n")
    r.call("No Authorization header", "GET", "/api/v1/orders", auth=None)
    r.call("Unknown key", "GET", "/api/v1/orders", auth="om_not-a-real-key")
    r.call("Viewer tries to write", "POST", "/api/v1/channels", auth="<viewer key>",
           body={"code": "pos-1", "name": "POS", "kind": "store", "currency": "EUR"})
    r.call("Operator tries to manage keys", "GET", "/api/v1/api-keys", auth="<operator key>")
    keys = r.call("List keys before revoking", "GET", "/api/v1/api-keys")
    viewer_id = next(k["id"] for k in keys["items"] if k["name"] == "dashboard")
    r.call("Revoke a key", "POST", f"/api/v1/api-keys/{viewer_id}/revoke")
    r.call("Revoked key", "GET", "/api/v1/orders", auth="<viewer key>")

    print("\n## Idempotency scope\n")
    r.call("Admin key uses Idempotency-Key 'nightly-1'", "POST",
           "/api/v1/inventory/adjustments", idem="nightly-1",
           body={"sku": "POSTER-A2", "location": "ham-store", "quantity_delta": 3,
                 "reason": "received"})
    r.call("Operator key uses the same Idempotency-Key", "POST",
           "/api/v1/inventory/adjustments", auth="<operator key>", idem="nightly-1",
           body={"sku": "POSTER-A2", "location": "ham-store", "quantity_delta": 3,
                 "reason": "received"})
    r.call("Admin retries 'nightly-1'", "POST", "/api/v1/inventory/adjustments",
           idem="nightly-1",
           body={"sku": "POSTER-A2", "location": "ham-store", "quantity_delta": 3,
                 "reason": "received"})
    r.call("Same key on another endpoint", "POST", "/api/v1/channels", idem="nightly-1",
           body={"code": "pos-1", "name": "POS", "kind": "store", "currency": "EUR"})
    r.call("Idempotency-Key too long", "POST", "/api/v1/channels", idem="k" * 256,
           body={"code": "pos-1", "name": "POS", "kind": "store", "currency": "EUR"})

    print("\n## Other errors\n")
    r.call("Unknown path", "GET", "/api/v1/shipments")
    r.call("Wrong method", "DELETE", "/api/v1/orders")
    r.call("Body too large", "POST", "/api/v1/orders", auth="<operator key>",
           raw=b'{"note": "' + b"x" * 1_100_000 + b'"}',
           headers={"Content-Type": "application/json"}, show_body=False)
    # What `curl -d '{...}'` sends when no Content-Type is given.
    r.call("JSON sent as a form", "POST", "/api/v1/channels", auth="<operator key>",
           raw=b'{"code": "pos-1", "name": "POS", "kind": "store", "currency": "EUR"}',
           headers={"Content-Type": "application/x-www-form-urlencoded"})
    r.call("Health", "GET", "/health", auth=None)


def database_busy(r: Recorder, url: str) -> None:
    """A write while another connection holds SQLite's write lock. It runs in a child
    process (``--database-busy``) that can be stopped if the request never returns."""
    import os
    import subprocess

    print("\n## Database busy\n")
    env = {**os.environ, "CAPTURE_OPERATOR_KEY": r.secrets["<operator key>"]}
    try:
        done = subprocess.run([sys.executable, __file__, "--database-busy", url], env=env,
                              capture_output=True, text=True, timeout=BUSY_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        print(f"\n### {BUSY_LABEL}\n\n(no answer within {BUSY_TIMEOUT_S} s)")
        print(f"warning: {BUSY_LABEL!r} got no answer within {BUSY_TIMEOUT_S} s",
              file=sys.stderr)
        return
    if done.returncode != 0:
        sys.exit(f"the database-busy example failed:\n{done.stderr}")
    print(done.stdout, end="")


def database_busy_child(url: str) -> int:
    """The app, on a database whose write lock another connection holds, with a SQLite
    busy timeout of 0.1 s instead of 30 s, so that three attempts take a moment."""
    import os
    import sqlite3

    from sqlalchemy.engine import make_url

    from ordermesh.kit import db

    db.SQLITE_BUSY_TIMEOUT_MS = 100  # read when a connection is opened
    container = build_container(Settings(database_url=url, admin_api_key=ADMIN_KEY))
    holder = sqlite3.connect(str(make_url(url).database), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # what a long write elsewhere would hold
    try:
        with TestClient(create_app(container), raise_server_exceptions=False) as client:
            recorder = Recorder(client)
            recorder.key("<operator key>", os.environ["CAPTURE_OPERATOR_KEY"])
            recorder.call(BUSY_LABEL, "POST", "/api/v1/inventory/adjustments",
                          auth="<operator key>", idem="grn-2024-0118-1",
                          body={"sku": "MUG-WHT", "location": "ber-1", "quantity_delta": 12,
                                "reason": "received"})
    finally:
        holder.rollback()
        holder.close()
    return 0


def events(r: Recorder) -> None:
    print("\n## Events\n")
    page = r.call("First events", "GET", "/api/v1/events?limit=3")
    r.call("Follow on", "GET", f"/api/v1/events?after={page['next_after']}&limit=2")
    r.call("Only order events", "GET", "/api/v1/events?type=order.&limit=2")
    everything = r.client.get("/api/v1/events?limit=1000",
                              headers={"Authorization": f"Bearer {ADMIN_KEY}"}).json()
    seen: dict[str, int] = {}
    for event in everything["items"]:
        seen.setdefault(event["type"], event["position"])
    for type_, at in sorted(seen.items(), key=lambda item: item[1]):
        r.call(f"Event {type_}", "GET", f"/api/v1/events?after={at - 1}&limit=1")
    last = everything["next_after"]
    r.call("Nothing new yet", "GET", f"/api/v1/events?after={last}")


def ledger(url: str, sku: str) -> None:
    """The ledger has no API yet: show its rows for one SKU straight from the database."""
    from sqlalchemy import create_engine, text

    query = text(
        "SELECT m.seq, m.kind, l.code AS location, m.on_hand_delta, m.reserved_delta,"
        " m.reason, m.reference_type, m.reference_id, m.actor"
        " FROM inventory_movements m JOIN products p ON p.id = m.product_id"
        " JOIN locations l ON l.id = m.location_id WHERE p.sku = :sku ORDER BY m.seq")
    engine = create_engine(url)
    with engine.connect() as conn:
        result = conn.execute(query, {"sku": sku})
        rows = [[("" if v is None else str(v)) for v in row] for row in result]
        names = list(result.keys())
    engine.dispose()
    widths = [max(len(x) for x in [name, *(r[i] for r in rows)]) for i, name in enumerate(names)]
    print(f"\n### Ledger of {sku}\n")
    print("```text")
    print("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip())
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    print("```")


def cli(label: str, url: str, *args: str, cwd: Path | None = None, columns: int | None = None,
        extra_env: dict[str, str] | None = None, last: int | None = None) -> None:
    """Run the real ``ordermesh`` command against the example database; with ``last``,
    print only the last lines of its output. Its output goes to a pipe, so it is not
    wrapped; ``columns`` sets a width (help screens are shown as on a terminal)."""
    import os
    import subprocess

    exe = Path(sys.executable).with_name("ordermesh")
    env = {**os.environ, "ORDERMESH_DATABASE_URL": url, "NO_COLOR": "1", "TERM": "dumb"}
    env.pop("ORDERMESH_ADMIN_API_KEY", None)
    env.pop("COLUMNS", None)
    if columns is not None:
        env["COLUMNS"] = str(columns)
    env.update(extra_env or {})
    done = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True,
                          check=False, cwd=cwd)
    print(f"\n### {label}\n")
    print("```console")
    print("$ ordermesh " + " ".join(args))
    lines = [line.rstrip() for line in (done.stdout + done.stderr).strip("\n").splitlines()]
    if last is not None and len(lines) > last:
        print(f"({len(lines) - last} earlier lines not shown)")
        lines = lines[-last:]
    print("\n".join(lines).strip("\n"))
    print(f"$ echo $?\n{done.returncode}")
    print("```")


def command_line(url: str, workdir: Path) -> None:
    print("\n## Command line\n")
    cli("ordermesh --help", url, "--help", columns=100)
    for sub in (["serve"], ["db"], ["db", "upgrade"], ["apikey"], ["apikey", "create"],
                ["inventory"], ["inventory", "verify"], ["demo"], ["quickstart"], ["worker"]):
        cli(f"ordermesh {' '.join(sub)} --help", url, *sub, "--help", columns=100)
    cli("db upgrade", url, "db", "upgrade")
    cli("apikey create", url, "apikey", "create", "--name", "warehouse-scanner",
        "--role", "operator")
    cli("inventory verify", url, "inventory", "verify")
    cli("a setting that breaks a rule", url, "db", "upgrade",
        extra_env={"ORDERMESH_ADMIN_API_KEY": "short"}, last=5)
    # Show what drift looks like: a copy of the database with one counter changed by hand.
    import sqlite3
    from contextlib import closing

    tampered = workdir / "tampered.db"
    with closing(sqlite3.connect(workdir / "ordermesh.db")) as source, \
            closing(sqlite3.connect(tampered)) as copy:
        source.backup(copy)  # includes what is still in the WAL file
        changed = copy.execute(
            "UPDATE stock SET on_hand = on_hand + 2 WHERE product_id ="
            " (SELECT id FROM products WHERE sku = 'MUG-WHT') AND location_id ="
            " (SELECT id FROM locations WHERE code = 'ham-store')").rowcount
        copy.commit()
    assert changed == 1, changed
    cli("inventory verify, drift", f"sqlite:///{tampered}", "inventory", "verify")
    # What `make run` prints, on a database of its own (it loads the demo data).
    quick = workdir / "quickstart"
    quick.mkdir()
    quick_url = f"sqlite:///{quick / 'var' / 'ordermesh.db'}"
    cli("quickstart", quick_url, "quickstart", "--no-serve", cwd=quick)
    cli("demo if empty", quick_url, "demo", "--if-empty", cwd=quick)


def main() -> int:
    if sys.argv[1:2] == ["--database-busy"]:
        return database_busy_child(sys.argv[2])
    workdir = Path(tempfile.mkdtemp(prefix="ordermesh-docs-"))
    url = f"sqlite:///{workdir / 'ordermesh.db'}"
    upgrade(url)
    container = build_container(Settings(database_url=url, admin_api_key=ADMIN_KEY))
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        recorder = Recorder(client)
        print("# Captured ordermesh examples")
        catalog(recorder)
        inventory(recorder)
        placed = orders(recorder)
        changes(recorder, placed)
        customers_and_lists(recorder)
        auth_and_errors(recorder)
        database_busy(recorder, url)
        events(recorder)
    ledger(url, "MUG-WHT")
    command_line(url, workdir)
    print(f"\n<!-- database: {url} -->")
    print(f"database kept at {url}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
