"""Configuration kept per process (kit.config_cache) is never read stale: a change made
by another process is seen by the next order, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from ordermesh.app import create_app
from ordermesh.channels.model import ChannelKind
from ordermesh.channels.service import CreateChannel, channel_money, create_channel
from ordermesh.channels.tables import channels
from ordermesh.http.deps import Container
from ordermesh.kit import config_cache
from ordermesh.kit.config_cache import config_generation
from ordermesh.kit.db import UnitOfWork, build_engine
from ordermesh.locations.service import locations_by_ids
from ordermesh.shipping.accounts import next_booking_sequence
from tests.conftest import ADMIN_KEY
from tests.helpers import ok, order_body, shop

BERLIN = {"name": "Ada", "line1": "Main St 1", "city": "Berlin", "country": "DE"}


@pytest.fixture
def other_process(container: Container) -> Iterator[TestClient]:
    """A second API process on the same database: its own engine, so its own cache."""
    engine = build_engine(container.settings.database_url, pool_size=2, max_overflow=5)
    other = Container(settings=container.settings, engine=engine, clock=container.clock)
    with TestClient(create_app(other),
                    headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as client:
        yield client
    engine.dispose()


def generation(container: Container) -> int:
    with container.engine.connect() as conn:
        return conn.execute(select(config_generation.c.generation)).scalar_one()


def place(client: TestClient) -> dict:
    return ok(client.post("/api/v1/orders", json=order_body(
        [("TEE", 1, "11.90")], shipping_address=BERLIN)), 201)


def test_a_pricing_mode_changed_by_another_process_applies_to_the_next_order(
        client, other_process, container):
    shop(client, {"TEE": {"ber": 10}})
    channel = ok(client.get("/api/v1/channels"))["items"][0]
    assert place(other_process)["tax"]["pricing_mode"] == "inclusive"  # now cached there
    before = generation(container)
    ok(client.patch(f"/api/v1/channels/{channel['id']}", json={"pricing_mode": "exclusive"}))
    assert generation(container) == before + 1
    order = place(other_process)
    assert order["tax"]["pricing_mode"] == "exclusive"
    assert order["totals"]["total"]["amount"] == "14.16"  # 11.90 + 19 % on top


def test_a_new_tax_rate_from_another_process_is_charged_on_the_next_order(
        client, other_process):
    shop(client, {"TEE": {"ber": 10}})
    assert place(other_process)["lines"][0]["tax"]["amount"] == "1.90"  # 19 % inside 11.90
    ok(client.post("/api/v1/tax/rates", json={
        "country": "DE", "tax_class": "standard", "jurisdiction": "DE", "name": "VAT",
        "rate_percent": "21", "valid_from": "2026-01-01",
        "source": "test"}), 201)
    assert place(other_process)["lines"][0]["tax"]["amount"] == "2.07"  # 21 % inside 11.90


def test_a_location_closed_for_shipping_elsewhere_is_not_sourced_from(
        client, other_process):
    shop(client, {"TEE": {"ber": 10, "muc": 10}})
    place(other_process)
    locations = {loc["code"]: loc for loc in ok(client.get("/api/v1/locations"))["items"]}
    ok(client.patch(f"/api/v1/locations/{locations['ber']['id']}",
                    json={"capabilities": []}))
    for _ in range(3):
        order = place(other_process)
        assert {a["location"] for a in order["lines"][0]["allocations"]} == {"muc"}


def test_a_transaction_that_changes_configuration_reads_its_own_change(container):
    channel_id = make_channel_row(container)
    with UnitOfWork(container.engine, container.clock) as uow:
        assert channel_money(uow, channel_id).pricing_mode.value == "inclusive"  # cached
        uow.execute(update(channels).where(channels.c.id == channel_id)
                    .values(pricing_mode="exclusive"))
        assert channel_money(uow, channel_id).pricing_mode.value == "exclusive"
        uow.rollback()
    with UnitOfWork(container.engine, container.clock) as uow:
        assert channel_money(uow, channel_id).pricing_mode.value == "inclusive"


def test_a_rolled_back_change_leaves_the_generation_alone(container):
    channel_id = make_channel_row(container)
    before = generation(container)
    with UnitOfWork(container.engine, container.clock) as uow:
        uow.execute(update(channels).where(channels.c.id == channel_id)
                    .values(pricing_mode="exclusive"))
        uow.rollback()
    assert generation(container) == before


def test_numbering_a_carrier_booking_is_not_a_configuration_change(container):
    before = generation(container)
    with UnitOfWork(container.engine, container.clock) as uow:
        first = next_booking_sequence(uow, "sim")  # creates the built-in account row
        uow.commit()
    assert generation(container) == before + 1
    with UnitOfWork(container.engine, container.clock) as uow:
        assert next_booking_sequence(uow, "sim") == first + 1
        uow.commit()
    assert generation(container) == before + 1


def make_channel_row(container: Container) -> str:
    with UnitOfWork(container.engine, container.clock) as uow:
        return create_channel(uow, CreateChannel("direct", "Direct", ChannelKind.WEB,
                                                 "EUR")).id


def test_unknown_locations_are_left_out_whether_or_not_the_cache_is_used(container):
    channel_id = make_channel_row(container)
    with UnitOfWork(container.engine, container.clock) as uow:
        assert locations_by_ids(uow, {"loc_unknown"}) == []  # through the cache
        uow.execute(update(channels).where(channels.c.id == channel_id)
                    .values(pricing_mode="exclusive"))
        assert locations_by_ids(uow, {"loc_unknown"}) == []  # read fresh
        uow.rollback()


def test_a_full_cache_starts_over_instead_of_growing(container, monkeypatch):
    monkeypatch.setattr(config_cache, "MAX_ENTRIES", 3)
    with UnitOfWork(container.engine, container.clock, write=False) as uow:
        for n in range(10):
            assert config_cache.cached(uow, ("test", n), lambda n=n: n * 2) == n * 2
        assert len(config_cache._caches[container.engine].entries) <= 3
