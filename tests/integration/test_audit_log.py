"""The audit log (GET /api/v1/audit): every write's event with who, when, from where,
and the aggregate's previous event as 'before'."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ordermesh.app import create_app
from ordermesh.backoffice.model import UserRole
from ordermesh.backoffice.service import create_user
from ordermesh.flows.placement import Placement, place_orders
from ordermesh.kit.db import UnitOfWork
from ordermesh.kit.outbox import outbox
from ordermesh.orders.service import PlaceLine, PlaceOrder
from tests.backoffice_helpers import post_form, signed_in
from tests.helpers import SHIP_TO, make_product, ok, shop

AUDIT = "/api/v1/audit"


def audit(client, **filters) -> dict:
    return ok(client.get(AUDIT, params=filters))


def test_a_change_through_the_api_names_its_key_request_id_and_address(client):
    created = client.post("/api/v1/products", json={"sku": "TEE", "name": "Tee"},
                          headers={"X-Request-Id": "req-create-tee"})
    product = ok(created, 201)
    changed = client.patch(f"/api/v1/products/{product['id']}", json={"name": "Tee 2"})
    ok(changed)

    newest, first = audit(client, aggregate_id=product["id"])["items"]
    assert first["type"] == "product.created"
    assert first["actor"] == "apikey:env-admin"
    assert first["request_id"] == "req-create-tee" == created.headers["X-Request-Id"]
    assert first["client_address"] == "testclient"
    assert first["before"] is None
    assert newest["type"] == "product.updated"
    assert newest["request_id"] == changed.headers["X-Request-Id"] != "req-create-tee"
    assert newest["payload"]["name"] == "Tee 2"
    assert newest["before"] == first["payload"] == {"sku": "TEE"}


def test_a_back_office_change_names_the_person_and_their_request(client, container):
    admin = signed_in(create_app(container), container, "admin", "boss@shop.example")
    answer = post_form(admin, "/app/users", "/app/users", email="kim@shop.example",
                       password="a long first password", role="agent")
    assert answer.status_code == 303

    [entry] = audit(client, type="user.created", actor="user:boss@shop.example")["items"]
    assert entry["payload"]["email"] == "kim@shop.example"
    assert entry["request_id"] == answer.headers["X-Request-Id"]
    assert entry["client_address"] == "testclient"


def test_a_change_outside_any_request_has_no_request_id_or_address(client, container):
    with UnitOfWork(container.engine, container.clock, actor="cli:test") as uow:
        create_user(uow, "cli@shop.example", "a long first password", UserRole.AGENT)
    [entry] = audit(client, actor="cli:test")["items"]
    assert (entry["type"], entry["request_id"], entry["client_address"]) == (
        "user.created", None, None)


def test_orders_of_several_requests_placed_in_one_batch_each_name_their_own_request(
        client, container):
    shop(client, {"TEE": {"ber": 5}})
    batch = [Placement(PlaceOrder(channel="web", lines=[PlaceLine("TEE", 1, 5)],
                                  shipping_address=SHIP_TO),
                       request_id=f"req-{n}", client_address=f"10.0.0.{n}") for n in (1, 2)]
    with UnitOfWork(container.engine, container.clock, actor="apikey:env-admin") as uow:
        placed = place_orders(uow, batch)

    for n, order in enumerate(placed, 1):
        entries = audit(client, aggregate_id=order.order.id)["items"]
        assert entries and {(e["request_id"], e["client_address"]) for e in entries} == {
            (f"req-{n}", f"10.0.0.{n}")}


def test_filters_narrow_the_log_and_pages_walk_it_newest_first_without_overlap(
        client, clock):
    for sku in ("A", "B", "C"):
        make_product(client, sku)
    clock.advance(timedelta(hours=1))
    later = make_product(client, "D")

    walked, cursor = [], None
    while True:
        page = audit(client, type="product.", limit=2, **({"cursor": cursor} if cursor else {}))
        walked += [e["payload"]["sku"] for e in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert walked == ["D", "C", "B", "A"]

    since = clock.now().isoformat()
    assert [e["aggregate_id"] for e in audit(client, since=since)["items"]] == [later["id"]]
    until = audit(client, until=since, aggregate_type="product")["items"]
    assert [e["payload"]["sku"] for e in until] == ["C", "B", "A"]
    assert audit(client, actor="apikey:someone-else")["items"] == []


def test_only_an_admin_reads_the_audit_log(client):
    for role in ("viewer", "operator"):
        key = ok(client.post("/api/v1/api-keys", json={"name": f"{role}-key", "role": role}),
                 201)["key"]
        answer = client.get(AUDIT, headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("filters", [
    {"since": "2026-11-26T12:00:00"},  # no time zone
    {"since": "2026-11-26T13:00:00Z", "until": "2026-11-26T12:00:00Z"},
    {"since": "0001-01-01T00:00:00+01:00"},
    {"until": "yesterday"},
    {"cursor": "not-a-cursor"},
    {"limit": 0},
    {"limit": 201},
    {"actor": "x" * 121},
    {"who": "me"},
])
def test_bad_filters_are_refused_and_change_nothing(client, uow, filters):
    make_product(client, "TEE")
    with uow(write=False) as u:
        before = u.execute(select(func.count()).select_from(outbox)).scalar_one()
    answer = client.get(AUDIT, params=filters)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    with uow(write=False) as u:
        assert u.execute(select(func.count()).select_from(outbox)).scalar_one() == before
