"""Price lists over HTTP: create, list, read, change, set and delete prices, and the
effective price of a SKU — with bad input refused and nothing changed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import make_channel, make_product, ok

LISTS = "/api/v1/price-lists"
PRICES = "/api/v1/prices"


@pytest.fixture
def store(client: TestClient) -> TestClient:
    """Channels 'web' (EUR) and 'jp' (JPY), products MUG, TEE and CAP, and a list
    'web-base' for 'web' pricing MUG 12.50 and TEE 20.00."""
    make_channel(client, "web", "EUR")
    make_channel(client, "jp", "JPY", kind="marketplace")
    for sku in ("MUG", "TEE", "CAP"):
        make_product(client, sku)
    _create(client, "web-base", "web")
    _set(client, "web-base", {"MUG": "12.50", "TEE": "20"})
    return client


def _create(client: TestClient, code: str, channel: str, status: int = 201, **extra) -> dict:
    body = {"code": code, "name": f"List {code}", "channel": channel, **extra}
    return ok(client.post(LISTS, json=body), status)


def _set(client: TestClient, code: str, amounts: dict[str, Any], status: int = 200) -> dict:
    body = {"prices": [{"sku": s, "amount": a} for s, a in amounts.items()]}
    return ok(client.put(f"{LISTS}/{code}/prices", json=body), status)


def _prices(client: TestClient, code: str) -> dict[str, str]:
    detail = ok(client.get(f"{LISTS}/{code}", params={"limit": 200}))
    return {p["sku"]: p["amount"] for p in detail["prices"]}


def _effective(client: TestClient, *skus: str, channel: str = "web", **params) -> dict:
    answer = ok(client.get(PRICES, params={"channel": channel, "sku": list(skus), **params}))
    return {i["sku"]: (i["price"]["amount"] if i["price"] else None, i["price_list"])
            for i in answer["items"]}


def _events(client: TestClient) -> list[dict]:
    return ok(client.get("/api/v1/events", params={"limit": 1000}))["items"]


def _state(client: TestClient) -> Any:
    lists = ok(client.get(LISTS, params={"limit": 200}))["items"]
    return (lists, {p["code"]: ok(client.get(f"{LISTS}/{p['code']}", params={"limit": 200}))
                    for p in lists}, len(_events(client)))


def _refused(client: TestClient, method: str, url: str, status: int,
             field: str | None = None, code: str | None = None, **request) -> dict:
    """A request that must be refused with a problem and change nothing."""
    before = _state(client)
    response = client.request(method, url, **request)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    if field is not None:
        assert field in [e["field"] for e in problem["errors"]], problem
    if code is not None:
        assert code in [e["code"] for e in problem["errors"]], problem
    assert _state(client) == before
    return problem


# --- creating -------------------------------------------------------------------------


def test_a_new_list_sells_in_the_channels_currency_always_with_priority_zero(client):
    make_channel(client, "web", "EUR")
    created = _create(client, "web-eur", "web")
    assert created["currency"] == "EUR" and created["channel"] == "web"
    assert created["valid_from"] is None and created["valid_to"] is None
    assert created["priority"] == 0
    assert created["created_at"] == created["updated_at"] == "2026-11-26T12:00:00Z"
    [event] = [e for e in _events(client) if e["type"] == "price_list.created"]
    assert event["aggregate_id"] == created["id"]
    assert event["payload"]["code"] == "web-eur" and event["payload"]["currency"] == "EUR"


def test_a_list_keeps_its_validity_in_utc_and_its_priority(client):
    make_channel(client, "web", "EUR")
    created = _create(client, "xmas", "web", currency="EUR", priority=10,
                      valid_from="2026-12-20T00:00:00+01:00", valid_to="2026-12-27T00:00:00Z")
    assert created["valid_from"] == "2026-12-19T23:00:00Z"
    assert created["valid_to"] == "2026-12-27T00:00:00Z"
    assert ok(client.get(f"{LISTS}/xmas"))["valid_from"] == "2026-12-19T23:00:00Z"


def test_a_retried_create_with_the_same_key_returns_the_first_list(client):
    make_channel(client, "web", "EUR")
    body = {"code": "web-eur", "name": "Web", "channel": "web"}
    first = client.post(LISTS, json=body, headers={"Idempotency-Key": "pl-1"})
    again = client.post(LISTS, json=body, headers={"Idempotency-Key": "pl-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(ok(client.get(LISTS))["items"]) == 1
    assert [e["type"] for e in _events(client)].count("price_list.created") == 1


def test_the_same_key_with_another_body_is_refused(client):
    make_channel(client, "web", "EUR")
    body = {"code": "web-eur", "name": "Web", "channel": "web"}
    ok(client.post(LISTS, json=body, headers={"Idempotency-Key": "pl-1"}), 201)
    problem = _refused(client, "POST", LISTS, 422, headers={"Idempotency-Key": "pl-1"},
                       json={**body, "name": "Other"})
    assert problem["code"] == "idempotency-key-reused"


def test_a_second_list_with_the_same_code_is_a_conflict(store):
    problem = _refused(store, "POST", LISTS, 409, json={
        "code": "web-base", "name": "Again", "channel": "jp"})
    assert "web-base" in problem["detail"]


@pytest.mark.parametrize(("extra", "field", "code"), [
    ({"channel": "nope"}, "channel", "unknown_channel"),
    ({"currency": "USD"}, "currency", "currency_mismatch"),
    ({"currency": "EURO"}, "currency", None),
    ({"currency": "XXX"}, "currency", None),
    ({"valid_from": "2027-01-02T00:00:00Z", "valid_to": "2027-01-01T00:00:00Z"},
     "valid_to", "invalid_validity"),
    ({"valid_from": "2027-01-01T00:00:00Z", "valid_to": "2027-01-01T00:00:00Z"},
     "valid_to", "invalid_validity"),
    ({"valid_from": "2027-01-01T00:00:00Z", "valid_to": "2027-01-01T00:30:00+01:00"},
     "valid_to", "invalid_validity"),
    ({"valid_from": "2027-01-01T00:00:00"}, "valid_from", "timezone_aware"),
    ({"valid_to": "9999-12-31T23:00:00-05:00"}, "valid_to", None),
    ({"valid_from": 0}, "valid_from", None),
    ({"valid_from": "1798761600"}, "valid_from", None),
    ({"priority": -1}, "priority", None),
    ({"priority": 1_000_001}, "priority", None),
    ({"priority": "1"}, "priority", None),
    ({"priority": 1.5}, "priority", None),
    ({"code": "has space"}, "code", None),
    ({"name": ""}, "name", None),
    ({"prices": []}, "prices", "extra_forbidden"),
])
def test_a_bad_list_is_refused_and_nothing_is_created(store, extra, field, code):
    body = {"code": "new-list", "name": "New", "channel": "web", **extra}
    _refused(store, "POST", LISTS, 422, field, code, json=body)


def test_a_list_for_another_currency_than_the_channels_is_a_currency_mismatch(store):
    problem = _refused(store, "POST", LISTS, 422, "currency", "currency_mismatch", json={
        "code": "jp-eur", "name": "JP in EUR", "channel": "jp", "currency": "EUR"})
    assert "JPY" in problem["detail"]


# --- listing and reading ----------------------------------------------------------------


def test_lists_can_be_filtered_by_channel_and_paged_by_code(store):
    _create(store, "jp-base", "jp")
    _create(store, "web-promo", "web", priority=5)
    assert [p["code"] for p in ok(store.get(LISTS))["items"]] == [
        "jp-base", "web-base", "web-promo"]
    web = ok(store.get(LISTS, params={"channel": "web"}))["items"]
    assert [(p["code"], p["channel"], p["currency"]) for p in web] == [
        ("web-base", "web", "EUR"), ("web-promo", "web", "EUR")]
    first = ok(store.get(LISTS, params={"limit": 2}))
    rest = ok(store.get(LISTS, params={"limit": 2, "cursor": first["next_cursor"]}))
    assert [p["code"] for p in first["items"] + rest["items"]] == [
        "jp-base", "web-base", "web-promo"]
    assert rest["next_cursor"] is None


def test_filtering_by_an_unknown_channel_is_bad_input(store):
    _refused(store, "GET", LISTS, 422, "query.channel", "unknown_channel",
             params={"channel": "nope"})
    _refused(store, "GET", LISTS, 422, params={"cursor": "garbage"})


def test_a_list_shows_its_prices_by_sku_a_page_at_a_time(store):
    _set(store, "web-base", {"CAP": "7.5"})
    first = ok(store.get(f"{LISTS}/web-base", params={"limit": 2}))
    assert first["price_count"] == 3
    assert [(p["sku"], p["amount"]) for p in first["prices"]] == [
        ("CAP", "7.50"), ("MUG", "12.50")]
    rest = ok(store.get(f"{LISTS}/web-base", params={"limit": 2,
                                                     "cursor": first["next_cursor"]}))
    assert [(p["sku"], p["amount"]) for p in rest["prices"]] == [("TEE", "20.00")]
    assert rest["next_cursor"] is None


def test_an_unknown_list_is_not_found(store):
    for method, url, body in [("GET", f"{LISTS}/nope", None),
                              ("PATCH", f"{LISTS}/nope", {"priority": 1}),
                              ("PUT", f"{LISTS}/nope/prices",
                               {"prices": [{"sku": "MUG", "amount": "1"}]}),
                              ("DELETE", f"{LISTS}/nope/prices/MUG", None)]:
        problem = _refused(store, method, url, 404, json=body)
        assert problem["code"] == "not-found"


# --- changing a list -------------------------------------------------------------------


def test_only_the_fields_sent_change_and_null_opens_a_validity_end(store, clock):
    _create(store, "promo", "web", valid_from="2026-12-01T00:00:00Z",
            valid_to="2026-12-08T00:00:00Z")
    clock.advance(timedelta(minutes=5))
    changed = ok(store.patch(f"{LISTS}/promo", json={"name": "Week one", "priority": 7,
                                                     "valid_to": None}))
    assert changed["name"] == "Week one" and changed["priority"] == 7
    assert changed["valid_from"] == "2026-12-01T00:00:00Z" and changed["valid_to"] is None
    assert changed["updated_at"] == "2026-11-26T12:05:00Z"
    assert ok(store.get(f"{LISTS}/promo"))["name"] == "Week one"
    [event] = [e for e in _events(store) if e["type"] == "price_list.updated"]
    assert event["payload"] == {"code": "promo", "changes": {
        "name": "Week one", "valid_to": None, "priority": 7}}


def test_a_change_that_changes_nothing_records_nothing(store):
    before = _state(store)
    same = ok(store.patch(f"{LISTS}/web-base", json={"priority": 0, "valid_from": None}))
    assert same["priority"] == 0
    assert ok(store.patch(f"{LISTS}/web-base", json={}))["code"] == "web-base"
    assert _state(store) == before


@pytest.mark.parametrize(("body", "field"), [
    ({"valid_to": "2026-11-30T00:00:00Z"}, "valid_to"),  # before the list's valid_from
    ({"valid_from": "2026-12-31T00:00:00Z"}, "valid_to"),  # after the list's valid_to
    ({"name": None}, "name"),
    ({"priority": None}, "priority"),
    ({"priority": -3}, "priority"),
    ({"currency": "USD"}, "currency"),
    ({"channel": "jp"}, "channel"),
    ({"valid_from": "2026-12-01T00:00:00"}, "valid_from"),
])
def test_a_bad_change_is_refused_and_the_list_is_unchanged(store, body, field):
    _create(store, "promo", "web", valid_from="2026-12-01T00:00:00Z",
            valid_to="2026-12-08T00:00:00Z")
    _refused(store, "PATCH", f"{LISTS}/promo", 422, field, json=body)


# --- setting and deleting prices --------------------------------------------------------


def test_setting_prices_inserts_and_replaces_and_leaves_the_others(store):
    answer = _set(store, "web-base", {"TEE": "18.00", "CAP": 9})
    assert answer == {"price_list": "web-base", "currency": "EUR", "set": 2}
    assert _prices(store, "web-base") == {"CAP": "9.00", "MUG": "12.50", "TEE": "18.00"}
    event = [e for e in _events(store) if e["type"] == "prices.set"][-1]
    assert event["payload"] == {"code": "web-base", "currency": "EUR", "prices": [
        {"sku": "TEE", "amount": "18.00"}, {"sku": "CAP", "amount": "9.00"}]}


def test_a_thousand_prices_are_set_in_one_request(client):
    make_channel(client, "web", "EUR")
    skus = [f"SKU-{i:04d}" for i in range(1000)]
    for sku in skus:
        make_product(client, sku)
    _create(client, "web-all", "web")
    answer = _set(client, "web-all", {s: f"{i}.99" for i, s in enumerate(skus)})
    assert answer["set"] == 1000
    detail = ok(client.get(f"{LISTS}/web-all", params={"limit": 1}))
    assert detail["price_count"] == 1000
    assert _effective(client, "SKU-0999")["SKU-0999"] == ("999.99", "web-all")


def test_zero_is_a_price_and_whole_yen_and_three_decimal_dinars_are_exact(store):
    make_channel(store, "kw", "KWD")
    _create(store, "jp-base", "jp")
    _create(store, "kw-base", "kw")
    _set(store, "web-base", {"CAP": "0"})
    _set(store, "jp-base", {"MUG": "1500", "TEE": 980})
    _set(store, "kw-base", {"MUG": "4.125"})
    assert _prices(store, "web-base")["CAP"] == "0.00"
    assert _prices(store, "jp-base") == {"MUG": "1500", "TEE": "980"}
    assert _prices(store, "kw-base") == {"MUG": "4.125"}
    assert _effective(store, "MUG", channel="jp")["MUG"] == ("1500", "jp-base")


@pytest.mark.parametrize(("code", "prices", "field", "error"), [
    ("web-base", [{"sku": "NOPE", "amount": "1"}], "prices.0.sku", "unknown_sku"),
    ("web-base", [{"sku": "MUG", "amount": "-0.01"}], "prices.0.amount", "negative_amount"),
    ("web-base", [{"sku": "MUG", "amount": -5}], "prices.0.amount", "negative_amount"),
    ("web-base", [{"sku": "MUG", "amount": "12.505"}], "prices.0.amount", None),
    ("jp-base", [{"sku": "MUG", "amount": "1500.5"}], "prices.0.amount", None),
    ("web-base", [{"sku": "MUG", "amount": "abc"}], "prices.0.amount", None),
    ("web-base", [{"sku": "MUG", "amount": "NaN"}], "prices.0.amount", None),
    ("web-base", [{"sku": "MUG", "amount": "Infinity"}], "prices.0.amount", None),
    ("web-base", [{"sku": "MUG", "amount": True}], "prices.0.amount", None),
    ("web-base", [{"sku": "MUG", "amount": "1e12"}], "prices.0.amount", None),
    ("web-base", [{"sku": "MUG"}], "prices.0.amount", None),
    ("web-base", [{"sku": "MUG", "amount": "1", "currency": "EUR"}], "prices.0.currency",
     "extra_forbidden"),
    ("web-base", [{"sku": "MUG", "amount": "1"}, {"sku": "MUG", "amount": "2"}],
     "prices.1.sku", "duplicate_sku"),
    ("web-base", [], "prices", None),
])
def test_a_bad_price_is_refused_and_no_price_changes(store, code, prices, field, error):
    _create(store, "jp-base", "jp")
    _refused(store, "PUT", f"{LISTS}/{code}/prices", 422, field, error,
             json={"prices": prices})


def test_one_bad_price_among_good_ones_refuses_them_all_naming_every_problem(store):
    problem = _refused(store, "PUT", f"{LISTS}/web-base/prices", 422, json={"prices": [
        {"sku": "MUG", "amount": "1.00"}, {"sku": "GHOST", "amount": "2.00"},
        {"sku": "TEE", "amount": "3.001"}, {"sku": "SPOOK", "amount": "4.00"}]})
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("prices.1.sku", "unknown_sku"), ("prices.2.amount", "invalid"),
        ("prices.3.sku", "unknown_sku")]
    assert "GHOST" in problem["detail"] and "SPOOK" in problem["detail"]
    assert _prices(store, "web-base") == {"MUG": "12.50", "TEE": "20.00"}


def test_more_than_a_thousand_prices_in_one_request_are_refused(store):
    body = {"prices": [{"sku": "MUG", "amount": "1"}] * 1001}
    _refused(store, "PUT", f"{LISTS}/web-base/prices", 422, "prices", json=body)


def test_deleting_a_price_hands_the_sku_to_the_next_list_that_prices_it(store):
    _create(store, "web-promo", "web", priority=5)
    _set(store, "web-promo", {"MUG": "9.99"})
    assert _effective(store, "MUG")["MUG"] == ("9.99", "web-promo")
    response = store.delete(f"{LISTS}/web-promo/prices/MUG")
    assert response.status_code == 204 and response.content == b""
    assert _effective(store, "MUG")["MUG"] == ("12.50", "web-base")
    event = [e for e in _events(store) if e["type"] == "price.deleted"][-1]
    assert event["payload"] == {"code": "web-promo", "sku": "MUG", "amount": "9.99",
                                "currency": "EUR"}
    problem = _refused(store, "DELETE", f"{LISTS}/web-promo/prices/MUG", 404)
    assert "MUG" in problem["detail"]
    _refused(store, "DELETE", f"{LISTS}/web-base/prices/NOPE", 404)


# --- effective prices -----------------------------------------------------------------


def test_effective_prices_name_the_list_and_null_when_nothing_prices_a_sku(store):
    answer = ok(store.get(PRICES, params={"channel": "web", "sku": ["TEE", "CAP", "MUG",
                                                                     "TEE"]}))
    assert answer["channel"] == "web" and answer["currency"] == "EUR"
    assert answer["at"] == "2026-11-26T12:00:00Z"
    assert answer["items"] == [
        {"sku": "TEE", "price": {"amount": "20.00", "currency": "EUR"},
         "price_list": "web-base"},
        {"sku": "CAP", "price": None, "price_list": None},
        {"sku": "MUG", "price": {"amount": "12.50", "currency": "EUR"},
         "price_list": "web-base"},
    ]
    assert _effective(store, "MUG", channel="jp")["MUG"] == (None, None)


def test_a_future_list_takes_over_at_its_valid_from_and_hands_back_at_its_valid_to(store):
    _create(store, "xmas", "web", valid_from="2026-12-24T00:00:00Z",
            valid_to="2026-12-27T00:00:00Z")
    _set(store, "xmas", {"MUG": "10.00"})
    assert _effective(store, "MUG")["MUG"] == ("12.50", "web-base")  # now: not yet
    cases = [("2026-12-23T23:59:59.999999Z", "web-base"), ("2026-12-24T00:00:00Z", "xmas"),
             ("2026-12-24T01:00:00+01:00", "xmas"), ("2026-12-26T23:59:59Z", "xmas"),
             ("2026-12-27T00:00:00Z", "web-base"), ("2027-06-01T00:00:00Z", "web-base")]
    for at, expected in cases:
        assert _effective(store, "MUG", at=at)["MUG"][1] == expected, at


def test_an_expired_list_is_ignored_even_with_a_higher_priority(store, clock):
    _create(store, "flash", "web", priority=100, valid_to="2026-11-26T13:00:00Z")
    _set(store, "flash", {"TEE": "5.00"})
    assert _effective(store, "TEE")["TEE"] == ("5.00", "flash")
    clock.advance(timedelta(hours=1))
    assert _effective(store, "TEE")["TEE"] == ("20.00", "web-base")


def test_with_overlapping_lists_priority_then_latest_start_then_code_decides(store):
    _create(store, "b-late", "web", valid_from="2026-11-01T00:00:00Z")
    _create(store, "a-late", "web", valid_from="2026-11-01T00:00:00Z")
    _create(store, "vip", "web", priority=3, valid_from="2020-01-01T00:00:00Z")
    _set(store, "b-late", {"MUG": "11.00", "TEE": "19.00", "CAP": "8.00"})
    _set(store, "a-late", {"MUG": "10.00", "TEE": "18.00"})
    _set(store, "vip", {"MUG": "9.00"})
    assert _effective(store, "MUG", "TEE", "CAP") == {
        "MUG": ("9.00", "vip"),  # highest priority
        "TEE": ("18.00", "a-late"),  # a-late and b-late started together: code decides
        "CAP": ("8.00", "b-late"),  # a later start beats web-base's open start
    }
    ok(store.patch(f"{LISTS}/web-base", json={"priority": 4}))
    assert _effective(store, "MUG", "TEE", "CAP") == {
        "MUG": ("12.50", "web-base"), "TEE": ("20.00", "web-base"), "CAP": ("8.00", "b-late")}


@pytest.mark.parametrize(("params", "field"), [
    ({"channel": "nope", "sku": "MUG"}, "query.channel"),
    ({"channel": "web", "sku": ["MUG", "GHOST"]}, "query.sku.1"),
    ({"channel": "web"}, "query.sku"),
    ({"sku": "MUG"}, "query.channel"),
    ({"channel": "web", "sku": "MUG", "at": "2026-12-01T00:00:00"}, "query.at"),
    ({"channel": "web", "sku": "MUG", "at": "tomorrow"}, "query.at"),
    ({"channel": "web", "sku": "MUG", "at": "1798761600"}, "query.at"),
    ({"channel": "web", "sku": "MUG", "at": "9999-12-31T23:00:00-05:00"}, "query.at"),
    ({"channel": "web", "sku": "bad sku"}, "query.sku.0"),
    ({"channel": "web", "sku": [f"S{i}" for i in range(201)]}, "query.sku"),
])
def test_asking_for_prices_with_bad_input_is_refused(store, params, field):
    _refused(store, "GET", PRICES, 422, field, params=params)


def test_a_viewer_may_read_prices_but_not_change_them(store):
    viewer = ok(store.post("/api/v1/api-keys", json={"name": "v", "role": "viewer"}), 201)
    headers = {"Authorization": f"Bearer {viewer['key']}"}
    assert store.get(f"{LISTS}/web-base", headers=headers).status_code == 200
    assert store.get(PRICES, params={"channel": "web", "sku": "MUG"},
                     headers=headers).status_code == 200
    for method, url, body in [
            ("POST", LISTS, {"code": "x", "name": "X", "channel": "web"}),
            ("PATCH", f"{LISTS}/web-base", {"priority": 1}),
            ("PUT", f"{LISTS}/web-base/prices", {"prices": [{"sku": "MUG", "amount": "1"}]}),
            ("DELETE", f"{LISTS}/web-base/prices/MUG", None)]:
        _refused(store, method, url, 403, json=body, headers=headers)


def test_every_price_route_is_documented(client):
    schema = ok(client.get("/openapi.json"))
    routes = {path: ops for path, ops in schema["paths"].items()
              if path.startswith((LISTS, PRICES))}
    assert len([op for ops in routes.values() for op in ops]) == 7
    for ops in routes.values():
        for op in ops.values():
            assert op.get("summary"), op
    for name in ("PriceListCreate", "PriceListUpdate", "PriceIn", "EffectivePriceOut"):
        props = schema["components"]["schemas"][name]["properties"]
        assert [p for p, spec in props.items() if "description" in spec], name
