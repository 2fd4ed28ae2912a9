"""Amazon (Selling Partner API): orders in by polling the Orders API v0, shipment
confirmations and stock levels out; the calls themselves in ``connectors.amazon_calls``.

Amazon sends no webhooks to an HTTP address (its notifications go to SQS or EventBridge),
so every order comes in by polling (``flows.channel_poll``); a POST to the connector's
webhook address is refused with 401 as an unsigned one.

* ``GET /orders/v0/orders?MarketplaceIds=<id>&LastUpdatedAfter=<time>
  &MaxResultsPerPage=n`` (then ``NextToken``), under a restricted data token so the
  buyer and the street address are shown; for each order to place,
  ``GET /orders/v0/orders/<AmazonOrderId>/orderItems`` (its own ``NextToken``). The
  order with its ``OrderItems`` is what the inbox keeps.
* What an order's state asks: ``Unshipped`` and ``PartiallyShipped`` (Amazon has the
  buyer's payment): place it, its payment recorded as taken on Amazon; ``Canceled``:
  cancel ours; ``Pending`` (and ``PendingAvailability``): Amazon has not taken the
  payment yet and shows neither address nor buyer: recorded as ignored with that
  reason, placed when a later poll finds it ``Unshipped``. ``FulfillmentChannel: AFN``
  (fulfilled by Amazon from Amazon's stock): recorded as ignored, never placed, never
  shipped by us. ``Shipped`` and the other states: an update we take no action on.
* ``GET /listings/2021-08-01/items/<sellerId>?marketplaceIds=<id>
  &includedData=summaries`` (``pageToken``): each seller SKU, its ASIN and product type.
  A seller SKU is our SKU unless the setting ``sku_map`` names ours for it.
* Stock: ``PATCH /listings/2021-08-01/items/<sellerId>/<sellerSku>?marketplaceIds=<id>``
  ``{"productType": ..., "patches": [{"op": "replace", "path":
  "/attributes/fulfillment_availability", "value": [{"fulfillment_channel_code":
  "DEFAULT", "quantity": n}]}]}``; an answer ``status: INVALID`` is a refusal.
* A shipment: ``POST /orders/v0/orders/<id>/shipmentConfirmation`` ``{"marketplaceId",
  "packageDetail": {"packageReferenceId", "carrierCode", "carrierName", "trackingNumber",
  "shipDate", "orderItems": [{"orderItemId", "quantity"}]}}``. The package reference is a
  number derived from our shipment id, so a retry names the same package.
* Cancellations and refunds: the Orders API has no operation for either (a seller
  cancels in Seller Central or by an order-acknowledgement feed; refunds are made in
  Seller Central): such a push fails at once, saying so, where the pushes list shows it.

``ItemPrice`` is the line's price (all its units), ``PromotionDiscount`` its discount,
``ShippingPrice`` less ``ShippingDiscount`` the shipping; they include tax where the
marketplace's prices do (Europe, the UK, India: setting ``prices_include_tax``) and
exclude it elsewhere; ``ItemTax`` and ``ShippingTax`` stay in the inbox's copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from ordermesh.connectors.amazon_calls import Refused, SellingPartner
from ordermesh.connectors.common import line_item, money, text
from ordermesh.connectors.model import (
    Account,
    CallResult,
    ChannelAddress,
    ChannelLine,
    ChannelOrder,
    FulfilmentNotice,
    PayloadInvalid,
    PolledOrder,
    PolledPage,
    RefundNotice,
    StockLevel,
    WebhookIntent,
    WebhookRefused,
    platform_time,
)

CREDENTIALS = ("client_id", "client_secret", "refresh_token")
SETTINGS = {
    "marketplace_id": "the marketplace whose orders and listings are read (A1PA6795UKMFR9)",
    "seller_id": "the seller (merchant token) whose listings are set",
    "prices_include_tax": "optional: true where Amazon's prices include VAT (EU, UK, IN)",
    "sku_map": "optional: {seller SKU: our SKU} where they differ",
    "token_url": "optional: the Login with Amazon token endpoint",
}
PLACE = frozenset({"Unshipped", "PartiallyShipped"})
NOT_PAID = frozenset({"Pending", "PendingAvailability"})
PAID = PLACE | {"Shipped", "InvoiceUnconfirmed"}
CANCELED = "Canceled"
CENT = Decimal("0.01")
ORDERS = "/orders/v0/orders"
ITEM_NAMES = ("OrderItems", "SellerSKU", "QuantityOrdered")
BUYER_DATA = ["buyerInfo", "shippingAddress"]
# Amazon's carrierCode values for the carriers whose names we may be given; any other
# carrier is sent as "Other" with its name in carrierName.
CARRIERS = {c.lower(): c for c in (
    "UPS", "USPS", "FedEx", "DHL", "DHL eCommerce", "DPD", "GLS", "Hermes", "Royal Mail",
    "Parcelforce", "TNT", "Yodel", "Canada Post", "Deutsche Post", "La Poste",
    "Chronopost", "Colissimo", "Poste Italiane", "SDA", "BRT", "Correos", "SEUR", "MRW",
    "PostNL", "Australia Post", "Japan Post", "Yamato Transport", "BlueDart", "Delhivery",
    "DTDC", "India Post", "Ekart", "OnTrac", "Amazon Shipping")}


def check(credentials: Mapping[str, str], settings: dict[str, Any]) -> dict[str, Any]:
    errors = [(f"credentials.{name}", "required") for name in CREDENTIALS
              if not isinstance(credentials.get(name), str) or not credentials.get(name)]
    errors += [(f"credentials.{name}", "not an Amazon credential")
               for name in sorted(set(credentials) - set(CREDENTIALS))]
    errors += [(f"settings.{name}", "unknown setting")
               for name in sorted(set(settings) - set(SETTINGS))]
    for name in ("marketplace_id", "seller_id"):
        if not isinstance(settings.get(name), str) or not settings[name].strip():
            errors.append((f"settings.{name}", SETTINGS[name]))
    if not isinstance(settings.get("prices_include_tax", False), bool):
        errors.append(("settings.prices_include_tax", "true or false"))
    skus = settings.get("sku_map", {})
    if not isinstance(skus, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and k and v for k, v in skus.items()):
        errors.append(("settings.sku_map", "an object of seller SKU to our SKU"))
    url = settings.get("token_url")
    if url is not None and (not isinstance(url, str)
                            or not url.startswith(("https://", "http://"))):
        errors.append(("settings.token_url", "an http(s) URL"))
    if errors:
        raise PayloadInvalid(errors)
    return dict(settings)


def _amount(raw: Any, field: str, errors: list) -> Decimal:
    """An SP-API ``Money`` (``{"CurrencyCode", "Amount"}``); absent is zero."""
    if raw is None:
        return Decimal(0)
    return money(raw.get("Amount") if isinstance(raw, dict) else None, field, errors)


def _line(raw: Any, i: int, skus: Mapping[str, str], errors: list) -> ChannelLine | None:
    if (basics := line_item(raw, i, errors, ITEM_NAMES)) is None:
        return None
    field, seller_sku, quantity = basics
    item_id = text(raw.get("OrderItemId"))
    if item_id is None:
        errors.append((f"{field}.OrderItemId", "the order item has no id"))
    price = _amount(raw.get("ItemPrice"), f"{field}.ItemPrice.Amount", errors)
    discount = _amount(raw.get("PromotionDiscount"), f"{field}.PromotionDiscount.Amount",
                       errors)
    unit = price / quantity if quantity else Decimal(0)
    if unit != unit.quantize(CENT):
        errors.append((f"{field}.ItemPrice", "not a whole amount per unit"))
    if seller_sku is None or item_id is None or not quantity:
        return None
    return ChannelLine(item_id, skus.get(seller_sku, seller_sku), quantity,
                       unit.quantize(CENT), discount)


def parse_order(payload: Any, settings: Mapping[str, Any]) -> ChannelOrder:
    """An Orders API v0 ``Order`` with its ``OrderItems`` in our terms (a cancelled one
    needs no items: only its id is read)."""
    if not isinstance(payload, dict):
        raise PayloadInvalid([("body", "an Amazon order object")])
    errors: list[tuple[str, str]] = []
    order_id = text(payload.get("AmazonOrderId"))
    if order_id is None:
        errors.append(("AmazonOrderId", "the Amazon order id"))
    status = payload.get("OrderStatus")
    items = payload.get("OrderItems", [] if status == CANCELED else None)
    if not isinstance(items, list) or (not items and status != CANCELED):
        errors.append(("OrderItems", "at least one order item"))
        items = []
    skus = settings.get("sku_map") or {}
    lines = [line for i, raw in enumerate(items) if (line := _line(raw, i, skus, errors))]
    total = payload.get("OrderTotal") if isinstance(payload.get("OrderTotal"), dict) else {}
    first = items[0].get("ItemPrice") if items and isinstance(items[0], dict) else None
    currency = text(total.get("CurrencyCode")) or (
        text(first.get("CurrencyCode")) if isinstance(first, dict) else None)
    if status == CANCELED and currency is None:
        currency = "XXX"  # a cancelled order shows no total: only its id is read
    if currency is None or len(currency) != 3:
        errors.append(("OrderTotal.CurrencyCode", "an ISO 4217 code"))
    shipping = sum((_amount(raw.get("ShippingPrice"), f"OrderItems.{i}.ShippingPrice.Amount",
                            errors)
                    - _amount(raw.get("ShippingDiscount"),
                              f"OrderItems.{i}.ShippingDiscount.Amount", errors)
                    for i, raw in enumerate(items) if isinstance(raw, dict)), Decimal(0))
    if errors:
        raise PayloadInvalid(errors)
    buyer = payload.get("BuyerInfo") if isinstance(payload.get("BuyerInfo"), dict) else {}
    ship_to = payload.get("ShippingAddress") \
        if isinstance(payload.get("ShippingAddress"), dict) else None
    return ChannelOrder(
        external_id=order_id, name=order_id, currency=currency.upper(),
        taxes_included=settings.get("prices_include_tax") is True, lines=lines,
        shipping_price=max(shipping, Decimal(0)), email=text(buyer.get("BuyerEmail")),
        customer_name=text(buyer.get("BuyerName")),
        phone=text(ship_to.get("Phone")) if ship_to else None, customer_account_id=None,
        address=ChannelAddress(
            name=text(ship_to.get("Name")) or "", line1=text(ship_to.get("AddressLine1")) or "",
            city=text(ship_to.get("City")) or "",
            country=(text(ship_to.get("CountryCode")) or "").upper(),
            line2=" ".join(p for p in (text(ship_to.get("AddressLine2")),
                                       text(ship_to.get("AddressLine3"))) if p) or None,
            region=text(ship_to.get("StateOrRegion")),
            postal_code=text(ship_to.get("PostalCode"))) if ship_to else None,
        cancelled=status == CANCELED, paid=status in PAID)


def package_reference(shipment_id: str | None, notice: FulfilmentNotice) -> str:
    """A positive number for the package, the same for the same shipment of ours."""
    seed = shipment_id or f"{notice.external_id}/{notice.tracking_number}"
    return str(int(hashlib.sha256(seed.encode()).hexdigest()[:12], 16) % 999_999_999 + 1)


def confirmation_body(notice: FulfilmentNotice, marketplace_id: str) -> dict[str, Any]:
    quantities: dict[str, int] = {}
    for line in notice.lines:
        if line.platform_line_id:
            quantities[line.platform_line_id] = quantities.get(line.platform_line_id, 0) \
                + line.quantity
    carrier = (notice.carrier or "").strip()
    code = CARRIERS.get(carrier.lower(), "Other")
    shipped = (notice.shipped_at or datetime.now(UTC)).astimezone(UTC)
    package: dict[str, Any] = {
        "packageReferenceId": package_reference(notice.shipment_id, notice),
        "carrierCode": code, "trackingNumber": notice.tracking_number or "",
        "shipDate": shipped.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "orderItems": [{"orderItemId": i, "quantity": q} for i, q in quantities.items()]}
    if code == "Other":
        package["carrierName"] = carrier or "Other"
    return {"marketplaceId": marketplace_id, "packageDetail": package}


def stock_body(level: StockLevel) -> dict[str, Any]:
    return {"productType": level.listing.get("product_type") or "PRODUCT", "patches": [{
        "op": "replace", "path": "/attributes/fulfillment_availability",
        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": level.available}]}]}


class AmazonConnector:
    """The ``Connector`` of one Amazon seller in one marketplace."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.api = SellingPartner(account)
        self.marketplace = account.settings["marketplace_id"]
        self.seller = account.settings["seller_id"]

    def verify(self, headers: Mapping[str, str], raw: bytes) -> None:
        raise WebhookRefused("Amazon delivers no webhooks here: its orders are polled")

    def webhook_id(self, headers: Mapping[str, str]) -> str | None:
        return None

    def topic(self, headers: Mapping[str, str]) -> str:
        return ""

    def is_ping(self, headers: Mapping[str, str], raw: bytes) -> bool:
        return False

    def intent(self, topic: str, payload: Any) -> WebhookIntent | None:
        if not isinstance(payload, dict) or payload.get("FulfillmentChannel") == "AFN":
            return None
        status = payload.get("OrderStatus")
        if status in PLACE:
            return WebhookIntent.CREATE
        return WebhookIntent.CANCEL if status == CANCELED else None

    def ignored_because(self, topic: str, payload: Any) -> str | None:
        if not isinstance(payload, dict):
            return None
        if payload.get("FulfillmentChannel") == "AFN":
            return ("fulfilled by Amazon (AFN): Amazon ships it from its own stock, "
                    "ordermesh does not place it")
        status = payload.get("OrderStatus")
        if status in NOT_PAID:
            return (f"{status}: Amazon has not taken the buyer's payment yet; placed when "
                    "a later poll finds it Unshipped")
        return f"{status}: an update of the Amazon order ordermesh takes no action on"

    def parse_order(self, payload: Any) -> ChannelOrder:
        return parse_order(payload, self.account.settings)

    def listings(self, client: httpx.Client) -> dict[str, dict[str, Any]]:
        skus = self.account.settings.get("sku_map") or {}
        found: dict[str, dict[str, Any]] = {}
        params: dict[str, Any] = {"marketplaceIds": self.marketplace,
                                  "includedData": "summaries", "pageSize": 20}
        while True:
            try:
                page = self.api.call(client, "GET", f"/listings/2021-08-01/items/"
                                     f"{quote(self.seller, safe='')}", params=params).json()
            except Refused as exc:
                raise httpx.HTTPError(f"listings: {exc.result.status_code} {exc}") from exc
            for item in page.get("items", []):
                if seller_sku := text(item.get("sku")):
                    summary = next(iter(item.get("summaries") or []), {})
                    found[skus.get(seller_sku, seller_sku)] = {
                        "seller_sku": seller_sku, "asin": summary.get("asin"),
                        "product_type": summary.get("productType")}
            token = (page.get("pagination") or {}).get("nextToken")
            if not token:
                return found
            params = {**params, "pageToken": token}

    def _items(self, client: httpx.Client, order_id: str) -> list[dict]:
        items: list[dict] = []
        params: dict[str, Any] | None = None
        while True:
            page = self.api.call(client, "GET", f"{ORDERS}/{quote(order_id, safe='')}"
                                 "/orderItems", params=params).json().get("payload") or {}
            items += [i for i in page.get("OrderItems") or [] if isinstance(i, dict)]
            if not page.get("NextToken"):
                return items
            params = {"NextToken": page["NextToken"]}

    def poll_orders(self, client: httpx.Client, since: datetime, cursor: str | None,
                    page_size: int) -> PolledPage:
        params: dict[str, Any] = {"MarketplaceIds": self.marketplace}
        if cursor is None:
            params |= {"LastUpdatedAfter": since.astimezone(UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"), "MaxResultsPerPage": max(1, min(page_size, 100))}
        else:
            params["NextToken"] = cursor
        try:
            body = self.api.call(client, "GET", ORDERS, params=params, token=lambda: (
                self.api.restricted_token(client, ORDERS, BUYER_DATA))).json()
            page = body.get("payload") if isinstance(body, dict) else None
            orders = page.get("Orders") if isinstance(page, dict) else None
            if not isinstance(orders, list) or not all(isinstance(o, dict) for o in orders):
                return PolledPage(CallResult(None, "the answer is not a list of orders"))
            polled = []
            for order in orders:
                order_id = text(order.get("AmazonOrderId"))
                if order_id and self.intent("", order) is WebhookIntent.CREATE:
                    order = {**order, "OrderItems": self._items(client, order_id)}
                polled.append(PolledOrder(
                    str(order.get("LastUpdateDate") or order.get("PurchaseDate")),
                    f"{order.get('FulfillmentChannel')}:{order.get('OrderStatus')}"[:60],
                    order, platform_time(order.get("PurchaseDate")), order_id))
        except Refused as exc:
            return PolledPage(exc.result)
        except ValueError:
            return PolledPage(CallResult(None, "Amazon's answer is not JSON"))
        return PolledPage(CallResult(200), polled, text(page.get("NextToken")))

    def push_stock(self, client: httpx.Client, level: StockLevel) -> CallResult:
        sku = quote(str(level.listing.get("seller_sku") or level.sku), safe="")
        try:
            response = self.api.call(
                client, "PATCH", f"/listings/2021-08-01/items/{quote(self.seller, safe='')}"
                f"/{sku}", params={"marketplaceIds": self.marketplace},
                json=stock_body(level))
        except Refused as exc:
            return exc.result
        said = response.json() if response.content else {}
        if said.get("status") == "INVALID":
            issues = "; ".join(f"{i.get('code')}: {i.get('message')}"
                               for i in said.get("issues") or [])
            return CallResult(400, f"INVALID: {issues}"[:300])
        return CallResult(response.status_code)

    def push_fulfilment(self, client: httpx.Client, notice: FulfilmentNotice) -> CallResult:
        body = confirmation_body(notice, self.marketplace)
        if not body["packageDetail"]["orderItems"]:
            return CallResult(None, "no Amazon order item of the shipment is known",
                              give_up=True)
        try:
            response = self.api.call(client, "POST", f"{ORDERS}/"
                                     f"{quote(notice.external_id, safe='')}"
                                     "/shipmentConfirmation", json=body)
        except Refused as exc:
            return exc.result
        return CallResult(response.status_code)

    def push_cancellation(self, client: httpx.Client, external_id: str,
                          reason: str | None) -> CallResult:
        return CallResult(None, "Amazon's Orders API cannot cancel an order: cancel it in "
                          "Seller Central", give_up=True)

    def push_refund(self, client: httpx.Client, notice: RefundNotice) -> CallResult:
        return CallResult(None, "Amazon's Orders API cannot refund an order: refund it in "
                          "Seller Central", give_up=True)
