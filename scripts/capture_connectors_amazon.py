"""The Amazon part of docs/connectors.md (``capture_connectors_walkthrough`` prints it
last; alone, this prints only it): an Amazon seller connected, its orders polled (one
Unshipped, one Pending until it is paid, one fulfilled by Amazon), a shipment confirmed
and the stock set, against the simulated seller account of the tests
(``tests/fake_amazon.py``), on a fresh SQLite database of its own.

    .venv/bin/python scripts/capture_connectors_amazon.py
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
from capture_examples import ADMIN_KEY, Recorder
from capture_kit import app_on_fresh_database, quietly
from tests import fake_amazon
from tests.fake_amazon import FakeAmazon, amazon_id, amazon_order, running_amazon

from ordermesh.flows.channel_jobs import ConnectorPushes, ConnectorSync
from ordermesh.flows.channel_poll import ConnectorPoll
from ordermesh.kit.clock import FixedClock

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ENDPOINT = "https://sellingpartnerapi-eu.amazon.com"
SHOWN_ORDER_FIELDS = ("AmazonOrderId", "PurchaseDate", "LastUpdateDate", "OrderStatus",
                      "FulfillmentChannel", "OrderTotal", "BuyerInfo", "ShippingAddress")

PROSE = """
## Amazon

The same interface speaks to Amazon's Selling Partner API (`connectors/amazon.py`, the
calls in `connectors/amazon_calls.py`). Amazon sends no webhooks to an HTTP address (its
notifications go to Amazon SQS or EventBridge), so its orders come in by the poll alone,
and a POST to an Amazon connector's webhook address is `401`.

**Setting it up.** Register a private SP-API application in Seller Central (Apps and
Services, Develop Apps) with the *Inventory and Order Tracking* and *Product Listing*
roles and, for the buyer's name and street, the restricted *Direct-to-Consumer Shipping*
role; authorise it for your seller account, which gives the LWA `client_id`,
`client_secret` and the `refresh_token`. The connector needs:

* `base_url`: the region's endpoint, `https://sellingpartnerapi-na.amazon.com` (North
  America), `https://sellingpartnerapi-eu.amazon.com` (Europe, India, the Middle East)
  or `https://sellingpartnerapi-fe.amazon.com` (Japan, Australia, Singapore);
* `credentials`: `client_id`, `client_secret`, `refresh_token` (sealed with
  `ORDERMESH_SECRET_KEYS`, never shown again);
* `settings.marketplace_id`: the marketplace whose orders are read and whose listings
  are set: `A1PA6795UKMFR9` (amazon.de), `A1F83G8C2ARO7P` (amazon.co.uk),
  `ATVPDKIKX0DER` (amazon.com), `A21TJRUUN4KGV` (amazon.in), ...;
* `settings.seller_id`: your merchant token (Seller Central, Account Info);
* `settings.prices_include_tax`: `true` where Amazon's prices include VAT (Europe, the
  UK, India); it must match the channel's pricing mode;
* `settings.sku_map` (optional): `{"<seller SKU>": "<our SKU>"}` for listings whose
  seller SKU is not ours;
* `settings.token_url` (optional): the Login with Amazon token endpoint (default
  `https://api.amazon.com/auth/o2/token`).

**Auth.** `POST https://api.amazon.com/auth/o2/token` with `grant_type=refresh_token`,
the refresh token and the app's client id and secret gives an access token for an hour;
the worker keeps it in memory until a minute before it runs out and sends it as
`x-amz-access-token` (no AWS signature: SP-API dropped it in 2023). `getOrders` is read
under a restricted data token (`POST /tokens/2021-03-01/restrictedDataToken` for
`buyerInfo` and `shippingAddress`): without one Amazon shows only the city, region,
postal code and country of the address, and the order could not be shipped. A `403` on
a kept token drops it, and the call is made once more with a new one.

**In.** `GET /orders/v0/orders?MarketplaceIds=<id>&LastUpdatedAfter=<time>
&MaxResultsPerPage=<n>`, then `NextToken`; for each order to place, its items
(`GET /orders/v0/orders/<id>/orderItems`, also paged by `NextToken`), kept with the order
in the inbox (`OrderItems`). Each order's state decides, under the delivery id
`poll:<AmazonOrderId>@<LastUpdateDate>` and the topic `<FulfillmentChannel>:<OrderStatus>`:

* `Unshipped`, `PartiallyShipped`: placed once. `AmazonOrderId` is the external id,
  `SellerSKU` our SKU (through `sku_map`), `ItemPrice / QuantityOrdered` the unit price,
  `PromotionDiscount` the line's discount, `ShippingPrice - ShippingDiscount` the
  shipping, `BuyerInfo` the customer, `ShippingAddress` the address. Amazon has the
  buyer's money: the payment is recorded as taken on Amazon (a `manual` payment), so the
  order ships without anyone paying again. Our tax is worked out by the channel's rules;
  Amazon's `ItemTax` and `ShippingTax` stay in the inbox's copy.
* `Pending`, `PendingAvailability`: Amazon has not taken the payment yet (nor shows the
  address): recorded `ignored` with that reason; when a later poll finds the order
  `Unshipped` (a new `LastUpdateDate`, so a new delivery id), it is placed. Stock is not
  reserved for a pending order.
* `Canceled`: our order is cancelled (not pushed back: Amazon knows).
* `FulfillmentChannel: AFN` (fulfilled by Amazon, from Amazon's stock): recorded
  `ignored`, "fulfilled by Amazon", never placed: ordermesh neither ships it nor holds
  its stock. `Shipped` and Amazon's other states: an update ordermesh takes no action on.

**Out.** A shipment of ours becomes `POST /orders/v0/orders/<id>/shipmentConfirmation`
with `packageDetail`: `packageReferenceId` (a number derived from our shipment id, so a
retry names the same package), `carrierCode` (Amazon's code for a known carrier:
`DHL`, `UPS`, `DPD`, `Royal Mail`, ...; `Other` with `carrierName` for the rest),
`trackingNumber`, `shipDate`, and `orderItems` (`orderItemId`, `quantity`). Stock is
set per listing with the Listings Items API: `PATCH /listings/2021-08-01/items/<sellerId>
/<sellerSku>?marketplaceIds=<id>` replacing `fulfillment_availability` (channel
`DEFAULT`, the channel's available-to-sell), one SKU at a time, its answer read (`INVALID`
with `issues` is a refusal); the listings (seller SKU, ASIN, product type) are read with
`GET /listings/2021-08-01/items/<sellerId>?includedData=summaries`. The Orders API has
no operation to cancel or refund an order: our cancellation or refund of an Amazon order
is recorded as a push that fails at once saying so (cancel it in Seller Central), where
`GET /connectors/{code}/pushes` shows it.

**Limits.** Every call has `ORDERMESH_CONNECTOR_TIMEOUT_S`. A `429` (Amazon sends no
`Retry-After`; `x-amzn-RateLimit-Limit` names the operation's rate in requests a second)
is tried again within the call after one request's share of that rate (at most 2 s),
a `5xx` or a transport error after a short backoff, three attempts in all; what is still
refused then fails the page or the push, and the worker tries again after the rate's
share (`getOrders`: 0.0167 a second, a minute) or its backoff, the error in the health.

The examples below were captured by `scripts/capture_connectors_amazon.py` against the
simulated seller account of the tests (`tests/fake_amazon.py`: Login with Amazon and the
SP-API paths, payloads, errors and rate-limit headers); only its address is replaced by
the EU endpoint and the credentials by placeholders.
"""


def shown(shop: FakeAmazon, since: int, cut_orders: bool = False) -> int:
    """Print what the seller account received since request ``since``, and answered."""
    for seen in shop.seen[since:]:
        query = "&".join(f"{k}={v[0]}" for k, v in seen.query.items())
        print("```http")
        print(f"{seen.method} {seen.path}{'?' + query if query else ''} HTTP/1.1")
        if seen.path == "/auth/o2/token":
            print("Content-Type: application/x-www-form-urlencoded\n")
            print("&".join(f"{k}={v}" for k, v in seen.body.items()))
        else:
            token = "<restricted data token>" if seen.token.startswith("Atz.sprdt") \
                else "<access token>"
            print(f"x-amz-access-token: {token}")
            if seen.body is not None:
                print("Content-Type: application/json\n")
                print(json.dumps(seen.body, indent=2))
        print("```\n")
        answer = seen.answer
        orders = (answer or {}).get("payload", {}).get("Orders") \
            if isinstance(answer, dict) and isinstance(answer.get("payload"), dict) else None
        if cut_orders and isinstance(orders, list):
            answer = {"payload": {**answer["payload"], "Orders": [
                {k: o[k] for k in SHOWN_ORDER_FIELDS if k in o} | {"…": "…"}
                for o in orders]}}
        print("```http")
        print(f"HTTP/1.1 {seen.status} {HTTPStatus(seen.status).phrase}")
        if seen.status != 204:
            print()
            print(json.dumps(answer, indent=2, ensure_ascii=False))
        print("```\n")
    return len(shop.seen)


def amazon_page(rec: Recorder, container, shop: FakeAmazon, clock: FixedClock) -> None:
    print(PROSE)
    rec.call("Connect an Amazon seller (admin)", "POST", "/api/v1/connectors", body={
        "code": "amazon-de", "platform": "amazon", "channel": "amazon-de",
        "base_url": shop.base_url, "credentials": {
            "client_id": fake_amazon.CLIENT_ID, "client_secret": fake_amazon.CLIENT_SECRET,
            "refresh_token": fake_amazon.REFRESH_TOKEN},
        "settings": {"marketplace_id": fake_amazon.MARKETPLACE,
                     "seller_id": fake_amazon.SELLER_ID, "prices_include_tax": True,
                     "sku_map": {"MUG-WHT-AMZ": "MUG-WHT"}, "token_url": shop.token_url}})
    clock.advance(timedelta(minutes=1))
    shop.add_order(amazon_order(1001, [("MUG-WHT-AMZ", 2, "12.50")]))
    shop.add_order(amazon_order(1002, [("TSHIRT-BLK-M", 1, "19.90")], status="Pending"))
    shop.add_order(amazon_order(1003, [("MUG-WHT-AMZ", 1, "12.50")], channel="AFN"))
    clock.advance(timedelta(minutes=1))
    print("\nThe seller account took three orders: one `Unshipped` (two mugs, listed under "
          "the seller SKU `MUG-WHT-AMZ`), one `Pending` and one fulfilled by Amazon. The "
          "next worker pass asks Amazon (each order's other fields are left out here):\n")
    start = len(shop.seen)
    assert ConnectorPoll().run_once(container) == 3
    start = shown(shop, start, cut_orders=True)
    rec.call("What the Amazon poll took in", "GET", "/api/v1/connectors/amazon-de/inbox")
    print("\nAmazon takes the pending order's payment; it is `Unshipped` now and the next "
          "poll places it:\n")
    clock.advance(timedelta(minutes=10))
    shop.set_status(amazon_id(1002), "Unshipped")
    clock.advance(timedelta(seconds=30))
    ConnectorPoll().run_once(container)
    got = rec.call("The pending order, placed", "GET",
                   "/api/v1/connectors/amazon-de/inbox?limit=1")
    assert got["items"][0]["status"] == "placed", got
    start = len(shop.seen)
    placed = next(e["order_id"] for e in rec.client.get(
        "/api/v1/connectors/amazon-de/inbox", headers={"Authorization": f"Bearer {ADMIN_KEY}"}
    ).json()["items"] if e["external_id"] == amazon_id(1001) and e["status"] == "placed")
    rec.call("The two mugs shipped in ordermesh", "POST", f"/api/v1/orders/{placed}/shipments",
             body={"lines": [{"line_no": 1, "quantity": 2}], "carrier": "DHL",
                   "tracking_number": "00340434161094042557"})
    print("\nThe next worker passes confirm the shipment on Amazon and set the stock of "
          "each listing to the channel's available-to-sell:\n")
    ConnectorSync().run_once(container)
    ConnectorPushes().run_once(container)
    shown(shop, start)
    assert shop.orders[amazon_id(1001)]["OrderStatus"] == "Shipped"


def amazon_section() -> str:
    """The Amazon section, captured on a database of its own."""
    clock = FixedClock(NOW)
    out = io.StringIO()
    with running_amazon() as shop, app_on_fresh_database("amazon", clock) as client:
        shop.now = clock.now
        container = client.app.state.container
        quietly(client, "POST", "/api/v1/channels", {
            "code": "amazon-de", "name": "Amazon.de", "kind": "marketplace", "currency": "EUR"})
        quietly(client, "POST", "/api/v1/locations", {"code": "ber", "name": "Berlin",
                                                      "kind": "warehouse"})
        for sku, units, seller_sku, kind in (("MUG-WHT", 40, "MUG-WHT-AMZ", "HOME"),
                                             ("TSHIRT-BLK-M", 12, "TSHIRT-BLK-M", "SHIRT")):
            quietly(client, "POST", "/api/v1/products", {"sku": sku, "name": sku})
            quietly(client, "POST", "/api/v1/inventory/adjustments", {
                "sku": sku, "location": "ber", "quantity_delta": units, "reason": "received"})
            shop.add_listing(seller_sku, kind)
        rec = Recorder(client)
        with contextlib.redirect_stdout(out):
            amazon_page(rec, container, shop, clock)
        text = out.getvalue().replace(shop.base_url, ENDPOINT)
    for secret, shown_as in ((fake_amazon.CLIENT_SECRET, "<client_secret>"),
                             (fake_amazon.REFRESH_TOKEN, "<refresh_token>"),
                             (fake_amazon.CLIENT_ID, "<client_id>")):
        text = text.replace(secret, shown_as)
    return text.replace(f"{ENDPOINT}/auth/o2/token", "https://api.amazon.com/auth/o2/token")


if __name__ == "__main__":
    print(amazon_section(), end="")
