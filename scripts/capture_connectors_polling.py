"""The polling part of docs/connectors.md (``capture_connectors_walkthrough`` prints it
between the Shopify and the WooCommerce sections): an order whose webhook never came,
taken in by the poll, a 429 waited out, and the health that shows both."""

from __future__ import annotations

import json
from datetime import timedelta

from capture_examples import Recorder
from tests.fake_shopify import FakeShopify, shopify_order
from tests.fake_woocommerce import FakeWoo, woo_order

from ordermesh.flows.channel_poll import ConnectorPoll
from ordermesh.http.deps import Container
from ordermesh.kit.clock import FixedClock

SHOWN_ORDER_FIELDS = ("id", "name", "number", "status", "updated_at", "date_modified_gmt",
                      "cancelled_at")

PROSE = """
## Orders a webhook missed: polling

A platform gives up on a webhook after its retries, and a delivery can be lost on the
way; so the worker job `connector-poll` also asks each active connector's platform, every
`ORDERMESH_CONNECTOR_POLL_INTERVAL_S` (300), for the orders updated since its last poll:

* Shopify: `GET /admin/api/2024-10/orders.json?limit=<n>&updated_at_min=<time>&status=any`,
  then the `page_info` cursor of the `Link` header's `rel="next"` (such a request carries
  nothing but `limit` and `page_info`);
* WooCommerce: `GET /wp-json/wc/v3/orders?modified_after=<time>&dates_are_gmt=true`
  `&orderby=id&order=asc&per_page=<n>&page=<p>`, as many pages as `X-WP-TotalPages`
  says. Ordered by the order id, which never changes, an order changed while the pages
  are read cannot shift another out of them.

Each order goes through the webhooks' own path, as the delivery its state would have
come with (Shopify: `orders/create`, or `orders/cancelled` once `cancelled_at` is set;
WooCommerce: `order.created`, or `order.updated` when `cancelled`), into the same inbox
under the delivery id `poll:<platform order id>@<its updated time>`: a page read twice
records each order once, an order that came by webhook is not placed again (the poll's
entry says `ignored`, "placed before"; an update of a placed order is no more acted on
than its `orders/updated` webhook would be), a cancellation the webhook missed cancels
our order, and an order that cannot be read or placed is refused on record as a
webhook's would be. An order the platform took before the connector was connected is
not ours: when it changes later, the poll records it `ignored`.

The poll's place is kept per connector (`connector_polls`). A walk over the pages starts
at the mark less `ORDERMESH_CONNECTOR_POLL_OVERLAP_S` (120: a platform clock behind ours
loses nothing); each page's cursor is recorded only after its orders were, and the mark
moves to the walk's start only after the last page was. At most
`ORDERMESH_CONNECTOR_POLL_MAX_PAGES` (10) pages of `ORDERMESH_CONNECTOR_POLL_PAGE_SIZE`
(100) a pass; a longer walk goes on at the next pass from its cursor. No call is made
inside a transaction: the claim (a lease, so two workers do not poll one shop at once)
is committed, the page read with `ORDERMESH_CONNECTOR_TIMEOUT_S`, then the results
recorded. A worker that dies between reading and recording leaves the cursor and the
mark where they were: when its lease runs out the page is read again. A `429` waits its
`Retry-After`, other failures (5xx, timeouts, a refusal) back off from
`ORDERMESH_CONNECTOR_RETRY_BASE_S` doubling to at most an hour; the mark does not move,
and the error is in the connector's health under `poll`. An operator can ask for a poll
at the next worker pass instead of at the interval: `POST /api/v1/connectors/{code}/poll`.

The first connector's shop took an order whose `orders/create` webhook never reached
ordermesh (5470000003). An operator asks for a poll:
"""


def shown_list(shop: FakeShopify | FakeWoo, since: int) -> int:
    """Print the order-list requests the shop received since request ``since`` and its
    answers, each order cut to the fields that tell it apart."""
    for seen in shop.seen[since:]:
        query = "&".join(f"{k}={v[0]}" for k, v in seen.query.items())
        print("```http")
        print(f"{seen.method} {seen.path}?{query} HTTP/1.1")
        print("X-Shopify-Access-Token: <access_token>" if isinstance(shop, FakeShopify)
              else "Authorization: Basic <consumer_key:consumer_secret>")
        print("```\n")
        answer = seen.answer
        listed = answer.get("orders") if isinstance(answer, dict) else answer
        if seen.status == 200 and isinstance(listed, list):
            cut = [{k: o[k] for k in SHOWN_ORDER_FIELDS if k in o} | {"…": "…"}
                   for o in listed]
            answer = {"orders": cut} if isinstance(answer, dict) else cut
        print("```http")
        print(f"HTTP/1.1 {seen.status}\n")
        print(json.dumps(answer, indent=2, ensure_ascii=False))
        print("```\n")
    return len(shop.seen)


def poll_page(rec: Recorder, container: Container, shop: FakeShopify,
              clock: FixedClock) -> None:
    print(PROSE)
    shop.add_order(shopify_order(5_470_000_003, [("MUG-WHT", 1, "12.50")]))
    clock.advance(timedelta(seconds=30))
    rec.call("Poll now (operator)", "POST", "/api/v1/connectors/shop-eu/poll")
    print("\nThe next worker pass asks Shopify (each order's other fields are left out "
          "here):\n")
    start = len(shop.seen)
    assert ConnectorPoll().run_once(container) == 2
    start = shown_list(shop, start)
    print("The missed order was placed; the one that came by webhook (5470000001, updated "
          "since by its fulfilment and refund) was not placed again:")
    rec.call("What the poll took in", "GET", "/api/v1/connectors/shop-eu/inbox?limit=2")
    print("\nLater Shopify is busy. The poll's request is answered `429`, with "
          "`Retry-After: 2.0`:\n")
    clock.advance(timedelta(minutes=10))
    shop.throttle = 1
    assert ConnectorPoll().run_once(container) == 0
    shown_list(shop, start)
    print("Nothing moved but the time of the next try, its `Retry-After` from now:")
    rec.call("The connector's health after the 429", "GET",
             "/api/v1/connectors/shop-eu/health")


def woo_poll(rec: Recorder, container: Container, woo: FakeWoo, clock: FixedClock
             ) -> None:
    print("The WooCommerce shop is polled the same way; an order whose `order.created` "
          "never came is placed at the next pass:\n")
    woo.add_order(woo_order(7311, [("MUG-WHT", 1, "10.50", "2.00")]))
    clock.advance(timedelta(minutes=5))
    start = len(woo.seen)
    ConnectorPoll().run_once(container)
    shown_list(woo, start)
    got = rec.call("What the WooCommerce poll took in", "GET",
                   "/api/v1/connectors/woo-de/inbox?limit=2")
    assert [e["status"] for e in got["items"]] == ["placed", "ignored"], got
