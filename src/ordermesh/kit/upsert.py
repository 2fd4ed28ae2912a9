"""Dialect-specific ``INSERT ... ON CONFLICT`` for SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from ordermesh.kit.db import UnitOfWork


def _insert(uow: UnitOfWork, table: Table) -> Any:
    if uow.dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_ignore(uow: UnitOfWork, table: Table, conflict_columns: list[str]) -> Any:
    """INSERT that does nothing when a row with the same key exists."""
    return _insert(uow, table).on_conflict_do_nothing(index_elements=conflict_columns)


def insert_or_add(
    uow: UnitOfWork, table: Table, conflict_columns: list[str], values: dict[str, Any],
    add_columns: list[str],
) -> Any:
    """INSERT, or on conflict add the given columns' values to the existing row."""
    stmt = _insert(uow, table).values(**values)
    return stmt.on_conflict_do_update(
        index_elements=conflict_columns,
        set_={col: table.c[col] + stmt.excluded[col] for col in add_columns},
    )
