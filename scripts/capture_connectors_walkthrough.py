"""Write docs/connectors.md: a Shopify shop connected, an order in by its signed webhook,
a refusal, stock levels and a fulfilment with tracking out, and the same with WooCommerce,
captured by running them.

Like the other capture scripts (``capture_examples.Recorder``): a fresh SQLite database,
the app as the server builds it, every exchange printed as Markdown with the prose
around it. The Shopify side is the simulated shop of the tests (``tests/fake_shopify.py``,
a real HTTP server in a thread with Shopify's Admin REST paths and bodies); the requests
the worker sent it are printed as it received them. Stops with an AssertionError when the
app behaves otherwise.

    .venv/bin/python scripts/capture_connectors_walkthrough.py > docs/connectors.md
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from capture_connectors_amazon import amazon_section
from capture_connectors_polling import poll_page, woo_poll
from capture_examples import ADMIN_KEY, Recorder
from tests.fake_shopify import (
    LOCATION_ID,
    TOKEN,
    WEBHOOK_SECRET,
    FakeShopify,
    running_shopify,
    shopify_order,
    webhook_headers,
)
from tests.fake_woocommerce import KEY as WOO_KEY
from tests.fake_woocommerce import SECRET as WOO_SECRET
from tests.fake_woocommerce import WEBHOOK_SECRET as WOO_WEBHOOK_SECRET
from tests.fake_woocommerce import FakeWoo, running_woo, woo_order
from tests.fake_woocommerce import webhook_headers as woo_headers

from ordermesh.app import create_app
from ordermesh.bootstrap import build_container
from ordermesh.flows.channel_jobs import ConnectorPushes, ConnectorSync
from ordermesh.kit.clock import FixedClock
from ordermesh.migrations import upgrade
from ordermesh.settings import Settings

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SHOP = "https://ordermesh-test.myshopify.com"


def quiet(client: TestClient, method: str, path: str, body: dict | None = None) -> dict:
    response = client.request(method, path, json=body,
                              headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert response.status_code < 300, response.text
    return response.json() if response.content else {}


def shown(shop: FakeShopify | FakeWoo, since: int) -> int:
    """Print what the simulated shop received since request ``since``, and answered."""
    for seen in shop.seen[since:]:
        query = "&".join(f"{k}={v[0]}" for k, v in getattr(seen, "query", {}).items())
        print("```http")
        print(f"{seen.method} {seen.path}{'?' + query if query else ''} HTTP/1.1")
        print("X-Shopify-Access-Token: <access_token>" if isinstance(shop, FakeShopify)
              else "Authorization: Basic <consumer_key:consumer_secret>")
        if seen.body is not None:
            print("Content-Type: application/json\n")
            print(json.dumps(seen.body, indent=2))
        print("```\n")
        print("```http")
        print(f"HTTP/1.1 {seen.status}\n")
        print(json.dumps(seen.answer, indent=2))
        print("```\n")
    return len(shop.seen)


def webhook(rec: Recorder, label: str, order: dict, webhook_id: str,
            topic: str = "orders/create") -> dict:
    raw = json.dumps(order).encode()
    headers = webhook_headers(raw, webhook_id, topic)
    headers.pop("Content-Type")
    return rec.call(label, "POST", "/api/v1/connectors/shop-eu/webhooks", auth=None,
                    raw=raw, headers={"Content-Type": "application/json", **headers},
                    show_body=False)


INTRO = """# Channel connectors: Shopify, WooCommerce and Amazon

A connector joins one shop on a platform to one of our channels. Orders come in by the
platform's signed webhooks (Amazon's only by polling), and by polling the platform for
what a webhook missed, and
are placed through the same placement as `POST /api/v1/orders`; what the platform must
hear back (the channel's available-to-sell per SKU, each shipment with its tracking, our
cancellations and refunds) is recorded as an intent in the transaction that caused it
and sent afterwards by the worker, each call with a timeout and retried with backoff.
Shopify, WooCommerce and Amazon (the Selling Partner API, [below](#amazon)) are
connected; every platform speaks through one interface, `connectors.model.Connector`
(`verify`, `intent`, `ignored_because`, `parse_order`, `poll_orders`, `listings`,
`push_stock`, `push_fulfilment`, `push_cancellation`, `push_refund`).

The examples below were captured by running `scripts/capture_connectors_walkthrough.py`
against the simulated Shopify of the tests (Shopify's Admin REST API 2024-10 paths and
bodies); only the shop's address is replaced by `https://ordermesh-test.myshopify.com`.

## How it works

* **In.** `POST /api/v1/connectors/{code}/webhooks` takes Shopify's `orders/create` and
  `orders/cancelled`. The signature `X-Shopify-Hmac-Sha256` (base64 of the HMAC-SHA256
  of the raw body with the app's secret) is checked before any write transaction is
  opened: a wrong or missing one, or an unknown connector, is `401` and nothing is
  written. A body that is not a Shopify order is `422`, nothing written. Each delivery is
  taken once per `X-Shopify-Webhook-Id` (a repeat is answered with the first outcome,
  `replayed: true`), and each Shopify order is placed once (placement is unique per
  channel and external id, the Shopify order id): a second delivery of the same order
  is `already_placed`.
* **Mapping.** `line_items` (`sku`, `quantity`, `price`, `discount_allocations`) become
  our lines at Shopify's prices, `shipping_lines` the shipping charge, `shipping_address`
  the address, the `customer` and `email` the customer; `currency` must be the channel's,
  and `taxes_included` must match the channel's pricing mode (inclusive or exclusive).
* **Paid in Shopify.** An order that comes in `financial_status: paid` took the buyer's
  money in Shopify: once it is placed, ordermesh records that as a `manual` payment
  (method `other`) of the order's total, authorised and captured, through the payments
  service, keyed by the Shopify order, so it ships without anyone paying again and a
  repeated delivery records nothing more (one lost to a crash between the placement and
  the payment is recorded when Shopify delivers again). An order Shopify has not been
  paid for (`pending`, `authorized`) owes its total here as any other. A refund of such
  a payment is recorded here by hand and given back in Shopify by the refund push.
* **Refusals are kept.** An order that cannot be placed (unknown SKU, short stock, a
  currency or tax mode the channel does not use, no address) is answered `200` with
  `status: refused` — Shopify retrying it would not change the answer — and stays in the
  connector's inbox with the problem the placement answered, under
  `GET /api/v1/connectors/{code}/inbox?status=refused`.
* **Out.** The worker job `connector-sync` follows the event log: a shipment of an order
  a connector placed (`order.shipment_recorded`) becomes a fulfilment push with carrier,
  tracking number and link; our cancellation (`order.cancelled`) a cancellation push,
  unless Shopify cancelled it; money we give back on such an order (`refund.issued`: a
  refund, or what a cancellation or edit returned) a refund push, unless it is the
  refund of Shopify's own cancellation or moved no money. Refunds of orders that did not
  come from a connector are not pushed. Every `ORDERMESH_CONNECTOR_STOCK_INTERVAL_S`
  (60) it compares the channel's available-to-sell of every SKU the shop lists (quotas,
  exclusions and safety stock applied) with what Shopify was last told, and records one
  push per SKU that differs, however many orders moved it. The job `connector-pushes`
  sends due pushes (`FOR UPDATE SKIP LOCKED`, so workers share them), with
  `ORDERMESH_CONNECTOR_TIMEOUT_S` (10) per call; a `429` waits for its `Retry-After`,
  other failures back off exponentially with jitter (base
  `ORDERMESH_CONNECTOR_RETRY_BASE_S`, at most an hour) up to
  `ORDERMESH_CONNECTOR_MAX_ATTEMPTS` (8); a `4xx` that retrying cannot cure (a revoked
  token) fails at once. Every push, its attempts, last status and error are in
  `GET /api/v1/connectors/{code}/pushes`.
* **Idempotent calls.** A stock level is set, not adjusted
  (`inventory_levels/set.json`), and a fulfilment first reads the order's
  `fulfillment_orders.json` and sends only what is still fulfillable; a refund first
  reads the order's `refunds.json` and is not made again when one there carries our
  refund id in its note: a push repeated after a crash or a lost answer changes nothing.
* **Refunds.** `POST orders/{id}/refunds.json` names the refunded lines
  (`refund_line_items`, `restock_type: no_restock`: ordermesh sets Shopify's stock
  itself) and gives the money back against the order's successful `sale` or `capture`
  transaction (read from `transactions.json`; at most what it took). When Shopify took
  no money for the order (it was paid in ordermesh) the refund records the lines only.
  `notify` is `false`: ordermesh's own messages tell the customer of a refund.
* **Credentials** (`access_token`, `webhook_secret`) are encrypted at rest with
  `ORDERMESH_SECRET_KEYS` and never returned; only admins create or change connectors.

In Shopify, create a custom app with the scopes `read_products`, `write_inventory`,
`read_orders`, `write_merchant_managed_fulfillment_orders` and `write_orders`, take its
Admin API access token and its API secret key, and subscribe the webhooks
`orders/create` and `orders/cancelled` (JSON) to
`https://<your ordermesh>/api/v1/connectors/<code>/webhooks`.
"""


def page(rec: Recorder, client: TestClient, shop: FakeShopify, clock: FixedClock,
         sync) -> None:
    print(INTRO)
    print("## Connecting a shop\n")
    print("The channel the shop sells in (`kind: shop_platform`), then the connector. The "
          "settings name the Shopify location whose stock ordermesh sets.")
    rec.call("Connect the shop (admin)", "POST", "/api/v1/connectors", body={
        "code": "shop-eu", "platform": "shopify", "channel": "shopify-eu",
        "base_url": shop.base_url,
        "credentials": {"access_token": TOKEN, "webhook_secret": WEBHOOK_SECRET},
        "settings": {"location_id": LOCATION_ID,
                     "tracking_url_template": "https://www.dhl.de/track?piececode={number}"}})
    print("\n## An order comes in\n")
    print("Shopify's `orders/create` delivery (its body, the order resource, is long and not "
          "shown; the fields read are listed above):")
    body = shopify_order(5_470_000_001, [("MUG-WHT", 2, "12.50"), ("TSHIRT-BLK-M", 1,
                                                                      "19.99")],
                         discounts={"TSHIRT-BLK-M": "2.00"})
    shop.add_order(body)
    got = webhook(rec, "orders/create, signed", body, "b6a4a3f8-2c1e-4d7e-9a51-9f0c1e7d2a10")
    assert got["status"] == "placed", got
    print("\nThe same delivery again (Shopify retries when it did not get a 2xx in time):")
    again = webhook(rec, "The same X-Shopify-Webhook-Id again", body,
                    "b6a4a3f8-2c1e-4d7e-9a51-9f0c1e7d2a10")
    assert again["replayed"] is True
    print("\nA delivery whose signature does not match its body:")
    raw = json.dumps(body).encode()
    forged = {**webhook_headers(raw, "0f4c7d1e-5b7a-4c55-8a7e-3b1f2d9c8e21"),
              "X-Shopify-Hmac-Sha256": "c2lnbmVkIHdpdGggYW5vdGhlciBzZWNyZXQ="}
    rec.call("A forged delivery", "POST", "/api/v1/connectors/shop-eu/webhooks", auth=None,
             raw=raw, headers=forged, show_body=False)
    print("\nAn order with a SKU ordermesh does not sell is refused and kept:")
    ghost = shopify_order(5_470_000_002, [("GIFT-WRAP", 1, "3.00")])
    refused = webhook(rec, "orders/create of an unknown SKU", ghost,
                      "7d3e9b2a-1f6c-4e8d-b5a0-2c9e4f1a6b33")
    assert refused["status"] == "refused"
    rec.call("The refused orders", "GET", "/api/v1/connectors/shop-eu/inbox?status=refused")

    print("\n## Stock levels out\n")
    print("The worker reads the shop's products (to learn each SKU's `inventory_item_id`), "
          "compares the channel's available-to-sell with what Shopify was last told, and "
          "sets each level that differs. What the simulated Shopify received:\n")
    start = len(shop.seen)
    sync()
    start = shown(shop, start)

    print("## A shipment's tracking out\n")
    order_id = got["order_id"]
    print("Shopify was paid for the order (`financial_status: paid`): it was recorded as "
          "paid here when it was placed, and may ship.")
    rec.call("The order's payments", "GET", f"/api/v1/orders/{order_id}/payments")
    rec.call("Units shipped in ordermesh", "POST", f"/api/v1/orders/{order_id}/shipments",
             body={"lines": [{"line_no": 1, "quantity": 2}, {"line_no": 2, "quantity": 1}],
                   "carrier": "DHL", "tracking_number": "00340434161094042557"})
    print("\nThe next worker pass tells Shopify: it reads the order's fulfillment orders and "
          "fulfils what is still open there, with the tracking. (No stock level is sent: "
          "units that ship were reserved already, so available-to-sell did not change.)\n")
    clock.advance(timedelta(seconds=61))
    sync()
    shown(shop, start)
    print("## A refund out\n")
    rec.call("A T-shirt refunded in ordermesh", "POST", f"/api/v1/orders/{order_id}/refunds",
             body={"lines": [{"line_no": 2, "quantity": 1}], "reason": "arrived with a stain"})
    print("\nThe next worker pass looks for a refund it made before (none), finds the sale "
          "the money came from, and refunds the line against it:\n")
    start = len(shop.seen)
    sync()
    assert len(shop.refunds[5_470_000_001]) == 1
    shown(shop, start)
    rec.call("What the connector pushed", "GET", "/api/v1/connectors/shop-eu/pushes?limit=2")
    rec.call("The connector's health", "GET", "/api/v1/connectors/shop-eu/health")


WOO_INTRO = """
## WooCommerce

The same interface speaks to WooCommerce (REST API v3 under `/wp-json/wc/v3`, the
consumer key and secret by HTTP Basic). Its webhooks (`order.created`, and
`order.updated`, which cancels our order when the status is `cancelled`) are signed
`X-WC-Webhook-Signature: base64(HMAC-SHA256(secret, raw body))`; every delivery has a
new `X-WC-Webhook-Delivery-ID`, so a second delivery of an order is recognised by the
order's id (`already_placed`). The unsigned test WooCommerce sends when a webhook is
saved (the form body `webhook_id=<n>`) is answered `200` and writes nothing. Prices are
each line's `subtotal` (plus `subtotal_tax` when `prices_include_tax`) per unit, its
`subtotal` less `total` the discount, and `shipping_total` (plus `shipping_tax`) the
shipping. An order is placed when WooCommerce has it `processing`, `on-hold` (awaiting a
bank transfer or cheque) or `completed`, by `order.created` or by the `order.updated`
that brings it there (an update of a placed order is `already_placed`); one `pending`
(WooCommerce creates the order before the buyer pays), `failed` or `checkout-draft` is
recorded `ignored` with that reason and placed when it moves on. It came paid when it is
`processing` or `completed` with a `date_paid`: the payment is then recorded as taken in
WooCommerce, as a Shopify `paid` order's is, also when a later webhook or poll shows an
order placed on hold paid since; cash on delivery (`processing` without `date_paid`) and
on-hold orders owe their total here until then. Lines are matched by the SKU WooCommerce
copies into each line item (a variation's own SKU). Stock is set with
`PUT products/<id>` on simple products and `PUT products/<id>/variations/<id>` on each
variation of a variable product (read with `GET products/<id>/variations`). WooCommerce
keeps no tracking numbers: a shipment becomes a note to the customer with carrier,
tracking number and link (not added twice on a retry), and the order is set `completed`
once nothing is left to ship. A refund
made here is recorded with `POST orders/<id>/refunds` (the `amount`, the refunded
`line_items` with their `refund_total` before tax, our refund id in the `reason`, so a
repeat finds it in `GET orders/<id>/refunds` and is not made twice) and `api_refund:
false`: WooCommerce notes the refund without asking its payment gateway to move money.
"""


def woo_page(rec: Recorder, client: TestClient, woo: FakeWoo, sync, polled) -> None:
    print(WOO_INTRO)
    rec.call("Connect a WooCommerce shop (admin)", "POST", "/api/v1/connectors", body={
        "code": "woo-de", "platform": "woocommerce", "channel": "woo-de",
        "base_url": woo.base_url,
        "credentials": {"consumer_key": WOO_KEY, "consumer_secret": WOO_SECRET,
                        "webhook_secret": WOO_WEBHOOK_SECRET},
        "settings": {"tracking_url_template": "https://www.dhl.de/track?piececode={number}"}})
    body = woo_order(7310, [("MUG-WHT", 2, "21.01", "3.99")])
    woo.add_order(body)
    raw = json.dumps(body).encode()
    got = rec.call("order.created, signed", "POST", "/api/v1/connectors/woo-de/webhooks",
                   auth=None, raw=raw, headers=woo_headers(raw, "4a0b8b7e0f2c4c8e"),
                   show_body=False)
    assert got["status"] == "placed", got
    quiet(client, "POST", f"/api/v1/orders/{got['order_id']}/payments",
          {"provider": "test", "source": "4242424242424242"})
    quiet(client, "POST", f"/api/v1/orders/{got['order_id']}/shipments",
          {"lines": [{"line_no": 1, "quantity": 2}], "carrier": "DHL",
           "tracking_number": "00340434161094042571"})
    print("\nThe order shipped in ordermesh (`POST /orders/{id}/shipments`, DHL "
          "00340434161094042571); the next worker passes set the stock and tell the shop:\n")
    start = len(woo.seen)
    sync()
    start = shown(woo, start)
    quiet(client, "POST", f"/api/v1/orders/{got['order_id']}/refunds",
          {"lines": [{"line_no": 1, "quantity": 1}], "reason": "arrived broken"})
    print("One mug refunded in ordermesh (`POST /orders/{id}/refunds`, line 1, one unit); "
          "the next worker pass records it in the shop:\n")
    sync()
    assert len(woo.refunds[7310]) == 1
    shown(woo, start)
    polled()


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="ordermesh-connectors-"))
    url = f"sqlite:///{workdir / 'ordermesh.db'}"
    upgrade(url)
    clock = FixedClock(NOW)
    container = build_container(Settings(database_url=url, admin_api_key=ADMIN_KEY), clock)

    def sync() -> None:
        ConnectorSync().run_once(container)
        ConnectorPushes().run_once(container)

    out = io.StringIO()
    with running_shopify() as shop, running_woo() as woo, \
            TestClient(create_app(container)) as client:
        quiet(client, "POST", "/api/v1/channels", {"code": "shopify-eu", "name": "Shopify EU",
                                                   "kind": "shop_platform", "currency": "EUR"})
        quiet(client, "POST", "/api/v1/locations", {"code": "ber", "name": "Berlin",
                                                    "kind": "warehouse"})
        quiet(client, "POST", "/api/v1/channels", {"code": "woo-de", "name": "WooCommerce DE",
                                                   "kind": "shop_platform", "currency": "EUR"})
        woo.add_product("MUG-WHT")
        for sku, units in (("MUG-WHT", 40), ("TSHIRT-BLK-M", 12)):
            quiet(client, "POST", "/api/v1/products", {"sku": sku, "name": sku})
            quiet(client, "POST", "/api/v1/inventory/adjustments", {
                "sku": sku, "location": "ber", "quantity_delta": units, "reason": "received"})
            shop.add_product(sku, [sku])
        shop.now = woo.now = clock.now
        rec = Recorder(client)
        rec.key("<access_token>", TOKEN)
        with contextlib.redirect_stdout(out):
            page(rec, client, shop, clock, sync)
            poll_page(rec, container, shop, clock)
            woo_page(rec, client, woo, sync, lambda: woo_poll(rec, container, woo, clock))
        text = out.getvalue().replace(shop.base_url, SHOP).replace(
            woo.base_url, "https://shop.example.com")
    for secret, shown_as in ((TOKEN, "<access_token>"), (WEBHOOK_SECRET, "<the app's secret>"),
                             (WOO_KEY, "<consumer_key>"), (WOO_SECRET, "<consumer_secret>"),
                             (WOO_WEBHOOK_SECRET, "<webhook secret>")):
        text = text.replace(secret, shown_as)
    print(text, end="")
    print(amazon_section(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
