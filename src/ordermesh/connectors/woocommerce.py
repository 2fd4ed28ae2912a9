"""WooCommerce: orders in by the ``order.created`` and ``order.updated`` webhooks, stock
levels, shipment notes and cancellations out through the REST API v3.

Webhooks are signed ``X-WC-Webhook-Signature: base64(HMAC-SHA256(secret, raw body))``
and name the topic in ``X-WC-Webhook-Topic``; each delivery has its own
``X-WC-Webhook-Delivery-ID`` (WooCommerce does not resend one), so a repeated order is
recognised by its order id, as placement keys it. When a webhook is saved WooCommerce
tests the address with an unsigned form body ``webhook_id=<n>``: answered 200, nothing
read or written. The REST API (``/wp-json/wc/v3``) authenticates with the consumer key
and secret by HTTP Basic:

* ``GET products?per_page=100&page=n`` (``X-WP-TotalPages``): each simple product's SKU
  and id, and for a variable product ``GET products/<id>/variations`` (paged the same
  way): each variation's SKU and id;
* ``GET orders?modified_after=<time>&dates_are_gmt=true&orderby=id&order=asc&per_page=n
  &page=p`` (``X-WP-TotalPages``): orders a webhook may have missed, read as the
  webhook their state would have come with. Ordered by their fixed id, a page cannot
  lose an order to one changed on an earlier page while the pages are walked;
* ``PUT products/<id>`` (a variation: ``PUT products/<id>/variations/<variation id>``)
  ``{"manage_stock": true, "stock_quantity": n}``;
* a shipment: ``GET orders/<id>/notes``, then ``POST orders/<id>/notes`` with the
  carrier, tracking number and link as a note to the customer (unless the same note is
  there: a retry adds none), and ``PUT orders/<id>`` ``{"status": "completed"}`` once
  nothing is left to ship (WooCommerce itself keeps no tracking numbers);
* ``PUT orders/<id>`` ``{"status": "cancelled"}``;
* a refund: ``GET orders/<id>/refunds`` (one whose reason names ours is there already:
  nothing sent), then ``POST orders/<id>/refunds`` with the ``amount``, the refunded
  ``line_items`` (``refund_total`` without tax) and ``api_refund: false``: WooCommerce
  records the refund and does not ask its payment gateway to move money again.

An order is placed when its status is ``processing``, ``on-hold`` (awaiting a bank
transfer or a cheque) or ``completed``, by ``order.created`` or by the ``order.updated``
that brings it there (a repeat of a placed order is ``already_placed``); ``pending``
(not paid yet: WooCommerce creates the order before the buyer pays), ``failed`` and
``checkout-draft`` are recorded as ignored with that reason. It is paid
(``ChannelOrder.paid``) when ``processing`` or ``completed`` with a ``date_paid``: a
cash-on-delivery order is ``processing`` without one, and owes its total here. Each line
is matched by the SKU WooCommerce copies into it (a variation's own SKU, or its parent's
when it has none).

Line prices are the line's ``subtotal`` (and ``subtotal_tax`` when the shop's prices
include tax) per unit; ``subtotal`` less ``total`` is the line's discount.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

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

CREDENTIALS = ("consumer_key", "consumer_secret", "webhook_secret")
SETTINGS = {"tracking_url_template": "optional: a tracking link, {number} is replaced"}
PING = re.compile(rb"webhook_id=\d+")
PLACED = frozenset({"processing", "on-hold", "completed"})  # a buyer's order to fill
PAID = frozenset({"processing", "completed"})  # ... paid, when ``date_paid`` says so too
NOT_PAID = {"pending": "the buyer has not paid yet", "failed": "the payment failed",
            "checkout-draft": "the buyer is still in the checkout"}
CENT = Decimal("0.01")


def check(credentials: Mapping[str, str], settings: dict[str, Any]) -> dict[str, Any]:
    errors = [(f"credentials.{name}", "required") for name in CREDENTIALS
              if not isinstance(credentials.get(name), str) or not credentials.get(name)]
    errors += [(f"credentials.{name}", "not a WooCommerce credential")
               for name in sorted(set(credentials) - set(CREDENTIALS))]
    errors += [(f"settings.{name}", "unknown setting")
               for name in sorted(set(settings) - set(SETTINGS))]
    template = settings.get("tracking_url_template")
    if template is not None and (not isinstance(template, str) or "{number}" not in template):
        errors.append(("settings.tracking_url_template", "a URL containing {number}"))
    if errors:
        raise PayloadInvalid(errors)
    return dict(settings)


def _per_unit(gross: Decimal, quantity: int, field: str, errors: list) -> Decimal:
    unit = gross / quantity if quantity > 0 else Decimal(0)
    if unit != unit.quantize(CENT):
        errors.append((field, "the line's subtotal is not a whole amount per unit"))
    return unit.quantize(CENT)


def _line(raw: Any, i: int, with_tax: bool, errors: list) -> ChannelLine | None:
    if (basics := line_item(raw, i, errors)) is None:
        return None
    field, sku, quantity = basics
    subtotal = money(raw.get("subtotal"), f"{field}.subtotal", errors)
    total = money(raw.get("total"), f"{field}.total", errors)
    if with_tax:
        subtotal += money(raw.get("subtotal_tax", "0"), f"{field}.subtotal_tax", errors)
        total += money(raw.get("total_tax", "0"), f"{field}.total_tax", errors)
    unit = _per_unit(subtotal, quantity, f"{field}.subtotal", errors)
    if sku is None or raw.get("id") is None or not quantity:
        return None
    return ChannelLine(str(raw["id"]), sku, quantity, unit, max(subtotal - total, Decimal(0)))


def parse_order(payload: Any) -> ChannelOrder:
    """A WooCommerce order (REST API v3, the body of ``order.created``) in our terms."""
    if not isinstance(payload, dict):
        raise PayloadInvalid([("body", "a WooCommerce order object")])
    errors: list[tuple[str, str]] = []
    if not isinstance(payload.get("id"), int) or isinstance(payload.get("id"), bool):
        errors.append(("id", "the WooCommerce order id"))
    currency = text(payload.get("currency"))
    if currency is None or len(currency) != 3:
        errors.append(("currency", "an ISO 4217 code"))
    with_tax = payload.get("prices_include_tax") is True
    items = payload.get("line_items")
    if not isinstance(items, list) or not items:
        errors.append(("line_items", "at least one line item"))
        items = []
    lines = [line for i, raw in enumerate(items) if (line := _line(raw, i, with_tax, errors))]
    shipping = money(payload.get("shipping_total", "0"), "shipping_total", errors)
    if with_tax:
        shipping += money(payload.get("shipping_tax", "0"), "shipping_tax", errors)
    if errors:
        raise PayloadInvalid(errors)
    billing = payload.get("billing") if isinstance(payload.get("billing"), dict) else {}
    ship_to = payload.get("shipping") if isinstance(payload.get("shipping"), dict) else {}
    name = " ".join(p for p in (text(billing.get("first_name")),
                                text(billing.get("last_name"))) if p) or None
    ship_name = " ".join(p for p in (text(ship_to.get("first_name")),
                                     text(ship_to.get("last_name"))) if p)
    customer = payload.get("customer_id")
    return ChannelOrder(
        external_id=str(payload["id"]), name=f"#{text(payload.get('number')) or payload['id']}",
        currency=currency.upper(), taxes_included=with_tax, lines=lines,
        shipping_price=shipping, email=text(billing.get("email")), customer_name=name,
        phone=text(billing.get("phone")),
        customer_account_id=str(customer) if isinstance(customer, int) and customer else None,
        address=ChannelAddress(
            name=ship_name, line1=text(ship_to.get("address_1")) or "",
            city=text(ship_to.get("city")) or "",
            country=(text(ship_to.get("country")) or "").upper(),
            line2=text(ship_to.get("address_2")), region=text(ship_to.get("state")),
            postal_code=text(ship_to.get("postcode"))) if ship_to else None,
        cancelled=payload.get("status") == "cancelled",
        paid=payload.get("status") in PAID and bool(text(payload.get("date_paid_gmt"))
                                                    or text(payload.get("date_paid"))))


def shipment_note(notice: FulfilmentNotice) -> str:
    what = ", ".join(f"{line.quantity} x {line.sku}" for line in notice.lines)
    carrier = f" with {notice.carrier}" if notice.carrier else ""
    number = f", tracking number {notice.tracking_number}" if notice.tracking_number else ""
    link = f": {notice.tracking_url}" if notice.tracking_url else ""
    return f"Shipped{carrier}{number}{link} ({what})"


class WooCommerceConnector(SignedWebhooks):
    """The ``Connector`` of one WooCommerce shop."""

    signature_header = "x-wc-webhook-signature"
    delivery_header = "x-wc-webhook-delivery-id"
    topic_header = "x-wc-webhook-topic"

    def __init__(self, account: Account) -> None:
        self.account = account
        self.api = f"{account.base_url}/wp-json/wc/v3"
        self.auth = (account.credentials["consumer_key"],
                     account.credentials["consumer_secret"])

    def is_ping(self, headers: Mapping[str, str], raw: bytes) -> bool:
        return "x-wc-webhook-signature" not in headers and PING.fullmatch(raw) is not None

    def intent(self, topic: str, payload: Any) -> WebhookIntent | None:
        if topic not in ("order.created", "order.updated") or not isinstance(payload, dict):
            return None
        status = payload.get("status")
        if topic == "order.updated" and status == "cancelled":
            return WebhookIntent.CANCEL
        return WebhookIntent.CREATE if status in PLACED else None

    def ignored_because(self, topic: str, payload: Any) -> str | None:
        status = payload.get("status") if isinstance(payload, dict) else None
        if status in NOT_PAID:
            return (f"{status}: {NOT_PAID[status]}; placed when WooCommerce reports it "
                    "processing or on-hold")
        return None

    def parse_order(self, payload: Any) -> ChannelOrder:
        return parse_order(payload)

    def _pages(self, client: httpx.Client, path: str) -> list[dict]:
        """Every object of a paged list (``X-WP-TotalPages``)."""
        found: list[dict] = []
        page, pages = 1, 1
        while page <= pages:
            response = client.get(f"{self.api}/{path}", auth=self.auth,
                                  params={"per_page": 100, "page": page})
            response.raise_for_status()
            found += [o for o in response.json() if isinstance(o, dict)]
            pages = int(response.headers.get("x-wp-totalpages", "1"))
            page += 1
        return found

    def listings(self, client: httpx.Client) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for product in self._pages(client, "products"):
            if (sku := text(product.get("sku"))) and product.get("type") == "simple":
                found[sku] = {"product_id": product["id"]}
            elif product.get("type") == "variable":
                for variation in self._pages(client, f"products/{product['id']}/variations"):
                    if sku := text(variation.get("sku")):
                        found[sku] = {"product_id": product["id"],
                                      "variation_id": variation["id"]}
        return found

    def poll_orders(self, client: httpx.Client, since: datetime, cursor: str | None,
                    page_size: int) -> PolledPage:
        page = int(cursor) if cursor and cursor.isdigit() else 1
        params = {"modified_after": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                  "dates_are_gmt": "true", "orderby": "id", "order": "asc",
                  "per_page": min(page_size, 100), "page": page}
        try:
            response = client.get(f"{self.api}/orders", auth=self.auth, params=params)
        except httpx.HTTPError as exc:
            return PolledPage(failure(exc))
        if not response.is_success:
            return PolledPage(result(response))
        orders = list_in(response)
        if orders is None:
            return PolledPage(CallResult(None, "the answer is not a list of orders"))
        try:
            pages = int(response.headers.get("x-wp-totalpages", "1"))
        except ValueError:
            pages = 1
        return PolledPage(result(response), [
            PolledOrder(str(o.get("date_modified_gmt") or o.get("date_created_gmt")),
                        "order.updated" if o.get("status") == "cancelled" else "order.created",
                        o, platform_time(o.get("date_created_gmt")))
            for o in orders], str(page + 1) if page < pages else None)

    def push_stock(self, client: httpx.Client, level: StockLevel) -> CallResult:
        try:
            product = f"{self.api}/products/{level.listing['product_id']}"
            if level.listing.get("variation_id"):
                product += f"/variations/{level.listing['variation_id']}"
            return result(client.put(product, auth=self.auth, json={
                "manage_stock": True, "stock_quantity": level.available}))
        except httpx.HTTPError as exc:
            return failure(exc)

    def push_fulfilment(self, client: httpx.Client, notice: FulfilmentNotice) -> CallResult:
        order = f"{self.api}/orders/{notice.external_id}"
        note = shipment_note(notice)
        try:
            notes = client.get(f"{order}/notes", auth=self.auth)
            if not notes.is_success:
                return result(notes)
            if not any(n.get("note") == note for n in notes.json()):
                added = client.post(f"{order}/notes", auth=self.auth,
                                    json={"note": note, "customer_note": True})
                if not added.is_success:
                    return result(added)
            if not notice.complete:
                return CallResult(201, None)
            return result(client.put(order, auth=self.auth, json={"status": "completed"}))
        except httpx.HTTPError as exc:
            return failure(exc)

    def push_cancellation(self, client: httpx.Client, external_id: str,
                          reason: str | None) -> CallResult:
        try:
            return result(client.put(f"{self.api}/orders/{external_id}", auth=self.auth,
                                     json={"status": "cancelled"}))
        except httpx.HTTPError as exc:
            return failure(exc)

    def push_refund(self, client: httpx.Client, notice: RefundNotice) -> CallResult:
        refunds = f"{self.api}/orders/{notice.external_id}/refunds"
        try:
            made = client.get(refunds, auth=self.auth)
            if not made.is_success:
                return result(made)
            if any(r.get("reason") == notice.note for r in made.json()):
                return CallResult(made.status_code, "refunded in WooCommerce already")
            body = {"amount": f"{notice.amount:.2f}", "reason": notice.note,
                    "api_refund": False,
                    "line_items": [{"id": int(ln.platform_line_id), "quantity": ln.quantity,
                                    "refund_total": f"{ln.amount - ln.tax:.2f}"}
                                   for ln in notice.lines if ln.platform_line_id.isdigit()]}
            return result(client.post(refunds, auth=self.auth, json=body))
        except httpx.HTTPError as exc:
            return failure(exc)
