"""Fresh databases for one benchmark run: created empty, migrated, and removed afterwards."""

from __future__ import annotations

import secrets
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ordermesh.migrations import upgrade

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def fresh_sqlite() -> Iterator[str]:
    """A migrated SQLite file in a temporary directory (WAL files go with it)."""
    with tempfile.TemporaryDirectory(prefix="ordermesh-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        yield url


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    """A new database ``ordermesh_bench_<random>`` next to ``admin_url``, dropped at the end."""
    name = f"ordermesh_bench_{secrets.token_hex(5)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
            upgrade(url)
            yield url
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def fresh_database(kind: str, postgres_admin_url: str) -> Iterator[str]:
    if kind == "sqlite":
        with fresh_sqlite() as url:
            yield url
    elif kind == "postgres":
        with fresh_postgres(postgres_admin_url) as url:
            yield url
    else:
        raise ValueError(f"unknown database kind {kind!r}")


def sqlite_version() -> str:
    return sqlite3.sqlite_version


def postgres_version(admin_url: str) -> str:
    """``16.4 (synchronous_commit=on)``; the commit setting decides a write benchmark."""
    engine = create_engine(admin_url)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one()
            sync = conn.execute(text("SHOW synchronous_commit")).scalar_one()
    finally:
        engine.dispose()
    return f"{version} (synchronous_commit={sync})"
