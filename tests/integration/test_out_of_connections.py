"""When every database connection of a server is taken: a clear 503, never a 500."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from ordermesh.app import create_app
from ordermesh.http.deps import Container
from ordermesh.kit.clock import FixedClock
from ordermesh.kit.db import build_engine
from ordermesh.settings import Settings
from tests.conftest import ADMIN_KEY, START


def test_a_request_that_finds_no_free_connection_is_a_503_and_changes_nothing(db_url):
    engine = build_engine(db_url, pool_size=1, max_overflow=0, pool_timeout_s=0.2)
    container = Container(Settings(database_url=db_url, admin_api_key=ADMIN_KEY), engine,
                          FixedClock(START))
    body = {"code": "web", "name": "Web", "kind": "web", "currency": "EUR"}
    with TestClient(create_app(container),
                    headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as client:
        held = engine.connect()  # the pool's only connection, busy elsewhere
        try:
            busy = client.post("/api/v1/channels", json=body)
        finally:
            held.close()
        assert busy.status_code == 503, busy.text
        assert busy.headers["content-type"] == "application/problem+json"
        assert busy.json()["code"] == "database-busy"
        assert busy.headers["Retry-After"] == "1"
        assert client.get("/api/v1/channels").json()["items"] == []
        assert client.post("/api/v1/channels", json=body).status_code == 201
    engine.dispose()


@pytest.fixture
def limited_role_url(db_url):
    """A login role of its own on the PostgreSQL test database, whose connections PostgreSQL
    counts (not a superuser's: those are exempt), with rights on the tables."""
    role = f"om_limited_{uuid.uuid4().hex[:10]}"
    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        conn.execute(text(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"'))
        conn.execute(text(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
    try:
        yield role, make_url(db_url).set(username=role, password=None).render_as_string(
            hide_password=False), admin
    finally:
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                {"r": role})
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgres_refusing_a_new_connection_for_lack_of_slots_is_a_503_not_a_500(
        limited_role_url):
    role, url, admin = limited_role_url
    engine = build_engine(url, pool_size=1, max_overflow=0, pool_timeout_s=5)
    container = Container(Settings(database_url=url, admin_api_key=ADMIN_KEY), engine,
                          FixedClock(START))
    body = {"code": "web", "name": "Web", "kind": "web", "currency": "EUR"}
    with TestClient(create_app(container),
                    headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as client:
        assert client.get("/api/v1/channels").json()["items"] == []
        with admin.connect() as conn:  # as when max_connections is reached: 53300
            conn.execute(text(f'ALTER ROLE "{role}" CONNECTION LIMIT 0'))
        engine.dispose()  # the next request has to open a new connection
        refused = client.post("/api/v1/channels", json=body)
        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["Retry-After"] == "1"
        assert refused.json()["code"] == "database-busy"
        assert "nothing was changed" in refused.json()["detail"]
        with admin.connect() as conn:
            conn.execute(text(f'ALTER ROLE "{role}" CONNECTION LIMIT -1'))
        assert client.get("/api/v1/channels").json()["items"] == []
        assert client.post("/api/v1/channels", json=body).status_code == 201
    engine.dispose()
