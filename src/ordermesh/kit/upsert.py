"""Dialect-specific ``INSERT ... ON CONFLICT`` for SQLite and PostgreSQL."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Table, and_
from sqlalchemy.dialects import postgresql, sqlite

from ordermesh.kit.db import UnitOfWork


def _insert(dialect: str, table: Table) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


@lru_cache(maxsize=64)
def _insert_ignore_returning(
    dialect: str, table: Table, conflict_columns: tuple[str, ...], returning: str
) -> Any:
    return (_insert(dialect, table).on_conflict_do_nothing(index_elements=conflict_columns)
            .returning(table.c[returning]))


def insert_ignore_returning(
    uow: UnitOfWork, table: Table, conflict_columns: tuple[str, ...], returning: str,
    values: dict[str, Any],
) -> Any:
    """INSERT that does nothing when a row with the same key exists, returning one column:
    a row when inserted, None on conflict.

    The statement is built once per dialect and table: hot paths pay only for executing.
    """
    stmt = _insert_ignore_returning(uow.dialect, table, conflict_columns, returning)
    return uow.execute(stmt, values).first()


def insert_or_add(
    uow: UnitOfWork, table: Table, conflict_columns: list[str], values: dict[str, Any],
    add_columns: list[str], at_most: int | None = None,
) -> Any:
    """INSERT, or on conflict add the given columns' values to the existing row; with
    ``at_most``, only while every sum stays at most that (else no row is changed)."""
    stmt = _insert(uow.dialect, table).values(**values)
    sums = {col: table.c[col] + stmt.excluded[col] for col in add_columns}
    where = and_(*(total <= at_most for total in sums.values())) if at_most else None
    return stmt.on_conflict_do_update(index_elements=conflict_columns, set_=sums, where=where)


def upsert(
    uow: UnitOfWork, table: Table, conflict_columns: list[str], values: dict[str, Any],
    set_columns: list[str],
) -> Any:
    """INSERT, or on conflict overwrite the given columns with the new values."""
    stmt = _insert(uow.dialect, table).values(**values)
    return stmt.on_conflict_do_update(index_elements=conflict_columns,
                                      set_={col: stmt.excluded[col] for col in set_columns})


def dialect_insert(uow: UnitOfWork, table: Table) -> Any:
    """The dialect's own INSERT, which has ``on_conflict_do_nothing/update``."""
    return _insert(uow.dialect, table)


@lru_cache(maxsize=64)
def _add_many(dialect: str, table: Table, conflict_columns: tuple[str, ...],
              add_columns: tuple[str, ...]) -> Any:
    stmt = _insert(dialect, table)
    return stmt.on_conflict_do_update(
        index_elements=conflict_columns,
        set_={col: table.c[col] + stmt.excluded[col] for col in add_columns})


def insert_or_add_many(
    uow: UnitOfWork, table: Table, conflict_columns: tuple[str, ...],
    add_columns: tuple[str, ...], rows: list[dict[str, Any]], *, defer: bool = False,
) -> None:
    """``insert_or_add`` for many rows in one round trip (executemany), with the
    statement built once per dialect and table; ``defer``: queued with the transaction's
    other deferred rows (``UnitOfWork.defer_insert``), for counters that only ever add.
    Each row stays a statement of its own (psycopg's and SQLite's ``executemany``), so
    two rows of one key in a queue add up."""
    if rows:
        statement = _add_many(uow.dialect, table, conflict_columns, add_columns)
        if defer:
            uow.defer_insert(statement, rows)
        else:
            uow.execute(statement, rows)
