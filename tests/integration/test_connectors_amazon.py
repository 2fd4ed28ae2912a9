"""Amazon through the same connector interface, against a simulated seller account: orders
in by polling the Orders API v0 (Unshipped placed once, Pending only once it is paid,
Canceled cancelling ours, fulfilled-by-Amazon never placed), Login with Amazon tokens kept
until they run out, throttling and server errors retried, shipment confirmations and
stock levels out."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
import pytest

from ordermesh.connectors import accounts, amazon_calls
from ordermesh.connectors.platforms import connector_for
from ordermesh.flows.channel_poll import ConnectorPoll
from ordermesh.kit.db import UnitOfWork
from ordermesh.orders.tables import orders
from tests.amazon_helpers import CODE, amazon_shop, inbox, poll_amazon, pushes
from tests.connector_helpers import sync
from tests.fake_amazon import (
    LISTINGS,
    ORDERS,
    REFRESH_TOKEN,
    SELLER_ID,
    amazon_id,
    amazon_order,
    running_amazon,
)
from tests.helpers import ok
from tests.poll_helpers import later, poll_state

ITEMS = rf"{ORDERS}/[\d-]+/orderItems"


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The waits between the retries of an Amazon call, recorded instead of slept; no
    token kept from another test."""
    waited: list[float] = []
    monkeypatch.setattr(amazon_calls, "sleep", waited.append)
    amazon_calls.forget_tokens()
    yield waited
    amazon_calls.forget_tokens()


def count_orders(container) -> int:
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        return len(uow.execute(orders.select()).all())


def connected(client, clock, shop, stock: dict[str, int], **kwargs) -> None:
    shop.now = clock.now
    amazon_shop(client, shop, stock, **kwargs)
    later(clock)


def placed_order(client, clock, container, shop, n: int, lines) -> dict:
    """The seller account takes the order; the next poll places it."""
    shop.add_order(amazon_order(n, lines))
    later(clock, 600)  # the poll is due again
    poll_amazon(container)
    entry = next(e for e in inbox(client) if e["external_id"] == amazon_id(n))
    assert entry["status"] == "placed", entry
    return ok(client.get(f"/api/v1/orders/{entry['order_id']}"))


def test_an_unshipped_order_is_placed_once_at_amazons_prices_with_its_buyer_and_address(
        client, container, clock, waits):
    with running_amazon() as shop:
        connected(client, clock, shop, {"MUG": 5, "TEE": 5})
        order = placed_order(client, clock, container, shop, 1,
                             [("MUG", 2, "12.50"), ("TEE", 1, "20.00")])
        later(clock, 600)
        shop.set_status(amazon_id(1), "Unshipped")  # changed on Amazon (a new version)
        later(clock)
        poll_amazon(container)
        listed = shop.on("GET", ORDERS)
        items = shop.on("GET", ITEMS)
        tokens = shop.on("POST", "/auth/o2/token")
    assert count_orders(container) == 1
    update, _placed = inbox(client)
    assert update["status"] == "ignored" and update["order_id"] == order["id"]
    assert "placed before" in update["reason"]["detail"]
    assert order["external_id"] == amazon_id(1) and order["payment_status"] == "paid"
    assert [(ln["sku"], ln["quantity"], ln["unit_price"]["amount"]) for ln in order["lines"]] \
        == [("MUG", 2, "12.50"), ("TEE", 1, "20.00")]
    assert order["totals"]["shipping"]["amount"] == "4.90"
    assert order["totals"]["total"]["amount"] == "49.90"
    address = order["shipping_address"]
    assert (address["name"], address["line1"], address["postal_code"]) \
        == ("Ada Lovelace", "Unter den Linden 1", "10117")
    assert listed[0].query["MarketplaceIds"] == ["A1PA6795UKMFR9"]
    assert listed[0].query["MaxResultsPerPage"] == ["100"]
    assert all(s.token.startswith("Atz.sprdt|") for s in listed)  # the buyer is shown
    assert all(s.token.startswith("Atza|") for s in items)
    assert len(tokens) == 1 and tokens[0].body["grant_type"] == "refresh_token"
    assert tokens[0].body["refresh_token"] == REFRESH_TOKEN
    assert waits == []


def test_the_same_page_taken_in_by_two_workers_at_once_places_each_order_once(
        client, container, clock, waits):
    with running_amazon() as shop:
        connected(client, clock, shop, {"MUG": 10})
        for n in (2, 3):
            shop.add_order(amazon_order(n, [("MUG", 1, "12.50")]))
        later(clock)
        with UnitOfWork(container.engine, container.clock, write=False) as uow:
            account = accounts.account(uow, CODE)
        connector = connector_for(account)
        with httpx.Client(timeout=5) as http:
            page = connector.poll_orders(http, clock.now() - timedelta(hours=1), None, 10)
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda _: ConnectorPoll.take_in(
                container, account, connector, page, clock.now() - timedelta(hours=1)),
                range(3)))
        poll_amazon(container)  # and the worker's own poll reads the same versions
    assert page.result.ok and len(page.orders) == 2
    assert count_orders(container) == 2
    entries = inbox(client)
    assert sorted(e["status"] for e in entries) == ["placed", "placed"]


def test_a_pending_order_is_not_placed_until_amazon_says_it_is_unshipped(
        client, container, clock, waits):
    with running_amazon() as shop:
        connected(client, clock, shop, {"MUG": 5})
        shop.add_order(amazon_order(4, [("MUG", 1, "12.50")], status="Pending"))
        later(clock)
        poll_amazon(container)
        waiting = inbox(client)
        asked_items = len(shop.on("GET", ITEMS))
        later(clock, 600)
        shop.set_status(amazon_id(4), "Unshipped")  # Amazon took the payment
        later(clock)
        poll_amazon(container)
    (pending,) = waiting
    assert pending["status"] == "ignored" and pending["order_id"] is None
    assert pending["external_id"] == amazon_id(4) and pending["topic"] == "MFN:Pending"
    assert pending["reason"]["detail"].startswith(
        "Pending: Amazon has not taken the buyer's payment yet")
    assert asked_items == 0
    placed, _ = inbox(client)
    assert placed["status"] == "placed" and count_orders(container) == 1


def test_an_order_fulfilled_by_amazon_is_recorded_as_such_and_never_placed(
        client, container, clock, waits):
    with running_amazon() as shop:
        connected(client, clock, shop, {"MUG": 5})
        shop.add_order(amazon_order(5, [("MUG", 1, "12.50")], channel="AFN"))
        later(clock)
        poll_amazon(container)
    (entry,) = inbox(client)
    assert entry["status"] == "ignored" and entry["topic"] == "AFN:Unshipped"
    assert entry["reason"]["detail"].startswith("fulfilled by Amazon (AFN)")
    assert count_orders(container) == 0


def test_an_order_canceled_on_amazon_cancels_ours_and_our_cancellation_is_not_sent_back(
        client, container, clock, waits):
    with running_amazon() as shop:
        connected(client, clock, shop, {"MUG": 5, "TEE": 5})
        theirs = placed_order(client, clock, container, shop, 6, [("MUG", 1, "12.50")])
        ours = placed_order(client, clock, container, shop, 7, [("TEE", 1, "20.00")])
        later(clock, 600)
        shop.set_status(amazon_id(6), "Canceled")
        later(clock)
        poll_amazon(container)
        ok(client.post(f"/api/v1/orders/{ours['id']}/cancel", json={"reason": "no stock"}))
        sync(container)
    cancelled = inbox(client)[0]
    assert cancelled["status"] == "cancelled" and cancelled["order_id"] == theirs["id"]
    assert ok(client.get(f"/api/v1/orders/{theirs['id']}"))["status"] == "cancelled"
    (push,) = [p for p in pushes(client) if p["kind"] == "cancellation"]
    assert push["subject"] == amazon_id(7) and push["status"] == "failed"
    assert "cancel it in Seller Central" in push["last_error"]


def test_throttling_and_server_errors_are_retried_at_the_rate_amazon_names(
        client, container, clock, waits):
    with running_amazon() as shop:
        connected(client, clock, shop, {"MUG": 5})
        shop.add_order(amazon_order(8, [("MUG", 1, "12.50")]))
        later(clock)
        shop.fail, shop.only = 1, rf"^{ORDERS}$"
        poll_amazon(container)  # getOrders 503, then fine
        shop.throttle, shop.only = 1, ITEMS
        shop.set_status(amazon_id(8), "Unshipped")
        later(clock, 600)
        poll_amazon(container)  # getOrderItems 429 at 0.5 a second, then fine
        statuses = [s.status for s in shop.on("GET", rf"{ORDERS}.*")]
        shop.throttle, shop.only = 5, rf"^{ORDERS}$"
        later(clock, 600)
        poll_amazon(container)  # throttled three times: the worker tries later
        failed = poll_state(client, CODE)
    assert count_orders(container) == 1
    assert statuses == [503, 200, 200, 200, 429, 200]
    assert waits[:2] == [0.5, 2.0]  # a server error's backoff; 1 / 0.5 requests a second
    assert waits[2:] == [2.0, 2.0]  # getOrders allows 0.0167: a minute, at most 2 s here
    assert failed["failures"] == 1 and failed["last_error"].startswith("429 QuotaExceeded")
    wait = datetime.fromisoformat(failed["due_at"]) - datetime.fromisoformat(
        failed["last_error_at"])
    assert timedelta(seconds=59) < wait < timedelta(seconds=61)  # 1 / 0.0167 s


def test_an_access_token_is_kept_until_it_runs_out_and_one_amazon_refuses_is_renewed(
        client, container, clock, waits):
    with running_amazon() as shop:
        connected(client, clock, shop, {"MUG": 5})
        poll_amazon(container)
        later(clock, 600)
        poll_amazon(container)
        kept = len(shop.on("POST", "/auth/o2/token"))
        shop.expire_tokens()
        shop.add_order(amazon_order(9, [("MUG", 1, "12.50")]))
        later(clock, 600)
        poll_amazon(container)
        renewed = len(shop.on("POST", "/auth/o2/token"))
        refused = [s.status for s in shop.on("GET", ORDERS)]
    assert (kept, renewed) == (1, 2)
    assert refused[-2:] == [403, 200]
    assert count_orders(container) == 1


def test_a_wrong_refresh_token_shows_in_the_health_and_places_nothing(
        client, container, clock, waits):
    with running_amazon() as shop:
        connected(client, clock, shop, {"MUG": 5})
        ok(client.patch(f"/api/v1/connectors/{CODE}", json={"credentials": {
            "client_id": "amzn1.application-oa2-client.0123456789abcdef0123456789abcdef",
            "client_secret": "amzn1.oa2-cs.v1.0123456789abcdef0123456789abcdef0123456789abcd"
                             "ef", "refresh_token": "Atzr|revoked"}}))
        poll_amazon(container)
    state = poll_state(client, CODE)
    assert state["last_error"].startswith("400 invalid_grant")
    assert count_orders(container) == 0


def test_shipments_are_confirmed_on_amazon_once_with_their_items_carrier_and_tracking(
        client, container, clock, waits):
    with running_amazon() as shop:
        connected(client, clock, shop, {"MUG": 5, "TEE": 5})
        order = placed_order(client, clock, container, shop, 10,
                             [("MUG", 2, "12.50"), ("TEE", 1, "20.00")])
        ok(client.post(f"/api/v1/orders/{order['id']}/shipments", json={
            "lines": [{"line_no": 1, "quantity": 2}], "carrier": "DHL",
            "tracking_number": "00340434161094042557"}), 201)
        sync(container)
        partly = shop.orders[amazon_id(10)]["OrderStatus"]
        ok(client.post(f"/api/v1/orders/{order['id']}/shipments", json={
            "lines": [{"line_no": 2, "quantity": 1}], "carrier": "Kurier Schmidt",
            "tracking_number": "KS-77"}), 201)
        sync(container)
        sync(container)
        sent = shop.on("POST", rf"{ORDERS}/{amazon_id(10)}/shipmentConfirmation")
    assert [s.status for s in sent] == [204, 204]
    first, second = (s.body for s in sent)
    assert first["marketplaceId"] == "A1PA6795UKMFR9"
    package = first["packageDetail"]
    assert package["carrierCode"] == "DHL" and "carrierName" not in package
    assert package["trackingNumber"] == "00340434161094042557"
    assert package["orderItems"] == [{"orderItemId": "00000010000000", "quantity": 2}]
    assert package["packageReferenceId"].isdigit()
    assert datetime.fromisoformat(package["shipDate"].replace("Z", "+00:00")) <= clock.now()
    assert second["packageDetail"]["carrierCode"] == "Other"
    assert second["packageDetail"]["carrierName"] == "Kurier Schmidt"
    assert second["packageDetail"]["orderItems"] == [
        {"orderItemId": "00000010000001", "quantity": 1}]
    assert second["packageDetail"]["packageReferenceId"] != package["packageReferenceId"]
    assert partly == "PartiallyShipped"
    assert shop.orders[amazon_id(10)]["OrderStatus"] == "Shipped"


def test_stock_reaches_amazon_by_listing_under_the_sellers_own_skus(
        client, container, clock, waits):
    with running_amazon() as shop:
        connected(client, clock, shop, {"MUG": 5, "TEE": 3},
                  listed={"AMZ-MUG-01": "MUG", "TEE": "TEE", "NOT-OURS": "NOT-OURS"})
        sync(container)
        sync(container)
        patched = shop.on("PATCH", rf"{LISTINGS}/.+")
        searched = shop.on("GET", LISTINGS)
    assert shop.listings["AMZ-MUG-01"]["quantity"] == 5
    assert shop.listings["TEE"]["quantity"] == 3
    assert shop.listings["NOT-OURS"]["quantity"] is None
    assert len(patched) == 2 and len(searched) == 1
    mug = next(s for s in patched if s.path.endswith("/AMZ-MUG-01"))
    assert mug.path == f"{LISTINGS}/AMZ-MUG-01"
    assert mug.query == {"marketplaceIds": ["A1PA6795UKMFR9"]}
    assert mug.body == {"productType": "HOME", "patches": [{
        "op": "replace", "path": "/attributes/fulfillment_availability",
        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 5}]}]}
    assert searched[0].query["includedData"] == ["summaries"]
    assert SELLER_ID in searched[0].path


def test_a_webhook_to_an_amazon_connector_is_refused_and_missing_settings_are_named(
        client, container, clock, waits):
    with running_amazon() as shop:
        connected(client, clock, shop, {"MUG": 5})
        posted = client.post(f"/api/v1/connectors/{CODE}/webhooks", content=b"{}",
                             headers={"Content-Type": "application/json"})
        incomplete = client.post("/api/v1/connectors", json={
            "code": "amazon-uk", "platform": "amazon", "channel": "amazon-de",
            "base_url": "https://sellingpartnerapi-eu.amazon.com",
            "credentials": {"client_id": "x", "client_secret": "y"},
            "settings": {"marketplace_id": "A1F83G8C2ARO7P"}})
    assert posted.status_code == 401
    assert incomplete.status_code == 422
    assert {e["field"] for e in incomplete.json()["errors"]} == {
        "credentials.refresh_token", "settings.seller_id"}
    assert inbox(client) == []


def test_orders_and_their_items_are_read_page_by_page_with_amazons_next_tokens(
        client, container, clock, waits):
    with running_amazon() as shop:
        connected(client, clock, shop, {"MUG": 20, "TEE": 20})
        shop.items_page_size = 1
        for n in range(11, 16):
            shop.add_order(amazon_order(n, [("MUG", 1, "12.50"), ("TEE", 1, "20.00")]))
        later(clock)
        first = poll_amazon(container, page_size=2, max_pages=2)
        later(clock, 5)
        rest = poll_amazon(container, page_size=2, max_pages=2)
        listed = shop.on("GET", ORDERS)
        items = shop.on("GET", ITEMS)
    assert (first, rest) == (4, 1) and count_orders(container) == 5
    assert [sorted(s.query) for s in listed] == [
        ["LastUpdatedAfter", "MarketplaceIds", "MaxResultsPerPage"],
        ["MarketplaceIds", "NextToken"], ["MarketplaceIds", "NextToken"]]
    assert len(items) == 10 and sum("NextToken" in s.query for s in items) == 5
    order = ok(client.get(f"/api/v1/orders/{inbox(client)[0]['order_id']}"))
    assert [ln["sku"] for ln in order["lines"]] == ["MUG", "TEE"]
