"""The migrations build exactly the schema the code declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import ordermesh.app  # noqa: F401  (imports every feature's tables)
from ordermesh.kit.db import metadata


def test_the_migrated_database_matches_the_declared_tables(container):
    with container.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
