"""When every database connection of a server is taken: a clear 503, never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

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
