"""When SQLite's write lock stays taken by another process: a clear 503, and no leak."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient

from ordermesh.app import create_app
from ordermesh.http.deps import Container
from ordermesh.kit.clock import FixedClock
from ordermesh.kit.db import UnitOfWork, build_engine
from ordermesh.settings import Settings
from tests.conftest import ADMIN_KEY, START


@pytest.fixture
def sqlite_path(tmp_path, sqlite_template):
    import shutil

    path = tmp_path / "busy.db"
    shutil.copy(sqlite_template, path)
    return path


def test_a_write_that_cannot_get_the_lock_is_a_503_and_the_next_one_succeeds(sqlite_path):
    url = f"sqlite:///{sqlite_path}"
    engine = build_engine(url, sqlite_busy_timeout_ms=200)
    container = Container(Settings(database_url=url, admin_api_key=ADMIN_KEY), engine,
                          FixedClock(START))
    body = {"code": "web", "name": "Web", "kind": "web", "currency": "EUR"}
    other = sqlite3.connect(sqlite_path, isolation_level=None)
    with TestClient(create_app(container),
                    headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as client:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        busy = client.post("/api/v1/channels", json=body)
        assert busy.status_code == 503, busy.text
        assert busy.json()["code"] == "database-busy"
        assert busy.headers["Retry-After"] == "1"
        other.execute("ROLLBACK")
        assert client.post("/api/v1/channels", json=body).status_code == 201
    with UnitOfWork(engine, FixedClock(START)) as uow:  # the process lock was not leaked
        uow.commit()
    other.close()
    engine.dispose()
