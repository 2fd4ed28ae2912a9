"""The test databases themselves: every test starts from what the migrations leave.

SQLite tests get a fresh copy of a migrated file; PostgreSQL tests share one database per
worker, put back before each test (tests/conftest.py). These prove that putting back.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, create_engine, delete, select, text, update

from ordermesh.tax.tables import tax_rates
from tests.conftest import _WRITTEN, _Resetter, _snapshot
from tests.fulfilment_helpers import place
from tests.helpers import shop


def _state(conn: Connection) -> tuple[dict[str, list[str]], dict[str, int | None]]:
    """Every reference row (order-free) and every sequence position."""
    now = _snapshot(conn)
    rows = {name: sorted(repr(sorted(r.items())) for r in table_rows)
            for name, table_rows in now.rows.items()}
    return rows, {name: last for name, (last, _) in now.sequences.items()}


@pytest.fixture
def postgres_only(db_url: str) -> str:
    if not db_url.startswith("postgresql"):
        pytest.skip("a SQLite test gets a fresh copy of the migrated file, nothing to put back")
    return db_url


def test_a_postgres_test_database_is_put_back_as_the_migrations_left_it(
        postgres_only, client, request: pytest.FixtureRequest):
    resetter: _Resetter = request.getfixturevalue("_postgres_resetter")
    migrated = resetter.migrated
    engine = create_engine(postgres_only)
    with engine.connect() as conn:
        fresh = _state(conn)
    # whatever ran before in this process (the demo too), the test starts as migrated
    assert fresh[0] == {name: sorted(repr(sorted(r.items())) for r in table_rows)
                        for name, table_rows in migrated.rows.items()}
    assert fresh[1] == {name: last for name, (last, _) in migrated.sequences.items()}
    # what a test does: orders (sequences move, many tables fill), a changed and a deleted
    # reference row
    shop(client, {"TEE": {"ber": 5}})
    place(client, [("TEE", 2, "9.99")])
    with engine.begin() as conn:
        first, second = conn.execute(select(tax_rates.c.id).limit(2)).scalars()
        conn.execute(update(tax_rates).where(tax_rates.c.id == first).values(name="changed"))
        conn.execute(delete(tax_rates).where(tax_rates.c.id == second))
    with engine.connect() as conn:
        rows, sequences = _state(conn)
        assert rows != fresh[0] and sequences != fresh[1]
        assert len(set(conn.execute(_WRITTEN).scalars()) - set(migrated.rows)) > 5

    resetter.reset()  # as the next test's db_url does, on the connection kept for it

    with engine.connect() as conn:
        assert _state(conn) == fresh
        assert set(conn.execute(_WRITTEN).scalars()) == set(migrated.rows)  # nothing else
    engine.dispose()


def test_a_postgres_test_database_commits_without_waiting_for_the_disk(postgres_only, container):
    # set on the database, so every connection has it: the app's, a live server's, the CLI's
    with container.engine.connect() as conn:
        assert conn.execute(text("SHOW synchronous_commit")).scalar_one() == "off"
