"""A simulated Amazon seller account: a real HTTP server in a thread speaking Login with
Amazon's token endpoint and the Selling Partner API as documented (Orders API v0, Tokens
API 2021-03-01, Listings Items API 2021-08-01), with their payload shapes, errors
(``{"errors": [{"code", "message", "details"}]}``) and ``x-amzn-RateLimit-Limit``.

* ``POST /auth/o2/token`` (``grant_type=refresh_token``): an access token for
  ``expires_in`` seconds; ``expire_tokens`` makes every token issued so far expired, as
  Amazon answers one: ``403 Unauthorized``.
* ``POST /tokens/2021-03-01/restrictedDataToken``: a restricted data token; ``getOrders``
  shows ``BuyerInfo`` and the street of ``ShippingAddress`` only under one (under the
  access token only city, region, postal code and country), and never for a ``Pending``
  order (Amazon has neither until the order is paid).
* ``GET /orders/v0/orders`` (``MarketplaceIds``, ``LastUpdatedAfter``,
  ``MaxResultsPerPage`` at most 100, ``NextToken``) in the order the orders were taken;
  ``GET /orders/v0/orders/<id>/orderItems`` (``items_page_size`` items a page,
  ``NextToken``); ``POST /orders/v0/orders/<id>/shipmentConfirmation`` (204; a package's
  ``packageReferenceId`` given again replaces that package).
* ``GET /listings/2021-08-01/items/<sellerId>`` (``pageSize``, ``pageToken``) and
  ``PATCH /listings/2021-08-01/items/<sellerId>/<sku>`` (``fulfillment_availability``).
* ``throttle``/``fail``: answer the next SP-API requests (those whose path matches
  ``only``, when set) ``429 QuotaExceeded`` or ``503``; every request is recorded.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.webhook_receiver import serving

CLIENT_ID = "amzn1.application-oa2-client.0123456789abcdef0123456789abcdef"
CLIENT_SECRET = "amzn1.oa2-cs.v1.0123456789abcdef0123456789abcdef0123456789abcdef"
REFRESH_TOKEN = "Atzr|IwEBIExampleRefreshToken0123456789"
MARKETPLACE = "A1PA6795UKMFR9"  # amazon.de
SELLER_ID = "A2EUQ1WTGCTBG2"
ORDERS = "/orders/v0/orders"
LISTINGS = f"/listings/2021-08-01/items/{SELLER_ID}"
RATES = {"getOrders": "0.0167", "getOrderItems": "0.5", "confirmShipment": "2.0",
         "searchListingsItems": "5.0", "patchListingsItem": "5.0",
         "createRestrictedDataToken": "1.0"}


def amazon_id(n: int) -> str:
    """An order id in Amazon's 3-7-7 form."""
    return f"028-{n:07d}-{n * 7919 % 10_000_000:07d}"


def _money(amount: Decimal | str) -> dict[str, str]:
    return {"CurrencyCode": "EUR", "Amount": f"{Decimal(amount):.2f}"}


def amazon_order(n: int, lines: list[tuple[str, int, str]], *, status: str = "Unshipped",
                 channel: str = "MFN", shipping: str = "4.90") -> tuple[dict, list[dict]]:
    """An amazon.de order (prices include 19 % VAT) and its items: ``lines`` are (seller
    SKU, quantity, unit price); the shipping is charged on the first item."""
    items = []
    for i, (sku, quantity, unit) in enumerate(lines):
        price = Decimal(unit) * quantity
        ship = Decimal(shipping) if i == 0 else Decimal(0)
        items.append({
            "ASIN": f"B0{n:04d}{i:04d}", "SellerSKU": sku, "OrderItemId": f"{n:08d}{i:06d}",
            "Title": f"Product {sku}", "QuantityOrdered": quantity, "QuantityShipped": 0,
            "ProductInfo": {"NumberOfItems": "1"},
            "ItemPrice": _money(price), "ItemTax": _money(price - price / Decimal("1.19")),
            "ShippingPrice": _money(ship), "ShippingTax": _money(ship - ship / Decimal("1.19")),
            "ShippingDiscount": _money(0), "ShippingDiscountTax": _money(0),
            "PromotionDiscount": _money(0), "PromotionDiscountTax": _money(0),
            "PromotionIds": [], "IsGift": "false", "ConditionId": "New",
            "ConditionSubtypeId": "New", "IsTransparency": False,
            "SerialNumberRequired": False, "DeemedResellerCategory": "IOSS"})
    total = sum(Decimal(i["ItemPrice"]["Amount"]) + Decimal(i["ShippingPrice"]["Amount"])
                for i in items)
    order = {
        "AmazonOrderId": amazon_id(n), "PurchaseDate": "", "LastUpdateDate": "",
        "OrderStatus": status, "FulfillmentChannel": channel, "SalesChannel": "Amazon.de",
        "ShipServiceLevel": "Std DE Dom_1", "OrderTotal": _money(total),
        "NumberOfItemsShipped": 0,
        "NumberOfItemsUnshipped": sum(q for _, q, _ in lines), "PaymentMethod": "Other",
        "PaymentMethodDetails": ["Standard"], "MarketplaceId": MARKETPLACE,
        "ShipmentServiceLevelCategory": "Standard", "OrderType": "StandardOrder",
        "IsBusinessOrder": False, "IsPrime": False, "IsPremiumOrder": False,
        "IsGlobalExpressEnabled": False, "IsReplacementOrder": "false", "IsSoldByAB": False,
        "IsISPU": False, "IsAccessPointOrder": False, "HasRegulatedItems": False,
        "BuyerInfo": {"BuyerEmail": "7x3kq8t9yzh1w2v@marketplace.amazon.de",
                      "BuyerName": "Ada Lovelace"},
        "ShippingAddress": {"Name": "Ada Lovelace", "AddressLine1": "Unter den Linden 1",
                            "City": "Berlin", "StateOrRegion": "Berlin",
                            "PostalCode": "10117", "CountryCode": "DE",
                            "Phone": "+49 30 1234567", "AddressType": "Residential"}}
    return order, items


def _error(status: int, code: str, message: str) -> tuple[int, Any, dict[str, str]]:
    return status, {"errors": [{"code": code, "message": message, "details": ""}]}, {}


@dataclass
class Seen:
    method: str
    path: str
    body: Any
    status: int
    query: dict[str, list[str]] = field(default_factory=dict)
    token: str | None = None
    answer: Any = None


@dataclass
class FakeAmazon:
    base_url: str = ""
    orders: dict[str, dict] = field(default_factory=dict)  # in the order they were taken
    items: dict[str, list[dict]] = field(default_factory=dict)
    packages: dict[str, dict[str, dict]] = field(default_factory=dict)
    listings: dict[str, dict] = field(default_factory=dict)  # seller SKU -> listing
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    access_tokens: dict[str, bool] = field(default_factory=dict)  # token -> still valid
    restricted_tokens: set[str] = field(default_factory=set)
    expires_in: int = 3600
    items_page_size: int = 30
    throttle: int = 0
    fail: int = 0
    only: str | None = None  # throttle/fail only requests whose path matches this
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/auth/o2/token"

    def _at(self) -> str:
        return self.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def add_order(self, order: tuple[dict, list[dict]]) -> str:
        """A buyer's order as Amazon takes it: purchased (and updated) now."""
        body, items = order
        body = {**body, "PurchaseDate": self._at(), "LastUpdateDate": self._at()}
        self.orders[body["AmazonOrderId"]] = body
        self.items[body["AmazonOrderId"]] = items
        return body["AmazonOrderId"]

    def set_status(self, order_id: str, status: str) -> None:
        self.orders[order_id].update(OrderStatus=status, LastUpdateDate=self._at())

    def add_listing(self, seller_sku: str, product_type: str = "HOME") -> None:
        self.listings[seller_sku] = {"asin": f"B0LIST{len(self.listings):04d}",
                                     "productType": product_type, "quantity": None}

    def expire_tokens(self) -> None:
        self.access_tokens = dict.fromkeys(self.access_tokens, False)
        self.restricted_tokens.clear()

    def on(self, method: str, pattern: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.method == method and re.fullmatch(pattern, s.path)]

    def handle(self, method: str, path: str, query: dict, body: Any, token: str | None
               ) -> tuple[int, Any, dict[str, str]]:
        if method == "POST" and path == "/auth/o2/token":
            return self._issue(body)
        if not self.access_tokens.get(token or "") and token not in self.restricted_tokens:
            return _error(403, "Unauthorized", "Access to requested resource is denied.")
        if self.only is None or re.search(self.only, path):
            if self.throttle:
                self.throttle -= 1
                return _error(429, "QuotaExceeded", "You exceeded your quota for the "
                              "requested resource.")
            if self.fail:
                self.fail -= 1
                return _error(503, "ServiceUnavailable", "Service temporarily unavailable.")
        if method == "POST" and path == "/tokens/2021-03-01/restrictedDataToken":
            rdt = f"Atz.sprdt|{next(self.ids)}"
            self.restricted_tokens.add(rdt)
            return 200, {"restrictedDataToken": rdt, "expiresIn": 3600}, {}
        if method == "GET" and path == ORDERS:
            return self._orders(query, token in self.restricted_tokens)
        if m := re.fullmatch(rf"{ORDERS}/([\d-]+)/(orderItems|shipmentConfirmation)", path):
            if m.group(1) not in self.orders:
                return _error(404, "NotFound", "Invalid order ID")
            if method == "GET" and m.group(2) == "orderItems":
                return self._items(m.group(1), query)
            if method == "POST" and m.group(2) == "shipmentConfirmation":
                return self._confirm(m.group(1), body)
        if method == "GET" and path == LISTINGS:
            return self._search(query)
        if method == "PATCH" and (m := re.fullmatch(rf"{LISTINGS}/(.+)", path)):
            return self._patch(unquote(m.group(1)), query, body)
        return _error(404, "NotFound", "Resource not found")

    def _issue(self, form: dict) -> tuple[int, Any, dict[str, str]]:
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {"error": "invalid_client",
                         "error_description": "Client authentication failed"}, {}
        if form.get("grant_type") != "refresh_token" \
                or form.get("refresh_token") != REFRESH_TOKEN:
            return 400, {"error": "invalid_grant",
                         "error_description": "The request has an invalid grant parameter"
                                              " : refresh_token"}, {}
        token = f"Atza|IwEBI{next(self.ids):06d}"
        self.access_tokens[token] = True
        return 200, {"access_token": token, "refresh_token": REFRESH_TOKEN,
                     "token_type": "bearer", "expires_in": self.expires_in}, {}

    def _shown(self, order: dict, restricted: bool) -> dict:
        """The order as getOrders shows it under this token."""
        shown = dict(order)
        if order["OrderStatus"] in ("Pending", "PendingAvailability"):
            shown.pop("BuyerInfo", None)
            shown.pop("ShippingAddress", None)
            shown.pop("OrderTotal", None)
        elif not restricted:
            shown["BuyerInfo"] = {}
            shown["ShippingAddress"] = {k: v for k, v in order["ShippingAddress"].items()
                                        if k in ("City", "StateOrRegion", "PostalCode",
                                                 "CountryCode")}
        return shown

    def _orders(self, query: dict, restricted: bool) -> tuple[int, Any, dict[str, str]]:
        if query.get("MarketplaceIds") != [MARKETPLACE]:
            return _error(400, "InvalidInput", "Invalid Input")
        if token := query.get("NextToken", [None])[0]:
            try:
                cursor = json.loads(base64.urlsafe_b64decode(token))
            except ValueError:
                return _error(400, "InvalidInput", "Invalid NextToken")
        else:
            if "LastUpdatedAfter" not in query:
                return _error(400, "InvalidInput", "Either CreatedAfter or LastUpdatedAfter "
                              "must be specified")
            size = int(query.get("MaxResultsPerPage", ["100"])[0])
            if not 1 <= size <= 100:
                return _error(400, "InvalidInput", "MaxResultsPerPage must be 1 to 100")
            cursor = {"since": query["LastUpdatedAfter"][0], "after": 0, "size": size}
        since = datetime.fromisoformat(cursor["since"].replace("Z", "+00:00"))
        chosen = [o for o in list(self.orders.values())[cursor["after"]:]
                  if datetime.fromisoformat(o["LastUpdateDate"].replace("Z", "+00:00"))
                  >= since]
        page = chosen[:cursor["size"]]
        answer: dict[str, Any] = {
            "Orders": [self._shown(o, restricted) for o in page],
            "LastUpdatedBefore": (self.now() - timedelta(minutes=2)).astimezone(UTC)
            .strftime("%Y-%m-%dT%H:%M:%SZ")}
        if len(chosen) > len(page):
            after = list(self.orders).index(page[-1]["AmazonOrderId"]) + 1
            answer["NextToken"] = base64.urlsafe_b64encode(json.dumps(
                {**cursor, "after": after}).encode()).decode()
        return 200, {"payload": answer}, {}

    def _items(self, order_id: str, query: dict) -> tuple[int, Any, dict[str, str]]:
        start = int(query.get("NextToken", ["0"])[0])
        items = self.items[order_id]
        page = items[start:start + self.items_page_size]
        answer: dict[str, Any] = {"AmazonOrderId": order_id, "OrderItems": page}
        if start + len(page) < len(items):
            answer["NextToken"] = str(start + len(page))
        return 200, {"payload": answer}, {}

    def _confirm(self, order_id: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        order, items = self.orders[order_id], {i["OrderItemId"]: i
                                               for i in self.items[order_id]}
        package = body.get("packageDetail") if isinstance(body, dict) else None
        if not isinstance(package, dict) or body.get("marketplaceId") != MARKETPLACE:
            return _error(400, "InvalidInput", "marketplaceId and packageDetail are required")
        reference = str(package.get("packageReferenceId", ""))
        if not reference.isdigit() or int(reference) <= 0:
            return _error(400, "InvalidInput", "packageReferenceId must be a positive number")
        if not package.get("carrierCode") or not package.get("trackingNumber") \
                or not package.get("shipDate") \
                or (package["carrierCode"] == "Other" and not package.get("carrierName")):
            return _error(400, "InvalidInput", "carrierCode, trackingNumber and shipDate are "
                          "required; carrierName with carrierCode Other")
        if order["OrderStatus"] not in ("Unshipped", "PartiallyShipped", "Shipped"):
            return _error(400, "InvalidInput", f"The order is {order['OrderStatus']}")
        others = [p for ref, p in self.packages.get(order_id, {}).items() if ref != reference]
        for line in package.get("orderItems") or [None]:
            item = items.get(line.get("orderItemId")) if isinstance(line, dict) else None
            shipped = sum(i["quantity"] for p in others for i in p["orderItems"]
                          if i["orderItemId"] == (item or {}).get("OrderItemId"))
            if item is None or not 0 < line.get("quantity", 0) <= \
                    item["QuantityOrdered"] - shipped:
                return _error(400, "InvalidInput", "Invalid orderItems")
        self.packages.setdefault(order_id, {})[reference] = package
        for item in items.values():
            item["QuantityShipped"] = sum(
                i["quantity"] for p in self.packages[order_id].values()
                for i in p["orderItems"] if i["orderItemId"] == item["OrderItemId"])
        done = all(i["QuantityShipped"] == i["QuantityOrdered"] for i in items.values())
        self.set_status(order_id, "Shipped" if done else "PartiallyShipped")
        return 204, None, {}

    def _search(self, query: dict) -> tuple[int, Any, dict[str, str]]:
        if query.get("marketplaceIds") != [MARKETPLACE]:
            return _error(400, "InvalidInput", "marketplaceIds is required")
        size, start = int(query.get("pageSize", ["10"])[0]), 0
        if token := query.get("pageToken", [None])[0]:
            start = int(base64.urlsafe_b64decode(token))
        skus = list(self.listings)[start:start + size]
        answer: dict[str, Any] = {"numberOfResults": len(self.listings), "items": [{
            "sku": sku, "summaries": [{
                "marketplaceId": MARKETPLACE, "asin": self.listings[sku]["asin"],
                "productType": self.listings[sku]["productType"], "conditionType": "new_new",
                "status": ["BUYABLE", "DISCOVERABLE"], "itemName": f"Product {sku}",
                "createdDate": "2026-11-02T10:12:39Z",
                "lastUpdatedDate": "2026-11-20T08:01:12Z"}]} for sku in skus],
            "pagination": {}}
        if start + size < len(self.listings):
            answer["pagination"]["nextToken"] = base64.urlsafe_b64encode(
                str(start + size).encode()).decode()
        return 200, answer, {}

    def _patch(self, sku: str, query: dict, body: Any) -> tuple[int, Any, dict[str, str]]:
        if sku not in self.listings:
            return _error(404, "NOT_FOUND", f"SKU '{sku}' not found in marketplace")
        try:
            (patch,) = body["patches"]
            (value,) = patch["value"]
            quantity = value["quantity"]
            assert body["productType"] and patch["op"] == "replace" \
                and patch["path"] == "/attributes/fulfillment_availability" \
                and query.get("marketplaceIds") == [MARKETPLACE] and quantity >= 0
        except (KeyError, TypeError, ValueError, AssertionError):
            return 200, {"sku": sku, "status": "INVALID", "submissionId": "",
                         "issues": [{"code": "4000001", "message": "The provided value for "
                                     "'fulfillment_availability' is invalid.",
                                     "severity": "ERROR"}]}, {}
        self.listings[sku]["quantity"] = quantity
        return 200, {"sku": sku, "status": "ACCEPTED",
                     "submissionId": f"f1dc2914-75dd-11ea-bc55-{next(self.ids):012d}",
                     "issues": []}, {}


def _operation(method: str, path: str) -> str:
    if path.endswith("/orderItems"):
        return "getOrderItems"
    if path.endswith("/shipmentConfirmation"):
        return "confirmShipment"
    if path.startswith("/listings/"):
        return "patchListingsItem" if method == "PATCH" else "searchListingsItems"
    return "createRestrictedDataToken" if path.startswith("/tokens/") else "getOrders"


@contextmanager
def running_amazon() -> Iterator[FakeAmazon]:
    shop = FakeAmazon()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("content-length", 0) or 0))
            if parts.path == "/auth/o2/token":
                body: Any = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            else:
                body = json.loads(raw) if raw else None
            token = self.headers.get("x-amz-access-token")
            with shop.lock:
                status, answer, extra = shop.handle(method, parts.path, parse_qs(parts.query),
                                                    body, token)
                shop.seen.append(Seen(method, parts.path, body, status, parse_qs(parts.query),
                                      token, json.loads(json.dumps(answer))))
            self.send_response(status)
            if parts.path != "/auth/o2/token":
                extra = {"x-amzn-RequestId": f"7c8a6d1e-{len(shop.seen):04d}",
                         "x-amzn-RateLimit-Limit": RATES[_operation(method, parts.path)],
                         **extra}
            for name, value in extra.items():
                self.send_header(name, value)
            data = b"" if status == 204 else json.dumps(answer).encode()
            if status != 204:
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PATCH(self) -> None:
            self._serve("PATCH")

        def log_message(self, *args: object) -> None:
            pass

    with serving(Handler) as base_url:
        shop.base_url = base_url
        yield shop
