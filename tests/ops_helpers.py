"""For the operations tests: a table held by another transaction, to keep a request busy
inside its handler, and a wait for what another thread does."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


@contextmanager
def table_held(db_url: str, table: str) -> Iterator[None]:
    """Another process's transaction that keeps ``table`` from being written until the
    block ends (SQLite: the database's write lock; PostgreSQL: an EXCLUSIVE table lock,
    which still lets readers through). The app must have used its database before: its
    first connection switches SQLite to WAL, which another's lock makes fail at once."""
    parsed = make_url(db_url)
    if parsed.get_backend_name() == "sqlite":
        other = sqlite3.connect(parsed.database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    engine = create_engine(db_url, poolclass=NullPool)
    with engine.connect() as conn:
        conn.execute(text(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE'))
        try:
            yield
        finally:
            conn.rollback()
    engine.dispose()


def until(condition: Callable[[], bool], within_s: float = 20.0) -> None:
    """Wait for something another thread does (not for time to pass)."""
    give_up = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < give_up, "the condition never came true"
        time.sleep(0.005)
