"""A simulated WooCommerce shop: a real HTTP server in a thread speaking the REST API v3
(``/wp-json/wc/v3``) with HTTP Basic consumer key and secret, and WooCommerce's webhook
signature. It keeps simple and variable products (their variations) with stock, orders
with their notes, status and refunds, lists orders modified since a time
(``tests.fake_order_lists``), can be told to answer the next requests with 429 (as a
host's rate limit in front of WordPress does), and records every request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fake_order_lists import woo_orders
from tests.webhook_receiver import send_json, serving

API = "/wp-json/wc/v3"
KEY, SECRET = "ck_0123456789abcdef0123456789abcdef01234567", "cs_fedcba9876543210fedcba98"
WEBHOOK_SECRET = "woo webhook secret 0123456789"


def webhook_headers(body: bytes, delivery_id: str, topic: str = "order.created"
                    ) -> dict[str, str]:
    signature = base64.b64encode(hmac.new(WEBHOOK_SECRET.encode(), body,
                                          hashlib.sha256).digest()).decode()
    resource, event = topic.split(".")
    return {"Content-Type": "application/json", "X-WC-Webhook-Source": "https://shop.example/",
            "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event, "X-WC-Webhook-Signature": signature,
            "X-WC-Webhook-ID": "12", "X-WC-Webhook-Delivery-ID": delivery_id}


@dataclass
class Seen:
    method: str
    path: str
    body: Any
    status: int
    answer: Any = None
    query: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class FakeWoo:
    base_url: str = ""
    page_size: int = 100
    products: list[dict] = field(default_factory=list)
    variations: dict[int, list[dict]] = field(default_factory=dict)  # by product id
    orders: dict[int, dict] = field(default_factory=dict)
    notes: dict[int, list[dict]] = field(default_factory=dict)
    refunds: dict[int, list[dict]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(501))
    throttle: int = 0  # answer this many next requests 429
    now: Callable[[], datetime] = lambda: datetime.now(UTC)  # the shop's clock (GMT)

    def add_order(self, order: dict) -> None:
        """An order as checkout takes it: created (and modified) now."""
        at = self.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        self.orders[order["id"]] = {**order, "date_created": at, "date_created_gmt": at}
        self.touch(order["id"])

    def touch(self, order_id: int) -> None:
        """The order changed: its ``date_modified`` is now."""
        at = self.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        self.orders[order_id].update(date_modified=at, date_modified_gmt=at)

    def add_product(self, sku: str, kind: str = "simple",
                    variations: tuple[str, ...] = ()) -> None:
        """A product; a variable one with a variation of each SKU of ``variations``."""
        product = {"id": next(self.ids), "name": sku, "type": kind, "sku": sku,
                   "manage_stock": False, "stock_quantity": None, "stock_status": "instock",
                   "variations": []}
        self.products.append(product)
        for variation_sku in variations:
            variation = {"id": next(self.ids), "sku": variation_sku, "manage_stock": False,
                         "stock_quantity": None, "stock_status": "instock",
                         "attributes": [{"id": 1, "name": "Size",
                                         "option": variation_sku.rsplit("-", 1)[-1]}]}
            self.variations.setdefault(product["id"], []).append(variation)
            product["variations"].append(variation["id"])

    def stock(self, sku: str) -> int | None:
        every = self.products + [v for vs in self.variations.values() for v in vs]
        return next(p["stock_quantity"] for p in every if p["sku"] == sku)

    def on(self, method: str, pattern: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.method == method and re.fullmatch(pattern, s.path)]

    def handle(self, method: str, path: str, query: dict, body: Any
               ) -> tuple[int, Any, dict[str, str]]:
        if method == "GET" and path == f"{API}/products":
            per_page = min(int(query.get("per_page", ["10"])[0]), self.page_size)
            page = int(query.get("page", ["1"])[0])
            pages = max(1, -(-len(self.products) // per_page))
            return 200, self.products[(page - 1) * per_page:page * per_page], {
                "X-WP-Total": str(len(self.products)), "X-WP-TotalPages": str(pages)}
        if method == "GET" and path == f"{API}/orders":
            return woo_orders(self.orders, query)
        if m := re.fullmatch(rf"{API}/products/(\d+)/variations(?:/(\d+))?", path):
            return self._variations(method, int(m.group(1)), m.group(2), query, body)
        if method == "PUT" and (m := re.fullmatch(rf"{API}/products/(\d+)", path)):
            product = next((p for p in self.products if p["id"] == int(m.group(1))), None)
            if product is None:
                return 404, {"code": "woocommerce_rest_product_invalid_id",
                             "message": "Invalid ID.", "data": {"status": 404}}, {}
            quantity = body.get("stock_quantity") if isinstance(body, dict) else None
            if not isinstance(quantity, int):
                return 400, {"code": "rest_invalid_param", "message": "Invalid parameter(s): "
                             "stock_quantity", "data": {"status": 400}}, {}
            product.update(manage_stock=bool(body.get("manage_stock")),
                           stock_quantity=quantity,
                           stock_status="instock" if quantity > 0 else "outofstock")
            return 200, product, {}
        if m := re.fullmatch(rf"{API}/orders/(\d+)/refunds", path):
            return self._refunds(method, int(m.group(1)), body)
        if m := re.fullmatch(rf"{API}/orders/(\d+)(/notes)?", path):
            order = self.orders.get(int(m.group(1)))
            if order is None:
                return 404, {"code": "woocommerce_rest_shop_order_invalid_id",
                             "message": "Invalid ID.", "data": {"status": 404}}, {}
            notes = self.notes.setdefault(order["id"], [])
            if m.group(2) and method == "GET":
                return 200, notes, {}
            if m.group(2) and method == "POST":
                note = {"id": next(self.ids), "author": "woocommerce",
                        "date_created": "2026-11-26T13:00:00", "note": body["note"],
                        "customer_note": bool(body.get("customer_note"))}
                notes.append(note)
                self.touch(order["id"])
                return 201, note, {}
            if method == "PUT":
                order["status"] = body["status"]
                self.touch(order["id"])
                return 200, order, {}
        return 404, {"code": "rest_no_route", "message": "No route was found matching the "
                     "URL and request method.", "data": {"status": 404}}, {}


    def _variations(self, method: str, product_id: int, variation_id: str | None,
                    query: dict, body: Any) -> tuple[int, Any, dict[str, str]]:
        """``products/<id>/variations`` (paged) and ``PUT .../variations/<id>``."""
        variations = self.variations.get(product_id, [])
        if method == "GET" and variation_id is None:
            per_page = int(query.get("per_page", ["10"])[0])
            page = int(query.get("page", ["1"])[0])
            return 200, variations[(page - 1) * per_page:page * per_page], {
                "X-WP-Total": str(len(variations)),
                "X-WP-TotalPages": str(max(1, -(-len(variations) // per_page)))}
        found = next((v for v in variations if str(v["id"]) == variation_id), None)
        if method != "PUT" or found is None or not isinstance(
                (body or {}).get("stock_quantity"), int):
            return 404, {"code": "woocommerce_rest_product_variation_invalid_id",
                         "message": "Invalid ID.", "data": {"status": 404}}, {}
        found.update(manage_stock=bool(body.get("manage_stock")),
                     stock_quantity=body["stock_quantity"],
                     stock_status="instock" if body["stock_quantity"] > 0 else "outofstock")
        return 200, found, {}

    def _refunds(self, method: str, order_id: int, body: Any
                 ) -> tuple[int, Any, dict[str, str]]:
        """``orders/<id>/refunds``: a refund of no more than the order's total less what
        was refunded, of its own line items; ``api_refund`` false only records it."""
        order = self.orders.get(order_id)
        if order is None:
            return 404, {"code": "woocommerce_rest_shop_order_invalid_id",
                         "message": "Invalid ID.", "data": {"status": 404}}, {}
        made = self.refunds.setdefault(order_id, [])
        if method == "GET":
            return 200, made, {}
        try:
            amount = Decimal(body["amount"])
        except (KeyError, TypeError, ArithmeticError):
            return 400, {"code": "rest_invalid_param", "message": "Invalid parameter(s): "
                         "amount", "data": {"status": 400}}, {}
        left = Decimal(order["total"]) - sum(Decimal(r["amount"]) for r in made)
        lines = {i["id"] for i in order["line_items"]}
        if not Decimal(0) < amount <= left or any(
                item.get("id") not in lines for item in body.get("line_items") or []):
            return 400, {"code": "woocommerce_rest_cannot_create_order_refund",
                         "message": "Invalid refund amount.", "data": {"status": 500}}, {}
        refund = {"id": next(self.ids), "date_created": "2026-11-26T13:00:00",
                  "amount": f"{amount:.2f}", "reason": body.get("reason", ""),
                  "refunded_by": 1, "refunded_payment": bool(body.get("api_refund", True)),
                  "line_items": [{"id": next(self.ids), "quantity": -item["quantity"],
                                  "total": f"-{Decimal(item['refund_total']):.2f}"}
                                 for item in body.get("line_items") or []]}
        made.append(refund)
        self.touch(order_id)
        order["refunds"].append({"id": refund["id"], "reason": refund["reason"],
                                 "total": f"-{amount:.2f}"})
        return 201, refund, {}


@contextmanager
def running_woo() -> Iterator[FakeWoo]:
    shop = FakeWoo()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("content-length", 0) or 0))
            body = json.loads(raw) if raw else None
            expected = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
            with shop.lock:
                if self.headers.get("Authorization") != expected:
                    status, answer, extra = 401, {
                        "code": "woocommerce_rest_cannot_view",
                        "message": "Sorry, you cannot list resources.",
                        "data": {"status": 401}}, {}
                elif shop.throttle:
                    shop.throttle -= 1
                    status, answer, extra = 429, {
                        "code": "rest_too_many_requests", "message": "Too many requests.",
                        "data": {"status": 429}}, {"Retry-After": "3"}
                else:
                    status, answer, extra = shop.handle(method, parts.path,
                                                        parse_qs(parts.query), body)
                shop.seen.append(Seen(method, parts.path, body, status,
                                      json.loads(json.dumps(answer)), parse_qs(parts.query)))
            send_json(self, status, answer, extra)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def log_message(self, *args: object) -> None:
            pass

    with serving(Handler) as base_url:
        shop.base_url = base_url
        yield shop


def woo_order(order_id: int, lines: list[tuple[str, int, str, str]], *,
              prices_include_tax: bool = True, status: str = "processing",
              date_paid: str | None = None) -> dict:
    """An order as the REST API v3 (and the ``order.created`` webhook) shows it: ``lines``
    are (SKU, quantity, subtotal, subtotal_tax); no discounts."""
    items = [{"id": order_id * 10 + i, "name": f"Product {sku}", "product_id": 501 + i,
              "variation_id": 0, "quantity": quantity, "tax_class": "",
              "subtotal": subtotal, "subtotal_tax": tax, "total": subtotal, "total_tax": tax,
              "taxes": [], "meta_data": [], "sku": sku, "price": 0}
             for i, (sku, quantity, subtotal, tax) in enumerate(lines, 1)]
    address = {"first_name": "Ada", "last_name": "Lovelace", "company": "",
               "address_1": "Unter den Linden 1", "address_2": "", "city": "Berlin",
               "state": "", "postcode": "10117", "country": "DE"}
    return {"id": order_id, "parent_id": 0, "number": str(order_id), "order_key":
            f"wc_order_{order_id}", "created_via": "checkout", "version": "9.4.2",
            "status": status, "currency": "EUR", "date_created": "2026-11-26T13:00:00",
            "date_paid": date_paid, "date_paid_gmt": date_paid,
            "discount_total": "0.00", "discount_tax": "0.00", "shipping_total": "4.12",
            "shipping_tax": "0.78", "cart_tax": str(sum(Decimal(t) for *_, t in lines)),
            "total": str(sum(Decimal(s) + Decimal(t) for _, _, s, t in lines)
                         + Decimal("4.90")),
            "total_tax": str(sum(Decimal(t) for *_, t in lines) + Decimal("0.78")),
            "prices_include_tax": prices_include_tax, "customer_id": 7,
            "billing": {**address, "email": "ada@example.com", "phone": "+49 30 1234567"},
            "shipping": address, "payment_method": "stripe", "payment_method_title":
            "Credit card", "transaction_id": "pi_3Q", "line_items": items,
            "shipping_lines": [{"id": order_id * 100, "method_title": "Flat rate",
                                "method_id": "flat_rate", "total": "4.12",
                                "total_tax": "0.78"}],
            "tax_lines": [], "fee_lines": [], "coupon_lines": [], "refunds": []}
