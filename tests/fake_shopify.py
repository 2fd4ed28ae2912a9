"""A simulated Shopify shop: a real HTTP server in a thread speaking the Admin REST API's
paths and JSON shapes (2024-10), and Shopify's webhook signature.

It keeps products with variants (SKU, inventory item), inventory levels per location,
orders with their fulfillment orders, transactions and refunds, fulfillments and
cancellations, and lists orders updated since a time (``tests.fake_order_lists``); it
checks the access token, refuses malformed bodies with Shopify's ``{"errors": ...}`` 422,
limits the rate of calls as Shopify does (a leaky bucket of 40, 2 a second: 429 with
``Retry-After``), and can be told to answer the next requests with 429 or 500. Every request is
recorded, so tests assert what reached the "platform" and docs show real exchanges.
"""

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
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fake_order_lists import LeakyBucket, shopify_orders
from tests.webhook_receiver import send_json, serving

API = "/admin/api/2024-10"
TOKEN = "shpat_0123456789abcdef0123456789abcdef"
WEBHOOK_SECRET = "shpss_test_app_secret_0123456789"
LOCATION_ID = 655441491
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
SHOP_ZONE = timezone(timedelta(hours=-5))  # the shop's time zone, as its times show it


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    """``X-Shopify-Hmac-Sha256``: base64 of the HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook_headers(body: bytes, webhook_id: str, topic: str = "orders/create",
                    secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(body, secret),
            "X-Shopify-Shop-Domain": "ordermesh-test.myshopify.com",
            "X-Shopify-API-Version": "2024-10", "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Triggered-At": "2026-11-26T12:00:00.000000000Z"}


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int
    answer: Any


@dataclass
class FakeShopify:
    base_url: str = ""
    page_size: int = 250
    products: list[dict] = field(default_factory=list)
    levels: dict[tuple[int, int], int] = field(default_factory=dict)
    orders: dict[int, dict] = field(default_factory=dict)
    fulfillment_orders: dict[int, list[dict]] = field(default_factory=dict)
    fulfillments: list[dict] = field(default_factory=list)
    transactions: dict[int, list[dict]] = field(default_factory=dict)
    refunds: dict[int, list[dict]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    throttle: int = 0  # answer this many next requests 429
    fail: int = 0  # answer this many next requests 500
    bucket: LeakyBucket = field(default_factory=LeakyBucket)
    now: Callable[[], datetime] = lambda: datetime.now(UTC)  # the shop's clock
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1_000_001))

    def add_product(self, title: str, skus: list[str]) -> None:
        product_id = next(self.ids)
        self.products.append({"id": product_id, "title": title, "variants": [
            {"id": next(self.ids), "product_id": product_id, "sku": sku,
             "inventory_item_id": next(self.ids), "inventory_quantity": 0}
            for sku in skus]})

    def variant(self, sku: str) -> dict:
        return next(v for p in self.products for v in p["variants"] if v["sku"] == sku)

    def level(self, sku: str) -> int | None:
        return self.levels.get((self.variant(sku)["inventory_item_id"], LOCATION_ID))

    def add_order(self, order: dict) -> None:
        """An order as checkout makes it: with one open fulfillment order for its lines."""
        self.orders[order["id"]] = order
        self.touch(order["id"])
        self.transactions[order["id"]] = [{
            "id": next(self.ids), "order_id": order["id"], "kind": "sale",
            "status": "success", "gateway": "shopify_payments", "amount": order_total(order),
            "currency": order["currency"], "parent_id": None,
        }] if order.get("financial_status") == "paid" else []
        self.refunds[order["id"]] = []
        fo_id = next(self.ids)
        self.fulfillment_orders[order["id"]] = [{
            "id": fo_id, "shop_id": 548380009, "order_id": order["id"],
            "assigned_location_id": LOCATION_ID, "request_status": "unsubmitted",
            "status": "open", "supported_actions": ["create_fulfillment", "move"],
            "line_items": [{"id": next(self.ids), "shop_id": 548380009,
                            "fulfillment_order_id": fo_id, "line_item_id": item["id"],
                            "inventory_item_id": self.variant(item["sku"])["inventory_item_id"]
                            if any(v["sku"] == item["sku"] for p in self.products
                                   for v in p["variants"]) else None,
                            "quantity": item["quantity"],
                            "fulfillable_quantity": item["quantity"],
                            "variant_id": item.get("variant_id")}
                           for item in order["line_items"]]}]

    def touch(self, order_id: int) -> None:
        """The order changed: its ``updated_at`` is now, in the shop's time zone."""
        self.orders[order_id]["updated_at"] = self.now().astimezone(SHOP_ZONE).isoformat(
            timespec="seconds")

    def on(self, method: str, pattern: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.method == method and re.fullmatch(pattern, s.path)]

    # --- the endpoints ---------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict, body: Any) -> tuple[int, Any, dict]:
        if method == "GET" and path == f"{API}/products.json":
            return self._products(query)
        if method == "GET" and path == f"{API}/orders.json":
            return shopify_orders(self.orders, self.base_url, path, query)
        if method == "POST" and path == f"{API}/inventory_levels/set.json":
            return self._set_level(body)
        if method == "GET" and (m := re.fullmatch(
                rf"{API}/orders/(\d+)/fulfillment_orders\.json", path)):
            return self._fulfillment_orders(int(m.group(1)))
        if method == "POST" and path == f"{API}/fulfillments.json":
            return self._fulfil(body)
        if method == "POST" and (m := re.fullmatch(rf"{API}/orders/(\d+)/cancel\.json", path)):
            return self._cancel(int(m.group(1)))
        if m := re.fullmatch(rf"{API}/orders/(\d+)/(transactions|refunds)\.json", path):
            order_id, what = int(m.group(1)), m.group(2)
            if order_id not in self.orders:
                return 404, {"errors": "Not Found"}, {}
            if method == "GET":
                return 200, {what: (self.transactions if what == "transactions"
                                    else self.refunds)[order_id]}, {}
            if what == "refunds":
                return self._refund(order_id, body)
        return 404, {"errors": "Not Found"}, {}

    def _products(self, query: dict) -> tuple[int, Any, dict]:
        limit = min(int(query.get("limit", ["50"])[0]), self.page_size)
        start = int(query.get("page_info", ["0"])[0])
        page = self.products[start:start + limit]
        headers = {}
        if start + limit < len(self.products):
            headers["Link"] = (f'<{self.base_url}{API}/products.json?limit={limit}'
                               f'&page_info={start + limit}>; rel="next"')
        fields = query.get("fields", [""])[0].split(",")
        shown = [{k: v for k, v in p.items() if not fields[0] or k in fields} for p in page]
        return 200, {"products": shown}, headers

    def _set_level(self, body: Any) -> tuple[int, Any, dict]:
        if not isinstance(body, dict) or not all(isinstance(body.get(k), int) for k in
                                                 ("location_id", "inventory_item_id",
                                                  "available")):
            return 422, {"errors": {"base": ["location_id, inventory_item_id and available "
                                             "are required integers"]}}, {}
        if body["location_id"] != LOCATION_ID:
            return 422, {"errors": ["Location not found"]}, {}
        if not any(v["inventory_item_id"] == body["inventory_item_id"]
                   for p in self.products for v in p["variants"]):
            return 422, {"errors": ["Inventory item does not exist"]}, {}
        self.levels[(body["inventory_item_id"], body["location_id"])] = body["available"]
        return 200, {"inventory_level": {
            "inventory_item_id": body["inventory_item_id"], "location_id": body["location_id"],
            "available": body["available"], "updated_at": "2026-11-26T12:00:00-05:00",
            "admin_graphql_api_id": "gid://shopify/InventoryLevel/"
                                    f"{body['location_id']}?inventory_item_id="
                                    f"{body['inventory_item_id']}"}}, {}

    def _fulfillment_orders(self, order_id: int) -> tuple[int, Any, dict]:
        if order_id not in self.orders:
            return 404, {"errors": "Not Found"}, {}
        return 200, {"fulfillment_orders": self.fulfillment_orders[order_id]}, {}

    def _fulfil(self, body: Any) -> tuple[int, Any, dict]:
        spec = body.get("fulfillment") if isinstance(body, dict) else None
        groups = spec.get("line_items_by_fulfillment_order") if isinstance(spec, dict) else None
        if not groups:
            return 400, {"errors": {"fulfillment": "Required parameter missing or invalid"}}, {}
        fos = {fo["id"]: fo for fos in self.fulfillment_orders.values() for fo in fos}
        done = []
        for group in groups:
            fo = fos.get(group.get("fulfillment_order_id"))
            if fo is None or fo["status"] not in ("open", "in_progress"):
                return 422, {"errors": ["Fulfillment order is not fulfillable"]}, {}
            items = {i["id"]: i for i in fo["line_items"]}
            for wanted in group.get("fulfillment_order_line_items") or [
                    {"id": i["id"], "quantity": i["fulfillable_quantity"]}
                    for i in fo["line_items"]]:
                item = items.get(wanted["id"])
                if item is None or wanted["quantity"] > item["fulfillable_quantity"]:
                    return 422, {"errors": ["Invalid fulfillment order line item quantity "
                                            "requested."]}, {}
                item["fulfillable_quantity"] -= wanted["quantity"]
                done.append({"id": item["line_item_id"], "quantity": wanted["quantity"]})
            fo["status"] = "closed" if not any(i["fulfillable_quantity"]
                                               for i in fo["line_items"]) else "in_progress"
        tracking = spec.get("tracking_info") or {}
        fulfillment = {
            "id": next(self.ids),
            "order_id": fos[groups[0]["fulfillment_order_id"]]["order_id"],
            "status": "success", "service": "manual", "location_id": LOCATION_ID,
            "tracking_company": tracking.get("company"),
            "tracking_number": tracking.get("number"),
            "tracking_numbers": [tracking["number"]] if tracking.get("number") else [],
            "tracking_url": tracking.get("url"),
            "tracking_urls": [tracking["url"]] if tracking.get("url") else [],
            "line_items": done, "created_at": "2026-11-26T12:00:00-05:00"}
        self.fulfillments.append(fulfillment)
        self.touch(fulfillment["order_id"])
        return 201, {"fulfillment": fulfillment}, {}

    def _refund(self, order_id: int, body: Any) -> tuple[int, Any, dict]:
        """``POST orders/<id>/refunds.json``: line items no more than were bought and not
        refunded, money no more than the parent transaction took and has not given back."""
        spec = body.get("refund") if isinstance(body, dict) else None
        if not isinstance(spec, dict):
            return 400, {"errors": {"refund": "Required parameter missing or invalid"}}, {}
        bought = {i["id"]: i["quantity"] for i in self.orders[order_id]["line_items"]}
        for done in self.refunds[order_id]:
            for item in done["refund_line_items"]:
                bought[item["line_item_id"]] -= item["quantity"]
        items = []
        for wanted in spec.get("refund_line_items") or []:
            line_id, quantity = wanted.get("line_item_id"), wanted.get("quantity")
            if line_id not in bought or not isinstance(quantity, int) \
                    or not 0 < quantity <= bought[line_id]:
                return 422, {"errors": {"refund_line_items": ["Quantity cannot refund more "
                                                              "items than were purchased"]}}, {}
            bought[line_id] -= quantity
            items.append({"id": next(self.ids), "line_item_id": line_id,
                          "quantity": quantity,
                          "restock_type": wanted.get("restock_type", "no_restock")})
        given = []
        taken = {t["id"]: t for t in self.transactions[order_id]}
        for wanted in spec.get("transactions") or []:
            parent = taken.get(wanted.get("parent_id"))
            if parent is None or wanted.get("kind") != "refund" \
                    or parent["kind"] not in ("sale", "capture"):
                return 422, {"errors": {"transactions": ["parent_id is invalid"]}}, {}
            back = sum(Decimal(t["amount"]) for t in self.transactions[order_id]
                       if t["parent_id"] == parent["id"] and t["kind"] == "refund")
            amount = Decimal(str(wanted.get("amount")))
            if not Decimal(0) < amount <= Decimal(parent["amount"]) - back:
                return 422, {"errors": {"base": ["Refund amount exceeds the refundable "
                                                 "amount of the transaction"]}}, {}
            given.append({"id": next(self.ids), "order_id": order_id, "kind": "refund",
                          "status": "success", "gateway": parent["gateway"],
                          "amount": f"{amount:.2f}", "currency": parent["currency"],
                          "parent_id": parent["id"]})
        self.transactions[order_id].extend(given)
        refund = {"id": next(self.ids), "order_id": order_id, "note": spec.get("note"),
                  "restock": False, "created_at": "2026-11-26T12:00:00-05:00",
                  "refund_line_items": items, "transactions": given}
        self.refunds[order_id].append(refund)
        self.touch(order_id)
        return 201, {"refund": refund}, {}

    def _cancel(self, order_id: int) -> tuple[int, Any, dict]:
        order = self.orders.get(order_id)
        if order is None:
            return 404, {"errors": "Not Found"}, {}
        if order.get("cancelled_at"):
            return 422, {"error": "Order has already been cancelled"}, {}
        order["cancelled_at"] = "2026-11-26T12:00:00-05:00"
        order["cancel_reason"] = "other"
        self.touch(order_id)
        return 200, {"order": order}, {}


def order_total(order: dict) -> str:
    """What the buyer paid: the lines less their discounts, and shipping."""
    total = sum(Decimal(i["price"]) * i["quantity"]
                - sum((Decimal(d["amount"]) for d in i["discount_allocations"]), Decimal(0))
                for i in order["line_items"])
    total += sum((Decimal(s["discounted_price"]) for s in order["shipping_lines"]), Decimal(0))
    return f"{total:.2f}"


@contextmanager
def running_shopify() -> Iterator[FakeShopify]:
    shop = FakeShopify()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("content-length", 0) or 0))
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            query = parse_qs(parts.query)
            extra: dict[str, str] = {}
            with shop.lock:
                let_through, extra["X-Shopify-Shop-Api-Call-Limit"] = shop.bucket.take()
                if self.headers.get("X-Shopify-Access-Token") != TOKEN:
                    status, answer = 401, {"errors": INVALID_TOKEN}
                elif shop.throttle or not let_through:
                    shop.throttle = max(0, shop.throttle - 1)
                    status, answer = 429, {"errors": "Exceeded 2 calls per second for api "
                                                     "client. Reduce request rates to resume "
                                                     "uninterrupted service."}
                    extra["Retry-After"] = "2.0"
                elif shop.fail:
                    shop.fail -= 1
                    status, answer = 500, {"errors": "Internal Server Error"}
                elif isinstance(body, str):
                    status, answer = 400, {"errors": "Invalid JSON"}
                else:
                    status, answer, found = shop.handle(method, parts.path, query, body)
                    extra |= found
                shop.seen.append(Seen(method, parts.path, query, dict(self.headers.items()),
                                      body, status, json.loads(json.dumps(answer))))
            send_json(self, status, answer, extra)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def log_message(self, *args: object) -> None:
            pass

    with serving(Handler) as base_url:
        shop.base_url = base_url
        yield shop


def shopify_order(order_id: int, lines: list[tuple[str, int, str]], *,
                  currency: str = "EUR", taxes_included: bool = True,
                  shipping: str = "4.90", email: str = "ada@example.com",
                  country: str = "DE", discounts: dict[str, str] | None = None) -> dict:
    """An ``orders/create`` body as Shopify sends it (the fields ordermesh reads, and a
    realistic share of the others): ``lines`` are (SKU, quantity, unit price)."""
    discounts = discounts or {}
    items = []
    for i, (sku, quantity, price) in enumerate(lines):
        off = discounts.get(sku)
        items.append({
            "id": order_id * 10 + i + 1, "admin_graphql_api_id":
                f"gid://shopify/LineItem/{order_id * 10 + i + 1}",
            "fulfillable_quantity": quantity, "fulfillment_service": "manual",
            "fulfillment_status": None, "gift_card": False, "grams": 250,
            "name": f"Product {sku}", "price": price,
            "price_set": {"shop_money": {"amount": price, "currency_code": currency},
                          "presentment_money": {"amount": price, "currency_code": currency}},
            "product_exists": True, "product_id": 7_000_000 + i, "properties": [],
            "quantity": quantity, "requires_shipping": True, "sku": sku, "taxable": True,
            "title": f"Product {sku}", "total_discount": "0.00", "variant_id": 8_000_000 + i,
            "variant_title": None, "vendor": "ordermesh test", "tax_lines": [],
            "discount_allocations": [{"amount": off, "discount_application_index": 0,
                                      "amount_set": {"shop_money": {
                                          "amount": off, "currency_code": currency}}}]
            if off else [],
        })
    address = {"first_name": "Ada", "last_name": "Lovelace", "name": "Ada Lovelace",
               "address1": "Unter den Linden 1", "address2": None, "city": "Berlin",
               "zip": "10117", "province": None, "province_code": None,
               "country": "Germany", "country_code": country, "phone": None,
               "company": None, "latitude": None, "longitude": None}
    return {
        "id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": f"#{order_id % 10000}", "order_number": order_id % 10000,
        "email": email, "contact_email": email, "phone": None,
        "created_at": "2026-11-26T13:00:00+01:00", "currency": currency,
        "presentment_currency": currency, "financial_status": "paid",
        "fulfillment_status": None, "taxes_included": taxes_included,
        "test": False, "cancelled_at": None, "cancel_reason": None, "tags": "",
        "line_items": items, "shipping_address": address, "billing_address": address,
        "shipping_lines": [{"id": order_id * 100, "code": "Standard", "title": "Standard",
                            "price": shipping, "discounted_price": shipping,
                            "source": "shopify", "tax_lines": []}] if shipping else [],
        "customer": {"id": 115310627314723954, "email": email, "first_name": "Ada",
                     "last_name": "Lovelace", "phone": None, "currency": currency,
                     "tags": "", "state": "disabled", "verified_email": True},
    }
