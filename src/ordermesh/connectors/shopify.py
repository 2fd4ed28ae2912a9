"""Shopify: orders in by the ``orders/create`` and ``orders/cancelled`` webhooks, stock
levels, fulfilments with tracking and cancellations out through the Admin REST API.

Webhooks are signed ``X-Shopify-Hmac-Sha256: base64(HMAC-SHA256(app secret, raw body))``
and carry ``X-Shopify-Webhook-Id`` (the same on every retry of one delivery) and
``X-Shopify-Topic``. Admin calls authenticate with ``X-Shopify-Access-Token`` under
``/admin/api/<version>/``:

* ``GET products.json?fields=id,variants`` (paged by the ``Link`` header): each variant's
  SKU and ``inventory_item_id``;
* ``GET orders.json?updated_at_min=<time>&status=any&limit=n`` (paged by the ``Link``
  header's ``page_info`` cursor; a cursor page takes only ``limit``): orders a webhook
  may have missed, each read as the webhook its state would have come with;
* ``POST inventory_levels/set.json`` ``{location_id, inventory_item_id, available}``;
* ``GET orders/<id>/fulfillment_orders.json`` then ``POST fulfillments.json`` with
  ``line_items_by_fulfillment_order`` and ``tracking_info {number, company, url}``; only
  what is still fulfillable is sent, so a retry after a lost answer sends nothing twice;
* ``POST orders/<id>/cancel.json``;
* a refund: ``GET orders/<id>/refunds.json`` (a refund whose note names ours is there
  already: nothing sent), ``GET orders/<id>/transactions.json`` for the captured sale it
  refunds, then ``POST orders/<id>/refunds.json`` with ``refund_line_items`` (no
  restock: ordermesh sets Shopify's stock), the ``transactions`` that give the money
  back (none when Shopify took none) and ``notify: false`` (ordermesh e-mails the
  customer about the refund itself).

An order's ``financial_status: paid`` is read as ``ChannelOrder.paid``: the money was
taken in Shopify (``flows.channel_payments`` records it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from ordermesh.connectors.common import (
    SignedWebhooks,
    failure,
    line_item,
    list_in,
    money,
    result,
    text,
)
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
    platform_time,
)

API_VERSION = "2024-10"
CREDENTIALS = ("access_token", "webhook_secret")
SETTINGS = {"location_id": "the Shopify location whose stock we set",
            "api_version": f"Admin API version (default {API_VERSION})",
            "tracking_url_template": "optional: a tracking link, {number} is replaced"}
OPEN_FULFILMENT_ORDERS = frozenset({"open", "in_progress"})
TAKEN = frozenset({"sale", "capture"})  # transactions that moved the buyer's money to the shop


def check(credentials: Mapping[str, str], settings: dict[str, Any]) -> dict[str, Any]:
    """The settings as stored; names what is missing or wrong."""
    errors = [(f"credentials.{name}", "required") for name in CREDENTIALS
              if not isinstance(credentials.get(name), str) or not credentials.get(name)]
    unknown = sorted(set(credentials) - set(CREDENTIALS))
    errors += [(f"credentials.{name}", "not a Shopify credential") for name in unknown]
    location = settings.get("location_id")
    if not isinstance(location, int) or isinstance(location, bool) or location <= 0:
        errors.append(("settings.location_id", "the Shopify location id (a positive integer)"))
    errors += [(f"settings.{name}", "unknown setting") for name in sorted(set(settings)
                                                                          - set(SETTINGS))]
    template = settings.get("tracking_url_template")
    if template is not None and (not isinstance(template, str) or "{number}" not in template):
        errors.append(("settings.tracking_url_template", "a URL containing {number}"))
    if errors:
        raise PayloadInvalid(errors)
    return {"api_version": API_VERSION, **settings}


def _address(raw: Any) -> ChannelAddress | None:
    if not isinstance(raw, dict):
        return None
    name = text(raw.get("name")) or " ".join(
        p for p in (text(raw.get("first_name")), text(raw.get("last_name"))) if p)
    return ChannelAddress(name=name or "", line1=text(raw.get("address1")) or "",
                          city=text(raw.get("city")) or "",
                          country=(text(raw.get("country_code")) or "").upper(),
                          line2=text(raw.get("address2")),
                          region=text(raw.get("province_code")),
                          postal_code=text(raw.get("zip")))


def _line(raw: Any, i: int, errors: list[tuple[str, str]]) -> ChannelLine | None:
    if (basics := line_item(raw, i, errors)) is None:
        return None
    field, sku, quantity = basics
    price = money(raw.get("price"), f"{field}.price", errors)
    discount = sum((money(d.get("amount") if isinstance(d, dict) else None,
                           f"{field}.discount_allocations.{j}.amount", errors)
                    for j, d in enumerate(raw.get("discount_allocations") or [])), Decimal(0))
    if sku is None or raw.get("id") is None:
        return None
    return ChannelLine(str(raw["id"]), sku, quantity, price, discount)


def parse_order(payload: Any) -> ChannelOrder:
    """A Shopify order resource (the body of ``orders/create``) in our terms."""
    if not isinstance(payload, dict):
        raise PayloadInvalid([("body", "a Shopify order object")])
    errors: list[tuple[str, str]] = []
    if not isinstance(payload.get("id"), int | str) or isinstance(payload.get("id"), bool):
        errors.append(("id", "the Shopify order id"))
    currency = text(payload.get("currency"))
    if currency is None or len(currency) != 3:
        errors.append(("currency", "an ISO 4217 code"))
    items = payload.get("line_items")
    if not isinstance(items, list) or not items:
        errors.append(("line_items", "at least one line item"))
        items = []
    lines = [line for i, raw in enumerate(items) if (line := _line(raw, i, errors))]
    shipping = sum((money(s.get("discounted_price", s.get("price")) if isinstance(s, dict)
                           else None, f"shipping_lines.{j}.price", errors)
                    for j, s in enumerate(payload.get("shipping_lines") or [])), Decimal(0))
    if errors:
        raise PayloadInvalid(errors)
    customer = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}
    email = text(payload.get("email")) or text(payload.get("contact_email")) \
        or text(customer.get("email"))
    name = " ".join(p for p in (text(customer.get("first_name")),
                                text(customer.get("last_name"))) if p) or None
    return ChannelOrder(
        external_id=str(payload["id"]), name=text(payload.get("name")) or str(payload["id"]),
        currency=currency.upper(), taxes_included=payload.get("taxes_included") is True,
        lines=lines, shipping_price=shipping, email=email, customer_name=name,
        phone=text(payload.get("phone")) or text(customer.get("phone")),
        customer_account_id=str(customer["id"]) if customer.get("id") is not None else None,
        address=_address(payload.get("shipping_address")),
        cancelled=payload.get("cancelled_at") is not None,
        paid=payload.get("financial_status") == "paid")


class ShopifyConnector(SignedWebhooks):
    """The ``Connector`` of one Shopify shop."""

    signature_header = "x-shopify-hmac-sha256"
    delivery_header = "x-shopify-webhook-id"
    topic_header = "x-shopify-topic"

    def __init__(self, account: Account) -> None:
        self.account = account
        version = account.settings.get("api_version", API_VERSION)
        self.api = f"{account.base_url}/admin/api/{version}"
        self.headers = {"X-Shopify-Access-Token": account.credentials["access_token"],
                        "Accept": "application/json"}

    def is_ping(self, headers: Mapping[str, str], raw: bytes) -> bool:
        return False  # Shopify tests an address with a signed delivery

    def intent(self, topic: str, payload: Any) -> WebhookIntent | None:
        return {"orders/create": WebhookIntent.CREATE,
                "orders/cancelled": WebhookIntent.CANCEL}.get(topic)

    def parse_order(self, payload: Any) -> ChannelOrder:
        return parse_order(payload)

    def listings(self, client: httpx.Client) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        url: str | None = f"{self.api}/products.json"
        params: dict[str, Any] | None = {"limit": 250, "fields": "id,variants"}
        while url:
            response = client.get(url, params=params, headers=self.headers)
            response.raise_for_status()
            for product in response.json().get("products", []):
                for variant in product.get("variants", []):
                    if sku := text(variant.get("sku")):
                        found[sku] = {"inventory_item_id": variant["inventory_item_id"],
                                      "variant_id": variant["id"]}
            url, params = response.links.get("next", {}).get("url"), None
        return found

    def poll_orders(self, client: httpx.Client, since: datetime, cursor: str | None,
                    page_size: int) -> PolledPage:
        params: dict[str, Any] = {"limit": min(page_size, 250)}
        if cursor is None:
            params |= {"updated_at_min": since.isoformat(timespec="seconds"), "status": "any"}
        else:
            params["page_info"] = cursor
        try:
            response = client.get(f"{self.api}/orders.json", params=params,
                                  headers=self.headers)
        except httpx.HTTPError as exc:
            return PolledPage(failure(exc))
        if not response.is_success:
            return PolledPage(result(response))
        orders = list_in(response, "orders")
        if orders is None:
            return PolledPage(CallResult(None, "the answer is not a list of orders"))
        next_url = response.links.get("next", {}).get("url")
        next_cursor = parse_qs(urlsplit(next_url).query).get("page_info", [None])[0] \
            if next_url else None
        return PolledPage(result(response), [
            PolledOrder(str(o.get("updated_at") or o.get("created_at")),
                        "orders/cancelled" if o.get("cancelled_at") else "orders/create", o,
                        platform_time(o.get("created_at")))
            for o in orders], next_cursor)

    def push_stock(self, client: httpx.Client, level: StockLevel) -> CallResult:
        body = {"location_id": self.account.settings["location_id"],
                "inventory_item_id": level.listing["inventory_item_id"],
                "available": level.available}
        try:
            return result(client.post(f"{self.api}/inventory_levels/set.json", json=body,
                                       headers=self.headers))
        except httpx.HTTPError as exc:
            return failure(exc)

    def fulfilment_body(self, notice: FulfilmentNotice, fulfillment_orders: list[dict]
                        ) -> dict | None:
        """The ``fulfillments.json`` body for what is still fulfillable of ``notice``'s
        lines; None when nothing is (sent before, or fulfilled in Shopify)."""
        wanted: dict[str, int] = {}
        for line in notice.lines:
            wanted[line.platform_line_id] = wanted.get(line.platform_line_id, 0) + line.quantity
        groups = []
        for fo in fulfillment_orders:
            if fo.get("status") not in OPEN_FULFILMENT_ORDERS:
                continue
            items = []
            for item in fo.get("line_items", []):
                key = str(item.get("line_item_id"))
                take = min(wanted.get(key, 0), int(item.get("fulfillable_quantity") or 0))
                if take > 0:
                    items.append({"id": item["id"], "quantity": take})
                    wanted[key] -= take
            if items:
                groups.append({"fulfillment_order_id": fo["id"],
                               "fulfillment_order_line_items": items})
        if not groups:
            return None
        tracking = {"number": notice.tracking_number, "company": notice.carrier,
                    "url": notice.tracking_url}
        return {"fulfillment": {"line_items_by_fulfillment_order": groups,
                                "tracking_info": {k: v for k, v in tracking.items() if v},
                                "notify_customer": True}}

    def push_fulfilment(self, client: httpx.Client, notice: FulfilmentNotice) -> CallResult:
        try:
            listed = client.get(f"{self.api}/orders/{notice.external_id}/fulfillment_orders.json",
                                headers=self.headers)
            if not listed.is_success:
                return result(listed)
            body = self.fulfilment_body(notice, listed.json().get("fulfillment_orders", []))
            if body is None:
                return CallResult(listed.status_code, "nothing left to fulfil in Shopify")
            return result(client.post(f"{self.api}/fulfillments.json", json=body,
                                       headers=self.headers))
        except httpx.HTTPError as exc:
            return failure(exc)

    def push_cancellation(self, client: httpx.Client, external_id: str,
                          reason: str | None) -> CallResult:
        body = {"reason": "other"}  # Shopify knows customer, fraud, inventory, declined, other
        try:
            return result(client.post(f"{self.api}/orders/{external_id}/cancel.json",
                                       json=body, headers=self.headers))
        except httpx.HTTPError as exc:
            return failure(exc)

    def refund_body(self, notice: RefundNotice, transactions: list[dict]) -> dict:
        """The ``refunds.json`` body: the amount given back against the captured sale (at
        most what it took), none when Shopify took no money for the order."""
        taken = [t for t in transactions
                 if t.get("kind") in TAKEN and t.get("status") == "success"]
        refund: dict[str, Any] = {
            "currency": notice.currency, "notify": False, "note": notice.note,
            "refund_line_items": [{"line_item_id": int(ln.platform_line_id),
                                   "quantity": ln.quantity, "restock_type": "no_restock"}
                                  for ln in notice.lines if ln.platform_line_id.isdigit()]}
        if taken:
            parent = taken[-1]
            amount = min(notice.amount, Decimal(str(parent.get("amount") or "0")))
            refund["transactions"] = [{"parent_id": parent["id"], "amount": f"{amount:.2f}",
                                       "kind": "refund", "gateway": parent.get("gateway")}]
        return {"refund": refund}

    def push_refund(self, client: httpx.Client, notice: RefundNotice) -> CallResult:
        order = f"{self.api}/orders/{notice.external_id}"
        try:
            made = client.get(f"{order}/refunds.json", headers=self.headers)
            if not made.is_success:
                return result(made)
            if any(notice.note == r.get("note") for r in made.json().get("refunds", [])):
                return CallResult(made.status_code, "refunded in Shopify already")
            paid = client.get(f"{order}/transactions.json", headers=self.headers)
            if not paid.is_success:
                return result(paid)
            body = self.refund_body(notice, paid.json().get("transactions", []))
            return result(client.post(f"{order}/refunds.json", json=body,
                                       headers=self.headers))
        except httpx.HTTPError as exc:
            return failure(exc)
