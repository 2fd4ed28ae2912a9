"""Shared fixtures: every database test runs on SQLite and, when configured, PostgreSQL.

PostgreSQL tests run when ``ORDERMESH_TEST_POSTGRES_URL`` is set (an admin URL; the tests
create and drop their own database). In CI (``CI=true``) a missing URL fails the run
instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from ordermesh.app import create_app
from ordermesh.http.deps import Container
from ordermesh.kit.clock import FixedClock
from ordermesh.kit.config_cache import config_generation
from ordermesh.kit.db import UnitOfWork, build_engine
from ordermesh.migrations import upgrade
from ordermesh.returns.seed import seed_reasons
from ordermesh.settings import Settings
from ordermesh.tables import metadata
from ordermesh.tax.seed import seed_rates

ADMIN_KEY = "test-admin-key-0123456789abcdef"
PG_URL_ENV = "ORDERMESH_TEST_POSTGRES_URL"
START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _pg_admin_url() -> str | None:
    url = os.environ.get(PG_URL_ENV)
    if not url and os.environ.get("CI"):
        pytest.fail(f"{PG_URL_ENV} must be set in CI: PostgreSQL tests may not skip")
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin_url = _pg_admin_url()
    if not admin_url:
        pytest.skip(f"{PG_URL_ENV} not set")
    name = f"ordermesh_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        seed_rates(conn)  # reference data the migrations load, as a fresh database has it
        seed_reasons(conn)
        conn.execute(insert(config_generation).values(id=1, generation=1))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "ordermesh.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _truncate_postgres(url)
    return url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def container(db_url: str, clock: FixedClock) -> Iterator[Container]:
    settings = Settings(database_url=db_url, admin_api_key=ADMIN_KEY)
    # Sized so that two xdist workers and two live servers stay under PostgreSQL's default
    # 100 connections: 25 here (the largest thread pool of a test is 20) per worker.
    engine = build_engine(db_url, pool_size=5, max_overflow=20)
    yield Container(settings=settings, engine=engine, clock=clock)
    engine.dispose()


@pytest.fixture
def uow(container: Container) -> Callable[..., UnitOfWork]:
    def make(**kwargs) -> UnitOfWork:
        return UnitOfWork(container.engine, container.clock, **kwargs)

    return make


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    app = create_app(container)
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as test_client:
        yield test_client
