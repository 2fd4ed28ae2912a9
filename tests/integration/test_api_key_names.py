"""An API key's name is the actor of every change made with it, so it is unique for good:
a second key with the name of a live or revoked key, or the environment's admin key, is
refused and nothing changes; keys that shared a name before the migration are told apart."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, insert, select

from ordermesh.apikeys.tables import api_keys
from ordermesh.migrations import upgrade
from tests.event_checks import assert_writes_nothing
from tests.helpers import ok


@pytest.mark.parametrize("taken", ["shop-sync", "env-admin"])
def test_a_key_named_like_another_or_like_the_environment_admin_is_refused(client, taken):
    first = ok(client.post("/api/v1/api-keys", json={"name": "shop-sync", "role": "viewer"}),
               201)
    ok(client.post(f"/api/v1/api-keys/{first['id']}/revoke"))
    before = ok(client.get("/api/v1/api-keys"))
    answer = assert_writes_nothing(client, lambda: client.post(
        "/api/v1/api-keys", json={"name": f"  {taken} ", "role": "operator"}))
    assert answer.status_code == 409
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "choose another" in answer.json()["detail"]
    assert ok(client.get("/api/v1/api-keys")) == before


def test_the_actor_of_a_change_names_exactly_one_key(client):
    key = ok(client.post("/api/v1/api-keys", json={"name": "warehouse-scanner",
                                                   "role": "operator"}), 201)
    location = ok(client.post("/api/v1/locations", json={
        "code": "ber", "name": "Berlin", "kind": "warehouse"},
        headers={"Authorization": f"Bearer {key['key']}"}), 201)
    events = ok(client.get("/api/v1/events", params={"limit": 100}))["items"]
    created = next(e for e in events if e["aggregate_id"] == location["id"])
    assert created["actor"] == "apikey:warehouse-scanner"
    named = [k for k in ok(client.get("/api/v1/api-keys"))["items"]
             if f"apikey:{k['name']}" == created["actor"]]
    assert [k["id"] for k in named] == [key["id"]]


def test_the_migration_renames_keys_that_shared_a_name_and_keeps_the_oldest(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0036")
    engine = create_engine(url)
    rows = [{"id": f"key_0{n}", "name": "sync", "role": "viewer", "prefix": f"om_{n}",
             "key_hash": f"hash{n}", "created_at": datetime(2026, 12, 1, 10, n, tzinfo=UTC)}
            for n in (1, 2, 3)]
    with engine.begin() as conn:
        conn.execute(insert(api_keys), rows)
    upgrade(url)
    with engine.connect() as conn:
        names = dict(conn.execute(select(api_keys.c.id, api_keys.c.name)).all())
    engine.dispose()
    assert names == {"key_01": "sync", "key_02": "sync~key_02", "key_03": "sync~key_03"}
