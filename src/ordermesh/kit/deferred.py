"""What ``UnitOfWork.defer_insert`` needs to know about statements and tables: the order
in which queued rows are written (parents first), and whether a statement may read or
write a table whose rows are still queued (then they are written first)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, MetaData
from sqlalchemy.sql.util import find_tables

_order_by_dependency: dict[str, int] = {}
# id(statement) -> (statement, the names of the tables it uses; None: cannot tell), and the
# same by the statement's cache key, for statements built per call: SQLAlchemy computes
# that key (once per statement object) to find its compiled form anyway.
_tables_by_id: dict[int, tuple[Any, frozenset[str] | None]] = {}
_tables_by_structure: dict[Any, frozenset[str] | None] = {}
_MAX_KNOWN = 4096


def table_order(metadata: MetaData) -> dict[str, int]:
    """Table name -> its place in the metadata's dependency order (parents first)."""
    if len(_order_by_dependency) != len(metadata.tables):
        _order_by_dependency.clear()
        _order_by_dependency.update(
            (table.name, i) for i, table in enumerate(metadata.sorted_tables))
    return _order_by_dependency


def touches(statement: Any, tables: set[str]) -> bool:
    """Whether ``statement`` may read or write one of ``tables`` (True when unknown)."""
    known = _tables_by_id.get(id(statement))
    if known is not None and known[0] is statement:
        names = known[1]
    else:
        key = getattr(statement, "_generate_cache_key", None)
        key = key() if key is not None else None
        if key is not None and key.key in _tables_by_structure:
            names = _tables_by_structure[key.key]
        else:
            names = _tables_of(statement)
            if key is not None:
                if len(_tables_by_structure) > _MAX_KNOWN:
                    _tables_by_structure.clear()
                _tables_by_structure[key.key] = names
        if len(_tables_by_id) > _MAX_KNOWN:  # statements built per call come and go
            _tables_by_id.clear()
        _tables_by_id[id(statement)] = (statement, names)
    return names is None or not names.isdisjoint(tables)


def _tables_of(statement: Any) -> frozenset[str] | None:
    try:
        return frozenset(t.name for t in find_tables(statement, check_columns=True,
                                                     include_crud=True)
                         if hasattr(t, "name")) or None
    except Exception:  # not a Core statement (a string, DDL): assume it may
        return None

def write_queued(conn: Connection, metadata: MetaData,
                 queued: Sequence[tuple[Any, Mapping[str, Any]]]) -> None:
    """Write queued (statement, row) pairs with one ``executemany`` per statement and set
    of columns, parents' tables first, a table's ``INSERT``s before its ``UPDATE``s, rows
    in the order they were queued. A queued ``UPDATE`` row must change one row."""
    groups: dict[tuple[Any, tuple[str, ...]], list[Mapping[str, Any]]] = {}
    for statement, row in queued:
        groups.setdefault((id(statement), tuple(row)), []).append(row)
    first = {id(statement): statement for statement, _ in reversed(queued)}
    order = table_order(metadata)

    def place(group: tuple[Any, tuple[str, ...]]) -> tuple[int, bool]:
        statement = first[group[0]]
        return order.get(statement.table.name, 0), bool(getattr(statement, "is_update", False))

    for (key, columns), rows in sorted(  # a stable sort: first queued, first written
            groups.items(), key=lambda group: place(group[0])):
        statement = first[key]
        result = conn.execute(statement, rows)
        if place((key, columns))[1] and result.rowcount != len(rows):
            raise RuntimeError(f"a queued UPDATE of {statement.table.name} changed "
                               f"{result.rowcount} rows, not {len(rows)}: a row changed "
                               "under its lock")
