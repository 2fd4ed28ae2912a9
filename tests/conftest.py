"""Shared fixtures: every database test runs on SQLite and, when configured, PostgreSQL.

PostgreSQL tests run when ``ORDERMESH_TEST_POSTGRES_URL`` is set (an admin URL; the tests
create and drop their own database). In CI (``CI=true``) a missing URL fails the run
instead of skipping.

Each test gets a database as the migrations leave it, cheaply (docs/architecture.md, "Tests"):
SQLite copies a file migrated once per process; PostgreSQL migrates one database per process
and, before each test, empties only the tables the previous test wrote (a DELETE is
milliseconds, a TRUNCATE of every table one to two seconds) and puts back what the
migrations loaded. The app is built once per process and handed each test's container.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Connection, Engine, Table, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from ordermesh.app import create_app
from ordermesh.http.deps import Container
from ordermesh.kit.clock import FixedClock
from ordermesh.kit.db import UnitOfWork, build_engine
from ordermesh.migrations import upgrade
from ordermesh.settings import Settings
from ordermesh.tables import metadata

# the simulated SMS provider (a real HTTP server) and the app over HTTP, as fixtures
pytest_plugins = ["tests.sms_provider"]

ADMIN_KEY = "test-admin-key-0123456789abcdef"
PG_URL_ENV = "ORDERMESH_TEST_POSTGRES_URL"
START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def connection_share() -> tuple[int, int]:
    """(for the test's app, for a live server's two processes): the PostgreSQL connections
    one test process may open, an even share of the default max_connections (100) less 10
    for the sessions that create, reset and drop databases, over the xdist workers. Two
    workers get 25 + 20 (the largest thread pool of a test is 20); ``-n auto`` on a bigger
    machine gives each less, and a full pool makes a request wait for a connection (pool
    timeout), never open one past the limit (up to 22 workers; 4 each is the floor)."""
    share = max(4, 90 // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    server = max(2, min(20, share * 4 // 9))
    return min(25, share - server), server


# Properties prove values, not speed: a busy machine (xdist on every core, colleagues' jobs)
# must not fail them on Hypothesis's 200 ms deadline or its too-slow check. In CI Hypothesis
# loads its own "ci" profile (the same, and derandomised); elsewhere this one, still random.
hypothesis_settings.register_profile(
    "ordermesh", deadline=None, suppress_health_check=[HealthCheck.too_slow])
if hypothesis_settings.get_current_profile_name() == "default":
    hypothesis_settings.load_profile("ordermesh")


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


# --- PostgreSQL: one migrated database per process, put back as migrated before each test ---

_TABLES: list[Table] = list(metadata.sorted_tables)
# One round trip says which tables hold rows (a DELETE of the others would be wasted work).
_WRITTEN = text(" UNION ALL ".join(
    f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in _TABLES))
# Tables with triggers of their own (issued invoices refuse a DELETE): emptied by TRUNCATE,
# which fires no row trigger, as before.
_GUARDED = text("SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal")
_SEQUENCES = text("SELECT format('%I.%I', schemaname, sequencename), last_value, start_value "
                  "FROM pg_sequences")


@dataclass(frozen=True)
class _Migrated:
    """What a freshly migrated database holds: reference rows and sequence positions."""

    rows: dict[str, list[dict[str, Any]]]  # the tables the migrations load (tax rates, ...)
    marks: dict[str, tuple[int, int]]  # of those tables: (row count, newest xmin)
    sequences: dict[str, tuple[int | None, int]]  # name: (last_value, start_value)
    guarded: frozenset[str]  # tables whose triggers refuse a DELETE: truncated instead


def _marks(conn: Connection, names: list[str]) -> dict[str, tuple[int, int]]:
    """Row count and newest row version of each table: any insert, update or delete since
    changes one of them (a row written later has a later xmin)."""
    return {name: tuple(conn.execute(text(  # type: ignore[misc]
        f'SELECT count(*), coalesce(max(xmin::text::bigint), 0) FROM "{name}"')).one())
        for name in names}


def _snapshot(conn: Connection) -> _Migrated:
    loaded = set(conn.execute(_WRITTEN).scalars())
    rows = {t.name: [dict(r._mapping) for r in conn.execute(select(t))]
            for t in _TABLES if t.name in loaded}
    sequences = {name: (last, start) for name, last, start in conn.execute(_SEQUENCES)}
    guarded = frozenset(conn.execute(_GUARDED).scalars())
    return _Migrated(rows, _marks(conn, list(rows)), sequences, guarded)


def _reset_postgres(conn: Connection, migrated: _Migrated) -> None:
    """Bring the database back to ``migrated``: empty what was written, reload the reference
    rows if they changed, rewind the sequences that moved (as TRUNCATE ... RESTART IDENTITY
    would, and sequences no table owns too)."""
    written = set(conn.execute(_WRITTEN).scalars())
    changed = {name for name, mark in _marks(conn, list(migrated.rows)).items()
               if mark != migrated.marks[name]}
    dirty = (written - set(migrated.rows)) | changed
    if truncate := sorted(dirty & migrated.guarded):  # CASCADE: and the tables referring
        conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in truncate) + " CASCADE"))
    for table in reversed(_TABLES):  # children before parents
        if table.name in dirty and table.name not in migrated.guarded:
            conn.execute(table.delete())
    for table in _TABLES:
        if table.name in changed and migrated.rows[table.name]:
            conn.execute(insert(table), migrated.rows[table.name])
    for name, last, _ in conn.execute(_SEQUENCES):
        if name not in migrated.sequences:
            continue
        was, start = migrated.sequences[name]
        if last != was:
            conn.execute(select(func.setval(name, start if was is None else was,
                                            was is not None)))
    if changed:  # the reloaded rows are newer versions: remember them as they are now
        migrated.marks.update(_marks(conn, sorted(changed)))


def commit_without_flush(admin: Connection, database: str) -> None:
    """Sessions of ``database`` commit without waiting for the WAL to reach the disk (an
    fsync per commit, milliseconds each on a busy VM). Only a crash of the server could
    tell: what a commit makes visible, and when, is the same. A database made from it as a
    TEMPLATE does not inherit this: call it again."""
    admin.execute(text(f'ALTER DATABASE "{database}" SET synchronous_commit = off'))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin_url = _pg_admin_url()
    if not admin_url:
        pytest.skip(f"{PG_URL_ENV} not set")
    name = f"ordermesh_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        commit_without_flush(conn, name)
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass(frozen=True)
class _Resetter:
    """One connection per process, kept between tests, that puts the database back: a new
    connection per test cost more than the reset itself (a server process started, the
    dialect's first-connect queries)."""

    engine: Engine
    migrated: _Migrated

    def reset(self) -> None:
        with self.engine.begin() as conn:
            _reset_postgres(conn, self.migrated)


@pytest.fixture(scope="session")
def _postgres_resetter(postgres_url: str) -> Iterator[_Resetter]:
    # pre-ping: a demo test drops and recreates the database under this connection
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0, pool_pre_ping=True)
    with engine.connect() as conn:
        migrated = _snapshot(conn)
    yield _Resetter(engine, migrated)
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "ordermesh.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    request.getfixturevalue("_postgres_resetter").reset()
    return request.getfixturevalue("postgres_url")


# A loaded CI machine (both cores busy with xdist workers and live servers) can keep a
# row lock for longer than the production default of 5 s in the concurrency tests; the
# tests of the lock timeout itself set theirs (tests/integration/test_database_errors.py).
TEST_LOCK_MS = 60_000


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def container(db_url: str, clock: FixedClock) -> Iterator[Container]:
    # Every request of a test comes from one address ("testclient") with one key, faster
    # than any client: the rate limits would refuse suites such as the access-table walk.
    # The tests of the limits set theirs (tests/integration/test_rate_limits.py). Nor is
    # there a request deadline: on a machine busy with the whole suite a request can wait
    # longer than production's 10 s (tests/integration/test_load_shedding.py sets one).
    settings = Settings(database_url=db_url, admin_api_key=ADMIN_KEY, rate_limit_per_key="",
                        rate_limit_per_address="", request_deadline_ms=0)
    most, _ = connection_share()
    engine = build_engine(db_url, pool_size=min(5, most), max_overflow=most - min(5, most),
                          pool_timeout_s=30, lock_timeout_ms=TEST_LOCK_MS)
    yield Container(settings=settings, engine=engine, clock=clock)
    engine.dispose()


@pytest.fixture
def uow(container: Container) -> Callable[..., UnitOfWork]:
    def make(**kwargs) -> UnitOfWork:
        return UnitOfWork(container.engine, container.clock, **kwargs)

    return make


# Building the app analyses every route's signature (FastAPI) and checks the access table:
# a few tenths of a second, pure work on code that does not change during the run. The app
# keeps nothing of a test but ``app.state.container``, which each test sets to its own.
_apps: dict[str, FastAPI] = {}


def app_for(container: Container) -> FastAPI:
    """The app of this process for ``container``'s settings, serving ``container``."""
    key = container.settings.model_dump_json(exclude={"database_url"})
    app = _apps.get(key)
    if app is None:
        app = _apps[key] = create_app(container)
    app.state.container = container
    return app


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    app = app_for(container)
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as test_client:
        yield test_client


Serve = Callable[..., tuple[TestClient, Container]]


@pytest.fixture
def serve(db_url: str, clock: FixedClock) -> Iterator[Serve]:
    """``serve(**settings)``: a test client (with the admin key) of an app whose settings
    are these, on the test's database, and its container; closed after the test. For
    tests of settings the ``client`` fixture leaves at their defaults or switches off."""
    opened: list[tuple[TestClient, Container]] = []

    def make(**settings: Any) -> tuple[TestClient, Container]:
        engine = build_engine(db_url, pool_size=4, max_overflow=4, pool_timeout_s=30,
                              lock_timeout_ms=TEST_LOCK_MS)
        container = Container(Settings(database_url=db_url, admin_api_key=ADMIN_KEY,
                                       **settings), engine, clock)
        # An app of its own (not app_for's): two apps of one test may share settings.
        client = TestClient(create_app(container),
                            headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        client.__enter__()
        opened.append((client, container))
        return client, container

    yield make
    for client, container in opened:
        client.__exit__(None, None, None)
        container.engine.dispose()


def pytest_itemcollected(item: pytest.Item) -> None:
    """The tests that take the demo data set run on one worker per database kind
    (``--dist loadgroup``, as ``make test`` runs): a worker loads each kind's demo once (half
    a minute of CPU), so two workers would load it twice. (xdist groups by renaming the
    test's node id, which pytest 9.2 no longer reads: pyproject.toml keeps pytest below it.)"""
    if "demo_summary" in getattr(item, "fixturenames", ()):
        callspec = getattr(item, "callspec", None)
        kind = callspec.params.get("db_url", "") if callspec else ""
        item.add_marker(pytest.mark.xdist_group(f"demo-{kind}"))
