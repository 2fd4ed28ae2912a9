"""Bad input of any kind gets a clear 4xx problem+json and changes nothing.

Every refusal is checked the same way (``refused``): the status, the RFC 9457 media type
and fields, the offending field where there is one, and a snapshot of everything a user
can see (orders, stock of every SKU, customers, catalog, API keys and the event log up to
its last position) taken before and after the request must be identical: no 500, no
half-written order, no lost or invented event.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordermesh.kit.pagination import encode_cursor
from tests.conftest import ADMIN_KEY
from tests.helpers import make_channel, make_location, ok, order_body, shop, stock_of

PROBLEM = "application/problem+json"
ORDERS = "/api/v1/orders"
ADJUST = "/api/v1/inventory/adjustments"
_LOCATIONS_OF_FIELDS = {"body", "query", "header", "path"}
DROP = object()  # in ``edited``: remove the key instead of setting it
_C, _L, _P = "/api/v1/channels", "/api/v1/locations", "/api/v1/products"
CHANNEL = {"code": "shop", "name": "Shop", "kind": "web", "currency": "EUR"}
LOCATION = {"code": "muc", "name": "Munich", "kind": "store", "latitude": 48.1,
            "longitude": 11.6,
            "address": {"line1": "Marienplatz 1", "city": "Munich", "country": "DE"}}
PRODUCT = {"sku": "CUP", "name": "Cup", "price": {"amount": "4.50", "currency": "EUR"},
           "weight_grams": 300, "handling": ["fragile"],
           "dimensions": {"length_mm": 90, "width_mm": 90, "height_mm": 110}}
BASES = {_C: CHANNEL, _L: LOCATION, _P: PRODUCT}
ADJUSTMENT = {"sku": "MUG", "location": "ber", "quantity_delta": -1, "reason": "damaged"}


# -- what a user can see, and how a refusal must look --------------------------------------

def state(client: TestClient) -> dict[str, Any]:
    """Everything observable, read through the public API as admin."""
    def items(path: str) -> list[dict]:
        # channels, locations and API keys are not paginated, and refuse a `limit`
        paged = path in (ORDERS, "/api/v1/products", "/api/v1/customers")
        return ok(client.get(path, params={"limit": 200} if paged else {}))["items"]

    products = items("/api/v1/products")
    events = ok(client.get("/api/v1/events", params={"after": 0, "limit": 1000}))
    return {
        "orders": [(o["id"], o["status"], o["totals"]) for o in items(ORDERS)],
        "stock": {p["sku"]: stock_of(client, p["sku"])["locations"] for p in products},
        "products": [p["id"] for p in products],
        "customers": [c["id"] for c in items("/api/v1/customers")],
        "channels": [c["id"] for c in items("/api/v1/channels")],
        "locations": [c["id"] for c in items("/api/v1/locations")],
        "api_keys": [(k["id"], k["revoked_at"]) for k in items("/api/v1/api-keys")],
        "events": ([e["id"] for e in events["items"]], events["next_after"]),
    }


def field_names(problem: dict) -> list[str]:
    """``errors[].field`` without FastAPI's location prefix ('body.lines.0' -> 'lines.0')."""
    names = []
    for error in problem.get("errors", []):
        head, _, rest = error["field"].partition(".")
        names.append(rest if head in _LOCATIONS_OF_FIELDS and rest else error["field"])
    return names


def assert_problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM, response.headers
    problem = response.json()
    assert problem["status"] == status
    for member in ("type", "title", "detail"):
        assert isinstance(problem[member], str) and problem[member], problem
    if field is not None:
        assert field in field_names(problem), problem
    return problem


def refused(client: TestClient, method: str, url: str, status: int, field: str | None = None,
            *, via: TestClient | None = None, **request: Any) -> dict:
    """Send a request that must be refused, prove it changed nothing; the problem and
    the response headers (under ``"headers"``) come back."""
    before = state(client)
    response = (via or client).request(method, url, **request)
    problem = assert_problem(response, status, field)
    assert state(client) == before, f"a refused {method} {url} changed something"
    return {**problem, "headers": response.headers}


def edited(body: dict, changes: dict[str, Any]) -> dict:
    """A copy of ``body`` with dotted paths set ('lines.0.quantity') or removed (DROP)."""
    body = copy.deepcopy(body)
    for path, value in changes.items():
        *parents, last = path.split(".")
        node: Any = body
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key: Any = int(last) if isinstance(node, list) else last
        if value is DROP:
            del node[key]
        else:
            node[key] = value
    return body


def good_order(**extra: Any) -> dict:
    return order_body(
        [("MUG", 1, "9.99"), ("TEE", 2, "19.99")],
        customer={"email": "ada@example.com", "name": "Ada"},
        shipping_address={"name": "Ada", "line1": "Main St 1", "city": "Berlin",
                          "country": "DE"},
        **extra,
    )


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def new_key(client: TestClient, role: str) -> dict:
    return ok(client.post("/api/v1/api-keys", json={"name": f"{role} key", "role": role}), 201)


@pytest.fixture
def store(client: TestClient) -> TestClient:
    """Channels 'web' (EUR) and 'jp' (JPY); MUG 5 and TEE 10 at 'ber'; 'ham' is empty."""
    shop(client, {"MUG": {"ber": 5}, "TEE": {"ber": 10}})
    make_location(client, "ham")
    make_channel(client, "jp", "JPY")
    return client


@pytest.fixture
def placed(store: TestClient) -> dict:
    return ok(store.post(ORDERS, json=good_order()), 201)


# -- orders: the body as a whole -------------------------------------------------------------

def test_the_well_formed_order_these_tests_spoil_is_accepted(store):
    order = ok(store.post(ORDERS, json=good_order()), 201)
    assert [ln["quantity"] for ln in order["lines"]] == [1, 2]


@pytest.mark.parametrize("content", [
    pytest.param(b'{"channel": "web", "lines": [', id="truncated"),
    pytest.param(b"{channel: web}", id="unquoted-keys"),
    pytest.param(b'{"channel": "web",}', id="trailing-comma"),
    pytest.param(b'{"channel": "\xff\xfe"}', id="not-utf8"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, id="nested-too-deep"),
])
def test_malformed_json_is_a_400_and_places_nothing(store, content):
    refused(store, "POST", ORDERS, 400, content=content,
            headers={"content-type": "application/json"})


@pytest.mark.parametrize("content", [b"[]", b'"an order"', b"42", b"true", b"null"])
def test_a_body_that_is_not_an_object_is_refused(store, content):
    refused(store, "POST", ORDERS, 422, "body", content=content,
            headers={"content-type": "application/json"})


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_json_is_an_unsupported_media_type(store, content_type):
    refused(store, "POST", ORDERS, 415, content=json.dumps(good_order()).encode(),
            headers={"content-type": content_type})


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_one_mebibyte_is_refused_with_413(store, streamed):
    # A valid order padded with whitespace: without the limit it would be placed.
    payload = json.dumps(good_order()).encode() + b" " * (1 << 20)
    content: Any = payload
    if streamed:
        content = (payload[i:i + 65536] for i in range(0, len(payload), 65536))
    problem = refused(store, "POST", ORDERS, 413, content=content,
                      headers={"content-type": "application/json"})
    assert "1048576" in problem["detail"]


# -- orders: one bad value -------------------------------------------------------------------

_PRICE, _COUNTRY = "lines.0.unit_price", "shipping_address.country"
_JPY = {"channel": "jp", "lines.1.unit_price": "2000"}
_LONG = "x" * 10_000
ORDER_CASES = [
    # wrong types
    pytest.param({"lines.0.quantity": "abc"}, "lines.0.quantity", id="quantity-text"),
    pytest.param({"lines.0.quantity": 1.5}, "lines.0.quantity", id="quantity-fraction"),
    pytest.param({"lines.0.quantity": True}, "lines.0.quantity", id="quantity-boolean"),
    pytest.param({"lines": "MUG x1"}, "lines", id="lines-a-string"),
    pytest.param({"lines": {"sku": "MUG"}}, "lines", id="lines-an-object"),
    pytest.param({"lines.0": "MUG"}, "lines.0", id="line-a-string"),
    pytest.param({"channel": 42}, "channel", id="channel-a-number"),
    pytest.param({"customer": "Ada"}, "customer", id="customer-a-string"),
    # missing
    pytest.param({"channel": DROP}, "channel", id="no-channel"),
    pytest.param({"lines": DROP}, "lines", id="no-lines"),
    pytest.param({"lines.0.sku": DROP}, "lines.0.sku", id="no-sku"),
    pytest.param({"lines.1.quantity": DROP}, "lines.1.quantity", id="no-quantity"),
    pytest.param({_PRICE: DROP}, _PRICE, id="no-price"),
    pytest.param({_COUNTRY: DROP}, _COUNTRY, id="no-country"),
    # lines and quantities
    pytest.param({"lines": []}, "lines", id="no-lines-at-all"),
    pytest.param({"lines": [good_order()["lines"][0]] * 501}, "lines", id="501-lines"),
    pytest.param({"lines.1.quantity": 0}, "lines.1.quantity", id="quantity-zero"),
    pytest.param({"lines.1.quantity": -1}, "lines.1.quantity", id="quantity-negative"),
    pytest.param({"lines.1.quantity": 10**9}, "lines.1.quantity", id="quantity-absurd"),
    # prices
    pytest.param({_PRICE: "-0.01"}, _PRICE, id="price-negative"),
    pytest.param({_PRICE: "NaN"}, _PRICE, id="price-nan"),
    pytest.param({_PRICE: "Infinity"}, _PRICE, id="price-inf"),
    pytest.param({_PRICE: "-Infinity"}, _PRICE, id="price-minf"),
    pytest.param({_PRICE: "12,50"}, _PRICE, id="price-comma"),
    pytest.param({_PRICE: "1.999"}, _PRICE, id="price-3dp-eur"),
    pytest.param({**_JPY, _PRICE: "1.5"}, _PRICE, id="price-decimals-jpy"),
    pytest.param({_PRICE: "1e15"}, _PRICE, id="price-huge"),
    pytest.param({_PRICE: "1000000000000"}, _PRICE, id="price-a-trillion"),
    pytest.param({"shipping_price": "-4.90"}, "shipping_price", id="shipping-negative"),
    pytest.param({"shipping_price": "4.905"}, "shipping_price", id="shipping-3dp"),
    # channel, currency, country
    pytest.param({"channel": "nowhere"}, "channel", id="unknown-channel"),
    pytest.param({"currency": "EURO"}, "currency", id="currency-EURO"),
    pytest.param({"currency": "eur"}, "currency", id="currency-lowercase"),
    pytest.param({"currency": "XXY"}, "currency", id="currency-not-iso"),
    pytest.param({"currency": "USD"}, "currency", id="currency-not-the-channels"),
    pytest.param({_COUNTRY: "Germany"}, _COUNTRY, id="country-name"),
    pytest.param({_COUNTRY: "de"}, _COUNTRY, id="country-lowercase"),
    pytest.param({_COUNTRY: "XX"}, _COUNTRY, id="country-not-iso"),
    pytest.param({"customer.email": "ada-at-example"}, "customer.email", id="email"),
    # oversized strings and patterns
    pytest.param({"customer.name": _LONG}, "customer.name", id="customer-name-10k"),
    pytest.param({"shipping_address.name": _LONG}, "shipping_address.name", id="addr-name-10k"),
    pytest.param({"note": _LONG}, "note", id="note-10k"),
    pytest.param({"external_id": _LONG}, "external_id", id="external-id-10k"),
    pytest.param({"channel": _LONG}, "channel", id="channel-10k"),
    pytest.param({"lines.0.sku": _LONG}, "lines.0.sku", id="sku-10k"),
    pytest.param({"lines.0.sku": "MUG 1"}, "lines.0.sku", id="sku-with-space"),
    # fields nobody asked for
    pytest.param({"coupon": "FREE"}, "coupon", id="extra-top-level"),
    pytest.param({"lines.0.gift": True}, "lines.0.gift", id="extra-in-line"),
    pytest.param({"customer.vip": True}, "customer.vip", id="extra-in-customer"),
    pytest.param({"shipping_address.floor": 3}, "shipping_address.floor", id="extra-in-address"),
]


@pytest.mark.parametrize(("changes", "field"), ORDER_CASES)
def test_an_order_with_a_bad_value_is_refused_naming_the_field_and_changes_nothing(
        store, changes, field):
    refused(store, "POST", ORDERS, 422, field, json=edited(good_order(), changes))


def test_an_order_with_an_unknown_sku_is_refused_and_reserves_nothing(store):
    body = order_body([("MUG", 1, "9.99"), ("NOPE", 1, "1.00"), ("TEE", 1, "5.00"),
                       ("GHOST", 2, "1.00")])
    problem = refused(store, "POST", ORDERS, 422, json=body)
    assert sorted(field_names(problem)) == ["lines.1.sku", "lines.3.sku"]
    assert "NOPE" in problem["detail"] and "GHOST" in problem["detail"]


def test_schema_and_business_errors_name_body_fields_the_same_way(store):
    """A client maps ``errors[].field`` to its form: one path syntax for every error."""
    schema = store.post(ORDERS, json=edited(good_order(), {"lines.0.quantity": 0})).json()
    rule = store.post(ORDERS, json=edited(good_order(), {"lines.0.sku": "NOPE"})).json()
    assert [e["field"] for e in rule["errors"]] == ["lines.0.sku"]
    assert [e["field"] for e in schema["errors"]] == ["lines.0.quantity"]


@pytest.mark.parametrize(("lines", "shortages"), [
    pytest.param([("MUG", 2), ("TEE", 11)], [("TEE", 11, 10)], id="last-sku-short"),
    pytest.param([("MUG", 6), ("TEE", 1)], [("MUG", 6, 5)], id="first-sku-short"),
    pytest.param([("TEE", 4), ("MUG", 3), ("TEE", 7)], [("TEE", 11, 10)], id="sku-on-two-lines"),
    pytest.param([("MUG", 6), ("TEE", 11)], [("MUG", 6, 5), ("TEE", 11, 10)], id="both-short"),
])
def test_an_order_short_of_stock_is_refused_listing_exactly_the_short_skus_and_reserving_nothing(
        store, lines, shortages):
    body = order_body([(sku, qty, "1.00") for sku, qty in lines])
    problem = refused(store, "POST", ORDERS, 409, json=body)
    got = sorted((s["sku"], s["requested"], s["available"]) for s in problem["shortages"])
    assert got == shortages, problem
    assert stock_of(store, "MUG")["totals"]["reserved"] == 0
    assert stock_of(store, "TEE")["totals"]["reserved"] == 0


# -- orders: retries --------------------------------------------------------------------------

def test_the_same_external_id_with_other_content_is_a_conflict_and_changes_nothing(store):
    first = ok(store.post(ORDERS, json=good_order(external_id="AMZ-1")), 201)
    other = edited(good_order(external_id="AMZ-1"), {"lines.0.quantity": 2})
    problem = refused(store, "POST", ORDERS, 409, json=other)
    assert problem["existing_order_id"] == first["id"]


@pytest.mark.parametrize(("extra", "headers"), [
    pytest.param({"external_id": "AMZ-1"}, {}, id="same-external-id"),
    pytest.param({}, {"Idempotency-Key": "retry-1"}, id="same-idempotency-key"),
])
def test_a_retry_with_identical_content_replays_the_first_order_and_writes_nothing(
        store, extra, headers):
    first = ok(store.post(ORDERS, json=good_order(**extra), headers=headers), 201)
    before = state(store)
    again = store.post(ORDERS, json=good_order(**extra), headers=headers)
    assert ok(again, 201)["id"] == first["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert state(store) == before


@pytest.mark.parametrize(("first_url", "first_body"), [
    pytest.param(ORDERS, good_order(), id="first-an-order"),
    pytest.param(_C, CHANNEL, id="first-a-channel"),
])
def test_an_idempotency_key_reused_for_another_request_is_refused_and_writes_nothing(
        store, first_url, first_body):
    key = {"Idempotency-Key": "k-42"}
    ok(store.post(first_url, json=first_body, headers=key), 201)
    other = edited(good_order(), {"lines.0.quantity": 3})
    problem = refused(store, "POST", ORDERS, 422, json=other, headers=key)
    assert problem["code"] == "idempotency-key-reused"


@pytest.mark.parametrize("key", ["", "k" * 256], ids=["empty", "256-chars"])
def test_an_idempotency_key_of_the_wrong_length_is_refused(store, key):
    refused(store, "POST", ORDERS, 422, "Idempotency-Key", json=good_order(),
            headers={"Idempotency-Key": key})


# -- text PostgreSQL cannot store, numbers no database can hold --------------------------------

NUL_WRITES = [
    pytest.param(ORDERS, good_order(note="gift\x00wrap"), "note", id="order-note"),
    pytest.param(ORDERS, edited(good_order(), {"customer.name": "A\x00da"}), "customer.name",
                 id="order-customer-name"),
    pytest.param(ORDERS, good_order(external_id="AMZ\x001"), "external_id",
                 id="order-external-id"),
    pytest.param(ORDERS, good_order(channel="we\x00b"), "channel", id="order-channel"),
    pytest.param(_P, {**PRODUCT, "name": "Cup\x00"}, "name", id="product-name"),
    pytest.param(_C, {**CHANNEL, "name": "Sh\x00p"}, "name", id="channel-name"),
    pytest.param(_L, {**LOCATION, "name": "M\x00C"}, "name", id="location-name"),
    pytest.param(ADJUST, {**ADJUSTMENT, "note": "\x00"}, "note", id="adjustment-note"),
]


@pytest.mark.parametrize(("url", "body", "field"), NUL_WRITES)
def test_text_with_a_nul_character_is_refused_not_stored(store, url, body, field):
    refused(store, "POST", url, 422, field, json=body)


def test_an_idempotency_key_with_a_nul_character_is_refused(store):
    refused(store, "POST", ORDERS, 422, "Idempotency-Key", json=good_order(),
            headers={"Idempotency-Key": "k\x00"})


_HUGE = 10**30


@pytest.mark.parametrize(("url", "statuses", "field"), [
    pytest.param("/api/v1/orders/ord%00x", {404, 422}, None, id="nul-order-id"),
    pytest.param("/api/v1/inventory/MU%00G", {404, 422}, None, id="nul-sku"),
    pytest.param("/api/v1/orders?channel=we%00b", {200, 422}, "channel", id="nul-channel"),
    pytest.param("/api/v1/customers?email=a%00b", {200, 422}, "email", id="nul-email"),
    pytest.param("/api/v1/events?type=order%00", {200, 422}, "type", id="nul-event-type"),
    pytest.param("/api/v1/orders/OM-99999999999999999999999", {404}, None, id="order-number"),
    pytest.param(f"/api/v1/orders?cursor={encode_cursor(_HUGE)}", {422}, "cursor",
                 id="orders-cursor"),
    pytest.param(f"/api/v1/customers?cursor={encode_cursor(_HUGE)}", {422}, "cursor",
                 id="customers-cursor"),
    pytest.param(f"/api/v1/products?cursor={encode_cursor(_HUGE)}", {422}, "cursor",
                 id="products-cursor"),
    pytest.param(f"/api/v1/products?cursor={encode_cursor(-5)}", {422}, "cursor",
                 id="products-cursor-negative"),
    pytest.param("/api/v1/orders?cursor=not-a-cursor", {422}, "cursor", id="garbage-cursor"),
    pytest.param(f"/api/v1/events?after={_HUGE}", {200, 422}, "after", id="events-after"),
    pytest.param("/api/v1/events?after=-1", {422}, "after", id="events-after-negative"),
    pytest.param("/api/v1/orders?limit=0", {422}, "limit", id="limit-zero"),
    pytest.param("/api/v1/orders?status=lost", {422}, "status", id="unknown-status"),
    pytest.param("/api/v1/orders?created_from=yesterday", {422}, "created_from", id="date"),
])
def test_a_lookup_no_database_can_answer_finds_nothing_or_is_refused_never_a_500(
        store, url, statuses, field):
    """Where finding nothing is a fair answer (200 with no items) it is allowed too."""
    response = store.get(url)
    assert response.status_code in statuses, response.text
    if response.status_code == 200:
        assert response.json()["items"] == []
    else:
        assert_problem(response, response.status_code, field)


# -- changing an order -------------------------------------------------------------------------

@pytest.mark.parametrize("order_id", ["ord_missing", "OM-999999", "OM-99999999999999999999999"])
@pytest.mark.parametrize(("action", "body"), [
    ("cancel", {}), ("hold", {"reason": "fraud check"}), ("release-hold", {})])
def test_changing_an_unknown_order_is_not_found(placed, store, order_id, action, body):
    refused(store, "POST", f"{ORDERS}/{order_id}/{action}", 404, json=body)


@pytest.mark.parametrize(("action", "body", "field"), [
    pytest.param("cancel", {"lines": [{"line_no": 3, "quantity": 1}]}, "lines.0.line_no",
                 id="no-such-line"),
    pytest.param("cancel", {"lines": [{"line_no": 1, "quantity": 2}]}, "lines.0.quantity",
                 id="more-than-open"),
    pytest.param("cancel", {"lines": [{"line_no": 2, "quantity": 1},
                                      {"line_no": 2, "quantity": 2}]}, "lines.1.quantity",
                 id="more-than-open-in-two-requests"),
    pytest.param("cancel", {"lines": [{"line_no": 0, "quantity": 1}]}, "lines.0.line_no",
                 id="line-zero"),
    pytest.param("cancel", {"lines": [{"line_no": 1, "quantity": 0}]}, "lines.0.quantity",
                 id="quantity-zero"),
    pytest.param("cancel", {"lines": []}, "lines", id="empty-lines"),
    pytest.param("cancel", {"everything": True}, "everything", id="extra-field"),
    pytest.param("hold", {}, "reason", id="hold-without-reason"),
    pytest.param("hold", {"reason": ""}, "reason", id="hold-empty-reason"),
    pytest.param("hold", {"reason": "x" * 501}, "reason", id="hold-long-reason"),
])
def test_a_change_that_does_not_fit_the_order_is_refused_naming_the_field(
        placed, store, action, body, field):
    refused(store, "POST", f"{ORDERS}/{placed['id']}/{action}", 422, field, json=body)


@pytest.mark.parametrize(("action", "body"), [
    pytest.param("cancel", {}, id="cancel-again"),
    pytest.param("cancel", {"lines": [{"line_no": 1, "quantity": 1}]}, id="cancel-a-line"),
    pytest.param("hold", {"reason": "fraud check"}, id="hold"),
    pytest.param("release-hold", {}, id="release-hold"),
])
def test_a_cancelled_order_cannot_be_cancelled_or_held_again(placed, store, action, body):
    ok(store.post(f"{ORDERS}/{placed['id']}/cancel", json={"reason": "customer asked"}))
    problem = refused(store, "POST", f"{ORDERS}/{placed['number']}/{action}", 409, json=body)
    assert problem["current_status"] == "cancelled"


def test_releasing_the_hold_of_an_order_not_on_hold_is_a_conflict(placed, store):
    problem = refused(store, "POST", f"{ORDERS}/{placed['id']}/release-hold", 409, json={})
    assert problem["current_status"] == "confirmed"


# -- inventory adjustments ---------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "status", "field"), [
    pytest.param({"quantity_delta": 0}, 422, "quantity_delta", id="zero"),
    pytest.param({"quantity_delta": "abc"}, 422, "quantity_delta", id="delta-text"),
    pytest.param({"quantity_delta": 10**9}, 422, "quantity_delta", id="delta-absurd"),
    pytest.param({"sku": "NOPE"}, 422, "sku", id="unknown-sku"),
    pytest.param({"sku": "MUG 1"}, 422, "sku", id="sku-with-space"),
    pytest.param({"location": "nowhere"}, 422, "location", id="unknown-location"),
    pytest.param({"reason": "stolen"}, 422, "reason", id="invalid-reason"),
    pytest.param({"reason": DROP}, 422, "reason", id="no-reason"),
    pytest.param({"note": "x" * 501}, 422, "note", id="long-note"),
    pytest.param({"colour": "red"}, 422, "colour", id="extra-field"),
    pytest.param({"quantity_delta": -6}, 409, None, id="more-than-on-hand"),
    pytest.param({"location": "ham"}, 409, None, id="none-at-location"),
])
def test_a_bad_stock_adjustment_is_refused_and_books_nothing(store, changes, status, field):
    refused(store, "POST", ADJUST, status, field, json=edited(ADJUSTMENT, changes))


def test_stock_reserved_for_an_order_cannot_be_adjusted_away(store):
    ok(store.post(ORDERS, json=order_body([("MUG", 4, "9.99")])), 201)
    problem = refused(store, "POST", ADJUST, 409,
                      json=edited(ADJUSTMENT, {"quantity_delta": -2}))
    assert (problem["on_hand"], problem["reserved"]) == (5, 4)


# -- channels, locations, products -------------------------------------------------------------

@pytest.mark.parametrize("url", BASES)
def test_the_well_formed_catalog_entries_these_tests_spoil_are_accepted(store, url):
    ok(store.post(url, json=BASES[url]), 201)


@pytest.mark.parametrize(("url", "body"), [
    pytest.param("/api/v1/channels", {**CHANNEL, "code": "web"}, id="channel-code"),
    pytest.param("/api/v1/locations", {**LOCATION, "code": "ber"}, id="location-code"),
    pytest.param("/api/v1/products", {**PRODUCT, "sku": "MUG"}, id="product-sku"),
])
def test_a_duplicate_code_or_sku_is_a_conflict_and_changes_nothing(store, url, body):
    refused(store, "POST", url, 409, json=body)


@pytest.mark.parametrize(("url", "changes", "field"), [
    pytest.param(_C, {"kind": "shop"}, "kind", id="channel-kind"),
    pytest.param(_C, {"kind": DROP}, "kind", id="channel-no-kind"),
    pytest.param(_C, {"currency": "EURO"}, "currency", id="channel-currency-EURO"),
    pytest.param(_C, {"currency": "eur"}, "currency", id="channel-currency-lowercase"),
    pytest.param(_C, {"currency": "XXY"}, "currency", id="channel-currency-not-iso"),
    pytest.param(_C, {"currency": "XXX"}, "currency", id="channel-currency-none"),
    pytest.param(_C, {"code": "my shop"}, "code", id="channel-code-space"),
    pytest.param(_C, {"code": "c" * 100}, "code", id="channel-code-100"),
    pytest.param(_C, {"name": ""}, "name", id="channel-name-empty"),
    pytest.param(_C, {"name": _LONG}, "name", id="channel-name-10k"),
    pytest.param(_C, {"region": "EU"}, "region", id="channel-extra"),
    pytest.param(_L, {"latitude": 90.5}, "latitude", id="latitude-over-90"),
    pytest.param(_L, {"latitude": -91}, "latitude", id="latitude-under-minus-90"),
    pytest.param(_L, {"longitude": 181}, "longitude", id="longitude-over-180"),
    pytest.param(_L, {"longitude": DROP}, "latitude", id="latitude-without-longitude"),
    pytest.param(_L, {"latitude": DROP}, "latitude", id="longitude-without-latitude"),
    pytest.param(_L, {"latitude": "north"}, "latitude", id="latitude-text"),
    pytest.param(_L, {"kind": "castle"}, "kind", id="location-kind"),
    pytest.param(_L, {"capabilities": ["teleport"]}, "capabilities.0", id="capability"),
    pytest.param(_L, {"address.country": "Germany"}, "address.country", id="address-country"),
    pytest.param(_L, {"address.city": DROP}, "address.city", id="address-no-city"),
    pytest.param(_L, {"code": "has space"}, "code", id="location-code-space"),
    pytest.param(_P, {"sku": "CUP 1"}, "sku", id="sku-space"),
    pytest.param(_P, {"sku": "C" * 100}, "sku", id="sku-100"),
    pytest.param(_P, {"sku": ""}, "sku", id="sku-empty"),
    pytest.param(_P, {"sku": "-CUP"}, "sku", id="sku-leading-dash"),
    pytest.param(_P, {"weight_grams": -1}, "weight_grams", id="weight-negative"),
    pytest.param(_P, {"weight_grams": 0}, "weight_grams", id="weight-zero"),
    pytest.param(_P, {"name": ""}, "name", id="product-name-empty"),
    pytest.param(_P, {"name": _LONG}, "name", id="product-name-10k"),
    pytest.param(_P, {"price.amount": "4.505"}, "price.amount", id="price-3dp"),
    pytest.param(_P, {"price.amount": "-1"}, "price.amount", id="price-negative"),
    pytest.param(_P, {"price.amount": "NaN"}, "price.amount", id="price-nan"),
    pytest.param(_P, {"price.currency": "eur"}, "price.currency", id="price-currency"),
    pytest.param(_P, {"dimensions.length_mm": 0}, "dimensions.length_mm", id="length-zero"),
    pytest.param(_P, {"handling": ["explosive"]}, "handling.0", id="handling"),
    pytest.param(_P, {"tax_class": "none"}, "tax_class", id="tax-class"),
])
def test_a_bad_channel_location_or_product_is_refused_naming_the_field(
        store, url, changes, field):
    refused(store, "POST", url, 422, field, json=edited(BASES[url], changes))


# -- who may do what ---------------------------------------------------------------------------

@pytest.mark.parametrize("authorization", [
    pytest.param(None, id="no-header"),
    pytest.param("Basic YWRtaW46YWRtaW4=", id="basic-scheme"),
    pytest.param("Bearer", id="bearer-without-key"),
    pytest.param("Bearer om_not-a-key", id="wrong-key"),
    pytest.param(f"Bearer {ADMIN_KEY[:-1]}", id="admin-key-truncated"),
])
@pytest.mark.parametrize(("method", "url", "body"), [
    ("POST", ORDERS, good_order()), ("GET", ORDERS, None), ("GET", "/api/v1/events", None)])
def test_a_request_without_a_valid_api_key_is_refused_with_401_and_a_bearer_challenge(
        store, authorization, method, url, body):
    if authorization is None:
        request: dict[str, Any] = {"via": TestClient(store.app)}
    else:
        request = {"headers": {"Authorization": authorization}}
    problem = refused(store, method, url, 401, json=body, **request)
    assert problem["code"] == "unauthenticated"
    assert problem["headers"]["WWW-Authenticate"] == "Bearer"


WRITES = [
    pytest.param(ORDERS, good_order(), id="order"),
    pytest.param(ADJUST, {**ADJUSTMENT, "quantity_delta": 3}, id="adjustment"),
    pytest.param(_C, CHANNEL, id="channel"),
    pytest.param(_L, LOCATION, id="location"),
    pytest.param(_P, PRODUCT, id="product"),
    pytest.param("/api/v1/api-keys", {"name": "mine", "role": "admin"}, id="api-key"),
]


@pytest.mark.parametrize(("url", "body"), WRITES)
def test_a_viewer_key_is_refused_every_write_with_403(store, url, body):
    viewer = new_key(store, "viewer")
    refused(store, "POST", url, 403, json=body, headers=bearer(viewer["key"]))


@pytest.mark.parametrize("url", [ORDERS, "/api/v1/inventory/MUG", "/api/v1/events",
                                 "/api/v1/products", "/api/v1/channels"])
def test_a_viewer_key_may_read(store, url):
    viewer = new_key(store, "viewer")
    ok(store.get(url, headers=bearer(viewer["key"])))


def test_an_operator_key_may_place_orders_but_not_create_or_revoke_api_keys(store):
    operator = new_key(store, "operator")
    viewer = new_key(store, "viewer")
    refused(store, "POST", "/api/v1/api-keys", 403, json={"name": "x", "role": "admin"},
            headers=bearer(operator["key"]))
    refused(store, "POST", f"/api/v1/api-keys/{viewer['id']}/revoke", 403,
            headers=bearer(operator["key"]))
    ok(store.post(ORDERS, json=good_order(), headers=bearer(operator["key"])), 201)


@pytest.mark.parametrize(("method", "url", "body"), [
    ("POST", ORDERS, good_order()), ("GET", ORDERS, None)])
def test_a_revoked_key_is_refused_with_401(store, method, url, body):
    operator = new_key(store, "operator")
    ok(store.get(ORDERS, headers=bearer(operator["key"])))
    ok(store.post(f"/api/v1/api-keys/{operator['id']}/revoke"))
    refused(store, method, url, 401, json=body, headers=bearer(operator["key"]))


# -- routes --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "url"), [
    ("GET", "/api/v1/nothing-here"), ("GET", "/nope"), ("POST", "/api/v2/orders"),
    ("POST", f"{ORDERS}/ord_x/explode")])
def test_an_unknown_route_is_a_404_problem(store, method, url):
    refused(store, method, url, 404, json={})


@pytest.mark.parametrize(("method", "url", "allowed"), [
    ("PUT", ORDERS, {"GET", "POST"}), ("DELETE", f"{ORDERS}/ord_x", {"GET"}),
    ("PUT", f"{ORDERS}/ord_x/cancel", {"POST"}), ("PATCH", "/api/v1/channels", {"GET", "POST"})])
def test_a_wrong_method_is_a_405_problem_naming_the_allowed_methods(store, method, url, allowed):
    problem = refused(store, method, url, 405, json={})
    assert {m.strip() for m in problem["headers"]["Allow"].split(",")} == allowed
